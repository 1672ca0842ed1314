//! A preconditioner for the KKT system of a direction that never forms the normal matrix: the
//! Kronecker part inverted exactly, plus the terms of `Hf + g' D g` that matter most, added back
//! by the Sherman-Morrison-Woodbury identity.
//!
//! Every term of `Hf + g' D g` and every equality row is `a_k = svec(sym(t_r t_s'))` for a pair
//! `(r, s)` of rows of `T`, with a weight `w_k` (`z_k / s_k` for an inequality, 1 for an `av`
//! coordinate of the loss). With `K = W^(-1) (x)s W^(-1)`, whose inverse is `H -> W H W`, and
//! `P = T W T'`, every inner product the identity needs is an entry product:
//!
//! ```text
//!     a_k' K^(-1) a_l = 1/2 (P_{r_k r_l} P_{s_k s_l} + P_{r_k s_l} P_{s_k r_l}).
//! ```
//!
//! The *leverage* of a term, `w_k a_k' K^(-1) a_k`, is its trace in the metric of `K`; the terms
//! left out shift the preconditioned spectrum up by at most the sum of their leverages. So the
//! preconditioner keeps the `r` terms of largest leverage (the active inequalities, whose weights
//! grow like `1 / mu`, come first) in
//!
//! ```text
//!     P = K + sum_{k kept} w_k a_k a_k'
//! ```
//!
//! and solves the KKT system `P x - h' dy = b`, `h x = e` through its capacitance matrix. With
//! `V` the kept rows followed by the equality rows `h` and `u = D V_kept x`,
//! `x = K^(-1) (b - V' [u; -dy])`, where `[u; -dy]` solves
//!
//! ```text
//!     (V K^(-1) V' + diag(1 / w_kept, 0)) [u; -dy] = V K^(-1) b - [0; e]
//! ```
//!
//! (order `r + n`, factored once per iteration). Applying the preconditioner costs two products
//! of order `q`, a pair of triangular solves of order `r + n`, and `O(d^2)` flops per kept pair
//! for `V K^(-1) b` and `V' [u; -dy]`: each row of `T` has one nonzero or `d + 1`, so neither
//! needs the whole congruence of order `p` (`Congruence::entries`, `Congruence::adjoint_pairs`).
//! GMRES on the exact KKT system (`M` applied through the congruence) removes the terms left out.

use super::constraints::{smat, svec, Constraints};
use crate::error::{Error, Result};
use crate::linalg::{cholesky_in_place, cholesky_in_place_f32, cholesky_solve, cholesky_solve_f32, sandwich, symmetrize, Op};
use nalgebra::DMatrix;

/// The precision in which the capacitance matrix is factored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CapacitancePrecision {
    /// `dpotrf`: the preconditioner is exact when every term is kept.
    Double,
    /// `spotrf`: about half the time and half the memory of `dpotrf` (order 8 000: 0.92 s against
    /// 1.71 s on two cores); the error it leaves, about `1e-7` times the condition of the
    /// capacitance matrix, is removed by GMRES on the exact KKT system like the terms left out.
    Single,
}

/// The default of [`crate::dnn::DnnSettings::ipm_single_capacitance_from`]: the order of the
/// capacitance matrix from which it is first factored in single precision
/// ([`CapacitancePrecision::Single`]). Below it the factorisation is not what an iteration
/// spends its time on: on the banknote training half's working set, order 4 800 took 0.3 s to
/// form and factor against about 0.1 s per GMRES step.
pub const DEFAULT_SINGLE_CAPACITANCE_FROM: usize = 3000;

/// The Cholesky factor of the capacitance matrix (lower triangle, column major).
enum CapacitanceFactor {
    Double(DMatrix<f64>),
    Single(Vec<f32>),
}

/// The preconditioner of one iteration.
pub(super) struct LowRankPreconditioner {
    /// `W` (the Nesterov-Todd scaling matrix, `W Z W = S`).
    w: DMatrix<f64>,
    /// The pairs `(r, s)` of rows of `T` kept, followed by the `n` equality pairs.
    pairs: Vec<(usize, usize)>,
    /// Cholesky factor of the capacitance matrix.
    factor: CapacitanceFactor,
    /// Number of equality rows (the last pairs).
    equalities: usize,
    /// The kept inequalities: (position among the pairs, index of the inequality, leverage).
    kept_inequalities: Vec<(usize, usize, f64)>,
    /// Seconds the Cholesky factorisation of the capacitance matrix took (without forming it).
    factor_seconds: f64,
}

/// An entry type of a capacitance buffer.
trait CapacitanceEntry: Copy + Default + Send {
    fn of(v: f64) -> Self;
}

impl CapacitanceEntry for f64 {
    fn of(v: f64) -> Self {
        v
    }
}

impl CapacitanceEntry for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
}

/// Writes `entry(k, l)` for `k >= l` into the column-major `size x size` buffer `buf` (the lower
/// triangle, all the factorisation reads), the columns split between the available cores
/// ([`fill_lower_with`]).
fn fill_lower<T: CapacitanceEntry>(buf: &mut [T], size: usize, entry: &(dyn Fn(usize, usize) -> f64 + Sync)) {
    let threads = std::thread::available_parallelism().map_or(1, |v| v.get()).clamp(1, 8);
    fill_lower_with(threads, buf, size, entry);
}

/// [`fill_lower`] on `threads` threads, the columns split in chunks of about equal work (column
/// `l` has `size - l` entries).
fn fill_lower_with<T: CapacitanceEntry>(threads: usize, buf: &mut [T], size: usize, entry: &(dyn Fn(usize, usize) -> f64 + Sync)) {
    let threads = threads.max(1);
    let total = size * (size + 1) / 2;
    let mut chunks: Vec<(usize, &mut [T])> = Vec::with_capacity(threads);
    let mut rest = buf;
    let (mut first, mut done) = (0, 0);
    for part in 1..=threads {
        let goal = total * part / threads;
        let mut last = first;
        while last < size && done < goal {
            done += size - last;
            last += 1;
        }
        let (head, tail) = rest.split_at_mut((last - first) * size);
        chunks.push((first, head));
        rest = tail;
        first = last;
    }
    std::thread::scope(|scope| {
        for (start, chunk) in chunks {
            if chunk.is_empty() {
                continue;
            }
            scope.spawn(move || {
                for (offset, col) in chunk.chunks_mut(size).enumerate() {
                    let l = start + offset;
                    for k in l..size {
                        col[k] = T::of(entry(k, l));
                    }
                }
            });
        }
    });
}

impl LowRankPreconditioner {
    /// Builds the preconditioner from `W`, keeping at most `max_terms` terms of `Hf + g' D g`
    /// (those of largest leverage), its capacitance matrix factored in `precision`. `Ok(None)` if
    /// the capacitance matrix is not positive definite (in double precision: even with a small
    /// regularisation; in single precision the caller moves to double).
    pub(super) fn new(cons: &Constraints, w: DMatrix<f64>, dvec: &[f64], max_terms: usize, precision: CapacitancePrecision, keep_heavy: Option<(f64, usize)>) -> Result<Option<Self>> {
        let t = &cons.problem.t;
        let (n, d, c) = (t.n(), t.d(), t.c());
        let pw = t.forward(&w)?;
        let lev = |r: usize, s: usize, wt: f64| wt * 0.5 * (pw[(r, r)] * pw[(s, s)] + pw[(r, s)] * pw[(r, s)]);
        // Candidates: the inequalities, then the av coordinates of the loss (rows A_i, V_k); the
        // last field is the index of the inequality (usize::MAX for a loss term).
        let mut cand: Vec<(f64, usize, usize, f64, usize)> = Vec::with_capacity(cons.m() + n * c);
        for (k, (e, &wt)) in cons.ineq.iter().zip(dvec).enumerate() {
            cand.push((lev(e.r, e.s, wt), e.r, e.s, wt, k));
        }
        let lv = 2 * n + d;
        for k in 0..c {
            for i in 0..n {
                cand.push((lev(i, lv + k, 1.0), i, lv + k, 1.0, usize::MAX));
            }
        }
        // In augmented form every term of leverage at least `keep_heavy.0` is kept, up to
        // `keep_heavy.1` terms.
        let heavy = keep_heavy.map_or(0, |(least, most)| cand.iter().filter(|c| c.0 >= least).count().min(most));
        let keep = max_terms.max(heavy).min(cand.len());
        if keep < cand.len() {
            cand.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0));
            cand.truncate(keep);
        }
        let kept_inequalities: Vec<(usize, usize, f64)> = cand.iter().enumerate().filter(|(_, c)| c.4 != usize::MAX).map(|(slot, c)| (slot, c.4, c.0)).collect();
        let mut pairs: Vec<(usize, usize)> = cand.iter().map(|&(_, r, s, _, _)| (r, s)).collect();
        pairs.extend((0..n).map(|i| (i, n + i)));
        let size = pairs.len();
        let len = size.checked_mul(size).filter(|v| v.checked_mul(8).is_some()).ok_or_else(|| Error::TooLarge(format!("a capacitance matrix of order {size}")))?;
        let inverse_weights: Vec<f64> = cand.iter().map(|&(_, _, _, wt, _)| 1.0 / wt).collect();
        let attempts = if precision == CapacitancePrecision::Single { 1 } else { 3 };
        for attempt in 0..attempts {
            let scale = if attempt > 0 { 1.0 + 1e-14 * 100f64.powi(attempt - 1) } else { 1.0 };
            let (kept_pairs, pw, inverse_weights) = (&pairs, &pw, &inverse_weights);
            let entry = move |k: usize, l: usize| -> f64 {
                let (rk, sk) = kept_pairs[k];
                let (rl, sl) = kept_pairs[l];
                let mut v = 0.5 * (pw[(rk, rl)] * pw[(sk, sl)] + pw[(rk, sl)] * pw[(sk, rl)]);
                if k == l {
                    v += inverse_weights.get(k).copied().unwrap_or(0.0);
                    v *= scale;
                }
                v
            };
            let (factor, factor_seconds) = match precision {
                CapacitancePrecision::Double => {
                    let mut buf = vec![0.0f64; len];
                    fill_lower(&mut buf, size, &entry);
                    let mut cap = DMatrix::from_vec(size, size, buf);
                    let started = std::time::Instant::now();
                    let ok = cholesky_in_place(&mut cap)?;
                    (ok.then_some(CapacitanceFactor::Double(cap)), started.elapsed().as_secs_f64())
                }
                CapacitancePrecision::Single => {
                    let mut buf = vec![0.0f32; len];
                    fill_lower(&mut buf, size, &entry);
                    let started = std::time::Instant::now();
                    let ok = cholesky_in_place_f32(&mut buf, size)?;
                    (ok.then_some(CapacitanceFactor::Single(buf)), started.elapsed().as_secs_f64())
                }
            };
            if let Some(factor) = factor {
                return Ok(Some(Self { w, pairs, factor, equalities: n, kept_inequalities, factor_seconds }));
            }
        }
        Ok(None)
    }

    /// Seconds the Cholesky factorisation of the capacitance matrix took.
    pub(super) fn factor_seconds(&self) -> f64 {
        self.factor_seconds
    }

    /// The precision of the capacitance factor.
    pub(super) fn precision(&self) -> CapacitancePrecision {
        match self.factor {
            CapacitanceFactor::Double(_) => CapacitancePrecision::Double,
            CapacitanceFactor::Single(_) => CapacitancePrecision::Single,
        }
    }

    /// The kept inequalities of leverage at least `min_leverage`, as the set of an augmented
    /// system ([`Augmented`]).
    pub(super) fn augmented_set(&self, min_leverage: f64) -> Augmented {
        let (slot, index) = self.kept_inequalities.iter().filter(|k| k.2 >= min_leverage).map(|&(s, i, _)| (s, i)).unzip();
        Augmented { index, slot }
    }

    /// Solves `P x - h' dy = b`, `h x = e` (module docs).
    #[cfg(test)]
    pub(super) fn solve(&self, cons: &Constraints, b: &[f64], e: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let (x, dy, _) = self.solve_augmented(cons, b, e, None)?;
        Ok((x, dy))
    }

    /// Solves the preconditioner's system with the inequalities of `aug` in augmented form
    /// ([`Augmented`]): `P_I x + sum_{k in A} a_k y_k - h' dy = b`, `h x = e`,
    /// `a_k' x - y_k / w_k = r_k` for `k` in `A` (`P_I` keeps the other terms), given as
    /// `(aug, r)`. Returns `(x, dy, y)`. The capacitance matrix is the same: its unknown `u_k`
    /// is `w_k a_k' x` for a kept term in normal form and `y_k` for one in augmented form, whose
    /// right-hand side only gains `-r_k`, as an equality's gains `-e_i`.
    pub(super) fn solve_augmented(&self, cons: &Constraints, b: &[f64], e: &[f64], aug: Option<(&Augmented, &[f64])>) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let t = &cons.problem.t;
        let q = t.q();
        let bm = smat(b, q);
        let kb = sandwich(&self.w, Op::N, &bm, Op::N)?;
        let size = self.pairs.len();
        let kept = size - self.equalities;
        let mut rhs = DMatrix::from_vec(size, 1, t.entries(&kb, &self.pairs));
        for (i, v) in e.iter().enumerate() {
            rhs[(kept + i, 0)] -= v;
        }
        if let Some((a, r)) = aug {
            for (&slot, v) in a.slot.iter().zip(r) {
                rhs[(slot, 0)] -= v;
            }
        }
        match &self.factor {
            CapacitanceFactor::Double(f) => cholesky_solve(f, &mut rhs)?,
            CapacitanceFactor::Single(f) => cholesky_solve_f32(f, size, &mut rhs)?,
        }
        // V' [u; -dy]: the adjoint of the symmetric lifted matrix with half of each coefficient at
        // (r, s) and (s, r).
        let corr = t.adjoint_pairs(&self.pairs, rhs.as_slice());
        let mut x = sandwich(&self.w, Op::N, &(bm - corr), Op::N)?;
        symmetrize(&mut x);
        let dy = (0..self.equalities).map(|i| -rhs[(kept + i, 0)]).collect();
        let y = aug.map_or_else(Vec::new, |(a, _)| a.slot.iter().map(|&s| rhs[(s, 0)]).collect());
        Ok((svec(&x), dy, y))
    }
}

/// Inequalities whose weight `w_k = z_k / s_k` is too large for the normal equations: the KKT
/// system keeps them in augmented form, with `y_k = -dz_k` as an unknown,
///
/// ```text
///     (Hf + K + sum_{k not in A} w_k a_k a_k') dS + sum_{k in A} a_k y_k - h' dy = b_I
///     h dS = e,      a_k' dS - y_k / w_k = r_k   (k in A),
/// ```
///
/// so that applying the system never multiplies by a weight near `1 / mu` (module docs of
/// [`super::direction`]).
#[derive(Clone, Debug, Default)]
pub(super) struct Augmented {
    /// Index of each inequality in the constraint list.
    pub(super) index: Vec<usize>,
    /// Its position among the preconditioner's kept terms.
    slot: Vec<usize>,
}

impl Augmented {
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnn::ipm::constraints::Entry;
    use crate::dnn::ipm::normal::form_normal;
    use crate::dnn::DnnProblem;

    /// A small problem, a positive definite `W` and positive weights of every size.
    fn setup() -> (DnnProblem, DMatrix<f64>, Vec<f64>) {
        let (n, d, c) = (5, 3, 2);
        let x = DMatrix::from_fn(n, d, |i, j| ((i * 5 + j * 3) % 7) as f64 * 0.4 - 1.1);
        let problem = DnnProblem { t: crate::dnn::congruence::Congruence::new(x, c), y: DMatrix::zeros(n, c), beta: 0.1 };
        let q = problem.t.q();
        let a = DMatrix::from_fn(q, q, |i, j| (((i * 7 + j * 11) % 13) as f64 - 6.0) / 6.0);
        let w = &a * a.transpose() + DMatrix::identity(q, q) * 0.3;
        let m = 2 * n * (n - 1);
        let dvec = (0..m).map(|k| 10f64.powi((k % 9) as i32 - 4)).collect();
        (problem, w, dvec)
    }

    /// The dense KKT system `[[M, -h'], [h, 0]]` with `M = Hf + W^(-1) (x)s W^(-1) + g' D g`
    /// formed entry by entry, solved by LU.
    fn dense_kkt_solution(cons: &Constraints, w: &DMatrix<f64>, dvec: &[f64], b: &[f64], e: &[f64]) -> nalgebra::DVector<f64> {
        let t = &cons.problem.t;
        let (n, q) = (t.n(), t.q());
        let nsv = q * (q + 1) / 2;
        let w_inv = w.clone().try_inverse().unwrap();
        let mut buf = vec![0.0; nsv * nsv];
        form_normal(cons, &w_inv, dvec, nsv, &mut buf);
        let lower = DMatrix::from_vec(nsv, nsv, buf);
        let m = DMatrix::from_fn(nsv, nsv, |i, j| if i >= j { lower[(i, j)] } else { lower[(j, i)] });
        let mut h = DMatrix::zeros(n, nsv);
        let (mut acc, mut touched, mut row) = (vec![0.0; nsv], Vec::new(), Vec::new());
        for i in 0..n {
            cons.row(Entry { r: i, s: n + i }, &mut acc, &mut touched, &mut row);
            for &(k, v) in &row {
                h[(i, k)] = v;
            }
        }
        let mut kkt = DMatrix::zeros(nsv + n, nsv + n);
        kkt.view_mut((0, 0), (nsv, nsv)).copy_from(&m);
        kkt.view_mut((0, nsv), (nsv, n)).copy_from(&(-h.transpose()));
        kkt.view_mut((nsv, 0), (n, nsv)).copy_from(&h);
        let rhs = nalgebra::DVector::from_iterator(nsv + n, b.iter().chain(e).copied());
        kkt.lu().solve(&rhs).unwrap()
    }

    /// Right-hand sides `(b, e)` of every size and sign for the systems of order `nsv` and `n`.
    fn right_hand_sides(nsv: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
        ((0..nsv).map(|k| ((k * 13) % 9) as f64 - 4.0).collect(), (0..n).map(|i| i as f64 * 0.7 - 1.0).collect())
    }

    /// Keeping every term, the preconditioner is the KKT system itself: its solve matches a
    /// dense LU of `[[M, -h'], [h, 0]]` with `M` formed entry by entry.
    #[test]
    fn with_every_term_kept_the_preconditioner_solves_the_kkt_system() {
        let (problem, w, dvec) = setup();
        let cons = Constraints::new(&problem);
        let (n, q) = (problem.t.n(), problem.t.q());
        let nsv = q * (q + 1) / 2;
        let (b, e) = right_hand_sides(nsv, n);
        let want = dense_kkt_solution(&cons, &w, &dvec, &b, &e);
        let pc = LowRankPreconditioner::new(&cons, w.clone(), &dvec, usize::MAX, CapacitancePrecision::Double, None).unwrap().unwrap();
        let (x, dy) = pc.solve(&cons, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, x.iter().chain(&dy).copied());
        let err = (&got - &want).amax() / want.amax();
        assert!(err < 1e-8, "relative error {err:.3e}");
    }

    /// With every term kept, the augmented system is the KKT system with the augmented
    /// multipliers eliminated: its `(x, dy)` solve `M x - h' dy = b + sum_A a_k w_k r_k`,
    /// `h x = e` (dense LU of the system formed entry by entry), and its `y_k` are
    /// `w_k (a_k' x - r_k)`; for every inequality in augmented form and for part of them.
    #[test]
    fn the_augmented_system_is_the_kkt_system_with_its_multipliers_eliminated() {
        let (problem, w, dvec) = setup();
        let cons = Constraints::new(&problem);
        let (n, q) = (problem.t.n(), problem.t.q());
        let nsv = q * (q + 1) / 2;
        let (b, e) = right_hand_sides(nsv, n);
        let pc = LowRankPreconditioner::new(&cons, w.clone(), &dvec, usize::MAX, CapacitancePrecision::Double, None).unwrap().unwrap();
        let mut levs: Vec<f64> = pc.kept_inequalities.iter().map(|k| k.2).collect();
        levs.sort_by(f64::total_cmp);
        let median = levs[levs.len() / 2];
        for least in [0.0, median] {
            let aug = pc.augmented_set(least);
            assert!(aug.len() > 0 && (least == 0.0) == (aug.len() == cons.m()), "leverage {least}: {} of {}", aug.len(), cons.m());
            let r: Vec<f64> = (0..aug.len()).map(|j| ((j * 7) % 5) as f64 * 0.3 - 0.6).collect();
            let (x, dy, y) = pc.solve_augmented(&cons, &b, &e, Some((&aug, &r))).unwrap();
            let mut u = vec![0.0; cons.m()];
            for (j, &k) in aug.index.iter().enumerate() {
                u[k] = dvec[k] * r[j];
            }
            let extra = svec(&cons.adjoint(&u, &vec![0.0; n]).unwrap());
            let b2: Vec<f64> = b.iter().zip(&extra).map(|(a, c)| a + c).collect();
            let want = dense_kkt_solution(&cons, &w, &dvec, &b2, &e);
            let got = nalgebra::DVector::from_iterator(nsv + n, x.iter().chain(&dy).copied());
            let err = (&got - &want).amax() / want.amax();
            assert!(err < 1e-8, "leverage {least}: relative error {err:.3e}");
            let g = cons.g_of(&problem.t.forward(&smat(&x, q)).unwrap());
            let ys: Vec<f64> = aug.index.iter().zip(&r).map(|(&k, rk)| dvec[k] * (g[k] - rk)).collect();
            let scale = ys.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for (j, (got, want)) in y.iter().zip(&ys).enumerate() {
                assert!((got - want).abs() <= 1e-7 * scale, "leverage {least}: y_{j} {got} against {want}");
            }
        }
    }

    /// The lower triangle written by the threads of `fill_lower` is the entry function's, at
    /// orders where the column chunks are empty, single columns, or uneven.
    #[test]
    fn fill_lower_writes_every_lower_entry_once() {
        for threads in 1..=8 {
            for size in [0usize, 1, 2, 3, 17, 64] {
                let entry = |k: usize, l: usize| (k * 1000 + l) as f64;
                let mut buf = vec![-1.0f64; size * size];
                fill_lower_with(threads, &mut buf, size, &entry);
                for l in 0..size {
                    for k in 0..size {
                        let want = if k >= l { entry(k, l) } else { -1.0 };
                        assert_eq!(buf[l * size + k], want, "{threads} threads, order {size}, entry ({k}, {l})");
                    }
                }
            }
        }
    }

    /// With every term kept and the capacitance matrix factored in single precision, the
    /// preconditioner still solves the KKT system, to single-precision accuracy (against the
    /// dense LU of the system formed entry by entry), and reports its precision.
    #[test]
    fn a_single_precision_capacitance_solves_the_kkt_system_to_single_precision() {
        let (problem, w, _) = setup();
        let cons = Constraints::new(&problem);
        let (n, q) = (problem.t.n(), problem.t.q());
        let nsv = q * (q + 1) / 2;
        let m = cons.m();
        // Weights within two orders of magnitude: the capacitance matrix is then well enough
        // conditioned for single precision to keep about four digits.
        let dvec: Vec<f64> = (0..m).map(|k| 10f64.powi((k % 3) as i32 - 1)).collect();
        let (b, e) = right_hand_sides(nsv, n);
        let want = dense_kkt_solution(&cons, &w, &dvec, &b, &e);
        let pc = LowRankPreconditioner::new(&cons, w.clone(), &dvec, usize::MAX, CapacitancePrecision::Single, None).unwrap().unwrap();
        assert_eq!(pc.precision(), CapacitancePrecision::Single);
        let (x, dy) = pc.solve(&cons, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, x.iter().chain(&dy).copied());
        let err = (&got - &want).amax() / want.amax();
        assert!(err < 1e-3, "relative error {err:.3e}");
        let double = LowRankPreconditioner::new(&cons, w.clone(), &dvec, usize::MAX, CapacitancePrecision::Double, None).unwrap().unwrap();
        let (xd, dyd) = double.solve(&cons, &b, &e).unwrap();
        let got_d = nalgebra::DVector::from_iterator(nsv + n, xd.iter().chain(&dyd).copied());
        let err_d = (&got_d - &want).amax() / want.amax();
        assert!(err_d < 1e-8 && err_d < err, "double {err_d:.3e}, single {err:.3e}");
    }

    /// With fewer terms it is an approximation that keeps the terms of largest leverage: the
    /// equalities still hold exactly, and the error is smaller than with the identity for the
    /// terms left out (keeping none).
    #[test]
    fn with_some_terms_kept_the_equalities_hold_and_the_error_shrinks() {
        let (problem, w, dvec) = setup();
        let cons = Constraints::new(&problem);
        let (n, q) = (problem.t.n(), problem.t.q());
        let nsv = q * (q + 1) / 2;
        let b: Vec<f64> = (0..nsv).map(|k| ((k * 5) % 7) as f64 - 3.0).collect();
        let e: Vec<f64> = (0..n).map(|i| 1.0 - i as f64 * 0.3).collect();
        let want = dense_kkt_solution(&cons, &w, &dvec, &b, &e);
        let mut last = f64::INFINITY;
        for keep in [0, 10, 30] {
            let pc = LowRankPreconditioner::new(&cons, w.clone(), &dvec, keep, CapacitancePrecision::Double, None).unwrap().unwrap();
            let (x, dy) = pc.solve(&cons, &b, &e).unwrap();
            let lam = problem.t.forward(&smat(&x, q)).unwrap();
            for i in 0..n {
                assert!((lam[(i, n + i)] - e[i]).abs() < 1e-9 * (1.0 + e[i].abs()), "keep {keep}: equality {i}");
            }
            let got = nalgebra::DVector::from_iterator(nsv + n, x.iter().chain(&dy).copied());
            let err = (&got - &want).norm();
            assert!(err < last, "keep {keep}: error {err:.3e} not below {last:.3e}");
            last = err;
        }
    }
}
