//! The PSD repair behind every certified SDP bound: the best valid shift of an approximate
//! dual slack, over two multipliers of redundant constraints, verified by a Cholesky
//! factorisation with an explicit margin.
//!
//! # Setting
//!
//! The relaxation's variable `W` (order `k`; `W = S` reduced, `W = Lambda` full) is PSD, and
//! every feasible point that matters (objective `<= UB`, any real network's objective) satisfies
//! two redundant constraints:
//!
//! ```text
//!     (i)  beta/2 (tr W_UU + tr W_VV) <= UB                 (the loss is >= 0)
//!     (ii) <N, W> <= 0,   N = diag(I_a, -X'X, 0_V)           (tr W_aa <= <X'X, W_UU>)
//! ```
//!
//! where `a` is the leading block (`a` reduced: `tr S_aa <= <X'X, S_uu>` because
//! `S_aa,ii = x_i' S_ua,i` and `Lambda_BB,ii = x_i' S_uu x_i - S_aa,ii >= 0`; `A, B` full:
//! `tr Lambda_AA + tr Lambda_BB = <X'X, Lambda_UU>`).
//!
//! Given an approximate dual with slack `E` (symmetric, `k x k`) and Lagrangian value `ell`, so
//! that `f(W) >= ell + <E, W>` on the feasible set, weak duality with multipliers `mu, nu >= 0`
//! gives, for every feasible `W`,
//!
//! ```text
//!     f(W) >= ell + <E + mu J + nu N, W> - mu UB,      J = beta/2 diag(0_a, I_U, I_V),
//! ```
//!
//! so `ell - mu UB` is a lower bound whenever `E + mu J + nu N` is PSD. The best such bound
//! minimises `mu` over that (convex) set. For fixed `nu` with `E_aa + nu I` positive definite,
//! the Schur complement on the trailing block `r = (U, V)`,
//!
//! ```text
//!     F(nu) = E_rr + nu N_rr - E_ra (E_aa + nu I)^(-1) E_ar,
//! ```
//!
//! gives `mu(nu) = max(0, -lambda_min(F(nu))) * 2 / beta`, a convex function of `nu`
//! (a partial minimisation of a convex problem), minimised by golden-section search. One
//! eigendecomposition of `E_aa` makes each evaluation cost `O(k_a (d + c)^2)`.
//!
//! The single trace bound used before (`tr W <= (1 + ||X||^2) 2 UB / beta`, shift
//! `lambda_min(E) tr W`) is the point `nu = t`, `mu = 2 t (1 + ||X||^2) / beta` of this family,
//! so the search is never worse than it.
//!
//! # Verification
//!
//! The search runs in floating point on `E - 2 delta I`; the chosen `(mu, nu)` is accepted only if
//! the Cholesky factorisation (LAPACK `dpotrf`) of the computed `E + mu J + nu N - delta I`
//! succeeds. The margin `delta` is twice the sum of three rigorous bounds on spectral norms
//! (`u = 2^-53`, `gamma_m = m u / (1 - m u)`):
//!
//! - the backward error of a Cholesky factorisation that runs to completion: the factor of the
//!   computed `A` is exact for some `A + D` with `|D_ij| <= gamma_(k+1) sqrt(a_ii a_jj)`, so
//!   `||D||_2 <= gamma_(k+1) tr(A)` (Demmel 1989; the argument of Rump 2006, "Verification of
//!   positive definiteness"), whatever the order of the sums inside LAPACK;
//! - the rounding of assembling `A` from `E`, `mu`, `nu` (at most four operations per entry):
//!   `gamma_4 (||E||_F + nu (sqrt(k_a) + ||X'X||_F) + mu beta/2 sqrt(d + c) + delta sqrt(k))`;
//! - the caller's bound on the error of `E` itself (`forming_error`: `E` was computed in floating
//!   point from a multiplier; see [`super::sdp`] for how each caller bounds it).
//!
//! Then `E_exact + mu J + nu N = (A + D) + delta I - D + (rounding of A) + (E_exact - e)`, with
//! `A + D` PSD, has `lambda_min >= delta - delta / 2 > 0`.
//! When the search's shift was smaller than the margin its result needs, the search is repeated
//! with the larger shift; when the factorisation fails, with a margin 100 times larger (six
//! searches at most). Until a later session the margin was a fixed
//! `1e-13 (k + 2) (1 + ||E||_F + ...)`, 20 to 100 times larger on interior-point duals, where the
//! margin is all the shift there is.

use crate::linalg::{cholesky_succeeds, sym_eigen, EigenRange};
use nalgebra::DMatrix;
use serde::Serialize;

/// A verified shift: `E + mu J + nu N` is PSD, and the bound is `ell - mu UB`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Shift {
    /// Multiplier of the penalty bound (i).
    pub mu: f64,
    /// Multiplier of the trace inequality (ii).
    pub nu: f64,
    /// The diagonal margin `delta` the Cholesky test was run with.
    pub margin: f64,
}

/// The blocks of the relaxation's variable for [`best_shift`]: `na` leading rows (`a`), then
/// `d` (U) and `c` (V).
#[derive(Clone, Copy, Debug)]
pub struct ShiftBlocks {
    /// Size of the leading block (`n` reduced, `2n` full).
    pub na: usize,
    /// Features.
    pub d: usize,
    /// Outputs.
    pub c: usize,
}

/// The smallest verified `mu` (and its `nu`) for the slack `e`, where `forming_error` bounds
/// `||E_exact - e||_2` (the rounding in computing `e`); `None` when no verified shift was found
/// (non-finite data, or every Cholesky test failed).
pub fn best_shift(e: &DMatrix<f64>, blocks: ShiftBlocks, xtx: &DMatrix<f64>, beta: f64, forming_error: f64) -> Option<Shift> {
    let ShiftBlocks { na, d, c } = blocks;
    let k = na + d + c;
    if e.nrows() != k || e.ncols() != k || xtx.nrows() != d || xtx.ncols() != d || !(beta > 0.0) {
        return None;
    }
    if e.iter().chain(xtx.iter()).any(|v| !v.is_finite()) || !(forming_error >= 0.0 && forming_error.is_finite()) {
        return None;
    }
    let norms = Norms { e: e.norm(), xtx: xtx.norm(), forming_error };
    let mut delta = margin(e, blocks, xtx, beta, 0.0, 0.0, 0.0, &norms);
    for _ in 0..6 {
        let (mu, nu) = search(e, blocks, xtx, beta, 2.0 * delta)?;
        let needed = margin(e, blocks, xtx, beta, mu, nu, delta, &norms);
        if needed > delta {
            // The search shifted by less than this (mu, nu) needs: search again with more.
            delta = needed;
            continue;
        }
        let a = assemble(e, blocks, xtx, beta, mu, nu, delta);
        if cholesky_succeeds(&a).ok()? {
            return Some(Shift { mu, nu, margin: delta });
        }
        delta *= 100.0;
    }
    None
}

/// `gamma_m = m u / (1 - m u)` with `u = 2^-53`: the relative error bound of a sum of `m`
/// floating-point operations (Higham, ch. 3).
pub fn gamma(m: usize) -> f64 {
    let mu = m as f64 * (f64::EPSILON / 2.0);
    mu / (1.0 - mu)
}

/// Norms that the margin needs, computed once.
struct Norms {
    e: f64,
    xtx: f64,
    forming_error: f64,
}

/// The Cholesky margin for `(mu, nu)` and a current margin `delta` (module docs, "Verification").
#[allow(clippy::too_many_arguments)]
fn margin(e: &DMatrix<f64>, b: ShiftBlocks, xtx: &DMatrix<f64>, beta: f64, mu: f64, nu: f64, delta: f64, norms: &Norms) -> f64 {
    let k = b.na + b.d + b.c;
    let j = mu * beta / 2.0;
    let mut trace = 0.0;
    for i in 0..k {
        let extra = if i < b.na {
            nu
        } else if i < b.na + b.d {
            j - nu * xtx[(i - b.na, i - b.na)]
        } else {
            j
        };
        trace += (e[(i, i)] + extra).max(0.0);
    }
    let g = gamma(k + 1);
    let cholesky = g / (1.0 - g) * trace;
    let assembly = gamma(4) * (norms.e + nu * ((b.na as f64).sqrt() + norms.xtx) + j * ((b.d + b.c) as f64).sqrt() + delta * (k as f64).sqrt());
    // The last term covers underflow in the factorisation (negligible unless E is tiny).
    (2.0 * (cholesky + assembly + norms.forming_error) * (1.0 + 1e-6)).max(1e3 * k as f64 * f64::MIN_POSITIVE)
}

/// `E + mu J + nu N - margin I`.
fn assemble(e: &DMatrix<f64>, b: ShiftBlocks, xtx: &DMatrix<f64>, beta: f64, mu: f64, nu: f64, margin: f64) -> DMatrix<f64> {
    let mut a = e.clone();
    for i in 0..b.na {
        a[(i, i)] += nu;
    }
    for i in 0..b.d {
        for j in 0..b.d {
            a[(b.na + i, b.na + j)] -= nu * xtx[(i, j)];
        }
    }
    for i in b.na..b.na + b.d + b.c {
        a[(i, i)] += mu * beta / 2.0;
    }
    for i in 0..a.nrows() {
        a[(i, i)] -= margin;
    }
    a
}

/// Golden-section search for the smallest `mu(nu)` on `E - shift I` (module docs).
fn search(e: &DMatrix<f64>, b: ShiftBlocks, xtx: &DMatrix<f64>, beta: f64, shift: f64) -> Option<(f64, f64)> {
    let (na, r) = (b.na, b.d + b.c);
    let mut e_aa = e.view((0, 0), (na, na)).clone_owned();
    for i in 0..na {
        e_aa[(i, i)] -= shift;
    }
    let eig = sym_eigen(&e_aa, EigenRange::All).ok()?;
    let lam = &eig.values;
    // B = U' E_ar (na x r)
    let e_ar = e.view((0, na), (na, r)).clone_owned();
    let bm = eig.vectors.transpose() * &e_ar;
    let mut e_rr = e.view((na, na), (r, r)).clone_owned();
    for i in 0..r {
        e_rr[(i, i)] -= shift;
    }
    let lam_min_aa = lam.first().copied().unwrap_or(0.0);
    let nu_lo = (-lam_min_aa).max(0.0);
    // mu(nu) for nu > nu_lo (E_aa + nu I positive definite); +inf where undefined.
    let mu_of = |nu: f64| -> f64 {
        if lam.iter().any(|&l| !(l + nu > 0.0)) {
            return f64::INFINITY;
        }
        let mut f = e_rr.clone();
        for i in 0..b.d {
            for j in 0..b.d {
                f[(i, j)] -= nu * xtx[(i, j)];
            }
        }
        for i in 0..r {
            for j in 0..=i {
                let mut s = 0.0;
                for t in 0..na {
                    s += bm[(t, i)] * bm[(t, j)] / (lam[t] + nu);
                }
                f[(i, j)] -= s;
                if i != j {
                    f[(j, i)] -= s;
                }
            }
        }
        match crate::linalg::min_eigenvalue(&f) {
            Ok(m) if m.is_finite() => (-m).max(0.0) * 2.0 / beta,
            _ => f64::INFINITY,
        }
    };
    // Search nu = nu_lo + scale * exp(s), s in [-40, 12], scale = 1 + |E|'s diagonal size.
    let scale = 1.0 + (0..na).map(|i| e[(i, i)].abs()).fold(0.0, f64::max);
    let nu_at = |s: f64| nu_lo + scale * s.exp();
    let (mut lo, mut hi) = (-40.0f64, 12.0f64);
    // Coarse grid first (the function is unimodal in s, but may be flat at +inf near nu_lo).
    let grid: Vec<f64> = (0..=26).map(|i| lo + (hi - lo) * i as f64 / 26.0).collect();
    let vals: Vec<f64> = grid.iter().map(|&s| mu_of(nu_at(s))).collect();
    let (best_i, &best_v) = vals.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1))?;
    if !best_v.is_finite() {
        return None;
    }
    lo = grid[best_i.saturating_sub(1)];
    hi = grid[(best_i + 1).min(grid.len() - 1)];
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut x1, mut x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut f1, mut f2) = (mu_of(nu_at(x1)), mu_of(nu_at(x2)));
    for _ in 0..60 {
        if f1 <= f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = mu_of(nu_at(x1));
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = mu_of(nu_at(x2));
        }
    }
    let mut best = (best_v, nu_at(grid[best_i]));
    for (f, s) in [(f1, x1), (f2, x2)] {
        if f < best.0 {
            best = (f, nu_at(s));
        }
    }
    // Round mu up a little: the Schur complement was computed in floating point.
    let mu = best.0 * (1.0 + 1e-9) + 1e-15;
    Some((mu, best.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psd_slack_needs_no_shift_and_negative_slack_is_repaired() {
        let xtx = DMatrix::from_row_slice(1, 1, &[2.0]);
        let b = ShiftBlocks { na: 2, d: 1, c: 1 };
        let e = DMatrix::identity(4, 4);
        let s = best_shift(&e, b, &xtx, 0.1, 0.0).unwrap();
        assert!(s.mu < 1e-9, "{s:?}");
        // A negative direction in the U block: needs mu > 0; the verified matrix is PSD.
        let mut e = DMatrix::identity(4, 4);
        e[(2, 2)] = -0.3;
        let s = best_shift(&e, b, &xtx, 0.1, 0.0).unwrap();
        assert!(s.mu >= 0.3 * 2.0 / 0.1 - 1e-6, "{s:?}");
        let a = assemble(&e, b, &xtx, 0.1, s.mu, s.nu, 0.0);
        assert!(crate::linalg::min_eigenvalue(&a).unwrap() >= -1e-9);
        // A negative direction in the a block is absorbed by nu at the price of mu nu X'X.
        let mut e = DMatrix::identity(4, 4);
        e[(0, 0)] = -0.5;
        let s = best_shift(&e, b, &xtx, 0.1, 0.0).unwrap();
        let a = assemble(&e, b, &xtx, 0.1, s.mu, s.nu, 0.0);
        assert!(crate::linalg::min_eigenvalue(&a).unwrap() >= -1e-9);
        assert!(s.nu >= 0.5 - 1e-9);
        // Exactly: nu = 0.5 makes the U entry 1 - 0.5 * 2 = 0, so mu = 0 suffices.
        assert!(s.mu < 1e-6, "{s:?}");
    }

    #[test]
    fn margin_is_tight_on_a_clearly_positive_slack_and_covers_the_forming_error() {
        // E = Q diag(lambda) Q' with lambda_min = 1e-9 (relative to ||E|| = 10): the margin is a
        // few units of roundoff times the trace, so no shift is needed (the margin fixed before
        // this session, 1e-13 (k + 2)(1 + ||E||), would have cost a shift here).
        let k = 12;
        let b = ShiftBlocks { na: 7, d: 3, c: 2 };
        let xtx = DMatrix::from_fn(3, 3, |i, j| if i == j { 4.0 } else { 1.0 });
        let m = DMatrix::from_fn(k, k, |i, j| ((i * 5 + j * 3) % 7) as f64 - 3.0 + if i == j { 9.0 } else { 0.0 });
        let q = m.qr().q();
        let lambda: Vec<f64> = (0..k).map(|i| if i == 0 { 1e-9 } else { 10.0 * i as f64 / k as f64 }).collect();
        let e = &q * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(lambda)) * q.transpose();
        let s = best_shift(&e, b, &xtx, 0.1, 0.0).unwrap();
        assert!(s.mu <= 1e-14 && s.margin < 1e-12, "{s:?}");
        // A forming error of 1e-6: whatever E_exact within 1e-6 of e (here the worst, e - 1e-6 I),
        // E_exact + mu J + nu N must be PSD.
        let s = best_shift(&e, b, &xtx, 0.1, 1e-6).unwrap();
        assert!(s.margin >= 2e-6, "{s:?}");
        let worst = &e - DMatrix::identity(k, k) * 1e-6;
        let a = assemble(&worst, b, &xtx, 0.1, s.mu, s.nu, 0.0);
        assert!(crate::linalg::min_eigenvalue(&a).unwrap() > 0.0, "{s:?}");
        // Bad forming errors are refused.
        assert!(best_shift(&e, b, &xtx, 0.1, f64::NAN).is_none());
        assert!(best_shift(&e, b, &xtx, 0.1, -1.0).is_none());
    }

    #[test]
    fn never_worse_than_the_single_trace_bound() {
        // Random symmetric E: the family contains the plain shift nu = t, mu = 2 t (1 + ||X||^2)/beta.
        let k = 9;
        let m = DMatrix::from_fn(k, k, |i, j| (((i * 7 + j * 13) % 11) as f64 - 5.0) / 7.0);
        let e = (&m + m.transpose()) * 0.5;
        let xtx = DMatrix::from_row_slice(2, 2, &[3.0, 1.0, 1.0, 2.0]);
        let b = ShiftBlocks { na: 5, d: 2, c: 2 };
        let beta = 0.5;
        let s = best_shift(&e, b, &xtx, beta, 0.0).unwrap();
        let t = -crate::linalg::min_eigenvalue(&e).unwrap();
        let xnorm = crate::linalg::sym_eigen(&xtx, EigenRange::All).unwrap().values[1];
        let mu_plain = 2.0 * t * (1.0 + xnorm) / beta;
        assert!(s.mu <= mu_plain * (1.0 + 1e-6), "{} vs {}", s.mu, mu_plain);
        let a = assemble(&e, b, &xtx, beta, s.mu, s.nu, 0.0);
        assert!(crate::linalg::min_eigenvalue(&a).unwrap() >= -1e-9);
    }
}
