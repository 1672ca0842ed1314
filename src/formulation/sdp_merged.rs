//! The facially reduced relaxation (`sdp`) compiled on merged data for the conic backends
//! (Clarabel, SCS), with the point, the objective and the certified bound mapped back to the
//! original program.
//!
//! Zero rows and bit-for-bit equal rows of `X` tie rows of `S` together at every feasible point
//! ([`crate::dnn::reduce`]; docs/dnn.md, "Rows that the constraints tie together"), so the program
//! compiled on the raw data has no strictly feasible point and interior-point solvers stop
//! inaccurate. Every feasible `S` is `S = P M P'` with `M` feasible for the program on the merged
//! data `x'_g = sqrt(w_g) x_g`, `y'_g = sqrt(w_g) ybar_g` (one row per group `g` of `w_g` equal
//! nonzero rows, zero rows dropped), and
//!
//! ```text
//!     f(P M P') = f'(M) + K,   K = sum_g 1/2 sum_{j in g} ||y_j - ybar_g||^2 + sum_{x_i = 0} 1/2 ||y_i||^2.
//! ```
//!
//! Hence the relaxation optimum is the merged optimum plus `K`, a solver's merged point `M` gives
//! the original point `S = P M P'` (feasible for the original program whenever `M` is feasible
//! for the merged one), and a certified lower bound on the merged program plus `K` is a certified
//! lower bound on the original relaxation. The bound is computed by
//! [`crate::certify::sdp::certify_solution`] on the merged program; `UB` there is evaluated on the
//! merged data, where a network's objective is its objective on the original data minus `K`
//! (a ReLU network without bias is positively homogeneous and maps zero to zero), so rounded
//! networks of the original data are valid incumbents.
//!
//! When nothing is tied (the usual case) the compiled program is [`sdp::compile`]'s on the raw
//! data and every result is bit for bit what the unmerged route gives. When every row is zero
//! nothing is merged either (the merged program would have no data rows). Only the reduced form
//! is merged: `sdp-full` is the paper's program as stated ([`compile`] builds it unmerged), and the exports (JSON, SDPA, CBF)
//! write the unmerged program.

use super::sdp::{self, CompiledSdp, SdpForm};
use crate::backend::ConicSolution;
use crate::certify::sdp::CertifiedBound;
use crate::data::Dataset;
use crate::dnn::reduce::RowReduction;
use crate::dnn::Congruence;
use crate::error::Result;
use crate::network::Network;
use nalgebra::DMatrix;

/// The reduced-form relaxation of a data set, compiled on merged data when rows are tied.
#[derive(Clone, Debug)]
pub struct MergedSdp {
    /// The conic program actually solved (on the merged data when [`MergedSdp::is_merged`]).
    pub compiled: CompiledSdp,
    /// The zero rows and groups of equal rows of the original `X`.
    pub reduction: RowReduction,
    /// `K = f(P M P') - f'(M)` (0 when not merged).
    pub constant: f64,
    /// True when `compiled` is the merged program.
    merged: bool,
    /// The original data's congruence (`Lambda = T S T'`), for mapping points back.
    t: Congruence,
}

/// Compiles the relaxation of `data` with weight decay `beta` in `form`; the reduced form on
/// merged data when zero or equal rows tie rows of `S` together (module docs), the full form
/// always on the raw data.
pub fn compile(data: &Dataset, beta: f64, form: SdpForm) -> Result<MergedSdp> {
    sdp::check_data(data, beta)?;
    let c = data.c();
    let x = data.x.clone();
    let reduction = RowReduction::of_x(&x, c);
    let t = Congruence::new(x, c);
    if form == SdpForm::Full || reduction.is_trivial() || reduction.groups.is_empty() {
        let compiled = sdp::compile(data, beta, form)?;
        return Ok(MergedSdp { compiled, reduction, constant: 0.0, merged: false, t });
    }
    let (xr, yr, constant) = reduction.reduced_data(t.x(), &data.y);
    let mut merged_data = Dataset::from_arrays(xr, yr, data.target_kind, format!("{} (rows merged)", data.source));
    merged_data.feature_names = data.feature_names.clone();
    let compiled = sdp::compile(&merged_data, beta, SdpForm::Reduced)?;
    Ok(MergedSdp { compiled, reduction, constant, merged: true, t })
}

impl MergedSdp {
    /// True when the program solved is the merged one.
    pub fn is_merged(&self) -> bool {
        self.merged
    }

    /// The report's note when rows were merged (`None` otherwise). When every row is zero the
    /// note says that nothing could be merged.
    pub fn note(&self) -> Option<String> {
        if self.merged {
            self.reduction.note()
        } else if self.compiled.layout.form == SdpForm::Reduced && !self.reduction.is_trivial() {
            Some("every row of X is zero: the program is solved unmerged (no strictly feasible point)".into())
        } else {
            None
        }
    }

    /// The relaxation's objective at a solution: the solver's (merged) primal objective plus `K`.
    /// Not a bound.
    pub fn objective(&self, solution: &ConicSolution) -> f64 {
        if self.merged {
            solution.primal_objective + self.constant
        } else {
            solution.primal_objective
        }
    }

    /// The PSD variable of a solver's primal vector in the original coordinates: `S` (order
    /// `n + d + c`; `S = P M P'` when merged) for the reduced form, `Lambda` for the full form.
    pub fn s_from_x(&self, x: &[f64]) -> Result<DMatrix<f64>> {
        let w = self.compiled.psd_variable(x)?;
        Ok(if self.merged { self.reduction.expand(&w) } else { w })
    }

    /// `Lambda = T S T'` (order `2n + d + c`, blocks A, B, U, V) of the original program at a
    /// solver's solution; PSD up to the solver's accuracy.
    pub fn recover_lambda(&self, solution: &ConicSolution) -> Result<DMatrix<f64>> {
        if !self.merged {
            return self.compiled.recover_lambda(solution);
        }
        self.t.forward(&self.s_from_x(&solution.x)?)
    }

    /// The certified lower bound on the original relaxation from the solver's dual: the bound on
    /// the merged program plus `K` (module docs), lowered by `1e-12 (1 + |value|)` for the sum.
    pub fn certify(&self, solution: &ConicSolution, incumbents: &[Network]) -> CertifiedBound {
        self.certify_with(solution, incumbents, crate::certify::sdp::RefineSettings::default())
    }

    /// [`MergedSdp::certify`] with explicit refinement settings of the dual.
    pub fn certify_with(&self, solution: &ConicSolution, incumbents: &[Network], refine: crate::certify::sdp::RefineSettings) -> CertifiedBound {
        let mut b = crate::certify::sdp::certify_solution_with(&self.compiled, solution, incumbents, refine);
        if self.merged {
            let v = b.value + self.constant;
            b.value = v - 1e-12 * (1.0 + v.abs());
            b.details.lagrangian_value += self.constant;
            b.details.upper_bound_used += self.constant;
            b.details.single_trace_bound_value += self.constant;
            b.details.value_before_refinement += self.constant;
            b.method = format!("{} on the merged program, plus its constant {:e}", b.method, self.constant);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(x: &[f64], y: &[f64], d: usize, c: usize) -> Dataset {
        let n = x.len() / d;
        let xa = DMatrix::from_row_slice(n, d, x);
        let ya = DMatrix::from_row_slice(n, c, y);
        Dataset::from_arrays(xa, ya, crate::data::TargetKind::Numeric, "test")
    }

    #[test]
    fn untied_data_compiles_the_raw_program() {
        let ds = data(&[1.0, 0.5, -1.0, 2.0, 0.3, 0.3], &[1.0, -1.0, 0.5], 2, 1);
        let m = compile(&ds, 0.1, SdpForm::Reduced).unwrap();
        let raw = sdp::compile(&ds, 0.1, SdpForm::Reduced).unwrap();
        assert!(!m.is_merged() && m.note().is_none() && m.constant == 0.0);
        assert_eq!(m.compiled.problem.q, raw.problem.q);
        assert_eq!(m.compiled.problem.b, raw.problem.b);
    }

    #[test]
    fn tied_data_compiles_the_merged_program_with_its_constant() {
        // rows 0 and 2 equal, row 1 zero: two data rows remain.
        let ds = data(&[1.0, 2.0, 0.0, -0.0, 1.0, 2.0, 0.5, -1.0], &[1.0, 3.0, 0.0, 2.0], 2, 1);
        let m = compile(&ds, 0.1, SdpForm::Reduced).unwrap();
        assert!(m.is_merged());
        assert_eq!(m.compiled.layout.n, 2);
        // K = 1/2 (1 - 1/2)^2 * 2 + 1/2 * 3^2
        assert!((m.constant - (0.25 + 4.5)).abs() < 1e-15);
        let note = m.note().unwrap();
        assert!(note.contains("merged 1 zero row and 1 group of equal rows (2 rows)"), "{note}");
        // The full form is never merged.
        let full = compile(&ds, 0.1, SdpForm::Full).unwrap();
        assert!(!full.is_merged() && full.note().is_none() && full.compiled.layout.n == 4);
        // An all-zero X is not merged.
        let z = compile(&data(&[0.0, 0.0, 0.0, 0.0], &[1.0, 2.0], 2, 1), 0.1, SdpForm::Reduced).unwrap();
        assert!(!z.is_merged() && z.note().unwrap().contains("every row"));
    }
}
