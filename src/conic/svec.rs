//! Packing of symmetric matrices into vectors (`svec`) and back (`smat`).
//!
//! Both packings scale off-diagonal entries by `sqrt(2)`, so that for symmetric `C`, `X`
//! `<C, X> = trace(C X) = svec(C)' svec(X)`. A matrix of order `k` packs into `k(k+1)/2` entries.
//!
//! * [`Triangle::Upper`] (the toolkit's internal packing, Clarabel's): upper triangle,
//!   column by column; entry `(i, j)` with `i <= j` sits at `j(j+1)/2 + i`.
//! * [`Triangle::Lower`] (SCS's packing): lower triangle, column by column; entry `(i, j)` with
//!   `i >= j` sits at `j*k - j(j-1)/2 + (i - j)`.
//!
//! The two are related by a permutation ([`upper_to_lower_permutation`]); the scaling is the same.

use nalgebra::DMatrix;
use std::f64::consts::SQRT_2;

/// Which triangle is packed, column by column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Triangle {
    /// Upper triangle (Clarabel, the toolkit's own convention).
    Upper,
    /// Lower triangle (SCS).
    Lower,
}

/// Length `k(k+1)/2` of the packing of an order-`k` matrix, saturating at `usize::MAX` when
/// it does not fit (orders come from input files: [`svec_len_checked`] is the exact check that
/// [`super::ConicProblem::validate`] applies, so a saturated length never reaches a solver).
pub fn svec_len(k: usize) -> usize {
    svec_len_checked(k).unwrap_or(usize::MAX)
}

/// `k(k+1)/2`, or `None` when it overflows `usize`.
pub fn svec_len_checked(k: usize) -> Option<usize> {
    let (a, b) = if k % 2 == 0 { (k / 2, k.checked_add(1)?) } else { (k, k.checked_add(1)? / 2) };
    a.checked_mul(b)
}

/// The order `k` with `k(k+1)/2 == len`, if there is one.
pub fn svec_order(len: usize) -> Option<usize> {
    let k = ((8.0 * len as f64 + 1.0).sqrt() as usize).saturating_sub(1) / 2;
    (k.saturating_sub(1)..=k.saturating_add(1)).find(|&k| svec_len_checked(k) == Some(len))
}

/// Position of entry `(i, j)` (either order) of an order-`k` matrix in the packing.
pub fn svec_index(i: usize, j: usize, k: usize, tri: Triangle) -> usize {
    let (lo, hi) = if i <= j { (i, j) } else { (j, i) };
    match tri {
        Triangle::Upper => hi * (hi + 1) / 2 + lo,
        // column `lo`, row `hi` of the lower triangle
        Triangle::Lower => lo * k - lo * lo.saturating_sub(1) / 2 + (hi - lo),
    }
}

/// Packs the symmetric matrix `m` (only the chosen triangle is read).
pub fn svec(m: &DMatrix<f64>, tri: Triangle) -> Vec<f64> {
    let k = m.nrows();
    let mut v = vec![0.0; svec_len(k)];
    for j in 0..k {
        for i in 0..=j {
            let val = match tri {
                Triangle::Upper => m[(i, j)],
                Triangle::Lower => m[(j, i)],
            };
            v[svec_index(i, j, k, tri)] = if i == j { val } else { val * SQRT_2 };
        }
    }
    v
}

/// Unpacks `v` into a full symmetric matrix. Returns `None` if `len(v)` is not triangular.
pub fn smat(v: &[f64], tri: Triangle) -> Option<DMatrix<f64>> {
    let k = svec_order(v.len())?;
    let mut m = DMatrix::zeros(k, k);
    for j in 0..k {
        for i in 0..=j {
            let val = v[svec_index(i, j, k, tri)];
            let val = if i == j { val } else { val / SQRT_2 };
            m[(i, j)] = val;
            m[(j, i)] = val;
        }
    }
    Some(m)
}

/// `perm[u] = l`: the entry at position `u` of the upper packing sits at position `l` of the
/// lower packing, for an order-`k` matrix.
pub fn upper_to_lower_permutation(k: usize) -> Vec<usize> {
    let mut perm = vec![0; svec_len(k)];
    for j in 0..k {
        for i in 0..=j {
            perm[svec_index(i, j, k, Triangle::Upper)] = svec_index(i, j, k, Triangle::Lower);
        }
    }
    perm
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sym(k: usize, vals: &[f64]) -> DMatrix<f64> {
        let mut m = DMatrix::zeros(k, k);
        let mut it = vals.iter().cycle();
        for j in 0..k {
            for i in 0..=j {
                let v = *it.next().unwrap();
                m[(i, j)] = v;
                m[(j, i)] = v;
            }
        }
        m
    }

    #[test]
    fn lower_index_matches_column_major_lower_walk() {
        for k in 1..7 {
            let mut pos = 0;
            for j in 0..k {
                for i in j..k {
                    assert_eq!(svec_index(i, j, k, Triangle::Lower), pos, "k={k} (i,j)=({i},{j})");
                    pos += 1;
                }
            }
        }
    }

    #[test]
    fn upper_index_matches_column_major_upper_walk() {
        for k in 1..7 {
            let mut pos = 0;
            for j in 0..k {
                for i in 0..=j {
                    assert_eq!(svec_index(i, j, k, Triangle::Upper), pos);
                    pos += 1;
                }
            }
        }
    }

    #[test]
    fn order_of_length() {
        for k in 0..200 {
            assert_eq!(svec_order(svec_len(k)), Some(k));
        }
        assert_eq!(svec_order(4), None);
        assert_eq!(svec_order(7), None);
    }

    #[test]
    fn lengths_near_the_top_of_usize_do_not_wrap() {
        // k(k+1)/2 for k near 2^64 used to wrap (or panic in debug builds).
        for k in [usize::MAX, usize::MAX - 1, 1usize << 33] {
            assert_eq!(svec_len_checked(k), None, "k = {k}");
            assert_eq!(svec_len(k), usize::MAX);
        }
        let k = 6_074_000_999usize; // largest order whose packing fits in 64 bits
        assert_eq!(svec_len_checked(k), Some((k + 1) / 2 * k));
        assert_eq!(svec_len_checked(k + 1), None);
        assert_eq!(svec_order(usize::MAX), None);
    }

    proptest! {
        #[test]
        fn round_trip(k in 1usize..9, vals in proptest::collection::vec(-10.0f64..10.0, 1..50)) {
            let m = sym(k, &vals);
            for tri in [Triangle::Upper, Triangle::Lower] {
                let back = smat(&svec(&m, tri), tri).unwrap();
                prop_assert!((back - &m).abs().max() < 1e-12);
            }
        }

        #[test]
        fn inner_product_identity(k in 1usize..9, a in proptest::collection::vec(-5.0f64..5.0, 1..50), b in proptest::collection::vec(-5.0f64..5.0, 1..50)) {
            let (ma, mb) = (sym(k, &a), sym(k, &b));
            let trace = (&ma * &mb).trace();
            for tri in [Triangle::Upper, Triangle::Lower] {
                let ip: f64 = svec(&ma, tri).iter().zip(svec(&mb, tri)).map(|(x, y)| x * y).sum();
                prop_assert!((ip - trace).abs() <= 1e-9 * (1.0 + trace.abs()));
            }
        }

        #[test]
        fn permutation_maps_upper_to_lower(k in 1usize..9, vals in proptest::collection::vec(-10.0f64..10.0, 1..50)) {
            let m = sym(k, &vals);
            let (up, lo) = (svec(&m, Triangle::Upper), svec(&m, Triangle::Lower));
            let perm = upper_to_lower_permutation(k);
            let mut seen = vec![false; perm.len()];
            for (u, &l) in perm.iter().enumerate() {
                prop_assert_eq!(up[u], lo[l]);
                seen[l] = true;
            }
            prop_assert!(seen.iter().all(|&s| s), "not a permutation");
        }
    }
}
