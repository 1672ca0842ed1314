"""Solves from two threads at once (the GIL is released) give the sequential answers."""

from __future__ import annotations

import threading

import numpy as np

import convex_relu as cr


def _instances():
    out = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        x = np.hstack([rng.standard_normal((14, 2)), np.ones((14, 1))])
        y = np.sin(2 * x[:, :1])
        out.append((x, y))
    return out


def _numbers(rep):
    d = rep.to_dict()
    return (d["status"], d["objective"], d["lower_bound"], d["upper_bound"], d["iterations"])


def test_two_threads_equal_sequential():
    inst = _instances()
    kwargs = dict(formulation="sdp", backend="clarabel")
    sequential = [_numbers(cr.solve(x, y, 0.05, **kwargs)) for x, y in inst]
    results = [None, None]
    errors = []
    barrier = threading.Barrier(2)

    def work(i):
        try:
            barrier.wait()
            x, y = inst[i]
            results[i] = _numbers(cr.solve(x, y, 0.05, **kwargs))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert results == sequential


def test_gil_is_released_during_a_solve():
    """While one thread solves, another thread keeps running Python code."""
    x, y = _instances()[0]
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    rep = cr.solve(x, y, 0.05, formulation="sdp")
    n_during = len(ticks)
    done.set()
    t.join()
    assert rep.solve_seconds > 0.01
    assert n_during >= 3
