//! The completely positive program (CPP) of a two-layer ReLU network as a first-class object
//! (Prakhya, Birdal & Yurtsever 2024; docs/background.md, section 2).
//!
//! ```text
//!     min  1/2 ||Lambda_AV - Y||_F^2 + beta/2 (tr Lambda_UU + tr Lambda_VV)
//!     s.t. M Lambda M' = 0,   M = [-I_n, I_n, X, 0]          (X u = a - b for every generator)
//!          diag(Lambda_AB) = 0                              (complementarity a o b = 0)
//!          Lambda in CP(R^2n_+ x R^(d+c)) = conv{ z z' : z = (a, b, u, v), a, b >= 0 }
//! ```
//!
//! `Lambda` has order `p = 2n + d + c`, blocks A (n), B (n), U (d), V (c). The CPP is exact
//! (its optimum is the global training optimum p*) but NP-hard; no conic solver accepts the CP
//! cone, so this module provides two things:
//!
//! * [`CppDescription`]: a serde description (format `convex-relu-cpp`, version 1) that names the
//!   cone, for export to tools that handle copositive / completely positive programs. The schema
//!   is documented in `docs/cpp.md`.
//! * [`check_network`]: the lift of a network is a CPP-feasible point whose decomposition
//!   `Lambda = sum_j z_j z_j'` (one generator per neuron) certifies complete positivity; the
//!   check verifies every constraint and returns the CPP objective next to the network's
//!   training objective (they are equal).

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::lift::{lift_neuron, lifted_objective, LiftBlocks};
use crate::network::Network;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Value of the `format` field.
pub const FORMAT: &str = "convex-relu-cpp";
/// Value of the `version` field.
pub const VERSION: u32 = 1;

/// The data block of a [`CppDescription`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CppData {
    /// Samples.
    pub n: usize,
    /// Features (a bias is a ones column of `x`).
    pub d: usize,
    /// Outputs.
    pub c: usize,
    /// `X`, n rows of length d.
    pub x: Vec<Vec<f64>>,
    /// `Y`, n rows of length c.
    pub y: Vec<Vec<f64>>,
    /// Weight decay.
    pub beta: f64,
}

/// A named block of the rows/columns of `Lambda`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutBlock {
    /// `A`, `B`, `U` or `V`.
    pub name: String,
    /// First row/column.
    pub offset: usize,
    /// Size.
    pub size: usize,
    /// What the block holds for a generator `z_j`.
    pub meaning: String,
    /// Whether the block's coordinates are constrained to be nonnegative in the cone.
    pub nonnegative: bool,
}

/// A sparse matrix as `(row, column, value)` triplets (0-based).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Triplets {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Nonzero entries.
    pub entries: Vec<(usize, usize, f64)>,
}

/// The constraints of the CPP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CppConstraints {
    /// `M` (n x p); the constraint is `M Lambda M' = 0` (an n x n symmetric matrix equation).
    pub m: Triplets,
    /// Human-readable statement of the `M` constraint.
    pub m_constraint: String,
    /// Complementarity: `Lambda[i][j] = 0` for each listed pair (`(i, n + i)`, i < n).
    pub complementarity: Vec<(usize, usize)>,
}

/// The objective in data form: `1/2 ||Lambda[A, V] - Y||_F^2 + beta/2 (tr Lambda[U,U] + tr Lambda[V,V])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CppObjective {
    /// Human-readable statement.
    pub statement: String,
    /// Block pair whose entries are fitted to `Y` (rows A, columns V).
    pub fit_block: (String, String),
    /// Blocks whose traces are penalised with weight `beta / 2`.
    pub trace_blocks: Vec<String>,
}

/// The CPP as a serialisable description (see `docs/cpp.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CppDescription {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// Order `p = 2n + d + c` of `Lambda`.
    pub order: usize,
    /// The data.
    pub data: CppData,
    /// The objective.
    pub objective: CppObjective,
    /// The constraints.
    pub constraints: CppConstraints,
    /// The blocks of `Lambda`, in order A, B, U, V.
    pub layout: Vec<LayoutBlock>,
    /// Always `"completely_positive"`: `Lambda` in conv{ z z' : z_i >= 0 for i in `nonnegative_coordinates` }.
    pub cone: String,
    /// The coordinates constrained to be nonnegative in the generators: `0 .. 2n` (blocks A and B).
    pub nonnegative_coordinates: Vec<usize>,
}

impl CppDescription {
    /// The description of the CPP of `data` with weight decay `beta`.
    pub fn new(data: &Dataset, beta: f64) -> Result<Self> {
        let (n, d, c) = (data.n(), data.d(), data.c());
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidArgument(format!("beta must be a positive number, found {beta}")));
        }
        if data.y.nrows() != n {
            return Err(Error::InvalidArgument(format!("X has {n} rows but Y has {}", data.y.nrows())));
        }
        let blocks = LiftBlocks { n, d, c };
        let p = blocks.order();
        let mut entries = Vec::new();
        for i in 0..n {
            entries.push((i, blocks.a() + i, -1.0));
            entries.push((i, blocks.b() + i, 1.0));
            for l in 0..d {
                if data.x[(i, l)] != 0.0 {
                    entries.push((i, blocks.u() + l, data.x[(i, l)]));
                }
            }
        }
        let block = |name: &str, offset, size, meaning: &str, nonnegative| LayoutBlock { name: name.into(), offset, size, meaning: meaning.into(), nonnegative };
        Ok(Self {
            format: FORMAT.into(),
            version: VERSION,
            order: p,
            data: CppData {
                n,
                d,
                c,
                x: data.x.row_iter().map(|r| r.iter().copied().collect()).collect(),
                y: data.y.row_iter().map(|r| r.iter().copied().collect()).collect(),
                beta,
            },
            objective: CppObjective {
                statement: "minimise 1/2 ||Lambda[A,V] - Y||_F^2 + beta/2 (tr Lambda[U,U] + tr Lambda[V,V])".into(),
                fit_block: ("A".into(), "V".into()),
                trace_blocks: vec!["U".into(), "V".into()],
            },
            constraints: CppConstraints {
                m: Triplets { rows: n, cols: p, entries },
                m_constraint: "M Lambda M^T = 0 (n x n), M = [-I_n, I_n, X, 0]".into(),
                complementarity: (0..n).map(|i| (blocks.a() + i, blocks.b() + i)).collect(),
            },
            layout: vec![
                block("A", blocks.a(), n, "a = relu(X u)", true),
                block("B", blocks.b(), n, "b = relu(-X u)", true),
                block("U", blocks.u(), d, "first-layer weights u", false),
                block("V", blocks.v(), c, "second-layer weights v", false),
            ],
            cone: "completely_positive".into(),
            nonnegative_coordinates: (0..2 * n).collect(),
        })
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serialisable")
    }

    /// Parses and checks `format`/`version`.
    pub fn from_json(text: &str) -> Result<Self> {
        let d: Self = serde_json::from_str(text).map_err(|e| Error::InvalidArgument(format!("not a CPP description: {e}")))?;
        if d.format != FORMAT || d.version != VERSION {
            return Err(Error::InvalidArgument(format!("expected format {FORMAT} version {VERSION}, found {} version {}", d.format, d.version)));
        }
        Ok(d)
    }
}

/// The result of [`check_network`].
#[derive(Clone, Debug, Serialize)]
pub struct CppCheck {
    /// Number of generators (the network's width).
    pub generators: usize,
    /// `max |(M Lambda M')_ij|`.
    pub m_residual: f64,
    /// `max_i |Lambda_{A_i, B_i}|`.
    pub complementarity_residual: f64,
    /// Most negative entry of the A, B parts over all generators (0 if none is negative).
    pub generator_sign_violation: f64,
    /// The CPP objective of the lift.
    pub cpp_objective: f64,
    /// `Network::objective` of the network.
    pub network_objective: f64,
    /// All residuals within `1e-9 (1 + scale)` and every generator in R^2n_+ x R^(d+c).
    pub feasible: bool,
}

/// Builds the lift of `network` on `data`, verifies that it is CPP-feasible (with its
/// generator decomposition as the certificate of complete positivity) and compares the CPP
/// objective with the training objective.
pub fn check_network(data: &Dataset, beta: f64, network: &Network) -> Result<CppCheck> {
    let (n, d, c) = (data.n(), data.d(), data.c());
    if network.u.nrows() != d || network.v.nrows() != c || network.u.ncols() != network.v.ncols() {
        return Err(Error::InvalidArgument(format!(
            "network shapes U {}x{}, V {}x{} do not fit data with d = {d}, c = {c}",
            network.u.nrows(),
            network.u.ncols(),
            network.v.nrows(),
            network.v.ncols()
        )));
    }
    let blocks = LiftBlocks { n, d, c };
    let p = blocks.order();
    let mut lambda = DMatrix::zeros(p, p);
    let mut sign_violation: f64 = 0.0;
    for j in 0..network.width() {
        let z = lift_neuron(network, data.x.as_view(), j);
        for &t in &z[..2 * n] {
            sign_violation = sign_violation.max(-t);
        }
        let z = DMatrix::from_vec(p, 1, z);
        lambda += &z * z.transpose();
    }
    let mut m = DMatrix::zeros(n, p);
    for i in 0..n {
        m[(i, blocks.a() + i)] = -1.0;
        m[(i, blocks.b() + i)] = 1.0;
        for l in 0..d {
            m[(i, blocks.u() + l)] = data.x[(i, l)];
        }
    }
    let mlm = &m * &lambda * m.transpose();
    let m_residual = mlm.abs().max();
    let complementarity_residual = (0..n).map(|i| lambda[(blocks.a() + i, blocks.b() + i)].abs()).fold(0.0, f64::max);
    let scale = 1.0 + lambda.abs().max() * (1.0 + m.abs().max()).powi(2);
    let cpp_objective = lifted_objective(&lambda, blocks, data.y.as_view(), beta);
    let network_objective = network.objective(data, beta);
    let feasible = m_residual <= 1e-9 * scale && complementarity_residual <= 1e-9 * scale && sign_violation == 0.0;
    Ok(CppCheck { generators: network.width(), m_residual, complementarity_residual, generator_sign_violation: sign_violation, cpp_objective, network_objective, feasible })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TargetKind;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    /// r x c standard Gaussian draws, drawn row by row.
    fn gaussian(rng: &mut ChaCha8Rng, r: usize, c: usize) -> DMatrix<f64> {
        DMatrix::from_row_iterator(r, c, (0..r * c).map(|_| StandardNormal.sample(rng)))
    }

    #[test]
    fn lift_of_random_networks_is_cpp_feasible_with_equal_objective() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for trial in 0..20 {
            let (n, d, c, m) = (3 + trial % 6, 1 + trial % 3, 1 + trial % 3, 1 + trial % 5);
            let data = Dataset::from_arrays(gaussian(&mut rng, n, d), gaussian(&mut rng, n, c), TargetKind::Numeric, "test");
            let net = Network { u: gaussian(&mut rng, d, m), v: gaussian(&mut rng, c, m) };
            let chk = check_network(&data, 0.3, &net).unwrap();
            assert!(chk.feasible, "{chk:?}");
            assert!((chk.cpp_objective - chk.network_objective).abs() <= 1e-10 * (1.0 + chk.network_objective), "{chk:?}");
        }
    }

    #[test]
    fn description_round_trips_through_json() {
        let data = crate::data::synth::reference_1d();
        let desc = CppDescription::new(&data, 0.1).unwrap();
        assert_eq!(desc.order, 2 * 8 + 2 + 1);
        assert_eq!(desc.nonnegative_coordinates, (0..16).collect::<Vec<_>>());
        assert_eq!(desc.constraints.m.entries.len(), 8 * 4);
        let text = desc.to_json();
        assert!(text.contains("\"cone\": \"completely_positive\""));
        assert!(text.contains("\"format\": \"convex-relu-cpp\""));
        let back = CppDescription::from_json(&text).unwrap();
        assert_eq!(back, desc);
        let bad = text.replace("convex-relu-cpp", "something-else");
        assert!(CppDescription::from_json(&bad).is_err());
    }

    #[test]
    fn wrong_network_shape_is_rejected() {
        let data = crate::data::synth::reference_1d();
        let net = Network { u: DMatrix::zeros(3, 2), v: DMatrix::zeros(1, 2) };
        assert!(check_network(&data, 0.1, &net).is_err());
    }
}
