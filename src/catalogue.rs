//! A catalogue of small conic problems whose answers are known independently of this code
//! (closed forms worked out by hand, or classical values from the literature). Every backend
//! must solve every entry; the exporters round-trip them; the external SDP solvers re-solve them.
//!
//! | name | kind | answer | why |
//! |---|---|---|---|
//! | `lp-2d` | LP | -14/5 | vertex x = (8/5, 6/5) of `x1 + 2 x2 <= 4`, `3 x1 + x2 <= 6`, `x >= 0` for `min -x1 - x2` |
//! | `qp-simplex` | QP | -3/4 | `min 1/2||x||^2 - x1 - x2` on `x1 + x2 = 1`: x = (1/2, 1/2) |
//! | `socp-disc` | SOCP | -sqrt 2 | `min x1 + x2` on the unit disc: x = -(1, 1)/sqrt 2 |
//! | `sdp-offdiag` | SDP | 2 | `min tr X` s.t. `X_12 = 1`, X PSD of order 2: `tr X >= 2 sqrt(X11 X22) >= 2 |X12|` |
//! | `sdp-maxcut-c5` | SDP | (25 + 5 sqrt 5)/8 | Goemans-Williamson SDP of the 5-cycle: max 1/4 <L, X>, diag X = 1 |
//! | `sdp-theta-c5` | SDP | sqrt 5 | Lovasz theta of the 5-cycle: max <J, X>, tr X = 1, X_ij = 0 on edges |
//! | `lp-infeasible` | LP | primal infeasible | `x >= 1` and `x <= 0` |
//! | `lp-unbounded` | LP | dual infeasible | `min -x` s.t. `x >= 0` |
//!
//! Max-cut problems are stated as minimisation (`min -1/4 <L, X>`), so the stored optimum is the
//! negated maximum.

use crate::conic::{csc, svec, svec_index, svec_len, Cone, ConicProblem, CscBuilder, Triangle};
use nalgebra::DMatrix;
use std::f64::consts::SQRT_2;

/// What the optimum of a catalogue problem is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expected {
    /// Solvable with this optimal value of `1/2 x'Px + q'x`.
    Optimal(f64),
    /// No feasible point.
    PrimalInfeasible,
    /// Unbounded below (the dual is infeasible).
    DualInfeasible,
}

/// One catalogue entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Short unique name.
    pub name: &'static str,
    /// The problem in the toolkit's standard form.
    pub problem: ConicProblem,
    /// The independently known answer.
    pub expected: Expected,
    /// Whether it has a PSD cone (the SDPA/CBF exporters and SDP solvers care).
    pub has_psd: bool,
}

/// All entries, in a fixed order.
pub fn all() -> Vec<Entry> {
    vec![lp_2d(), qp_simplex(), socp_disc(), sdp_offdiag(), sdp_maxcut_c5(), sdp_theta_c5(), lp_infeasible(), lp_unbounded()]
}

/// The entry called `name`.
pub fn by_name(name: &str) -> Option<Entry> {
    all().into_iter().find(|e| e.name == name)
}

fn dense_a(rows: &[&[f64]]) -> crate::conic::Csc {
    let m = rows.len();
    let n = rows.first().map_or(0, |r| r.len());
    let mut b = CscBuilder::new(m, n);
    for (i, r) in rows.iter().enumerate() {
        for (j, &v) in r.iter().enumerate() {
            b.push(i, j, v);
        }
    }
    b.build()
}

fn entry(name: &'static str, p: crate::conic::Csc, q: Vec<f64>, a: crate::conic::Csc, b: Vec<f64>, cones: Vec<Cone>, expected: Expected) -> Entry {
    let has_psd = cones.iter().any(|c| matches!(c, Cone::Psd(_)));
    Entry { name, problem: ConicProblem { p, q, a, b, cones }, expected, has_psd }
}

fn lp_2d() -> Entry {
    // rows: x1 + 2x2 <= 4, 3x1 + x2 <= 6, -x1 <= 0, -x2 <= 0
    let a = dense_a(&[&[1.0, 2.0], &[3.0, 1.0], &[-1.0, 0.0], &[0.0, -1.0]]);
    entry("lp-2d", csc::zeros(2, 2), vec![-1.0, -1.0], a, vec![4.0, 6.0, 0.0, 0.0], vec![Cone::Nonnegative(4)], Expected::Optimal(-2.8))
}

fn qp_simplex() -> Entry {
    let mut p = CscBuilder::new(2, 2);
    p.push(0, 0, 1.0);
    p.push(1, 1, 1.0);
    let a = dense_a(&[&[1.0, 1.0]]);
    entry("qp-simplex", p.build(), vec![-1.0, -1.0], a, vec![1.0], vec![Cone::Zero(1)], Expected::Optimal(-0.75))
}

fn socp_disc() -> Entry {
    // s = (1, x1, x2) in SOC(3)
    let a = dense_a(&[&[0.0, 0.0], &[-1.0, 0.0], &[0.0, -1.0]]);
    entry("socp-disc", csc::zeros(2, 2), vec![1.0, 1.0], a, vec![1.0, 0.0, 0.0], vec![Cone::SecondOrder(3)], Expected::Optimal(-SQRT_2))
}

/// Variables `x = svec(X)` (upper packing) with the PSD constraint `s = svec(X)` (`A = -I`, `b = 0`)
/// placed after `zero_rows` equality rows `<A_i, X> = b_i` given as lists of `(i, j, coefficient)`
/// with `i <= j`, each standing for the entries `(i, j)` and `(j, i)` of the symmetric matrix `A_i`
/// (so an off-diagonal coefficient `v` contributes `2 v X_ij` to `<A_i, X>`). `c` is the objective
/// matrix in the same form.
fn sdp_from_equalities(k: usize, c: &[(usize, usize, f64)], equalities: &[(Vec<(usize, usize, f64)>, f64)]) -> (crate::conic::Csc, Vec<f64>, crate::conic::Csc, Vec<f64>, Vec<Cone>) {
    let nv = svec_len(k);
    let scale = |i: usize, j: usize| if i == j { 1.0 } else { SQRT_2 };
    let mut q = vec![0.0; nv];
    for &(i, j, v) in c {
        q[svec_index(i, j, k, Triangle::Upper)] += v * scale(i, j);
    }
    let m0 = equalities.len();
    let mut a = CscBuilder::new(m0 + nv, nv);
    let mut b = vec![0.0; m0 + nv];
    for (r, (coeffs, rhs)) in equalities.iter().enumerate() {
        for &(i, j, v) in coeffs {
            a.push(r, svec_index(i, j, k, Triangle::Upper), v * scale(i, j));
        }
        b[r] = *rhs;
    }
    for t in 0..nv {
        a.push(m0 + t, t, -1.0);
    }
    let mut cones = Vec::new();
    if m0 > 0 {
        cones.push(Cone::Zero(m0));
    }
    cones.push(Cone::Psd(k));
    (csc::zeros(nv, nv), q, a.build(), b, cones)
}

fn sdp_offdiag() -> Entry {
    // min X11 + X22 s.t. X12 = 1: the symmetric constraint matrix has 1/2 at (0,1) and (1,0).
    let (p, q, a, b, cones) = sdp_from_equalities(2, &[(0, 0, 1.0), (1, 1, 1.0)], &[(vec![(0, 1, 0.5)], 1.0)]);
    entry("sdp-offdiag", p, q, a, b, cones, Expected::Optimal(2.0))
}

fn cycle_edges(n: usize) -> Vec<(usize, usize)> {
    (0..n).map(|i| (i.min((i + 1) % n), i.max((i + 1) % n))).collect()
}

fn sdp_maxcut_c5() -> Entry {
    let k = 5;
    let mut l = DMatrix::zeros(k, k);
    for (i, j) in cycle_edges(k) {
        l[(i, i)] += 1.0;
        l[(j, j)] += 1.0;
        l[(i, j)] -= 1.0;
        l[(j, i)] -= 1.0;
    }
    Entry { name: "sdp-maxcut-c5", problem: maxcut(&l), expected: Expected::Optimal(-(25.0 + 5.0 * 5f64.sqrt()) / 8.0), has_psd: true }
}

/// The Goemans-Williamson max-cut SDP of a graph with Laplacian `l` (order k):
/// `max 1/4 <L, X>` s.t. `diag X = 1`, `X` PSD, stated as `min -1/4 <L, X>` with `x = svec X`
/// (upper packing): `k` equality rows `X_ii = 1`, then the PSD cone `s = svec X` (`A = -I`, `b = 0`).
pub fn maxcut(l: &DMatrix<f64>) -> ConicProblem {
    let k = l.nrows();
    let nv = svec_len(k);
    let q: Vec<f64> = svec(l, Triangle::Upper).iter().map(|v| -0.25 * v).collect();
    let mut a = CscBuilder::new(k + nv, nv);
    let mut b = vec![0.0; k + nv];
    for i in 0..k {
        a.push(i, svec_index(i, i, k, Triangle::Upper), 1.0);
        b[i] = 1.0;
    }
    for t in 0..nv {
        a.push(k + t, t, -1.0);
    }
    ConicProblem { p: csc::zeros(nv, nv), q, a: a.build(), b, cones: vec![Cone::Zero(k), Cone::Psd(k)] }
}

fn sdp_theta_c5() -> Entry {
    // max <J, X> s.t. tr X = 1, X_ij = 0 for edges  <=>  min -<J, X>.
    let k = 5;
    let mut c = Vec::new();
    for j in 0..k {
        for i in 0..=j {
            c.push((i, j, -1.0));
        }
    }
    let mut eqs = vec![((0..k).map(|i| (i, i, 1.0)).collect::<Vec<_>>(), 1.0)];
    for (i, j) in cycle_edges(k) {
        eqs.push((vec![(i, j, 1.0)], 0.0));
    }
    let (p, q, a, b, cones) = sdp_from_equalities(k, &c, &eqs);
    entry("sdp-theta-c5", p, q, a, b, cones, Expected::Optimal(-(5f64.sqrt())))
}

fn lp_infeasible() -> Entry {
    // -x + s = -1 (x >= 1); x + s = 0 (x <= 0)
    let a = dense_a(&[&[-1.0], &[1.0]]);
    entry("lp-infeasible", csc::zeros(1, 1), vec![1.0], a, vec![-1.0, 0.0], vec![Cone::Nonnegative(2)], Expected::PrimalInfeasible)
}

fn lp_unbounded() -> Entry {
    let a = dense_a(&[&[-1.0]]);
    entry("lp-unbounded", csc::zeros(1, 1), vec![-1.0], a, vec![0.0], vec![Cone::Nonnegative(1)], Expected::DualInfeasible)
}
