//! The `n` equalities `Lambda_{A_i B_i} = 0`, eliminated from the normal equations.

use super::constraints::{sv, Constraints, Entry};
use super::normal::{Factor, NormalEntry};
use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// The equalities `h(S) = 0` solved for one coordinate each. The row of `Lambda_{A_i B_i}` is
/// `S_{a_i a_i} - sum_k X_ik S_{a_i u_k}`: in `svec` coordinates `c_i x_{p_i} + sum_a h_i[a] x_a`
/// with the pivot `p_i = sv(i, i)`, which no other equality touches, and links `a` in the `au`
/// block, each touched by this equality only. So `h x = e` holds exactly when
/// `x_{p_i} = e_i / c_i + sum_a t_i[a] x_a` with `t_i[a] = -h_i[a] / c_i`: every solution is
/// `x = P x_f + x0` (`x_f` the other coordinates, `x0 = e_i / c_i` on the pivots), and the KKT
/// system `M x - h' dy = b`, `h x = e` becomes `P' M P x_f = P' (b - M x0)` (since `P' h' = 0`),
/// with `dy_i = ((M x)_{p_i} - b_{p_i}) / c_i` from the pivot rows. Before this, the equalities
/// went through the Schur complement `h M^(-1) h'`, whose `n` right-hand sides cost 0.56 s per
/// iteration at q = 158 (double precision; the factorisation takes 6.2 s).
pub(super) struct Equalities {
    /// `(p_i, c_i)`.
    pub(super) pivots: Vec<(usize, f64)>,
    /// Every link `(a, i, t_i[a])`, in increasing order of the coordinate `a`.
    pub(super) links: Vec<(usize, usize, f64)>,
    /// For each coordinate: `Some((i, t_i[a]))` when it is a link of equality `i`.
    pub(super) link_of: Vec<Option<(usize, f64)>>,
}

impl Equalities {
    pub(super) fn new(cons: &Constraints, nsv: usize) -> Result<Self> {
        let n = cons.problem.t.n();
        let mut acc = vec![0.0; nsv];
        let mut touched = Vec::new();
        let mut row = Vec::new();
        let mut pivots = Vec::with_capacity(n);
        let mut link_of = vec![None; nsv];
        for i in 0..n {
            cons.row(Entry { r: i, s: n + i }, &mut acc, &mut touched, &mut row);
            let p = sv(i, i);
            let c = row.iter().find(|&&(a, _)| a == p).map(|&(_, v)| v).unwrap_or(0.0);
            if !(c.abs() > 0.0) {
                return Err(Error::Backend { backend: "dnn ipm", message: format!("equality {i} has no pivot coefficient") });
            }
            for &(a, v) in row.iter().filter(|&&(a, _)| a != p) {
                if link_of[a].is_some() || a < n * (n + 1) / 2 {
                    return Err(Error::Backend { backend: "dnn ipm", message: format!("coordinate {a} of equality {i} is not in the au block or is shared") });
                }
                link_of[a] = Some((i, -v / c));
            }
            pivots.push((p, c));
        }
        let links = link_of.iter().enumerate().filter_map(|(a, l)| l.map(|(i, t)| (a, i, t))).collect();
        Ok(Self { pivots, links, link_of })
    }

    /// Replaces the normal matrix `M` (lower triangle of the column-major buffer `buf`, order
    /// `nsv`) by `P' M P` on the free coordinates and the identity on the pivots; returns the
    /// pivot columns of `M` before the change. Every entry `(r, c)` with a link among `r, c`
    /// changes: `M'[r,c] = M[r,c] + t_c M[r,p(c)] + t_r M[p(r),c] + t_r t_c M[p(r),p(c)]`.
    pub(super) fn eliminate<T: NormalEntry>(&self, buf: &mut [T], nsv: usize) -> DMatrix<f64> {
        let at = |buf: &[T], r: usize, c: usize| -> f64 {
            let (r, c) = if r >= c { (r, c) } else { (c, r) };
            buf[c * nsv + r].to_f64()
        };
        let n = self.pivots.len();
        let mut cols = DMatrix::zeros(nsv, n);
        for (i, &(p, _)) in self.pivots.iter().enumerate() {
            for r in 0..nsv {
                cols[(r, i)] = at(buf, r, p);
            }
        }
        for c in 0..nsv {
            let col = &mut buf[c * nsv..(c + 1) * nsv];
            match self.link_of[c] {
                Some((ic, tc)) => {
                    // Column c is a link: every row r >= c changes.
                    let pc = &cols.column(ic);
                    for r in c..nsv {
                        let mut v = col[r].to_f64() + tc * pc[r];
                        if let Some((ir, tr)) = self.link_of[r] {
                            let pr = self.pivots[ir].0;
                            v += tr * cols[(c, ir)] + tr * tc * pc[pr];
                        }
                        col[r] = T::of(v);
                    }
                }
                None => {
                    let first = self.links.partition_point(|&(r, _, _)| r < c);
                    for &(r, ir, tr) in &self.links[first..] {
                        col[r] = T::of(col[r].to_f64() + tr * cols[(c, ir)]);
                    }
                }
            }
        }
        for &(p, _) in &self.pivots {
            for r in 0..nsv {
                let (rr, cc) = if r >= p { (r, p) } else { (p, r) };
                buf[cc * nsv + rr] = T::of(if r == p { 1.0 } else { 0.0 });
            }
        }
        cols
    }

    /// Solves `M x - h' dy = b`, `h x = e` with `factor`, the factor of the matrix that
    /// [`Equalities::eliminate`] made of `M`, and the pivot columns of `M` it returned.
    pub(super) fn solve(&self, factor: &Factor, cols: &DMatrix<f64>, b: &[f64], e: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let nsv = b.len();
        let x0: Vec<f64> = self.pivots.iter().zip(e).map(|(&(_, c), &v)| v / c).collect();
        // r = P' (b - M x0), zero on the pivots.
        let mut r = b.to_vec();
        for (i, &v) in x0.iter().enumerate() {
            if v != 0.0 {
                for (ra, ca) in r.iter_mut().zip(cols.column(i).iter()) {
                    *ra -= v * ca;
                }
            }
        }
        for &(a, i, t) in &self.links {
            r[a] += t * r[self.pivots[i].0];
        }
        for &(p, _) in &self.pivots {
            r[p] = 0.0;
        }
        let mut u = DMatrix::from_vec(nsv, 1, r);
        factor.solve(nsv, &mut u)?;
        let mut x: Vec<f64> = u.data.into();
        let mut linked = vec![-0.0; self.pivots.len()];
        for &(a, i, t) in &self.links {
            linked[i] += t * x[a];
        }
        for (i, &(p, _)) in self.pivots.iter().enumerate() {
            x[p] = x0[i] + linked[i];
        }
        let xv = nalgebra::DVectorView::from_slice(&x, nsv);
        let dy: Vec<f64> = self.pivots.iter().enumerate().map(|(i, &(p, c))| (cols.column(i).dot(&xv) - b[p]) / c).collect();
        Ok((x, dy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnn::DnnProblem;
    use crate::linalg::{cholesky_in_place, cholesky_in_place_f32};

    /// The elimination of the equalities solves the same KKT system as a dense LU of
    /// `[[M, -h'], [h, 0]]`, in double and (to single-precision accuracy) in single precision.
    #[test]
    fn eliminated_equalities_solve_the_kkt_system() {
        let (n, d, c) = (5, 3, 2);
        let x = DMatrix::from_fn(n, d, |i, j| if (i, j) == (2, 1) { 0.0 } else { ((i * 5 + j * 3) % 7) as f64 * 0.4 - 1.1 });
        let problem = DnnProblem { t: crate::dnn::congruence::Congruence::new(x, c), y: DMatrix::zeros(n, c), beta: 0.1 };
        let q = problem.t.q();
        let nsv = q * (q + 1) / 2;
        let cons = Constraints::new(&problem);
        let eq = Equalities::new(&cons, nsv).unwrap();
        let a = DMatrix::from_fn(nsv, nsv, |i, j| (((i * 31 + j * 17) % 23) as f64 - 11.0) / 11.0);
        let m = &a * a.transpose() + DMatrix::identity(nsv, nsv) * 0.5;
        let mut h = DMatrix::zeros(n, nsv);
        let (mut acc, mut touched, mut row) = (vec![0.0; nsv], Vec::new(), Vec::new());
        for i in 0..n {
            cons.row(Entry { r: i, s: n + i }, &mut acc, &mut touched, &mut row);
            for &(k, v) in &row {
                h[(i, k)] = v;
            }
        }
        let b: Vec<f64> = (0..nsv).map(|k| ((k * 13) % 9) as f64 - 4.0).collect();
        let e: Vec<f64> = (0..n).map(|i| i as f64 * 0.7 - 1.0).collect();
        let mut kkt = DMatrix::zeros(nsv + n, nsv + n);
        kkt.view_mut((0, 0), (nsv, nsv)).copy_from(&m);
        kkt.view_mut((0, nsv), (nsv, n)).copy_from(&(-h.transpose()));
        kkt.view_mut((nsv, 0), (n, nsv)).copy_from(&h);
        let rhs = nalgebra::DVector::from_iterator(nsv + n, b.iter().chain(&e).copied());
        let want = kkt.lu().solve(&rhs).unwrap();
        let scale = want.amax();

        let mut buf: Vec<f64> = m.as_slice().to_vec();
        let cols = eq.eliminate(&mut buf, nsv);
        let mut f = DMatrix::from_vec(nsv, nsv, buf);
        assert!(cholesky_in_place(&mut f).unwrap());
        let (xs, dy) = eq.solve(&Factor::Double(f), &cols, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, xs.iter().chain(&dy).copied());
        assert!((&got - &want).amax() <= 1e-9 * scale, "double: {:.3e}", (&got - &want).amax());

        let mut buf32: Vec<f32> = m.as_slice().iter().map(|&v| v as f32).collect();
        let cols32 = eq.eliminate(&mut buf32, nsv);
        assert!(cholesky_in_place_f32(&mut buf32, nsv).unwrap());
        let (xs, dy) = eq.solve(&Factor::Single(buf32), &cols32, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, xs.iter().chain(&dy).copied());
        assert!((&got - &want).amax() <= 1e-3 * scale, "single: {:.3e}", (&got - &want).amax());
    }
}
