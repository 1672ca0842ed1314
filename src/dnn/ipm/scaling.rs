//! The Nesterov-Todd scaling of the PSD pair `(S, Z)`.

use crate::linalg::{cholesky_factor, matmul, sandwich, singular_values_and_right_vectors, symmetrize, triangular_solve, Op};
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
        // BLAS on both cores (order q; nalgebra's products run on one).
        let gx = matmul(&self.g, Op::N, &x, Op::N).expect("shapes agree");
        let mut rc = matmul(&gx, Op::N, &self.g, Op::T).expect("shapes agree");
        symmetrize(&mut rc);
        rc
    }

    /// A primal direction in the scaled frame, `G^(-1) dS G^(-T)` (BLAS).
    pub(super) fn scale_primal(&self, ds: &DMatrix<f64>) -> crate::error::Result<DMatrix<f64>> {
        sandwich(&self.g_inv, Op::N, ds, Op::T)
    }

    /// A dual direction in the scaled frame, `G' dZ G` (BLAS).
    pub(super) fn scale_dual(&self, dz: &DMatrix<f64>) -> crate::error::Result<DMatrix<f64>> {
        sandwich(&self.g, Op::T, dz, Op::N)
    }
}

/// The scaling from the Cholesky factors `S = L_S L_S'`, `Z = L_Z L_Z'` and the SVD
/// `L_Z' L_S = U Sigma V'`, all by LAPACK and BLAS (both cores): `G = L_S V Sigma^(-1/2)`,
/// `G^(-1) = Sigma^(1/2) V' L_S^(-1)` (a triangular solve), `W^(-1) = G^(-T) G^(-1)`. `None` when
/// `S` or `Z` is not positive definite or a singular value is not positive.
pub(super) fn nt_scaling(s: &DMatrix<f64>, z: &DMatrix<f64>) -> Option<NtScaling> {
    let ls = cholesky_factor(s).ok()??;
    let lz = cholesky_factor(z).ok()??;
    let prod = matmul(&lz, Op::T, &ls, Op::N).ok()?;
    let (lam, vt) = singular_values_and_right_vectors(&prod).ok()?;
    if lam.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
        return None;
    }
    let q = s.nrows();
    let mut g = matmul(&ls, Op::N, &vt, Op::T).ok()?;
    for j in 0..q {
        let f = 1.0 / lam[j].sqrt();
        g.column_mut(j).scale_mut(f);
    }
    let mut g_inv = vt;
    for i in 0..q {
        let f = lam[i].sqrt();
        g_inv.row_mut(i).scale_mut(f);
    }
    triangular_solve(&ls, &mut g_inv, false, false).ok()?;
    let mut w_inv = matmul(&g_inv, Op::T, &g_inv, Op::N).ok()?;
    symmetrize(&mut w_inv);
    Some(NtScaling { g, g_inv, w_inv, lambda: lam })
}
