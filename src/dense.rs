//! Helpers for the library's one dense type, nalgebra's [`DMatrix<f64>`] / [`nalgebra::DVector<f64>`].
//!
//! nalgebra stores matrices column-major. Data sets keep one row per sample (`X` is n x d) and the
//! network layers keep their documented shapes; only the storage order is column-major. The
//! helpers here cover what nalgebra's operators do not give directly:
//!
//! - [`gemm`] / [`matmul`]: `C <- alpha A B + beta C` through the `matrixmultiply` kernel at every
//!   size and for any strides. (nalgebra's `*` uses the same kernel only when every dimension
//!   exceeds 5, and its own loop below that.) The rounding of a product is therefore the same
//!   for every shape, whatever the storage order of the operands.
//! - [`tr`]: the transpose as a strided view, no copy: `A' B` is `matmul(&tr(&a), &b)`.
//! - [`lane_dot`] / [`row_norm`]: the summation order of nalgebra's dot product of column
//!   vectors, for strided entries (a row of a column-major matrix).
//! - [`row_major`]: the entries with their indices, row by row (the order of the weight files
//!   and of the CSV files). Sums over it do not depend on the storage order, and a search over it
//!   finds the first offending entry in reading order.
//! - [`serde_matrix`] and [`serde_vector`]: serde adapters that write a matrix (vector) as
//!   `{"v": 1, "dim": [rows, cols], "data": [row-major entries]}` (`"dim": [len]` for a
//!   vector). This is the serde form the library's serialisable types (networks, standardisers,
//!   principal components, training results) have always had.

use nalgebra::{DMatrix, Dim, Dyn, Matrix, MatrixView, RawStorage, RawStorageMut, UninitMatrix, ViewStorage};

/// A matrix view with arbitrary strides, as returned by [`tr`].
pub type StridedView<'a> = MatrixView<'a, f64, Dyn, Dyn, Dyn, Dyn>;

/// `A'` as a view of `a`'s entries (no copy).
pub fn tr<R: Dim, C: Dim, S: RawStorage<f64, R, C>>(a: &Matrix<f64, R, C, S>) -> StridedView<'_> {
    let (r, c) = a.shape();
    let (rs, cs) = a.strides();
    // SAFETY: the view addresses entry (j, i) at `j cs + i rs`, which is entry (i, j) of `a`: the
    // same `r c` entries, valid for the borrow of `a`.
    unsafe { Matrix::from_data(ViewStorage::from_raw_parts(a.as_ptr(), (Dyn(c), Dyn(r)), (Dyn(cs), Dyn(rs)))) }
}

/// `C <- alpha A B + beta C` by `matrixmultiply::dgemm` (module docs). Panics when the shapes
/// disagree. With `beta = 0` the entries of `C` are not read.
#[allow(clippy::too_many_arguments)]
pub fn gemm<R1, C1, SA, R2, C2, SB, R3, C3, SC>(alpha: f64, a: &Matrix<f64, R1, C1, SA>, b: &Matrix<f64, R2, C2, SB>, beta: f64, c: &mut Matrix<f64, R3, C3, SC>)
where
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    R3: Dim,
    C3: Dim,
    SA: RawStorage<f64, R1, C1>,
    SB: RawStorage<f64, R2, C2>,
    SC: RawStorageMut<f64, R3, C3>,
{
    assert!(c.shape() == (a.nrows(), b.ncols()), "gemm: {} x {} times {} x {} into {} x {}", a.nrows(), a.ncols(), b.nrows(), b.ncols(), c.nrows(), c.ncols());
    let (rsc, csc) = c.strides();
    // SAFETY: `c` is an m x n matrix with these strides, valid for writing while borrowed
    // mutably (so it overlaps neither `a` nor `b`); a mutable nalgebra matrix never addresses
    // one entry twice.
    unsafe { gemm_raw(alpha, a, b, beta, c.as_mut_ptr(), rsc, csc) }
}

/// `A B` as a new matrix, by [`gemm`] (the result is not zeroed first).
pub fn matmul<R1, C1, SA, R2, C2, SB>(a: &Matrix<f64, R1, C1, SA>, b: &Matrix<f64, R2, C2, SB>) -> DMatrix<f64>
where
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: RawStorage<f64, R1, C1>,
    SB: RawStorage<f64, R2, C2>,
{
    let (m, n) = (a.nrows(), b.ncols());
    let mut c = UninitMatrix::<f64, Dyn, Dyn>::uninit(Dyn(m), Dyn(n));
    // SAFETY: `c` is a fresh column-major m x n buffer; with beta = 0 dgemm writes every entry
    // of C (zeros when the inner dimension is 0) and reads none, so all entries are initialised.
    unsafe {
        gemm_raw(1.0, a, b, 0.0, c.as_mut_ptr() as *mut f64, 1, m);
        c.assume_init()
    }
}

/// `C <- alpha A B + beta C` for `C` given by a pointer and strides. Panics when the inner
/// dimensions disagree.
///
/// # Safety
///
/// `c` with strides `(rsc, csc)` must address `a.nrows() x b.ncols()` distinct entries valid for
/// writing (and for reading unless `beta = 0`), overlapping neither `a` nor `b`.
unsafe fn gemm_raw<R1, C1, SA, R2, C2, SB>(alpha: f64, a: &Matrix<f64, R1, C1, SA>, b: &Matrix<f64, R2, C2, SB>, beta: f64, c: *mut f64, rsc: usize, csc: usize)
where
    R1: Dim,
    C1: Dim,
    R2: Dim,
    C2: Dim,
    SA: RawStorage<f64, R1, C1>,
    SB: RawStorage<f64, R2, C2>,
{
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    assert!(k == k2, "gemm: {m} x {k} times {k2} x {n}");
    let (rsa, csa) = a.strides();
    let (rsb, csb) = b.strides();
    let s = |v: usize| isize::try_from(v).expect("stride fits isize");
    // SAFETY: the pointers and strides of `a` and `b` describe the m x k and k x n matrices
    // nalgebra holds (valid for the borrows); the caller guarantees `c`.
    unsafe {
        matrixmultiply::dgemm(m, k, n, alpha, a.as_ptr(), s(rsa), s(csa), b.as_ptr(), s(rsb), s(csb), beta, c, s(rsc), s(csc));
    }
}

/// The entries of `a` with their indices `(row, column)`, row by row (module docs).
pub fn row_major<R: Dim, C: Dim, S: RawStorage<f64, R, C>>(a: &Matrix<f64, R, C, S>) -> impl Iterator<Item = ((usize, usize), f64)> + '_ {
    let (r, c) = a.shape();
    (0..r).flat_map(move |i| (0..c).map(move |j| ((i, j), a[(i, j)])))
}

/// `sum_ij a_ij^2`, summed row by row ([`row_major`] order).
pub fn sum_of_squares<R: Dim, C: Dim, S: RawStorage<f64, R, C>>(a: &Matrix<f64, R, C, S>) -> f64 {
    row_major(a).map(|(_, e)| e * e).sum::<f64>()
}

/// `sum_i a_i b_i` over the pairs of `terms`, in the order of nalgebra's dot product of two
/// column vectors (`a.dot(&b)`): eight interleaved partial sums over the first `8 floor(len / 8)`
/// terms, combined as `(p0 + p4) + (p1 + p5) + (p2 + p6) + (p3 + p7)`, then the remaining terms
/// one by one. For entries that are not contiguous (a row of a matrix), where `dot` would sum
/// in another order.
pub fn lane_dot(terms: impl ExactSizeIterator<Item = (f64, f64)>) -> f64 {
    let mut terms = terms;
    let full = terms.len() / 8;
    let mut p = [0.0f64; 8];
    for _ in 0..full {
        for lane in p.iter_mut() {
            let (a, b) = terms.next().expect("ExactSizeIterator length");
            *lane += a * b;
        }
    }
    let mut s = 0.0;
    s += p[0] + p[4];
    s += p[1] + p[5];
    s += p[2] + p[6];
    s += p[3] + p[7];
    for (a, b) in terms {
        s += a * b;
    }
    s
}

/// `||row i of a||` with the squares summed by [`lane_dot`].
pub fn row_norm<R: Dim, C: Dim, S: RawStorage<f64, R, C>>(a: &Matrix<f64, R, C, S>, i: usize) -> f64 {
    lane_dot(a.row(i).iter().map(|&e| (e, e))).sqrt()
}

/// The version tag of the serde form (module docs).
const SERDE_VERSION: u8 = 1;

/// Serde adapter for a [`DMatrix<f64>`]: `{"v": 1, "dim": [rows, cols], "data": [row-major]}`
/// (module docs). Use with `#[serde(with = "crate::dense::serde_matrix")]`.
pub mod serde_matrix {
    use super::{row_major, SERDE_VERSION};
    use nalgebra::DMatrix;
    use serde::de::Error as _;
    use serde::ser::{SerializeSeq, SerializeStruct};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Entries<'a>(&'a DMatrix<f64>);

    impl Serialize for Entries<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
            for (_, e) in row_major(self.0) {
                seq.serialize_element(&e)?;
            }
            seq.end()
        }
    }

    /// Writes `m` in the form of the module docs.
    pub fn serialize<S: Serializer>(m: &DMatrix<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Array", 3)?;
        state.serialize_field("v", &SERDE_VERSION)?;
        state.serialize_field("dim", &[m.nrows(), m.ncols()])?;
        state.serialize_field("data", &Entries(m))?;
        state.end()
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Repr {
        v: u8,
        dim: [usize; 2],
        data: Vec<f64>,
    }

    /// Reads the form of the module docs.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DMatrix<f64>, D::Error> {
        let r = Repr::deserialize(deserializer)?;
        if r.v != SERDE_VERSION {
            return Err(D::Error::custom(format!("unknown array version: {}", r.v)));
        }
        let [rows, cols] = r.dim;
        if rows.checked_mul(cols) != Some(r.data.len()) {
            return Err(D::Error::custom("data and dimension must match in size"));
        }
        Ok(DMatrix::from_row_slice(rows, cols, &r.data))
    }
}

/// Serde adapter for a [`nalgebra::DVector<f64>`]: `{"v": 1, "dim": [len], "data": [...]}` (module docs).
/// Use with `#[serde(with = "crate::dense::serde_vector")]`.
pub mod serde_vector {
    use super::SERDE_VERSION;
    use nalgebra::DVector;
    use serde::de::Error as _;
    use serde::ser::SerializeStruct;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` in the form of the module docs.
    pub fn serialize<S: Serializer>(v: &DVector<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Array", 3)?;
        state.serialize_field("v", &SERDE_VERSION)?;
        state.serialize_field("dim", &[v.len()])?;
        state.serialize_field("data", v.as_slice())?;
        state.end()
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Repr {
        v: u8,
        dim: [usize; 1],
        data: Vec<f64>,
    }

    /// Reads the form of the module docs.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DVector<f64>, D::Error> {
        let r = Repr::deserialize(deserializer)?;
        if r.v != SERDE_VERSION {
            return Err(D::Error::custom(format!("unknown array version: {}", r.v)));
        }
        if r.dim[0] != r.data.len() {
            return Err(D::Error::custom("data and dimension must match in size"));
        }
        Ok(DVector::from_vec(r.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DVector;

    #[test]
    fn products_with_transposed_views_and_blocks() {
        let a = DMatrix::from_fn(7, 3, |i, j| (i as f64 + 1.0) * 0.5 - j as f64);
        let b = DMatrix::from_fn(7, 4, |i, j| ((i * 3 + j) % 5) as f64 - 2.0);
        assert_eq!(matmul(&tr(&a), &b), a.transpose() * &b);
        assert_eq!(tr(&a).shape(), (3, 7));
        assert_eq!(tr(&a)[(2, 5)], a[(5, 2)]);
        // into a block of a larger matrix, accumulating
        let mut c = DMatrix::from_element(3, 9, 1.0);
        gemm(2.0, &tr(&a), &b, 1.0, &mut c.columns_mut(2, 4));
        let want = (a.transpose() * &b) * 2.0;
        for i in 0..3 {
            assert_eq!(c[(i, 0)], 1.0);
            for j in 0..4 {
                assert_eq!(c[(i, 2 + j)], 1.0 + want[(i, j)]);
            }
        }
        // empty inner dimension: C <- beta C
        let e = DMatrix::<f64>::zeros(0, 3);
        assert_eq!(matmul(&tr(&e), &e), DMatrix::zeros(3, 3));
    }

    #[test]
    fn lane_dot_is_the_dot_product_order() {
        for len in [0, 3, 8, 13, 40] {
            let a = nalgebra::DVector::from_fn(len, |i, _| 1.0 / (i as f64 + 0.3) - 0.7);
            let b = nalgebra::DVector::from_fn(len, |i, _| (i as f64 * 0.37).sin() * 1e3);
            assert_eq!(lane_dot(a.iter().copied().zip(b.iter().copied())).to_bits(), a.dot(&b).to_bits(), "len {len}");
            let m = DMatrix::from_fn(2, len, |i, j| if i == 1 { a[j] } else { 0.0 });
            assert_eq!(row_norm(&m, 1).to_bits(), a.norm().to_bits());
        }
    }

    #[test]
    fn row_major_order() {
        let a = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let v: Vec<f64> = row_major(&a).map(|(_, e)| e).collect();
        assert_eq!(v, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(row_major(&a).nth(3).unwrap().0, (1, 0));
        assert_eq!(sum_of_squares(&a), 91.0);
    }

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Both {
        #[serde(with = "serde_matrix")]
        m: DMatrix<f64>,
        #[serde(with = "serde_vector")]
        v: DVector<f64>,
    }

    #[test]
    fn serde_form_round_trips() {
        let b = Both { m: DMatrix::from_row_slice(2, 2, &[1.0, 2.5, -3.0, 4.0]), v: DVector::from_vec(vec![0.5, 1.0]) };
        let text = serde_json::to_string(&b).unwrap();
        assert_eq!(text, r#"{"m":{"v":1,"dim":[2,2],"data":[1.0,2.5,-3.0,4.0]},"v":{"v":1,"dim":[2],"data":[0.5,1.0]}}"#);
        assert_eq!(serde_json::from_str::<Both>(&text).unwrap(), b);
        let bad = r#"{"m":{"v":1,"dim":[2,3],"data":[1.0]},"v":{"v":1,"dim":[0],"data":[]}}"#;
        assert!(serde_json::from_str::<Both>(bad).unwrap_err().to_string().contains("must match"));
        let bad = r#"{"m":{"v":2,"dim":[0,0],"data":[]},"v":{"v":1,"dim":[0],"data":[]}}"#;
        assert!(serde_json::from_str::<Both>(bad).unwrap_err().to_string().contains("unknown array version"));
    }
}
