//! Compressed sparse column matrices (sprs `CsMat` in CSC storage) and a triplet builder.
//!
//! [`CscBuilder`] collects `(row, col, value)` triplets; duplicates are **summed**, as in
//! sprs's `TriMat`, so formulations can add contributions block by block.

use sprs::{CsMat, TriMat};

/// The sparse matrix type of the conic form: sprs `CsMat<f64>` in CSC storage.
pub type Csc = CsMat<f64>;

/// Triplet accumulator producing a CSC matrix of a fixed shape.
#[derive(Debug)]
pub struct CscBuilder {
    tri: TriMat<f64>,
}

impl CscBuilder {
    /// An empty `rows x cols` builder.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self { tri: TriMat::new((rows, cols)) }
    }

    /// Adds `value` at `(row, col)`; zeros are skipped, duplicates are summed.
    pub fn push(&mut self, row: usize, col: usize, value: f64) {
        if value != 0.0 {
            self.tri.add_triplet(row, col, value);
        }
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        self.tri.shape()
    }

    /// The CSC matrix, with duplicates summed and row indices sorted within each column.
    pub fn build(self) -> Csc {
        self.tri.to_csc()
    }
}

/// An all-zero `rows x cols` CSC matrix.
pub fn zeros(rows: usize, cols: usize) -> Csc {
    CsMat::zero((rows, cols)).to_csc()
}

/// `y = A x` for a CSC `A`.
pub fn mul(a: &Csc, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; a.rows()];
    for (col, col_vec) in a.outer_iterator().enumerate() {
        for (row, &v) in col_vec.iter() {
            y[row] += v * x[col];
        }
    }
    y
}

/// `y = A' x` for a CSC `A`.
pub fn mul_transpose(a: &Csc, x: &[f64]) -> Vec<f64> {
    a.outer_iterator().map(|col| col.iter().map(|(row, &v)| v * x[row]).sum()).collect()
}

/// `y = P x` where only the upper triangle of the symmetric `P` is stored.
pub fn sym_upper_mul(p: &Csc, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; p.rows()];
    for (col, col_vec) in p.outer_iterator().enumerate() {
        for (row, &v) in col_vec.iter() {
            y[row] += v * x[col];
            if row != col {
                y[col] += v * x[row];
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sums_duplicates_and_multiplies() {
        let mut b = CscBuilder::new(2, 3);
        b.push(0, 0, 1.0);
        b.push(0, 0, 2.0);
        b.push(1, 2, -1.0);
        b.push(1, 1, 0.0);
        let a = b.build();
        assert_eq!(a.nnz(), 2);
        assert_eq!(mul(&a, &[1.0, 5.0, 2.0]), vec![3.0, -2.0]);
        assert_eq!(mul_transpose(&a, &[1.0, 1.0]), vec![3.0, 0.0, -1.0]);
    }

    #[test]
    fn symmetric_upper_product() {
        let mut b = CscBuilder::new(2, 2);
        b.push(0, 0, 2.0);
        b.push(0, 1, 1.0);
        b.push(1, 1, 3.0);
        assert_eq!(sym_upper_mul(&b.build(), &[1.0, 1.0]), vec![3.0, 4.0]);
    }
}
