//! The congruence `S -> Lambda = T S T'` of the facially reduced relaxation and its adjoint
//! `M -> T' M T`, applied block by block (never as a dense `T`).
//!
//! `S` has order `q = n + d + c` with blocks `a (n), u (d), v (c)`; `Lambda` has order
//! `p = 2n + d + c` with blocks `A, B (n), U (d), V (c)`, and
//!
//! ```text
//!     T = [[I, 0, 0], [I, -X, 0], [0, I, 0], [0, 0, I]]      (rows A, B, U, V; columns a, u, v)
//! ```
//!
//! Forward, with `W = S_au X'` (n x n):
//!
//! ```text
//!     Lambda_AA = S_aa            Lambda_AB = S_aa - W        Lambda_BB = S_aa - W - W' + X S_uu X'
//!     Lambda_AU = S_au            Lambda_BU = S_au - X S_uu   Lambda_AV = S_av    Lambda_BV = S_av - X S_uv
//!     Lambda_UU = S_uu            Lambda_UV = S_uv            Lambda_VV = S_vv
//! ```
//!
//! Adjoint (for symmetric `M`; `<T S T', M> = <S, T' M T>`):
//!
//! ```text
//!     (T'MT)_aa = M_AA + M_AB + M_BA + M_BB
//!     (T'MT)_au = M_AU + M_BU - (M_AB + M_BB) X
//!     (T'MT)_av = M_AV + M_BV
//!     (T'MT)_uu = M_UU - X' M_BU - M_UB X + X' M_BB X
//!     (T'MT)_uv = M_UV - X' M_BV
//!     (T'MT)_vv = M_VV
//! ```
//!
//! Both cost `O(n^2 d)` flops (matrix products with `X`), against `O(p^2 q)` for dense `T`.
//! The Gram matrix `G = T'T` (the adjoint at `M = I`) is `[[2I, -X, 0], [-X', I + X'X, 0], [0, 0, I]]`.

use crate::error::Result;
use crate::linalg::{matmul, symmetrize, Op};
use nalgebra::DMatrix;

/// The sizes and the data matrix `X` behind `T`.
#[derive(Clone, Debug)]
pub struct Congruence {
    n: usize,
    d: usize,
    c: usize,
    x: DMatrix<f64>,
}

impl Congruence {
    /// The congruence for data `x` (n x d) and `c` outputs.
    pub fn new(x: DMatrix<f64>, c: usize) -> Self {
        Self { n: x.nrows(), d: x.ncols(), c, x }
    }
    /// `n` (samples).
    pub fn n(&self) -> usize {
        self.n
    }
    /// `d` (features).
    pub fn d(&self) -> usize {
        self.d
    }
    /// `c` (outputs).
    pub fn c(&self) -> usize {
        self.c
    }
    /// Order of `S`: `q = n + d + c`.
    pub fn q(&self) -> usize {
        self.n + self.d + self.c
    }
    /// Order of `Lambda`: `p = 2n + d + c`.
    pub fn p(&self) -> usize {
        2 * self.n + self.d + self.c
    }
    /// The data matrix.
    pub fn x(&self) -> &DMatrix<f64> {
        &self.x
    }

    /// `Lambda = T S T'` (p x p, symmetric when `S` is).
    pub fn forward(&self, s: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (n, d, c) = (self.n, self.d, self.c);
        let (a, u, v) = (0, n, n + d);
        let (la, lb, lu, lv) = (0, n, 2 * n, 2 * n + d);
        let p = self.p();
        let mut l = DMatrix::zeros(p, p);
        let s_aa = s.view((a, a), (n, n));
        let s_au = s.view((a, u), (n, d)).clone_owned();
        let s_uu = s.view((u, u), (d, d)).clone_owned();
        let s_uv = s.view((u, v), (d, c)).clone_owned();
        let w = matmul(&s_au, Op::N, &self.x, Op::T)?; // S_au X'
        let x_suu = matmul(&self.x, Op::N, &s_uu, Op::N)?; // X S_uu
        let x_suu_xt = matmul(&x_suu, Op::N, &self.x, Op::T)?;
        let x_suv = matmul(&self.x, Op::N, &s_uv, Op::N)?;
        // A, B rows
        for j in 0..n {
            for i in 0..n {
                let saa = s_aa[(i, j)];
                l[(la + i, la + j)] = saa;
                l[(la + i, lb + j)] = saa - w[(i, j)];
                l[(lb + i, la + j)] = saa - w[(j, i)];
                l[(lb + i, lb + j)] = saa - w[(i, j)] - w[(j, i)] + x_suu_xt[(i, j)];
            }
        }
        for j in 0..d {
            for i in 0..n {
                let au = s_au[(i, j)];
                let bu = au - x_suu[(i, j)];
                l[(la + i, lu + j)] = au;
                l[(lu + j, la + i)] = au;
                l[(lb + i, lu + j)] = bu;
                l[(lu + j, lb + i)] = bu;
            }
        }
        for k in 0..c {
            for i in 0..n {
                let av = s[(a + i, v + k)];
                let bv = av - x_suv[(i, k)];
                l[(la + i, lv + k)] = av;
                l[(lv + k, la + i)] = av;
                l[(lb + i, lv + k)] = bv;
                l[(lv + k, lb + i)] = bv;
            }
        }
        // U, V rows
        l.view_mut((lu, lu), (d + c, d + c)).copy_from(&s.view((u, u), (d + c, d + c)));
        symmetrize(&mut l);
        Ok(l)
    }

    /// `T' M T` (q x q) for a symmetric `M` (p x p).
    pub fn adjoint(&self, m: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (n, d, c) = (self.n, self.d, self.c);
        let (a, u, v) = (0, n, n + d);
        let (la, lb, lu, lv) = (0, n, 2 * n, 2 * n + d);
        let q = self.q();
        let mut s = DMatrix::zeros(q, q);
        let m_ab_bb = DMatrix::from_fn(n, n, |i, j| m[(la + i, lb + j)] + m[(lb + i, lb + j)]);
        let m_bb = m.view((lb, lb), (n, n)).clone_owned();
        let m_bu = m.view((lb, lu), (n, d)).clone_owned();
        let m_bv = m.view((lb, lv), (n, c)).clone_owned();
        let t_au = matmul(&m_ab_bb, Op::N, &self.x, Op::N)?; // (M_AB + M_BB) X
        let bb_x = matmul(&m_bb, Op::N, &self.x, Op::N)?; // M_BB X
        let xt_bb_x = matmul(&self.x, Op::T, &bb_x, Op::N)?;
        let xt_bu = matmul(&self.x, Op::T, &m_bu, Op::N)?; // X' M_BU (d x d)
        let xt_bv = matmul(&self.x, Op::T, &m_bv, Op::N)?; // X' M_BV (d x c)
        for j in 0..n {
            for i in 0..n {
                s[(a + i, a + j)] = m[(la + i, la + j)] + m[(la + i, lb + j)] + m[(lb + i, la + j)] + m[(lb + i, lb + j)];
            }
        }
        for j in 0..d {
            for i in 0..n {
                let val = m[(la + i, lu + j)] + m[(lb + i, lu + j)] - t_au[(i, j)];
                s[(a + i, u + j)] = val;
                s[(u + j, a + i)] = val;
            }
        }
        for k in 0..c {
            for i in 0..n {
                let val = m[(la + i, lv + k)] + m[(lb + i, lv + k)];
                s[(a + i, v + k)] = val;
                s[(v + k, a + i)] = val;
            }
        }
        for j in 0..d {
            for i in 0..d {
                s[(u + i, u + j)] = m[(lu + i, lu + j)] - xt_bu[(i, j)] - xt_bu[(j, i)] + xt_bb_x[(i, j)];
            }
        }
        for k in 0..c {
            for i in 0..d {
                let val = m[(lu + i, lv + k)] - xt_bv[(i, k)];
                s[(u + i, v + k)] = val;
                s[(v + k, u + i)] = val;
            }
        }
        s.view_mut((v, v), (c, c)).copy_from(&m.view((lv, lv), (c, c)));
        symmetrize(&mut s);
        Ok(s)
    }

    /// Row `r` of `T` as its nonzero entries `(column, value)` (into `out`, cleared first): one
    /// for the rows `A`, `U`, `V`, at most `d + 1` for a row `B_i = e_{a_i} - sum_k X_ik e_{u_k}`.
    pub(crate) fn row_entries(&self, r: usize, out: &mut Vec<(usize, f64)>) {
        let n = self.n;
        out.clear();
        if r < n {
            out.push((r, 1.0));
        } else if r < 2 * n {
            let i = r - n;
            out.push((i, 1.0));
            out.extend((0..self.d).filter(|&k| self.x[(i, k)] != 0.0).map(|k| (n + k, -self.x[(i, k)])));
        } else {
            out.push((r - n, 1.0));
        }
    }

    /// The entries `(T S T')_{r s} = t_r' S t_s` at the given pairs `(r, s)` of rows of `T` only,
    /// in `O(d^2)` flops each (against `O(n^2 d)` and a `p x p` matrix for [`Self::forward`]).
    pub fn entries(&self, s: &DMatrix<f64>, pairs: &[(usize, usize)]) -> Vec<f64> {
        let (mut tr, mut ts) = (Vec::with_capacity(self.d + 1), Vec::with_capacity(self.d + 1));
        pairs
            .iter()
            .map(|&(r, c)| {
                self.row_entries(r, &mut tr);
                self.row_entries(c, &mut ts);
                ts.iter().map(|&(j, b)| b * tr.iter().map(|&(i, a)| a * s[(i, j)]).sum::<f64>()).sum()
            })
            .collect()
    }

    /// `T' L T` (q x q) for the symmetric `L = sum_k w_k (e_r e_s' + e_s e_r') / 2` over the given
    /// pairs `(r, s)`: `sum_k w_k (t_r t_s' + t_s t_r') / 2`, the adjoint of [`Self::entries`], in
    /// `O(d^2)` flops per pair (against a `p x p` matrix for [`Self::adjoint`]).
    pub fn adjoint_pairs(&self, pairs: &[(usize, usize)], weights: &[f64]) -> DMatrix<f64> {
        let q = self.q();
        let mut out = DMatrix::zeros(q, q);
        let (mut tr, mut ts) = (Vec::with_capacity(self.d + 1), Vec::with_capacity(self.d + 1));
        for (&(r, c), &w) in pairs.iter().zip(weights) {
            if w == 0.0 {
                continue;
            }
            self.row_entries(r, &mut tr);
            self.row_entries(c, &mut ts);
            let half = 0.5 * w;
            for &(j, b) in &ts {
                for &(i, a) in &tr {
                    let v = half * a * b;
                    out[(i, j)] += v;
                    out[(j, i)] += v;
                }
            }
        }
        out
    }

    /// `G = T'T` (q x q).
    pub fn gram(&self) -> Result<DMatrix<f64>> {
        self.adjoint(&DMatrix::identity(self.p(), self.p()))
    }

    /// `T` as a dense p x q matrix (tests and small instances only).
    pub fn dense(&self) -> DMatrix<f64> {
        let (n, d, c) = (self.n, self.d, self.c);
        let mut t = DMatrix::zeros(self.p(), self.q());
        for i in 0..n {
            t[(i, i)] = 1.0;
            t[(n + i, i)] = 1.0;
            for l in 0..d {
                t[(n + i, n + l)] = -self.x[(i, l)];
            }
        }
        for l in 0..d + c {
            t[(2 * n + l, n + l)] = 1.0;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sym_from(v: &[f64], k: usize) -> DMatrix<f64> {
        let m = DMatrix::from_fn(k, k, |i, j| v[(i * k + j) % v.len()] * (1.0 + ((i + 2 * j) % 3) as f64));
        (&m + m.transpose()) * 0.5
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn entries_and_adjoint_pairs_match_the_dense_maps(
            n in 1usize..7, d in 1usize..4, c in 1usize..3,
            xs in proptest::collection::vec(-2.0f64..2.0, 30),
            ss in proptest::collection::vec(-1.0f64..1.0, 40),
            ws in proptest::collection::vec(-1.0f64..1.0, 1..40),
            picks in proptest::collection::vec((0usize..1000, 0usize..1000), 1..40),
        ) {
            let x = DMatrix::from_fn(n, d, |i, j| xs[(i * d + j) % xs.len()]);
            let t = Congruence::new(x, c);
            let p = t.p();
            let dense = t.dense();
            let s = sym_from(&ss, t.q());
            // Pairs anywhere in Lambda, repeated and diagonal ones included.
            let pairs: Vec<(usize, usize)> = picks.iter().map(|&(r, c)| (r % p, c % p)).collect();
            let lambda = &dense * &s * dense.transpose();
            let got = t.entries(&s, &pairs);
            for (&(r, c), g) in pairs.iter().zip(&got) {
                prop_assert!((g - lambda[(r, c)]).abs() <= 1e-12 * (1.0 + lambda[(r, c)].abs()));
            }
            let w: Vec<f64> = (0..pairs.len()).map(|k| ws[k % ws.len()]).collect();
            let mut l = DMatrix::zeros(p, p);
            for (&(r, c), &wk) in pairs.iter().zip(&w) {
                l[(r, c)] += 0.5 * wk;
                l[(c, r)] += 0.5 * wk;
            }
            let want = dense.transpose() * &l * &dense;
            let adj = t.adjoint_pairs(&pairs, &w);
            prop_assert!((&adj - &want).norm() <= 1e-12 * (1.0 + want.norm()));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn maps_match_dense_t_and_are_adjoint(
            n in 1usize..7, d in 1usize..4, c in 1usize..3,
            xs in proptest::collection::vec(-2.0f64..2.0, 30),
            ss in proptest::collection::vec(-1.0f64..1.0, 40),
            ms in proptest::collection::vec(-1.0f64..1.0, 50),
        ) {
            let x = DMatrix::from_fn(n, d, |i, j| xs[(i * d + j) % xs.len()]);
            let t = Congruence::new(x, c);
            let dense = t.dense();
            let s = sym_from(&ss, t.q());
            let m = sym_from(&ms, t.p());
            let fwd = t.forward(&s).unwrap();
            let want = &dense * &s * dense.transpose();
            prop_assert!((&fwd - &want).norm() <= 1e-10 * (1.0 + want.norm()));
            let adj = t.adjoint(&m).unwrap();
            let want_adj = dense.transpose() * &m * &dense;
            prop_assert!((&adj - &want_adj).norm() <= 1e-10 * (1.0 + want_adj.norm()));
            // <T S T', M> = <S, T' M T>
            let lhs = fwd.dot(&m);
            let rhs = s.dot(&adj);
            prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()));
            let g = t.gram().unwrap();
            prop_assert!((g - dense.transpose() * &dense).norm() < 1e-10);
        }
    }
}
