//! Dense kernels on [`nalgebra::DMatrix`] through the system BLAS and LAPACK (OpenBLAS, the
//! library Clarabel's PSD cone already links): matrix products, the symmetric eigendecomposition
//! and the Cholesky test of positive definiteness.
//!
//! These are the hot spots of the relaxation solver ([`crate::dnn`]) and of the certificates
//! ([`crate::certify`]): nalgebra's own routines are correct but several times slower at the
//! orders that matter here (a few hundred to a thousand). Every matrix is column-major, as
//! nalgebra stores it, so the buffers pass to Fortran unchanged.
//!
//! OpenBLAS decides its own number of threads (`OPENBLAS_NUM_THREADS`, default: every core).
//!
//! Dimensions are checked (and converted to LAPACK's 32-bit integers with a checked conversion):
//! a mismatch is an [`Error::InvalidArgument`], never a panic inside Fortran.

use crate::error::{Error, Result};
use nalgebra::DMatrix;

fn dim(k: usize) -> Result<i32> {
    i32::try_from(k).map_err(|_| Error::TooLarge(format!("matrix dimension {k} exceeds the 32-bit LAPACK interface")))
}

/// Whether to use a factor as it is or transposed in [`gemm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `A`.
    N,
    /// `A'`.
    T,
}

impl Op {
    fn code(self) -> u8 {
        match self {
            Op::N => b'N',
            Op::T => b'T',
        }
    }
    fn shape(self, m: &DMatrix<f64>) -> (usize, usize) {
        match self {
            Op::N => (m.nrows(), m.ncols()),
            Op::T => (m.ncols(), m.nrows()),
        }
    }
}

/// `C <- alpha op(A) op(B) + beta C` (BLAS `dgemm`).
pub fn gemm(alpha: f64, a: &DMatrix<f64>, ta: Op, b: &DMatrix<f64>, tb: Op, beta: f64, c: &mut DMatrix<f64>) -> Result<()> {
    let (m, k) = ta.shape(a);
    let (k2, n) = tb.shape(b);
    if k != k2 || c.nrows() != m || c.ncols() != n {
        return Err(Error::InvalidArgument(format!(
            "gemm: op(A) is {m} x {k}, op(B) is {k2} x {n}, C is {} x {}",
            c.nrows(),
            c.ncols()
        )));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        *c *= beta;
        return Ok(());
    }
    let (mi, ni, ki) = (dim(m)?, dim(n)?, dim(k)?);
    let lda = dim(a.nrows().max(1))?;
    let ldb = dim(b.nrows().max(1))?;
    let ldc = dim(m.max(1))?;
    // SAFETY: the shapes were checked above; the slices are the matrices' contiguous
    // column-major buffers with the leading dimensions passed.
    unsafe {
        blas::dgemm(ta.code(), tb.code(), mi, ni, ki, alpha, a.as_slice(), lda, b.as_slice(), ldb, beta, c.as_mut_slice(), ldc);
    }
    Ok(())
}

/// `op(A) op(B)` as a new matrix.
pub fn matmul(a: &DMatrix<f64>, ta: Op, b: &DMatrix<f64>, tb: Op) -> Result<DMatrix<f64>> {
    let (m, _) = ta.shape(a);
    let (_, n) = tb.shape(b);
    let mut c = DMatrix::zeros(m, n);
    gemm(1.0, a, ta, b, tb, 0.0, &mut c)?;
    Ok(c)
}

/// `op(A)' X op(A)`-style products of order `q`: `L X R` with `L = op_l(A)`, `R = op_r(A)` (both
/// from the same `a`), by two BLAS `dgemm` calls (both cores). `sandwich(w, N, x, N)` is `W X W`;
/// `sandwich(g, T, x, N)` is `G' X G`. The result is not symmetrised.
pub fn sandwich(a: &DMatrix<f64>, left: Op, x: &DMatrix<f64>, right: Op) -> Result<DMatrix<f64>> {
    let t = matmul(x, Op::N, a, right)?;
    matmul(a, left, &t, Op::N)
}

/// `Q D Q'` for a diagonal `D = diag(w)` and `Q` with `w.len()` columns, symmetric by
/// construction (only the columns with `w_j != 0` are used).
pub fn congruence_diag(q: &DMatrix<f64>, w: &[f64]) -> Result<DMatrix<f64>> {
    let k = q.nrows();
    if q.ncols() != w.len() {
        return Err(Error::InvalidArgument(format!("congruence_diag: Q has {} columns, w has {}", q.ncols(), w.len())));
    }
    let cols: Vec<usize> = (0..w.len()).filter(|&j| w[j] != 0.0).collect();
    if cols.is_empty() {
        return Ok(DMatrix::zeros(k, k));
    }
    let qs = DMatrix::from_fn(k, cols.len(), |i, j| q[(i, cols[j])]);
    let qw = DMatrix::from_fn(k, cols.len(), |i, j| q[(i, cols[j])] * w[cols[j]]);
    let mut out = matmul(&qw, Op::N, &qs, Op::T)?;
    symmetrize(&mut out);
    Ok(out)
}

/// Replaces `M` by `(M + M') / 2`.
pub fn symmetrize(m: &mut DMatrix<f64>) {
    let k = m.nrows().min(m.ncols());
    for j in 0..k {
        for i in 0..j {
            let v = 0.5 * (m[(i, j)] + m[(j, i)]);
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
}

/// The order of the square, finite `a`; otherwise an error naming `what` and the problem.
fn square_and_finite(a: &DMatrix<f64>, what: &str) -> Result<usize> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::InvalidArgument(format!("{what}: matrix is {} x {}, not square", n, a.ncols())));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument(format!("{what}: matrix has non-finite entries")));
    }
    Ok(n)
}

/// A symmetric eigendecomposition `A = Q diag(w) Q'`, eigenvalues ascending.
#[derive(Clone, Debug)]
pub struct SymEigen {
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors, one column per eigenvalue.
    pub vectors: DMatrix<f64>,
}

/// Which eigenpairs [`sym_eigen`] computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EigenRange {
    /// All of them.
    All,
    /// Those with eigenvalue in the half-open interval `(lo, hi]`.
    Values { lo: f64, hi: f64 },
}

/// The eigenpairs of the symmetric matrix `a` (only its lower triangle is read), by LAPACK:
/// a whole spectrum of order at least [`DIVIDE_AND_CONQUER_FROM`] by `dsyevd` (divide and
/// conquer), otherwise `dsyevr` (relatively robust representations; a range of values is found
/// by bisection and inverse iteration, which is cheaper than the whole spectrum when the range
/// holds few eigenvalues, and several times dearer when it holds most of them: 0.19 s against
/// 0.05 s at order 693). Errors on a non-square or non-finite input, or when LAPACK fails.
pub fn sym_eigen(a: &DMatrix<f64>, range: EigenRange) -> Result<SymEigen> {
    let n = a.nrows();
    let (rng, vl, vu) = match range {
        EigenRange::All => (b'A', 0.0, 0.0),
        EigenRange::Values { lo, hi } => (b'V', lo, hi),
    };
    if range == EigenRange::All && n >= DIVIDE_AND_CONQUER_FROM {
        return dsyevd(a);
    }
    let (values, z) = dsyevr(a, b'V', rng, vl, vu, 0)?;
    let m = values.len();
    Ok(SymEigen { values, vectors: DMatrix::from_vec(n, m, z) })
}

/// From this order on, [`sym_eigen`] computes a whole spectrum by divide and conquer (`dsyevd`).
/// On tightly clustered spectra, such as the scaled complementarity products of an
/// interior-point iterate near the central path (all eigenvalues near `mu`), the relatively
/// robust representations of `dsyevr` spend most of their time separating the cluster; divide
/// and conquer deflates it.
pub const DIVIDE_AND_CONQUER_FROM: usize = 64;

/// LAPACK `dsyevd` (all eigenpairs, divide and conquer) on a copy of the lower triangle of `a`;
/// `dsyevr` for the whole spectrum when it does not converge (`info > 0`).
fn dsyevd(a: &DMatrix<f64>) -> Result<SymEigen> {
    let n = square_and_finite(a, "sym_eigen")?;
    if n == 0 {
        return Ok(SymEigen { values: Vec::new(), vectors: DMatrix::zeros(0, 0) });
    }
    let ni = dim(n)?;
    let mut z = a.clone();
    let mut w = vec![0.0; n];
    let mut info = 0i32;
    let mut wq = [0.0f64];
    let mut iwq = [0i32];
    // SAFETY: JOBZ = 'V', UPLO = 'L', N = LDA = n; Z (the copy of a) is overwritten by the
    // eigenvectors. Workspace query first.
    unsafe {
        lapack::dsyevd(b'V', b'L', ni, z.as_mut_slice(), ni, &mut w, &mut wq, -1, &mut iwq, -1, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dsyevd workspace query failed (info = {info})") });
    }
    let min_work = n.checked_mul(n).and_then(|nn| nn.checked_mul(2)).and_then(|v| v.checked_add(6 * n + 1)).ok_or_else(|| Error::TooLarge(format!("eigendecomposition of order {n}")))?;
    let lwork = (wq[0] as usize).max(min_work);
    let liwork = (iwq[0] as usize).max(5 * n + 3);
    let mut work = vec![0.0; lwork];
    let mut iwork = vec![0i32; liwork];
    // SAFETY: as above, with the workspace sizes LAPACK asked for (at least its documented minima).
    unsafe {
        lapack::dsyevd(b'V', b'L', ni, z.as_mut_slice(), ni, &mut w, &mut work, dim(lwork)?, &mut iwork, dim(liwork)?, &mut info);
    }
    if info > 0 {
        // The divide and conquer did not converge (rare): the relatively robust representations.
        let (values, vectors) = dsyevr(a, b'V', b'A', 0.0, 0.0, 0)?;
        return Ok(SymEigen { values, vectors: DMatrix::from_vec(n, n, vectors) });
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dsyevd failed (info = {info})") });
    }
    Ok(SymEigen { values: w, vectors: z })
}

/// LAPACK `dsyevr` on a copy of the lower triangle of `a`: the eigenvalues found (ascending) and,
/// with `jobz = b'V'`, their eigenvectors (column-major, `n` rows); `range` is `b'A'` (all),
/// `b'V'` (in `(vl, vu]`) or `b'I'` (the first `index` only). Errors on a non-square or non-finite
/// input, or when LAPACK fails.
fn dsyevr(a: &DMatrix<f64>, jobz: u8, range: u8, vl: f64, vu: f64, index: i32) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = square_and_finite(a, "sym_eigen")?;
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let ni = dim(n)?;
    let mut work_a = a.clone();
    let (il, iu) = if range == b'I' { (1, index.clamp(1, ni)) } else { (0, 0) };
    let vectors = jobz == b'V';
    let mut m = 0i32;
    let mut w = vec![0.0; n];
    let (mut z, ldz) = if vectors { (vec![0.0; n * n], ni) } else { (vec![0.0; 1], 1) };
    let mut isuppz = vec![0i32; 2 * n];
    let mut info = 0i32;
    // Workspace query.
    let mut wq = [0.0f64];
    let mut iwq = [0i32];
    // SAFETY: all buffers have the sizes LAPACK documents for dsyevr with N = n, LDA = n and
    // LDZ = n (Z not referenced, LDZ = 1, when JOBZ = 'N').
    unsafe {
        lapack::dsyevr(jobz, range, b'L', ni, work_a.as_mut_slice(), ni, vl, vu, il, iu, 0.0, &mut m, &mut w, &mut z, ldz, &mut isuppz, &mut wq, -1, &mut iwq, -1, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dsyevr workspace query failed (info = {info})") });
    }
    let lwork = (wq[0] as usize).max(26 * n);
    let liwork = (iwq[0] as usize).max(10 * n);
    let mut work = vec![0.0; lwork];
    let mut iwork = vec![0i32; liwork];
    // SAFETY: as above, with the workspace sizes LAPACK asked for.
    unsafe {
        lapack::dsyevr(jobz, range, b'L', ni, work_a.as_mut_slice(), ni, vl, vu, il, iu, 0.0, &mut m, &mut w, &mut z, ldz, &mut isuppz, &mut work, dim(lwork)?, &mut iwork, dim(liwork)?, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dsyevr failed (info = {info})") });
    }
    let m = m.max(0) as usize;
    w.truncate(m);
    if vectors {
        z.truncate(n * m);
    } else {
        z.clear();
    }
    Ok((w, z))
}

/// The smallest eigenvalue of the symmetric matrix `a` (0 x 0: `+inf`): LAPACK `dsyevr` without
/// eigenvectors and for the first eigenvalue only, so the cost is the tridiagonal reduction.
pub fn min_eigenvalue(a: &DMatrix<f64>) -> Result<f64> {
    let (values, _) = dsyevr(a, b'N', b'I', 0.0, 0.0, 1)?;
    Ok(values.first().copied().unwrap_or(f64::INFINITY))
}

/// The lower Cholesky factor `L` of the symmetric matrix `a` (LAPACK `dpotrf`, the strict upper
/// triangle set to zero); `None` when `a` is not numerically positive definite.
pub fn cholesky_factor(a: &DMatrix<f64>) -> Result<Option<DMatrix<f64>>> {
    let mut l = a.clone();
    if !cholesky_in_place(&mut l)? {
        return Ok(None);
    }
    for j in 1..l.ncols() {
        for i in 0..j {
            l[(i, j)] = 0.0;
        }
    }
    Ok(Some(l))
}

/// Solves with the lower-triangular `l` in place of `b` (BLAS `dtrsm`): `b <- op(l)^(-1) b` when
/// `left`, `b <- b op(l)^(-1)` otherwise, with `op(l) = l'` when `transpose`.
pub fn triangular_solve(l: &DMatrix<f64>, b: &mut DMatrix<f64>, left: bool, transpose: bool) -> Result<()> {
    let k = l.nrows();
    let (m, n) = (b.nrows(), b.ncols());
    if l.ncols() != k || (left && m != k) || (!left && n != k) {
        return Err(Error::InvalidArgument(format!("triangular_solve: L is {} x {}, B is {m} x {n}", k, l.ncols())));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    let (mi, ni, ki) = (dim(m)?, dim(n)?, dim(k)?);
    // SAFETY: shapes checked above; column-major buffers with leading dimensions k and m.
    unsafe {
        blas::dtrsm(if left { b'L' } else { b'R' }, b'L', if transpose { b'T' } else { b'N' }, b'N', mi, ni, 1.0, l.as_slice(), ki, b.as_mut_slice(), mi);
    }
    Ok(())
}

/// The singular values (descending) and the right singular vectors `V'` of the square `a`:
/// LAPACK's divide-and-conquer `dgesdd` (at order 693, where the interior-point method's
/// scaling needs one per iteration, much faster than `dgesvd`'s QR iteration), or `dgesvd`
/// (left vectors not computed) in the rare case where `dgesdd` does not converge. Both are
/// backward stable to the same order.
pub fn singular_values_and_right_vectors(a: &DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>)> {
    if let Some(found) = singular_values_divide_and_conquer(a)? {
        return Ok(found);
    }
    singular_values_qr(a)
}

/// `dgesdd` with `JOBZ = 'O'` (the left vectors overwrite a copy of `a`); `None` when it does not
/// converge (`info > 0`).
fn singular_values_divide_and_conquer(a: &DMatrix<f64>) -> Result<Option<(Vec<f64>, DMatrix<f64>)>> {
    let n = square_and_finite(a, "svd")?;
    if n == 0 {
        return Ok(Some((Vec::new(), DMatrix::zeros(0, 0))));
    }
    let ni = dim(n)?;
    let mut work_a = a.clone();
    let mut s = vec![0.0; n];
    let mut u = [0.0f64; 1];
    let mut vt = DMatrix::zeros(n, n);
    let mut iwork = vec![0i32; n.checked_mul(8).ok_or_else(|| Error::TooLarge(format!("svd of order {n}")))?];
    let mut info = 0i32;
    let mut wq = [0.0f64];
    // SAFETY: dgesdd with JOBZ = 'O' and M = N: U is returned in A (U itself not referenced,
    // LDU = 1), VT is N x N; IWORK has 8 N entries.
    unsafe {
        lapack::dgesdd(b'O', ni, ni, work_a.as_mut_slice(), ni, &mut s, &mut u, 1, vt.as_mut_slice(), ni, &mut wq, -1, &mut iwork, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dgesdd workspace query failed (info = {info})") });
    }
    // The documented minimum for JOBZ = 'O', M = N: 3 N + max(N, 5 N^2 + 4 N) = 5 N^2 + 7 N.
    let min_work = n.checked_mul(n).and_then(|nn| nn.checked_mul(5)).and_then(|v| v.checked_add(7 * n)).ok_or_else(|| Error::TooLarge(format!("svd of order {n}")))?;
    let lwork = (wq[0] as usize).max(min_work);
    let mut work = vec![0.0; lwork];
    // SAFETY: as above, with the workspace size LAPACK asked for (at least its documented
    // minimum, 5 N^2 + 7 N).
    unsafe {
        lapack::dgesdd(b'O', ni, ni, work_a.as_mut_slice(), ni, &mut s, &mut u, 1, vt.as_mut_slice(), ni, &mut work, dim(lwork)?, &mut iwork, &mut info);
    }
    if info > 0 {
        return Ok(None);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dgesdd failed (info = {info})") });
    }
    Ok(Some((s, vt)))
}

/// `dgesvd` (QR iteration), left vectors not computed.
fn singular_values_qr(a: &DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>)> {
    let n = square_and_finite(a, "svd")?;
    if n == 0 {
        return Ok((Vec::new(), DMatrix::zeros(0, 0)));
    }
    let ni = dim(n)?;
    let mut work_a = a.clone();
    let mut s = vec![0.0; n];
    let mut u = [0.0f64; 1];
    let mut vt = DMatrix::zeros(n, n);
    let mut info = 0i32;
    let mut wq = [0.0f64];
    // SAFETY: dgesvd with JOBU = 'N' (U not referenced, LDU = 1), JOBVT = 'A' (n x n VT).
    unsafe {
        lapack::dgesvd(b'N', b'A', ni, ni, work_a.as_mut_slice(), ni, &mut s, &mut u, 1, vt.as_mut_slice(), ni, &mut wq, -1, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dgesvd workspace query failed (info = {info})") });
    }
    let lwork = (wq[0] as usize).max(5 * n);
    let mut work = vec![0.0; lwork];
    // SAFETY: as above, with the workspace size LAPACK asked for.
    unsafe {
        lapack::dgesvd(b'N', b'A', ni, ni, work_a.as_mut_slice(), ni, &mut s, &mut u, 1, vt.as_mut_slice(), ni, &mut work, dim(lwork)?, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dgesvd failed (info = {info})") });
    }
    Ok((s, vt))
}

/// Whether the LAPACK Cholesky factorisation (`dpotrf`) of the symmetric matrix `a` succeeds,
/// i.e. whether `a` is numerically positive definite. Combined with a diagonal margin this is
/// a rigorous positive-semidefiniteness test (see [`crate::certify`]).
pub fn cholesky_succeeds(a: &DMatrix<f64>) -> Result<bool> {
    if a.ncols() == a.nrows() && a.iter().any(|v| !v.is_finite()) {
        return Ok(false);
    }
    cholesky_in_place(&mut a.clone())
}

/// Cholesky factorisation `A = L L'` in place (LAPACK `dpotrf`, lower triangle; the strict upper
/// triangle is left as it was). `Ok(false)` when `A` is not numerically positive definite (the
/// matrix is then partly overwritten).
pub fn cholesky_in_place(a: &mut DMatrix<f64>) -> Result<bool> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::InvalidArgument(format!("cholesky: matrix is {} x {}, not square", n, a.ncols())));
    }
    if n == 0 {
        return Ok(true);
    }
    let ni = dim(n)?;
    let mut info = 0i32;
    // SAFETY: `a` is an n x n column-major buffer with leading dimension n.
    unsafe {
        lapack::dpotrf(b'L', ni, a.as_mut_slice(), ni, &mut info);
    }
    if info < 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dpotrf argument {} invalid", -info) });
    }
    Ok(info == 0)
}

/// Order from which [`cholesky_solve`] and [`cholesky_solve_f32`] solve a single right-hand side
/// by blocks (`gemv` on the panels, `trsv` on the diagonal blocks) instead of LAPACK `potrs`:
/// OpenBLAS's `trsv` runs on one thread and read the factor at 9 GB/s on the reference machine
/// (0.137 s per solve at order 12 561), `gemv` on two threads at about 30 GB/s (numpy's OpenBLAS
/// `dgemv` at that order, measured the same day); the blocked solve
/// took 0.046 s there, with the same interior-point iterates. At small orders `potrs` (through
/// `dtrsm` with one column) spent most of its time packing: with the interior-point method's
/// low-rank preconditioner, whose capacitance matrix (order about 1 900 on full iris) is solved
/// once per GMRES step, 12 iterations took 11.0-12.2 s with `potrs` and 8.0-8.3 s with the
/// blocked solve from order 256 (probe, `MAXIT=12`, two runs each, alternating).
pub const BLOCKED_SOLVE_FROM: usize = 256;

/// Column block of the blocked solves.
const SOLVE_BLOCK: usize = 256;

macro_rules! blocked_solve {
    ($name:ident, $t:ty, $gemv:path, $trsv:path) => {
        /// Solves `L L' x = b` in place of `b` for the lower-triangular factor `L` (column-major,
        /// order `n`, leading dimension `n`, only the lower triangle read), by blocks of columns:
        /// the diagonal blocks by `trsv`, the panels below them by `gemv`, which OpenBLAS runs on
        /// every thread. Each sweep reads the lower triangle once, as `potrs` does.
        fn $name(l: &[$t], n: usize, b: &mut [$t]) -> Result<()> {
            if l.len() < n.saturating_mul(n) || b.len() != n {
                return Err(Error::InvalidArgument(format!("blocked solve: factor has {} entries for order {n}, right-hand side {}", l.len(), b.len())));
            }
            let ld = dim(n)?;
            // Forward: L y = b.
            let mut k0 = 0;
            while k0 < n {
                let kb = SOLVE_BLOCK.min(n - k0);
                let rest = n - k0 - kb;
                let (head, tail) = b.split_at_mut(k0 + kb);
                // SAFETY: the diagonal block starts at (k0, k0) and the panel at (k0 + kb, k0),
                // both inside the n x n buffer with leading dimension n; the vectors have the
                // lengths passed.
                unsafe {
                    $trsv(b'L', b'N', b'N', dim(kb)?, &l[k0 * n + k0..], ld, &mut head[k0..], 1);
                    if rest > 0 {
                        $gemv(b'N', dim(rest)?, dim(kb)?, -1.0, &l[k0 * n + k0 + kb..], ld, &head[k0..], 1, 1.0, tail, 1);
                    }
                }
                k0 += kb;
            }
            // Backward: L' x = y.
            let mut end = n;
            while end > 0 {
                let kb = if end % SOLVE_BLOCK == 0 { SOLVE_BLOCK } else { end % SOLVE_BLOCK };
                let k0 = end - kb;
                let rest = n - end;
                let (head, tail) = b.split_at_mut(end);
                // SAFETY: as above.
                unsafe {
                    if rest > 0 {
                        $gemv(b'T', dim(rest)?, dim(kb)?, -1.0, &l[k0 * n + end..], ld, tail, 1, 1.0, &mut head[k0..], 1);
                    }
                    $trsv(b'L', b'T', b'N', dim(kb)?, &l[k0 * n + k0..], ld, &mut head[k0..], 1);
                }
                end = k0;
            }
            Ok(())
        }
    };
}
blocked_solve!(triangular_solve_blocked_f64, f64, blas::dgemv, blas::dtrsv);
blocked_solve!(triangular_solve_blocked_f32, f32, blas::sgemv, blas::strsv);

/// Solves `A X = B` in place of `B` from the factor of [`cholesky_in_place`] (LAPACK `dpotrs`).
pub fn cholesky_solve(factor: &DMatrix<f64>, b: &mut DMatrix<f64>) -> Result<()> {
    let n = factor.nrows();
    if factor.ncols() != n || b.nrows() != n {
        return Err(Error::InvalidArgument(format!("cholesky_solve: factor is {} x {}, right-hand side has {} rows", n, factor.ncols(), b.nrows())));
    }
    if n == 0 || b.ncols() == 0 {
        return Ok(());
    }
    if b.ncols() == 1 && n >= BLOCKED_SOLVE_FROM {
        return triangular_solve_blocked_f64(factor.as_slice(), n, b.as_mut_slice());
    }
    let (ni, nrhs) = (dim(n)?, dim(b.ncols())?);
    let mut info = 0i32;
    // SAFETY: shapes checked above; column-major buffers with leading dimension n.
    unsafe {
        lapack::dpotrs(b'L', ni, nrhs, factor.as_slice(), ni, b.as_mut_slice(), ni, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("dpotrs failed (info = {info})") });
    }
    Ok(())
}

/// Single-precision Cholesky factorisation `A = L L'` in place of the column-major `n x n`
/// buffer `a` (LAPACK `spotrf`, lower triangle). `Ok(false)` when `A` is not numerically positive
/// definite in single precision.
pub fn cholesky_in_place_f32(a: &mut [f32], n: usize) -> Result<bool> {
    if a.len() != n.checked_mul(n).ok_or_else(|| Error::TooLarge(format!("a matrix of order {n}")))? {
        return Err(Error::InvalidArgument(format!("cholesky_f32: buffer of {} entries for order {n}", a.len())));
    }
    if n == 0 {
        return Ok(true);
    }
    let ni = dim(n)?;
    let mut info = 0i32;
    // SAFETY: `a` is an n x n column-major buffer with leading dimension n (checked above).
    unsafe {
        lapack::spotrf(b'L', ni, a, ni, &mut info);
    }
    if info < 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("spotrf argument {} invalid", -info) });
    }
    Ok(info == 0)
}

/// Solves `A X = B` for the double-precision `B` (`n x k`, in place) from the single-precision
/// factor of [`cholesky_in_place_f32`] (LAPACK `spotrs`; `B` is rounded to single precision for
/// the solve, so the result has single-precision accuracy and is meant for iterative refinement).
pub fn cholesky_solve_f32(factor: &[f32], n: usize, b: &mut DMatrix<f64>) -> Result<()> {
    if factor.len() != n.checked_mul(n).ok_or_else(|| Error::TooLarge(format!("a matrix of order {n}")))? || b.nrows() != n {
        return Err(Error::InvalidArgument(format!("cholesky_solve_f32: factor has {} entries for order {n}, right-hand side has {} rows", factor.len(), b.nrows())));
    }
    if n == 0 || b.ncols() == 0 {
        return Ok(());
    }
    let mut rhs: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    if b.ncols() == 1 && n >= BLOCKED_SOLVE_FROM {
        triangular_solve_blocked_f32(factor, n, &mut rhs)?;
        for (o, v) in b.iter_mut().zip(&rhs) {
            *o = *v as f64;
        }
        return Ok(());
    }
    let (ni, nrhs) = (dim(n)?, dim(b.ncols())?);
    let mut info = 0i32;
    // SAFETY: shapes checked above; column-major buffers with leading dimension n.
    unsafe {
        lapack::spotrs(b'L', ni, nrhs, factor, ni, &mut rhs, ni, &mut info);
    }
    if info != 0 {
        return Err(Error::Backend { backend: "lapack", message: format!("spotrs failed (info = {info})") });
    }
    for (o, v) in b.iter_mut().zip(&rhs) {
        *o = *v as f64;
    }
    Ok(())
}

extern "C" {
    fn openblas_get_num_threads() -> i32;
    fn openblas_set_num_threads(n: i32);
}

/// Runs OpenBLAS with one thread while it lives, then restores the previous count; does nothing
/// when the user chose a count with `OPENBLAS_NUM_THREADS` (or `OMP_NUM_THREADS`). On matrices of
/// order below a few hundred the second thread costs more than it brings (measured on full iris,
/// q = 158: 26 % fewer iterations per second with two threads, most of it system time spent
/// spinning). The count is process-wide: concurrent BLAS calls in other threads are affected
/// while the guard lives.
pub struct SingleBlasThread {
    previous: Option<i32>,
}

impl SingleBlasThread {
    /// Switches to one thread unless the environment sets the count.
    pub fn new() -> Self {
        let user_chose = std::env::var_os("OPENBLAS_NUM_THREADS").is_some() || std::env::var_os("OMP_NUM_THREADS").is_some();
        if user_chose {
            return Self { previous: None };
        }
        // SAFETY: plain getters/setters of OpenBLAS's global thread count.
        let previous = unsafe { openblas_get_num_threads() };
        if previous > 1 {
            unsafe { openblas_set_num_threads(1) };
            Self { previous: Some(previous) }
        } else {
            Self { previous: None }
        }
    }
}

impl Default for SingleBlasThread {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SingleBlasThread {
    fn drop(&mut self) {
        if let Some(n) = self.previous {
            // SAFETY: as above.
            unsafe { openblas_set_num_threads(n) };
        }
    }
}

/// OpenBLAS's current thread count.
pub fn blas_threads() -> i32 {
    // SAFETY: a plain getter.
    unsafe { openblas_get_num_threads() }
}

#[cfg(test)]
mod tests {
    /// The LAPACK and BLAS helpers of the interior-point method's scaling and step lengths
    /// against nalgebra's own (independent) implementations.
    #[test]
    fn scaling_helpers_match_nalgebra() {
        let n = 9;
        let b = DMatrix::from_fn(n, n, |i, j| (((i * 7 + j * 5) % 11) as f64 - 5.0) / 3.0);
        let a = &b * b.transpose() + DMatrix::identity(n, n) * 0.5;
        let l = cholesky_factor(&a).unwrap().unwrap();
        assert!((&l * l.transpose() - &a).amax() < 1e-12);
        assert!((0..n).all(|j| (0..j).all(|i| l[(i, j)] == 0.0)));
        assert!(cholesky_factor(&(-&a)).unwrap().is_none());
        // L^(-1) B and B L^(-T) against nalgebra's triangular solve.
        let li = l.clone().solve_lower_triangular(&DMatrix::identity(n, n)).unwrap();
        let mut left = b.clone();
        triangular_solve(&l, &mut left, true, false).unwrap();
        assert!((&left - &li * &b).amax() < 1e-10);
        let mut right = b.clone();
        triangular_solve(&l, &mut right, false, true).unwrap();
        assert!((&right - &b * li.transpose()).amax() < 1e-10);
        let mut right_n = b.clone();
        triangular_solve(&l, &mut right_n, false, false).unwrap();
        assert!((&right_n - &b * &li).amax() < 1e-10);
        // The smallest eigenvalue of a symmetric indefinite matrix.
        let sym = (&b + b.transpose()) * 0.5;
        let all = nalgebra::SymmetricEigen::new(sym.clone()).eigenvalues;
        let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((min_eigenvalue(&sym).unwrap() - lo).abs() < 1e-10);
        // Singular values and right vectors: B' B = V S^2 V'.
        let (sv, vt) = singular_values_and_right_vectors(&b).unwrap();
        assert!(sv.windows(2).all(|w| w[0] >= w[1]));
        let recon = vt.transpose() * DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(n, sv.iter().map(|s| s * s))) * &vt;
        assert!((recon - b.transpose() * &b).amax() < 1e-9);
        let theirs = b.clone().svd(false, false).singular_values;
        let mut ours = sv.clone();
        let mut t: Vec<f64> = theirs.iter().copied().collect();
        ours.sort_by(f64::total_cmp);
        t.sort_by(f64::total_cmp);
        assert!(ours.iter().zip(&t).all(|(a, c)| (a - c).abs() < 1e-10));
        // Both LAPACK paths (divide and conquer, QR iteration) on a graded matrix whose singular
        // values span 1e-12 .. 1 (as near the end of an interior-point solve): the same values
        // to the backward error, and right vectors that reconstruct B' B.
        let k = 40;
        // Full rank: a dominant diagonal on a pattern, then columns scaled from 1 down to 1e-12.
        let graded = DMatrix::from_fn(k, k, |i, j| {
            let base = (((i * 7 + j * 3) % 41) as f64 - 20.0) / 20.0 + if i == j { 8.0 } else { 0.0 };
            base * 10f64.powf(-12.0 * j as f64 / (k - 1) as f64)
        });
        let (dc, dc_vt) = singular_values_divide_and_conquer(&graded).unwrap().expect("dgesdd converges here");
        let (qr, _) = singular_values_qr(&graded).unwrap();
        let top = qr[0];
        assert!(qr[k - 1] > 1e-14 * top && qr[k - 1] < 1e-10 * top, "graded: {:e} .. {:e}", qr[k - 1], top);
        assert!(dc.iter().zip(&qr).all(|(a, c)| (a - c).abs() <= 1e-13 * top), "{dc:?} vs {qr:?}");
        let recon = dc_vt.transpose() * DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(k, dc.iter().map(|s| s * s))) * &dc_vt;
        assert!((recon - graded.transpose() * &graded).amax() < 1e-12 * top * top);
    }

    use super::*;

    /// The blocked single-right-hand-side solves agree with LAPACK `potrs` (orders that are and
    /// are not multiples of the block), in both precisions.
    #[test]
    fn blocked_solve_matches_potrs() {
        for n in [1, 255, 256, 600, 769] {
            let a = DMatrix::from_fn(n, n, |i, j| (((i * 37 + j * 11) % 29) as f64 - 14.0) / 14.0);
            let m = &a * a.transpose() + DMatrix::identity(n, n) * (n as f64);
            let b = DMatrix::from_fn(n, 1, |i, _| ((i * 7) % 13) as f64 - 6.0);
            let mut f = m.clone();
            assert!(cholesky_in_place(&mut f).unwrap());
            let mut want = b.clone();
            let (ni, mut info) = (dim(n).unwrap(), 0);
            // SAFETY: n x n factor and n x 1 right-hand side, leading dimension n.
            unsafe { lapack::dpotrs(b'L', ni, 1, f.as_slice(), ni, want.as_mut_slice(), ni, &mut info) };
            assert_eq!(info, 0);
            let mut got = b.clone();
            triangular_solve_blocked_f64(f.as_slice(), n, got.as_mut_slice()).unwrap();
            assert!((&got - &want).amax() <= 1e-12 * want.amax(), "n = {n}: {:.3e}", (&got - &want).amax());
            let f32s: Vec<f32> = f.iter().map(|&v| v as f32).collect();
            let mut g32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            triangular_solve_blocked_f32(&f32s, n, &mut g32).unwrap();
            let err = g32.iter().zip(want.iter()).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
            assert!(err <= 1e-4 * want.amax(), "n = {n}, single: {err:.3e}");
            // The residual of the solve itself, in double precision.
            assert!((&m * &got - &b).amax() <= 1e-9 * b.amax());
        }
    }

    fn sym(n: usize, seed: u64) -> DMatrix<f64> {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let a = DMatrix::from_fn(n, n, |_, _| next());
        (&a + a.transpose()) * 0.5
    }

    #[test]
    fn gemm_matches_nalgebra_in_every_transpose() {
        let a = DMatrix::from_fn(4, 3, |i, j| (i * 3 + j) as f64 - 2.5);
        let b = DMatrix::from_fn(4, 5, |i, j| (i as f64) * 0.5 - (j as f64));
        let got = matmul(&a, Op::T, &b, Op::N).unwrap();
        assert!((got - a.transpose() * &b).norm() < 1e-12);
        let c = DMatrix::from_fn(5, 3, |i, j| (i + 2 * j) as f64);
        let got = matmul(&b, Op::N, &c, Op::N).unwrap();
        assert!((got - &b * &c).norm() < 1e-12);
        let got = matmul(&c, Op::T, &b, Op::T).unwrap();
        assert!((got - c.transpose() * b.transpose()).norm() < 1e-12);
        assert!(matmul(&a, Op::N, &b, Op::N).is_err());
    }

    #[test]
    fn eigen_reconstructs_and_matches_nalgebra() {
        let a = sym(30, 7);
        let e = sym_eigen(&a, EigenRange::All).unwrap();
        assert_eq!(e.values.len(), 30);
        let rec = congruence_diag(&e.vectors, &e.values).unwrap();
        assert!((rec - &a).norm() < 1e-12);
        let mut reference: Vec<f64> = a.clone().symmetric_eigenvalues().iter().copied().collect();
        reference.sort_by(f64::total_cmp);
        for (x, y) in e.values.iter().zip(&reference) {
            assert!((x - y).abs() < 1e-12);
        }
        // positive part only
        let pos = sym_eigen(&a, EigenRange::Values { lo: 0.0, hi: f64::INFINITY }).unwrap();
        assert_eq!(pos.values.len(), reference.iter().filter(|&&v| v > 0.0).count());
        assert!(pos.values.iter().all(|&v| v > 0.0));
    }

    /// From `DIVIDE_AND_CONQUER_FROM` on, the whole spectrum comes from `dsyevd`: on a tightly
    /// clustered spectrum (the case it is chosen for) and on a spread one, it reconstructs the
    /// matrix, its vectors are orthonormal, and its values agree with nalgebra's.
    #[test]
    fn divide_and_conquer_matches_on_clustered_spectra() {
        let n = DIVIDE_AND_CONQUER_FROM + 37;
        let base = DMatrix::from_fn(n, n, |i, j| (((i * 7 + j * 13) % 17) as f64 - 8.0) / 8.0);
        let base = (&base + base.transpose()) * 0.5;
        let q = base.clone().symmetric_eigen().eigenvectors;
        for spread in [1e-9, 1.0] {
            let vals: Vec<f64> = (0..n).map(|i| 1e-6 * (1.0 + spread * ((i * 37) % 101) as f64)).collect();
            let a = congruence_diag(&q, &vals).unwrap();
            let e = sym_eigen(&a, EigenRange::All).unwrap();
            assert!(e.values.windows(2).all(|w| w[0] <= w[1]));
            let scale = a.amax();
            assert!((congruence_diag(&e.vectors, &e.values).unwrap() - &a).amax() < 1e-12 * scale, "spread {spread}");
            assert!((e.vectors.transpose() * &e.vectors - DMatrix::identity(n, n)).amax() < 1e-12);
            let mut reference: Vec<f64> = a.clone().symmetric_eigenvalues().iter().copied().collect();
            reference.sort_by(f64::total_cmp);
            assert!(e.values.iter().zip(&reference).all(|(x, y)| (x - y).abs() < 1e-13 * scale), "spread {spread}");
        }
    }

    #[test]
    fn single_thread_guard_restores_the_count() {
        let before = blas_threads();
        {
            let _g = SingleBlasThread::new();
            let user_chose = std::env::var_os("OPENBLAS_NUM_THREADS").is_some() || std::env::var_os("OMP_NUM_THREADS").is_some();
            if !user_chose {
                assert_eq!(blas_threads(), 1);
            } else {
                assert_eq!(blas_threads(), before);
            }
        }
        assert_eq!(blas_threads(), before);
    }

    #[test]
    fn cholesky_detects_definiteness() {
        let a = sym(20, 3);
        let lmin = min_eigenvalue(&a).unwrap();
        let shifted = &a + DMatrix::identity(20, 20) * (-lmin + 1e-3);
        assert!(cholesky_succeeds(&shifted).unwrap());
        let indefinite = &a + DMatrix::identity(20, 20) * (-lmin - 1e-3);
        assert!(!cholesky_succeeds(&indefinite).unwrap());
        assert!(!cholesky_succeeds(&DMatrix::from_element(2, 2, f64::NAN)).unwrap());
        assert!(cholesky_succeeds(&DMatrix::zeros(3, 2)).is_err());
    }
}
