//! The doubly nonnegative (SDP) relaxation of the completely positive program (docs/background.md, section 2),
//! compiled to the conic standard form, in two equivalent forms.
//!
//! Notation: data `X` (n x d), targets `Y` (n x c), weight decay `beta > 0`. The lifted matrix
//! `Lambda` has order `p = 2n + d + c` with blocks **A (n), B (n), U (d), V (c)** (as in
//! [`crate::lift`]). Both forms minimise
//!
//! ```text
//!     1/2 ||Lambda_AV - Y||_F^2 + beta/2 (tr Lambda_UU + tr Lambda_VV)
//! ```
//!
//! with auxiliary variables `r = vec(Lambda_AV - Y)` (row-major: `r[i*c + k]`) carrying the
//! quadratic (`P = I` on `r`, zero elsewhere).
//!
//! # `sdp-full` ([`SdpForm::Full`]): the relaxation exactly as the paper states it
//!
//! Variables `x = [svec(Lambda) ; r]` (toolkit packing: upper triangle, column-major,
//! off-diagonals times sqrt 2).
//!
//! ```text
//!     zero cone   Lambda_AV - r = Y                       (n c rows, row-major over (i, k))
//!                 (M Lambda M')_ij = 0,  i <= j           (n(n+1)/2 rows), M = [-I_n, I_n, X, 0]
//!                 Lambda_{A_i B_i} = 0                    (n rows, complementarity)
//!     nonneg      Lambda_kl >= 0 for k <= l in the (A,B) 2n x 2n block   (n(2n+1) rows)
//!     PSD         Lambda (order p), s = svec(Lambda) via A = -I
//! ```
//!
//! It has no strictly feasible point (`M Lambda M' = 0` with `Lambda` PSD forces
//! `Lambda M' = 0`, so `Lambda` is singular): interior-point methods may fail on it.
//!
//! # `sdp` ([`SdpForm::Reduced`], the default): facial reduction
//!
//! `Lambda` PSD with `M Lambda M' = 0` is the same as `Lambda = T S T'` with `S` PSD of order
//! `q = n + d + c`, indexed by `(a, u, v)`, and
//!
//! ```text
//!     T = [[I, 0, 0], [I, -X, 0], [0, I_d, 0], [0, 0, I_c]]     (rows A, B, U, V)
//! ```
//!
//! (the range of `Lambda` must lie in the null space of `M`, which `T` spans). Hence
//! `Lambda_AA = S_aa`, `Lambda_AB = S_aa - S_au X'`, `Lambda_BB = S_aa - S_au X' - X S_ua + X S_uu X'`,
//! `Lambda_AV = S_av`, `Lambda_UU = S_uu`, `Lambda_VV = S_vv`. Variables `x = [svec(S) ; r]`:
//!
//! ```text
//!     zero cone   S_av - r = Y                            (n c rows)
//!                 diag(S_aa - S_au X') = 0                (n rows, complementarity)
//!     nonneg      (S_aa)_ij >= 0,            i < j        (n(n-1)/2 rows)
//!                 (S_aa - S_au X')_ij >= 0,  i != j       (n(n-1) rows)
//!                 (Lambda_BB)_ij >= 0,       i < j        (n(n-1)/2 rows)
//!     PSD         S (order q)
//! ```
//!
//! Redundant rows are dropped: the diagonals of `Lambda_AA` and `Lambda_BB` are diagonal entries
//! of the PSD matrix `T S T'` (so nonnegative already), and the diagonal of `Lambda_AB` is fixed
//! to zero by the complementarity rows. The feasible set and optimum are those of `sdp-full`
//! (docs/background.md, section 7: dropping rows does not cure the degeneracy of the relaxation, it only makes
//! the program smaller).
//!
//! Both forms are built by one routine: `Lambda = T W T'` with `W` the PSD variable and `T` the
//! identity (full) or the matrix above (reduced); every constraint on an entry of `Lambda` is
//! expanded into entries of `W`.
//!
//! The lower bound from a (possibly inaccurate) solve is not the solver's number: see
//! [`crate::certify::sdp`].

use crate::conic::{csc, svec, svec_index, svec_len, Cone, ConicProblem, CscBuilder, Triangle};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::lift::LiftBlocks;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::f64::consts::FRAC_1_SQRT_2;

/// Which of the two equivalent forms to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SdpForm {
    /// `sdp`: facially reduced, `S` PSD of order `n + d + c` (default; better conditioned).
    #[default]
    Reduced,
    /// `sdp-full`: the paper's form, `Lambda` PSD of order `2n + d + c`.
    Full,
}

impl SdpForm {
    /// The formulation's name as used on the command line and in reports (`sdp`, `sdp-full`).
    pub fn name(self) -> &'static str {
        match self {
            SdpForm::Reduced => "sdp",
            SdpForm::Full => "sdp-full",
        }
    }
}

impl std::fmt::Display for SdpForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A named contiguous block of the variable vector `x` or of the constraint rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Short name (`svec(S)`, `r`, `av-residual`, ...).
    pub name: String,
    /// First index.
    pub offset: usize,
    /// Number of entries.
    pub len: usize,
}

impl Block {
    fn new(name: &str, offset: usize, len: usize) -> Self {
        Self { name: name.to_string(), offset, len }
    }
    /// `offset..offset + len`.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// Where everything sits in the compiled problem: the variable blocks of `x`, the row blocks
/// of `A`, and the map `T` from the PSD variable `W` to `Lambda = T W T'`.
#[derive(Clone, Debug, Serialize)]
pub struct SdpLayout {
    /// Which form.
    pub form: SdpForm,
    /// Sizes `n, d, c` (the block structure of `Lambda`).
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Outputs.
    pub c: usize,
    /// Order of the PSD variable `W` (`q = n + d + c` reduced, `p = 2n + d + c` full).
    pub psd_order: usize,
    /// Variable blocks, in order: `svec(W)`, then `r` (`n c`, row-major `r[i*c + k]`).
    pub variables: Vec<Block>,
    /// Row blocks, in order (zero-cone blocks, nonnegative blocks, the PSD block).
    pub rows: Vec<Block>,
}

impl SdpLayout {
    /// The `Lambda` block offsets.
    pub fn lift_blocks(&self) -> LiftBlocks {
        LiftBlocks { n: self.n, d: self.d, c: self.c }
    }
    /// Length of `svec(W)`: the first variable block.
    pub fn svec_len(&self) -> usize {
        svec_len(self.psd_order)
    }
    /// The variable or row block called `name`.
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.variables.iter().chain(&self.rows).find(|b| b.name == name)
    }
}

/// A compiled relaxation: the conic problem, its layout, and the data needed to map solutions
/// back to `Lambda`.
#[derive(Clone, Debug)]
pub struct CompiledSdp {
    /// The conic program.
    pub problem: ConicProblem,
    /// Variable and row blocks.
    pub layout: SdpLayout,
    /// Weight decay used.
    pub beta: f64,
    /// `T` (p x psd_order), sparse rows: `t_rows[k]` lists `(column, value)`.
    t_rows: Vec<Vec<(usize, f64)>>,
    /// The data `X` (n x d), kept for [`CompiledSdp::point_from_lambda`].
    x: DMatrix<f64>,
    /// Targets `Y` (n x c).
    y: DMatrix<f64>,
}

/// Rejects data the relaxation cannot be built from: an empty dimension, `X` and `Y` of
/// different lengths, a non-positive `beta`, a non-finite entry. Shared by every solver route.
pub fn check_data(data: &Dataset, beta: f64) -> Result<()> {
    let (n, d, c) = (data.n(), data.d(), data.c());
    if n == 0 || d == 0 || c == 0 {
        return Err(Error::InvalidArgument(format!("the SDP relaxation needs n, d, c >= 1 (found n = {n}, d = {d}, c = {c})")));
    }
    if data.y.nrows() != n {
        return Err(Error::InvalidArgument(format!("X has {n} rows but Y has {}", data.y.nrows())));
    }
    if !(beta.is_finite() && beta > 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a positive number, found {beta}")));
    }
    if let Some(v) = data.x.iter().chain(data.y.iter()).find(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument(format!("data contains a non-finite value ({v})")));
    }
    Ok(())
}

/// Compiles the relaxation of `data` with weight decay `beta` in the requested form.
pub fn compile(data: &Dataset, beta: f64, form: SdpForm) -> Result<CompiledSdp> {
    check_data(data, beta)?;
    let (n, d, c) = (data.n(), data.d(), data.c());
    let blocks = LiftBlocks { n, d, c };
    let p = blocks.order();
    let x = data.x.clone();
    let y = data.y.clone();

    // T: rows of Lambda in terms of the PSD variable W.
    let (k, t_rows): (usize, Vec<Vec<(usize, f64)>>) = match form {
        SdpForm::Full => (p, (0..p).map(|i| vec![(i, 1.0)]).collect()),
        SdpForm::Reduced => {
            let q = n + d + c;
            let mut rows = Vec::with_capacity(p);
            for i in 0..n {
                rows.push(vec![(i, 1.0)]);
            }
            for i in 0..n {
                let mut r = vec![(i, 1.0)];
                for l in 0..d {
                    if x[(i, l)] != 0.0 {
                        r.push((n + l, -x[(i, l)]));
                    }
                }
                rows.push(r);
            }
            for l in 0..d + c {
                rows.push(vec![(n + l, 1.0)]);
            }
            (q, rows)
        }
    };
    let nw = svec_len(k);
    let nr = n * c;
    let nvars = nw + nr;

    // Rows are collected as sparse functionals on x plus right-hand sides.
    let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut rhs: Vec<f64> = Vec::new();
    let mut row_blocks = Vec::new();
    // Adds `coef * W_ab` (symmetric entry) to a functional on x = svec(W).
    fn push_w(f: &mut Vec<(usize, f64)>, a: usize, b: usize, k: usize, coef: f64) {
        let scale = if a == b { 1.0 } else { FRAC_1_SQRT_2 };
        f.push((svec_index(a, b, k, Triangle::Upper), coef * scale));
    }
    // coef * Lambda_kl = coef * sum_ab T_ka T_lb W_ab
    let lambda_entry = |f: &mut Vec<(usize, f64)>, kk: usize, ll: usize, coef: f64| {
        for &(a, ta) in &t_rows[kk] {
            for &(b, tb) in &t_rows[ll] {
                push_w(f, a, b, k, coef * ta * tb);
            }
        }
    };

    // zero: Lambda_AV - r = Y
    let start = rows.len();
    for i in 0..n {
        for kk in 0..c {
            let mut f = Vec::new();
            lambda_entry(&mut f, blocks.a() + i, blocks.v() + kk, 1.0);
            f.push((nw + i * c + kk, -1.0));
            rows.push(f);
            rhs.push(y[(i, kk)]);
        }
    }
    row_blocks.push(Block::new("av-residual", start, rows.len() - start));

    // zero (full only): M Lambda M' = 0, upper triangle. Row i of M: -e_{A_i} + e_{B_i} + sum_l X_il e_{U_l}.
    if form == SdpForm::Full {
        let m_rows: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|i| {
                let mut r = vec![(blocks.a() + i, -1.0), (blocks.b() + i, 1.0)];
                for l in 0..d {
                    if x[(i, l)] != 0.0 {
                        r.push((blocks.u() + l, x[(i, l)]));
                    }
                }
                r
            })
            .collect();
        let start = rows.len();
        for j in 0..n {
            for i in 0..=j {
                let mut f = Vec::new();
                for &(kk, mk) in &m_rows[i] {
                    for &(ll, ml) in &m_rows[j] {
                        lambda_entry(&mut f, kk, ll, mk * ml);
                    }
                }
                rows.push(f);
                rhs.push(0.0);
            }
        }
        row_blocks.push(Block::new("m-lambda-m", start, rows.len() - start));
    }

    // zero: diag(Lambda_AB) = 0
    let start = rows.len();
    for i in 0..n {
        let mut f = Vec::new();
        lambda_entry(&mut f, blocks.a() + i, blocks.b() + i, 1.0);
        rows.push(f);
        rhs.push(0.0);
    }
    row_blocks.push(Block::new("complementarity", start, rows.len() - start));
    let n_zero = rows.len();

    // nonnegative: -Lambda_kl + s = 0, s >= 0.
    let nonneg = |name: &str, entries: Vec<(usize, usize)>, rows: &mut Vec<Vec<(usize, f64)>>, rhs: &mut Vec<f64>, row_blocks: &mut Vec<Block>| {
        let start = rows.len();
        for (kk, ll) in entries {
            let mut f = Vec::new();
            lambda_entry(&mut f, kk, ll, -1.0);
            rows.push(f);
            rhs.push(0.0);
        }
        row_blocks.push(Block::new(name, start, rows.len() - start));
    };
    match form {
        SdpForm::Full => {
            // the whole (A, B) block, upper triangle with diagonal
            let entries = (0..2 * n).flat_map(|l| (0..=l).map(move |kk| (kk, l))).collect();
            nonneg("ab-nonneg", entries, &mut rows, &mut rhs, &mut row_blocks);
        }
        SdpForm::Reduced => {
            let (a0, b0) = (blocks.a(), blocks.b());
            let aa = (0..n).flat_map(|j| (0..j).map(move |i| (a0 + i, a0 + j))).collect();
            nonneg("aa-nonneg", aa, &mut rows, &mut rhs, &mut row_blocks);
            let ab = (0..n).flat_map(|j| (0..n).filter(move |&i| i != j).map(move |i| (a0 + i, b0 + j))).collect();
            nonneg("ab-nonneg", ab, &mut rows, &mut rhs, &mut row_blocks);
            let bb = (0..n).flat_map(|j| (0..j).map(move |i| (b0 + i, b0 + j))).collect();
            nonneg("bb-nonneg", bb, &mut rows, &mut rhs, &mut row_blocks);
        }
    }
    let n_nonneg = rows.len() - n_zero;

    // PSD: -svec(W) + s = 0
    let psd_start = rows.len();
    for t in 0..nw {
        rows.push(vec![(t, -1.0)]);
        rhs.push(0.0);
    }
    row_blocks.push(Block::new("psd", psd_start, nw));

    let m = rows.len();
    let mut a = CscBuilder::new(m, nvars);
    for (r, f) in rows.iter().enumerate() {
        for &(col, v) in f {
            a.push(r, col, v);
        }
    }
    // objective: beta/2 (tr Lambda_UU + tr Lambda_VV) + 1/2 ||r||^2
    let mut qf = Vec::new();
    for l in 0..d + c {
        lambda_entry(&mut qf, blocks.u() + l, blocks.u() + l, 0.5 * beta);
    }
    let mut qv = vec![0.0; nvars];
    for (col, v) in qf {
        qv[col] += v;
    }
    let mut pb = CscBuilder::new(nvars, nvars);
    for t in nw..nvars {
        pb.push(t, t, 1.0);
    }
    let mut cones = vec![Cone::Zero(n_zero)];
    if n_nonneg > 0 {
        cones.push(Cone::Nonnegative(n_nonneg));
    }
    cones.push(Cone::Psd(k));
    let problem = ConicProblem { p: pb.build(), q: qv, a: a.build(), b: rhs, cones };
    problem.validate()?;
    let svec_name = match form {
        SdpForm::Full => "svec(Lambda)",
        SdpForm::Reduced => "svec(S)",
    };
    let layout = SdpLayout {
        form,
        n,
        d,
        c,
        psd_order: k,
        variables: vec![Block::new(svec_name, 0, nw), Block::new("r", nw, nr)],
        rows: row_blocks,
    };
    Ok(CompiledSdp { problem, layout, beta, t_rows, x, y })
}

impl CompiledSdp {
    /// The matrix `T` (order `p x psd_order`) with `Lambda = T W T'`.
    pub fn t_matrix(&self) -> DMatrix<f64> {
        let mut t = DMatrix::zeros(self.t_rows.len(), self.layout.psd_order);
        for (kk, r) in self.t_rows.iter().enumerate() {
            for &(a, v) in r {
                t[(kk, a)] = v;
            }
        }
        t
    }

    /// The PSD variable `W` (`S` for the reduced form, `Lambda` for the full form) read from
    /// a primal vector `x`.
    pub fn psd_variable(&self, x: &[f64]) -> Result<DMatrix<f64>> {
        let nw = self.layout.svec_len();
        if x.len() != self.problem.num_vars() {
            return Err(Error::InvalidArgument(format!("solution has {} variables, the problem {}", x.len(), self.problem.num_vars())));
        }
        Ok(crate::conic::smat(&x[..nw], Triangle::Upper).expect("triangular length"))
    }

    /// `Lambda = T W T'` (order `2n + d + c`, blocks A, B, U, V) from a primal vector `x`.
    pub fn lambda_from_x(&self, x: &[f64]) -> Result<DMatrix<f64>> {
        let w = self.psd_variable(x)?;
        Ok(match self.layout.form {
            SdpForm::Full => w,
            SdpForm::Reduced => {
                let t = self.t_matrix();
                &t * w * t.transpose()
            }
        })
    }

    /// `Lambda` of a solver's solution (see [`CompiledSdp::lambda_from_x`]). The matrix is
    /// whatever the solver returned, mapped through `T`: PSD up to the solver's accuracy.
    pub fn recover_lambda(&self, solution: &crate::backend::ConicSolution) -> Result<DMatrix<f64>> {
        self.lambda_from_x(&solution.x)
    }

    /// The primal vector `x = [svec(W); r]` that represents `lambda` (for the reduced form
    /// `W = S` is `lambda` restricted to the rows and columns A, U, V, which is exact when
    /// `lambda` lies on the face, e.g. the lift of a network).
    pub fn point_from_lambda(&self, lambda: &DMatrix<f64>) -> Result<Vec<f64>> {
        let blocks = self.layout.lift_blocks();
        let p = blocks.order();
        if lambda.nrows() != p || lambda.ncols() != p {
            return Err(Error::InvalidArgument(format!("Lambda must be {p} x {p}, found {} x {}", lambda.nrows(), lambda.ncols())));
        }
        let w = match self.layout.form {
            SdpForm::Full => lambda.clone(),
            SdpForm::Reduced => {
                let idx: Vec<usize> = (0..blocks.n).chain(blocks.u()..p).collect();
                DMatrix::from_fn(idx.len(), idx.len(), |i, j| lambda[(idx[i], idx[j])])
            }
        };
        let mut x = svec(&w, Triangle::Upper);
        for i in 0..blocks.n {
            for k in 0..blocks.c {
                x.push(lambda[(blocks.a() + i, blocks.v() + k)] - self.y[(i, k)]);
            }
        }
        Ok(x)
    }

    /// The slack `s = b - A x` of a primal vector (in `K` iff `x` is feasible).
    pub fn slack(&self, x: &[f64]) -> Vec<f64> {
        let ax = csc::mul(&self.problem.a, x);
        self.problem.b.iter().zip(ax).map(|(b, a)| b - a).collect()
    }

    /// The data matrix `X` (n x d).
    pub fn data_x(&self) -> &DMatrix<f64> {
        &self.x
    }

    /// The targets `Y` (n x c).
    pub fn data_y(&self) -> &DMatrix<f64> {
        &self.y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{self, BackendKind, SolveSettings, Status};
    use crate::conic::check::cone_violation;
    use crate::data::TargetKind;
    use crate::lift::lift;
    use crate::network::Network;
    use crate::certify::sdp::certify_solution;
    use crate::pipeline::solve_relaxation;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    /// r x c standard Gaussian draws, drawn row by row.
    fn gaussian(rng: &mut ChaCha8Rng, r: usize, c: usize) -> DMatrix<f64> {
        DMatrix::from_row_iterator(r, c, (0..r * c).map(|_| StandardNormal.sample(rng)))
    }

    /// Random data; with `bias` the last column of X is ones.
    fn random_data(rng: &mut ChaCha8Rng, n: usize, d: usize, c: usize, bias: bool) -> Dataset {
        let mut x = gaussian(rng, n, d);
        if bias {
            x.column_mut(d - 1).fill(1.0);
        }
        Dataset::from_arrays(x, gaussian(rng, n, c), TargetKind::Numeric, "random")
    }

    fn random_network(rng: &mut ChaCha8Rng, d: usize, c: usize, m: usize, scale: f64) -> Network {
        Network { u: gaussian(rng, d, m) * scale, v: gaussian(rng, c, m) * scale }
    }

    /// Largest cone violation of `s` over the problem's cones.
    fn slack_violation(p: &ConicProblem, s: &[f64]) -> f64 {
        p.cones.iter().zip(p.cone_ranges()).map(|(k, (lo, hi))| cone_violation(k, &s[lo..hi], false)).fold(0.0, f64::max)
    }

    #[test]
    fn sizes_match_the_spec() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let data = random_data(&mut rng, 6, 3, 2, true);
        let (n, d, c) = (6, 3, 2);
        let full = compile(&data, 0.1, SdpForm::Full).unwrap();
        let p = 2 * n + d + c;
        assert_eq!(full.problem.num_vars(), p * (p + 1) / 2 + n * c);
        assert_eq!(full.problem.cones, vec![Cone::Zero(n * c + n * (n + 3) / 2), Cone::Nonnegative(n * (2 * n + 1)), Cone::Psd(p)]);
        let red = compile(&data, 0.1, SdpForm::Reduced).unwrap();
        let q = n + d + c;
        assert_eq!(red.problem.num_vars(), q * (q + 1) / 2 + n * c);
        assert_eq!(red.problem.cones, vec![Cone::Zero(n * c + n), Cone::Nonnegative(2 * n * (n - 1)), Cone::Psd(q)]);
        assert_eq!(red.layout.block("r").unwrap().range(), q * (q + 1) / 2..q * (q + 1) / 2 + n * c);
        assert_eq!(SdpForm::default().name(), "sdp");
    }

    #[test]
    fn invalid_input_is_rejected() {
        let data = crate::data::synth::reference_1d();
        for beta in [0.0, -1.0, f64::NAN] {
            assert!(matches!(compile(&data, beta, SdpForm::Reduced), Err(Error::InvalidArgument(_))));
        }
        let empty = Dataset::from_arrays(DMatrix::zeros(0, 2), DMatrix::zeros(0, 1), TargetKind::Numeric, "empty");
        assert!(compile(&empty, 0.1, SdpForm::Full).is_err());
    }

    /// The lift of any network is feasible for both forms, with the network's objective, and
    /// the map back gives the lift again.
    #[test]
    fn lift_of_random_networks_is_feasible_with_equal_objective() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for trial in 0..24 {
            let n = rng.random_range(2..8);
            let d = rng.random_range(1..4);
            let c = rng.random_range(1..4);
            let m = rng.random_range(1..5);
            let bias = trial % 2 == 0 && d >= 2;
            let data = random_data(&mut rng, n, d, c, bias);
            let beta = rng.random_range(0.01..1.0);
            let net = random_network(&mut rng, d, c, m, 1.0);
            let lambda = lift(&net, data.x.as_view());
            let want = net.objective(&data, beta);
            for form in [SdpForm::Reduced, SdpForm::Full] {
                let comp = compile(&data, beta, form).unwrap();
                let x = comp.point_from_lambda(&lambda).unwrap();
                let s = comp.slack(&x);
                let scale = 1.0 + lambda.abs().max() * (1.0 + data.x.iter().fold(0.0f64, |a, v| a.max(v.abs()))).powi(2);
                let viol = slack_violation(&comp.problem, &s);
                assert!(viol <= 1e-10 * scale, "trial {trial} {form}: cone violation {viol}");
                let obj = comp.problem.objective(&x);
                assert!((obj - want).abs() <= 1e-10 * (1.0 + want), "trial {trial} {form}: {obj} vs {want}");
                let back = comp.lambda_from_x(&x).unwrap();
                assert!((back - &lambda).abs().max() <= 1e-10 * scale, "trial {trial} {form}: map back");
            }
        }
    }

    /// A point off the face (B not equal to A - X U) violates the full form's M-rows.
    #[test]
    fn full_form_detects_violated_relu_identity() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let data = random_data(&mut rng, 4, 2, 1, false);
        let comp = compile(&data, 0.1, SdpForm::Full).unwrap();
        let p = 2 * 4 + 2 + 1;
        let lambda = DMatrix::<f64>::identity(p, p);
        let x = comp.point_from_lambda(&lambda).unwrap();
        let s = comp.slack(&x);
        assert!(slack_violation(&comp.problem, &s) > 0.5);
    }

    fn try_solve(comp: &CompiledSdp, kind: BackendKind, settings: &SolveSettings) -> Option<crate::backend::ConicSolution> {
        match backend::solve(&comp.problem, kind, settings) {
            Ok(sol) => Some(sol),
            Err(e) => panic!("{kind}: {e}"),
        }
    }

    /// Relaxation optimum (reduced form, Clarabel) <= objective of every random network, and the
    /// certified bound is <= the optimum.
    #[test]
    fn relaxation_is_below_random_networks_and_bound_is_below_relaxation() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        for (n, d, c, bias) in [(7, 2, 1, true), (6, 3, 2, false), (8, 2, 3, true)] {
            let data = random_data(&mut rng, n, d, c, bias);
            let beta = 0.2;
            let comp = compile(&data, beta, SdpForm::Reduced).unwrap();
            let sol = backend::solve(&comp.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
            assert!(sol.status.has_solution(), "{:?}", sol.status);
            let chk = crate::conic::check_solution(&comp.problem, &sol.x, &sol.s, &sol.z);
            assert!(chk.primal_residual < 1e-6 && chk.slack_cone_violation < 1e-6, "{chk:?}");
            let opt = sol.primal_objective;
            let lambda = comp.recover_lambda(&sol).unwrap();
            assert!((crate::lift::lifted_objective(&lambda, comp.layout.lift_blocks(), data.y.as_view(), beta) - opt).abs() < 1e-6 * (1.0 + opt));
            let mut best = f64::INFINITY;
            for _ in 0..60 {
                let m = rng.random_range(1..6);
                let scale = rng.random_range(0.05..1.5);
                let net = random_network(&mut rng, d, c, m, scale);
                let obj = net.objective(&data, beta);
                best = best.min(obj);
                assert!(opt <= obj + 1e-6 * (1.0 + obj), "relaxation {opt} above network objective {obj}");
            }
            let bound = certify_solution(&comp, &sol, &[]);
            assert!(bound.certified, "{bound}");
            assert!(bound.value <= opt + 1e-7 * (1.0 + opt), "{bound} vs optimum {opt}");
            assert!(bound.value >= opt - 1e-4 * (1.0 + opt), "bound too loose: {bound} vs optimum {opt}: {:?}", bound.details);
            assert!(bound.value <= best);
        }
    }

    /// docs/background.md, section 6: the relaxation lies below the exact optimum 0.71707776 of the 1-D set.
    #[test]
    fn reference_1d_relaxation_is_below_p_star() {
        let data = crate::data::synth::reference_1d();
        let relax = solve_relaxation(&data, 0.1, SdpForm::Reduced, BackendKind::Clarabel, &SolveSettings::default(), &[]).unwrap();
        let (sol, bound) = (&relax.solution, &relax.bound);
        assert!(sol.status.has_solution());
        assert_eq!(relax.lambda.nrows(), 2 * 8 + 2 + 1);
        assert!(bound.certified);
        assert!(bound.value <= sol.primal_objective + 1e-7);
        assert!(sol.primal_objective <= 0.71707776 + 1e-6, "{}", sol.primal_objective);
        assert!(bound.value > 0.3, "{bound}");
    }

    /// A solve stopped after a few iterations still gives a valid (if loose) bound, for both forms.
    #[test]
    fn early_stopped_dual_still_gives_a_valid_bound() {
        let mut rng = ChaCha8Rng::seed_from_u64(33);
        let data = random_data(&mut rng, 7, 2, 2, true);
        let beta = 0.1;
        let red = compile(&data, beta, SdpForm::Reduced).unwrap();
        let full_solve = backend::solve(&red.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
        assert!(full_solve.status.has_solution());
        let opt = full_solve.primal_objective;
        let full = compile(&data, beta, SdpForm::Full).unwrap();
        for iters in [1, 3, 6, 10] {
            let settings = SolveSettings { max_iterations: Some(iters), ..Default::default() };
            for comp in [&red, &full] {
                let sol = backend::solve(&comp.problem, BackendKind::Clarabel, &settings).unwrap();
                let bound = certify_solution(comp, &sol, &[]);
                assert!(bound.certified, "{bound}");
                assert!(bound.value <= opt + 1e-7 * (1.0 + opt), "{} after {iters}: {bound} above optimum {opt}", comp.layout.form);
            }
        }
    }

    /// Whatever Clarabel does on the full form (it may fail: no Slater point), the certified
    /// bound from its dual is below the reduced optimum, and when it reports success the two agree.
    #[test]
    fn full_form_with_clarabel_is_consistent_with_reduced() {
        let mut rng = ChaCha8Rng::seed_from_u64(44);
        let data = random_data(&mut rng, 6, 2, 2, true);
        let beta = 0.3;
        let red = compile(&data, beta, SdpForm::Reduced).unwrap();
        let full = compile(&data, beta, SdpForm::Full).unwrap();
        let r = backend::solve(&red.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
        let f = backend::solve(&full.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
        let opt = r.primal_objective;
        let bound = certify_solution(&full, &f, &[]);
        assert!(bound.certified && bound.value <= opt + 1e-7 * (1.0 + opt), "{bound} vs {opt}");
        if f.status == Status::Solved {
            assert!((f.primal_objective - opt).abs() <= 1e-5 * (1.0 + opt), "full {} vs reduced {opt}", f.primal_objective);
        }
    }

    /// `sdp` and `sdp-full` have the same optimum, shown by a sandwich that does not trust either
    /// solver's claim: (1) the reduced optimum (Clarabel), mapped to Lambda, is a feasible point of
    /// the full form with the same objective, so full <= reduced; (2) the certified dual bound from
    /// SCS on the full form is a valid lower bound on the full optimum and lies within 1e-3 of the
    /// reduced optimum. SCS cannot converge on the full form (no Slater point, docs/background.md, section 7): at
    /// 200k iterations it stops `inaccurate` with both objectives about 6e-4 below the optimum
    /// (measured: 5.65903 vs 5.66254), which is exactly why its value is not reported as a bound.
    #[test]
    fn full_and_reduced_agree_scs() {
        let mut rng = ChaCha8Rng::seed_from_u64(55);
        let data = random_data(&mut rng, 6, 2, 2, true);
        let beta = 0.3;
        let red = compile(&data, beta, SdpForm::Reduced).unwrap();
        let full = compile(&data, beta, SdpForm::Full).unwrap();
        let r = backend::solve(&red.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
        assert_eq!(r.status, Status::Solved);
        let opt = r.primal_objective;
        // (1) full <= reduced: the reduced optimum is feasible for the full form.
        let lambda = red.recover_lambda(&r).unwrap();
        let xf = full.point_from_lambda(&lambda).unwrap();
        let sf = full.slack(&xf);
        for (cone, (lo, hi)) in full.problem.cones.iter().zip(full.problem.cone_ranges()) {
            let v = crate::conic::check::cone_violation(cone, &sf[lo..hi], false);
            assert!(v <= 1e-6, "reduced optimum violates the full form's {} cone by {v}", cone.name());
        }
        let full_obj = full.problem.objective(&xf);
        assert!((full_obj - opt).abs() <= 1e-7 * (1.0 + opt), "{full_obj} vs {opt}");
        // (2) full >= certified bound ~ reduced.
        let settings = SolveSettings { tolerance: Some(1e-8), max_iterations: Some(200_000), ..Default::default() };
        let Some(f) = try_solve(&full, BackendKind::Scs, &settings) else { return };
        assert_eq!(f.backend, BackendKind::Scs);
        let bound = certify_solution(&full, &f, &[]);
        assert!(bound.certified, "{bound}");
        assert!(bound.value <= opt + 1e-7 * (1.0 + opt), "{bound} above the optimum {opt}");
        assert!(bound.value >= opt - 1e-3 * (1.0 + opt), "{bound} too far below {opt}");
    }

    /// The reduced form solved by SCS agrees with Clarabel.
    #[test]
    fn reduced_form_agrees_across_backends_scs() {
        let mut rng = ChaCha8Rng::seed_from_u64(66);
        let data = random_data(&mut rng, 6, 2, 3, false);
        let beta = 0.2;
        let red = compile(&data, beta, SdpForm::Reduced).unwrap();
        let r = backend::solve(&red.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
        let settings = SolveSettings { tolerance: Some(1e-8), max_iterations: Some(200_000), ..Default::default() };
        let Some(s) = try_solve(&red, BackendKind::Scs, &settings) else { return };
        assert!(s.status.has_solution(), "{:?}", s.status);
        let opt = r.primal_objective;
        assert!((s.primal_objective - opt).abs() <= 1e-4 * (1.0 + opt));
        let bound = certify_solution(&red, &s, &[]);
        assert!(bound.certified && bound.value <= opt + 1e-7 * (1.0 + opt));
    }
}
