//! The normal matrix `M = Hf + W^(-1) (x)s W^(-1) + g' D g`: formed densely on two threads into a
//! buffer kept from one iteration to the next, the equalities eliminated, factored by LAPACK in
//! single or double precision.

use super::constraints::{sv, Constraints, SQRT2};
use super::equalities::Equalities;
use super::preconditioner::{CapacitancePrecision, LowRankPreconditioner};
use crate::error::{Error, Result};
use crate::linalg::{cholesky_in_place, cholesky_in_place_f32, cholesky_solve, cholesky_solve_f32};
use super::scaling::NtScaling;
use nalgebra::DMatrix;

/// Whether pages of a zeroed allocation that are never touched stay unmapped, so that the
/// untouched upper triangle of the normal matrix costs no memory: Linux with transparent huge
/// pages not set to `always` (a 2 MB page spans about 20 columns of the matrix at q = 158 and
/// always holds some of the lower triangle) and overcommit not strict (mode 2 charges the whole
/// allocation). Anywhere else (another system, unreadable settings) the estimate counts the
/// whole matrix.
pub(super) fn untouched_pages_stay_unmapped() -> bool {
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
    let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory");
    match (thp, overcommit) {
        (Ok(t), Ok(o)) => !t.contains("[always]") && o.trim() != "2",
        _ => false,
    }
}

/// The factored normal equations of one iteration.
pub(super) struct Normal {
    /// Cholesky factor of the reduced normal matrix (order `N`, the rows and columns of the
    /// eliminated coordinates replaced by the identity; [`Equalities`]).
    pub(super) factor: Factor,
    /// The columns of `M` (with its regularisation) at the eliminated coordinates, before the
    /// elimination (N x n).
    pub(super) pivot_columns: DMatrix<f64>,
    /// Regularisation added to the diagonal of `M`.
    pub(super) reg: f64,
}

impl Normal {
    /// The factor's buffer, for the next iteration's normal matrix.
    pub(super) fn into_buffer(self) -> NormalBuffer {
        match self.factor {
            Factor::Double(m) => NormalBuffer::Double(m.data.into()),
            Factor::Single(v) => NormalBuffer::Single(v),
            Factor::LowRank(_) => NormalBuffer::None,
        }
    }
}

/// A normal matrix buffer kept from one iteration to the next: allocating and zeroing 1.26 GB
/// took 0.5-0.65 s per iteration at q = 158. Nothing needs zeroing, since [`form_normal`] assigns
/// every entry of the lower triangle and LAPACK reads only that triangle.
pub(super) enum NormalBuffer {
    None,
    Double(Vec<f64>),
    Single(Vec<f32>),
}

/// The precision in which the normal matrix is formed and factored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Precision {
    /// `spotrf`: half the memory traffic and about half the time of `dpotrf` (measured 3.4 s
    /// against 6.5 s at order 12 561 on two cores); refinement in double precision recovers the
    /// accuracy while the matrix is well enough conditioned.
    Single,
    Double,
    /// No normal matrix: GMRES preconditioned by [`LowRankPreconditioner`].
    Preconditioned,
}

/// An entry type of the normal matrix buffer.
///
/// # Safety
/// Implemented only for `f32` and `f64`: [`zeroed_buffer`] relies on all-zero bytes being a
/// valid value (0.0).
pub(super) unsafe trait NormalEntry: Copy + std::ops::AddAssign {
    fn of(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

// SAFETY: all-zero bytes are 0.0.
unsafe impl NormalEntry for f64 {
    #[inline]
    fn of(v: f64) -> Self {
        v
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

// SAFETY: all-zero bytes are 0.0.
unsafe impl NormalEntry for f32 {
    #[inline]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// The Cholesky factor of the normal matrix, in the precision it was computed in.
pub(super) enum Factor {
    Double(DMatrix<f64>),
    Single(Vec<f32>),
    LowRank(LowRankPreconditioner),
}

impl Factor {
    /// Solves `M X = B` in place (single precision: to single-precision accuracy).
    pub(super) fn solve(&self, nsv: usize, b: &mut DMatrix<f64>) -> Result<()> {
        match self {
            Factor::Double(f) => cholesky_solve(f, b),
            Factor::Single(f) => cholesky_solve_f32(f, nsv, b),
            Factor::LowRank(_) => Err(Error::InvalidArgument("the low-rank preconditioner solves the KKT system, not M alone".into())),
        }
    }

    pub(super) fn precision(&self) -> Precision {
        match self {
            Factor::Double(_) => Precision::Double,
            Factor::Single(_) => Precision::Single,
            Factor::LowRank(_) => Precision::Preconditioned,
        }
    }

    /// The precision of the low-rank preconditioner's capacitance factor and the seconds its
    /// factorisation took (`None` for a factored normal matrix).
    pub(super) fn capacitance(&self) -> Option<(CapacitancePrecision, f64)> {
        match self {
            Factor::LowRank(pc) => Some((pc.precision(), pc.factor_seconds())),
            _ => None,
        }
    }
}

/// Writes the lower triangle of the normal matrix `M = Hf + W^(-1) (x)s W^(-1) + g' D g` into
/// the column-major buffer `buf` (order `nsv`; its old contents are irrelevant: the Kronecker
/// part assigns every entry of the lower triangle before `Hf` and `g' D g` are added to some,
/// and the upper triangle is never touched), on two threads: each writes one range of columns (column `b` of the lower triangle holds `nsv - b` entries, so the split at
/// `nsv (1 - 1/sqrt 2)` halves the work).
pub(super) fn form_normal<T: NormalEntry + Send>(cons: &Constraints, w_inv: &DMatrix<f64>, dvec: &[f64], nsv: usize, buf: &mut [T]) {
    let split = ((nsv as f64 * (1.0 - std::f64::consts::FRAC_1_SQRT_2)) as usize).min(nsv);
    let (left, right) = buf.split_at_mut(split * nsv);
    std::thread::scope(|scope| {
        scope.spawn(|| form_columns(cons, w_inv, dvec, nsv, 0..split, left));
        form_columns(cons, w_inv, dvec, nsv, split..nsv, right);
    });
}

/// The columns `cols` of [`form_normal`]'s matrix, into `buf` (which holds exactly those columns).
pub(super) fn form_columns<T: NormalEntry>(cons: &Constraints, w_inv: &DMatrix<f64>, dvec: &[f64], nsv: usize, cols: std::ops::Range<usize>, buf: &mut [T]) {
    let off = cols.start;
    let problem = cons.problem;
    let (n, d, q) = (problem.t.n(), problem.t.d(), problem.t.q());
    let mut acc = vec![0.0; nsv];
    let mut touched = Vec::new();
    let mut row = Vec::new();
    // Kronecker part, lower triangle: entry (a, b), a = (i, j) >= b = (k, l).
    for l in 0..q {
        for k in 0..=l {
            let b = sv(k, l);
            if !cols.contains(&b) {
                continue;
            }
            let sb = if k == l { 1.0 / SQRT2 } else { 1.0 };
            let col = &mut buf[(b - off) * nsv..(b - off + 1) * nsv];
            for j in l..q {
                let i0 = if j == l { k } else { 0 };
                let pjl = w_inv[(j, l)];
                let pjk = w_inv[(j, k)];
                for i in i0..=j {
                    let sa = if i == j { 1.0 / SQRT2 } else { 1.0 };
                    col[sv(i, j)] = T::of(2.0 * sa * sb * 0.5 * (w_inv[(i, k)] * pjl + w_inv[(i, l)] * pjk));
                }
            }
        }
    }
    // Hf: 1/2 on the av coordinates.
    for k in 0..problem.t.c() {
        for i in 0..n {
            let a = sv(i, n + d + k);
            if cols.contains(&a) {
                buf[(a - off) * nsv + a] += T::of(0.5);
            }
        }
    }
    // g' D g.
    for (e, &w) in cons.ineq.iter().zip(dvec) {
        cons.row(*e, &mut acc, &mut touched, &mut row);
        for (bi, &(b, vb)) in row.iter().enumerate() {
            if !cols.contains(&b) {
                continue;
            }
            let col = &mut buf[(b - off) * nsv..(b - off + 1) * nsv];
            let f = w * vb;
            for &(a, va) in &row[bi..] {
                col[a] += T::of(f * va);
            }
        }
    }
}

/// A zeroed buffer of `len` floats, or `Err(TooLarge)` when it cannot be allocated (instead of the
/// abort of `vec!`). Allocated zeroed, so its pages are mapped only when first touched: the upper
/// triangle of the normal matrix never is.
pub(super) fn zeroed_buffer<T: NormalEntry>(len: usize) -> Result<Vec<T>> {
    let too_large = || Error::TooLarge(format!("cannot allocate the interior-point method's normal matrix ({len} entries of {} bytes)", std::mem::size_of::<T>()));
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| too_large())?;
    // SAFETY: `layout` has a non-zero size; `T` is f32 or f64, for which all-zero bytes are the
    // value 0.0, so the zeroed allocation holds `len` initialised values; the pointer comes from
    // the global allocator with exactly this layout, as `Vec::from_raw_parts` requires.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            return Err(too_large());
        }
        Ok(Vec::from_raw_parts(ptr, len, len))
    }
}

/// Forms the normal matrix `M` in `buffer` (allocated when it holds none of the right
/// precision), eliminates the equalities ([`Equalities`]) and factors it.
/// `Ok(None)` when `M` is not positive definite even after regularisation (in single precision:
/// when `spotrf` fails; the caller then moves to double precision). With
/// [`Precision::Preconditioned`] it builds the low-rank preconditioner instead, with `low_rank`
/// its number of terms and the precision of its capacitance factor.
pub(super) fn factor_normal(cons: &Constraints, eq: &Equalities, nt: &NtScaling, dvec: &[f64], nsv: usize, precision: Precision, low_rank: (usize, CapacitancePrecision, Option<(f64, usize)>), buffer: &mut NormalBuffer) -> Result<Option<Normal>> {
    let w_inv = &nt.w_inv;
    if precision == Precision::Preconditioned {
        let mut w = &nt.g * nt.g.transpose();
        crate::linalg::symmetrize(&mut w);
        return Ok(LowRankPreconditioner::new(cons, w, dvec, low_rank.0, low_rank.1, low_rank.2)?.map(|pc| Normal { factor: Factor::LowRank(pc), pivot_columns: DMatrix::zeros(0, 0), reg: 0.0 }));
    }
    let len = nsv.checked_mul(nsv).ok_or_else(|| Error::TooLarge(format!("a normal matrix of order {nsv}")))?;
    let attempts = if precision == Precision::Single { 1 } else { 4 };
    for attempt in 0..attempts {
        // Regularisation relative to each diagonal entry (the entries span many orders of
        // magnitude near the end); refinement against the unregularised M removes its effect.
        let reg = if attempt == 0 { 0.0 } else { 1e-14 * 100f64.powi(attempt - 1) };
        let (factor, pivot_columns) = match precision {
            Precision::Double => {
                let mut mm = match std::mem::replace(buffer, NormalBuffer::None) {
                    NormalBuffer::Double(v) if v.len() == len => v,
                    _ => zeroed_buffer::<f64>(len)?,
                };
                form_normal(cons, w_inv, dvec, nsv, &mut mm);
                for a in 0..nsv {
                    mm[a * nsv + a] *= 1.0 + reg;
                }
                let cols = eq.eliminate(&mut mm, nsv);
                let mut mm = DMatrix::from_vec(nsv, nsv, mm);
                if !cholesky_in_place(&mut mm)? {
                    *buffer = NormalBuffer::Double(mm.data.into());
                    continue;
                }
                (Factor::Double(mm), cols)
            }
            Precision::Preconditioned => unreachable!("handled above"),
            Precision::Single => {
                let mut mm = match std::mem::replace(buffer, NormalBuffer::None) {
                    NormalBuffer::Single(v) if v.len() == len => v,
                    _ => zeroed_buffer::<f32>(len)?,
                };
                form_normal(cons, w_inv, dvec, nsv, &mut mm);
                let cols = eq.eliminate(&mut mm, nsv);
                if !cholesky_in_place_f32(&mut mm, nsv)? {
                    *buffer = NormalBuffer::Single(mm);
                    continue;
                }
                (Factor::Single(mm), cols)
            }
        };
        return Ok(Some(Normal { factor, pivot_columns, reg }));
    }
    Ok(None)
}
