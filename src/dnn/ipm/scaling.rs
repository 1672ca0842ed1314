//! The Nesterov-Todd scaling of the PSD pair `(S, Z)`.

use crate::linalg::symmetrize;
use nalgebra::DMatrix;

/// The Nesterov-Todd scaling at `(S, Z)`.
pub(super) struct NtScaling {
    /// `G` with `G^(-1) S G^(-T) = G' Z G = diag(lambda)`.
    pub(super) g: DMatrix<f64>,
    /// `G^(-1)`.
    pub(super) g_inv: DMatrix<f64>,
    /// `W^(-1) = G^(-T) G^(-1)`.
    pub(super) w_inv: DMatrix<f64>,
    /// The scaled point `lambda` (the singular values of `L_Z' L_S`).
    pub(super) lambda: Vec<f64>,
}

impl NtScaling {
    /// `R_c = G X G'` where `X` solves `lambda o X = rhs` (`o` the symmetrised product,
    /// `lambda` diagonal): `X_ij = 2 rhs_ij / (lambda_i + lambda_j)`.
    pub(super) fn complementarity_rhs(&self, rhs: &DMatrix<f64>) -> DMatrix<f64> {
        let q = rhs.nrows();
        let x = DMatrix::from_fn(q, q, |i, j| 2.0 * rhs[(i, j)] / (self.lambda[i] + self.lambda[j]));
        let mut rc = &self.g * x * self.g.transpose();
        symmetrize(&mut rc);
        rc
    }
}

pub(super) fn nt_scaling(s: &DMatrix<f64>, z: &DMatrix<f64>) -> Option<NtScaling> {
    let ls = s.clone().cholesky()?.l();
    let lz = z.clone().cholesky()?.l();
    let prod = lz.transpose() * &ls;
    let svd = prod.svd(false, true);
    let vt = svd.v_t?;
    let lam: Vec<f64> = svd.singular_values.iter().copied().collect();
    if lam.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
        return None;
    }
    let q = s.nrows();
    // G = L_S V Sigma^(-1/2);  G^(-1) = Sigma^(1/2) V' L_S^(-1).
    let v = vt.transpose();
    let mut g = &ls * &v;
    for j in 0..q {
        let f = 1.0 / lam[j].sqrt();
        g.column_mut(j).scale_mut(f);
    }
    let ls_inv = ls.solve_lower_triangular(&DMatrix::identity(q, q))?;
    let mut g_inv = &vt * &ls_inv;
    for i in 0..q {
        let f = lam[i].sqrt();
        g_inv.row_mut(i).scale_mut(f);
    }
    let mut w_inv = g_inv.transpose() * &g_inv;
    symmetrize(&mut w_inv);
    Some(NtScaling { g, g_inv, w_inv, lambda: lam })
}
