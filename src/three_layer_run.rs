//! The three-layer run end to end: configurations -> convex program -> solver -> column
//! generation / certificate -> recovered network, reported with the same keys as the two-layer
//! runs of [`crate::pipeline`] plus the configuration counts.
//!
//! # What is computed (see [`crate::formulation::three_layer`] for the mathematics)
//!
//! 1. Configurations ([`ConfigChoice`]): `exact` enumerates every realisable configuration (the
//!    *pool*); `N` reads off the configurations of N random sub-networks; `auto` (the default on
//!    the command line) is `exact` when the enumeration fits its budget and 1000 sampled
//!    sub-networks otherwise (a note says so).
//! 2. The program over the working set is solved by the chosen backend.
//! 3. When the pool is known (exact, or sampled configurations on data small enough to enumerate),
//!    every pool configuration is priced on the residual `z0 = y - yhat`. Sampled working set:
//!    configurations pricing above `beta (1 + 1e-6)` are added (the most violated first, at most
//!    [`ThreeLayerSettings::max_added`] per round) and the program is solved again, for at most
//!    [`ThreeLayerSettings::max_rounds`] rounds (column generation). The last pricing gives the
//!    dual lower bound, certified because the pool holds every realisable configuration; when
//!    nothing prices above beta the solution is globally optimal for sub-width m1 and any number
//!    of sub-networks. Without the pool there is no certificate and the report says so.
//! 4. Recovery: configurations with `t_c <= drop_tolerance * max t_c` are pruned, the program is
//!    solved again on the kept ones, and that solution becomes the network (one sub-network per
//!    kept configuration; `sub_networks` in the report). The optimum is usually not unique and
//!    interior-point solutions spread over many configurations whose sub-networks compute the
//!    same output up to a positive factor; those are merged first
//!    ([`crate::formulation::three_layer::Layout3::merge_collinear`], which never increases the
//!    objective). The network's objective, evaluated by [`Network3::checked_objective`], is the
//!    upper bound.
//!
//! # Report keys
//!
//! The keys of [`crate::pipeline::Report`] (`objective` = the program's value at the solver's
//! point; `lower_bound`/`certified`; `upper_bound` = the recovered network's objective; `gap`,
//! `globally_optimal`), `width` = number of sub-networks, `patterns` = first-layer patterns of the
//! pool, plus `sub_width`, `configs` (the choice), `configurations` (in the final program),
//! `pool_configurations`, `sub_networks`, `column_generation_rounds`, `enumeration_lps`,
//! `max_price` (rigorous bound on the largest price over the pool).

use crate::backend::{self, BackendKind, SolveSettings};
use crate::conic::ConicProblem;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::export::{LayoutBlock, ProblemMeta};
use crate::formulation::three_layer::{self as tl, Config, ConfigBudget, ConfigSet};
use crate::network3::Network3;
use crate::pipeline::{Report, GLOBAL_OPTIMALITY_TOLERANCE};
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

/// Cosine tolerance of [`crate::formulation::three_layer::Layout3::merge_collinear`] in the
/// recovery (outputs with cosine >= 1 - this are merged).
pub const MERGE_TOLERANCE: f64 = 1e-9;

/// Sampled sub-networks used by `auto` when the exact enumeration does not fit.
pub const AUTO_SAMPLES: usize = 1000;

/// Which configurations to put into the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigChoice {
    /// Exact when the enumeration fits the budget, else [`AUTO_SAMPLES`] sampled sub-networks.
    Auto,
    /// Every realisable configuration (errors when it does not fit the budget).
    Exact,
    /// The configurations of N random sub-networks.
    Sampled(usize),
}

impl FromStr for ConfigChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ConfigChoice::Auto),
            "exact" => Ok(ConfigChoice::Exact),
            t => match t.parse::<usize>() {
                Ok(0) => Err(Error::InvalidArgument("--configs: the number of sampled sub-networks must be at least 1, found 0".into())),
                Ok(k) => Ok(ConfigChoice::Sampled(k)),
                Err(_) => Err(Error::InvalidArgument(format!("--configs: expected `exact`, `auto` or a number of sampled sub-networks, found `{s}`"))),
            },
        }
    }
}

impl fmt::Display for ConfigChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigChoice::Auto => f.write_str("auto"),
            ConfigChoice::Exact => f.write_str("exact"),
            ConfigChoice::Sampled(k) => write!(f, "{k}"),
        }
    }
}

/// Settings of [`run`]. Defaults: beta 0.1, sub-width 2, `auto`, seed 0, Clarabel with its own
/// tolerances, the default [`ConfigBudget`], certify, column generation, 20 rounds, 50 columns
/// per round, drop tolerance 1e-6.
#[derive(Clone, Debug)]
pub struct ThreeLayerSettings {
    pub beta: f64,
    /// First-layer neurons per sub-network, m1 >= 1.
    pub sub_width: usize,
    pub configs: ConfigChoice,
    /// Seed of the sub-network sampler.
    pub seed: u64,
    pub backend: BackendKind,
    pub solve: SolveSettings,
    pub budget: ConfigBudget,
    /// Price the pool for a lower bound (needs the pool).
    pub certify: bool,
    /// Add violating configurations and re-solve (sampled working set, pool known).
    pub column_generation: bool,
    pub max_rounds: usize,
    pub max_added: usize,
    /// Relative threshold on `t_c` below which a configuration is pruned before recovery.
    pub drop_tolerance: f64,
}

impl Default for ThreeLayerSettings {
    fn default() -> Self {
        Self {
            beta: 0.1,
            sub_width: 2,
            configs: ConfigChoice::Auto,
            seed: 0,
            backend: BackendKind::Clarabel,
            solve: SolveSettings::default(),
            budget: ConfigBudget::default(),
            certify: true,
            column_generation: true,
            max_rounds: 20,
            max_added: 50,
            drop_tolerance: 1e-6,
        }
    }
}

impl ThreeLayerSettings {
    /// Range checks.
    pub fn validate(&self) -> Result<()> {
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err(Error::InvalidArgument(format!("beta must be a positive number, found {}", self.beta)));
        }
        if self.sub_width == 0 {
            return Err(Error::InvalidArgument("--sub-width (m1, first-layer neurons per sub-network) must be at least 1, found 0".into()));
        }
        if self.max_added == 0 {
            return Err(Error::InvalidArgument("max_added must be at least 1".into()));
        }
        if !(self.drop_tolerance.is_finite() && (0.0..1.0).contains(&self.drop_tolerance)) {
            return Err(Error::InvalidArgument(format!("drop tolerance must be in [0, 1), found {}", self.drop_tolerance)));
        }
        self.solve.validate()
    }
}

/// A three-layer run's report (module docs).
#[derive(Clone, Debug, Serialize)]
pub struct ThreeLayerReport {
    #[serde(flatten)]
    pub base: Report,
    pub sub_width: usize,
    pub configs: String,
    pub configurations: usize,
    pub pool_configurations: Option<usize>,
    pub sub_networks: usize,
    pub column_generation_rounds: usize,
    pub enumeration_lps: u64,
    pub max_price: Option<f64>,
}

impl fmt::Display for ThreeLayerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.base)?;
        let pool = self.pool_configurations.map_or("not enumerated".to_string(), |p| format!("{p} in the pool"));
        writeln!(f, "three-layer     sub-width {}, configurations {} ({}; {pool})", self.sub_width, self.configurations, self.configs)?;
        writeln!(f, "sub-networks    {} recovered, {} column-generation rounds", self.sub_networks, self.column_generation_rounds)?;
        if let Some(p) = self.max_price {
            writeln!(f, "max price       {p:.8} (beta = {})", self.base.beta)?;
        }
        Ok(())
    }
}

/// A run's report and artefacts.
#[derive(Clone, Debug)]
pub struct Outcome3 {
    pub report: ThreeLayerReport,
    /// The recovered network (behind `upper_bound`).
    pub network: Option<Network3>,
    /// The program of the last solve over the working set.
    pub problem: ConicProblem,
    /// Meta block for export.
    pub meta: ProblemMeta,
}

fn blank(data: &Dataset, s: &ThreeLayerSettings) -> Report {
    let mut r = Report::blank(data, "three-layer", s.backend, s.beta, s.seed);
    r.objective_label = "three-layer convex program at the solver's point".into();
    r
}

/// Solves the program over `configs`; `(program, solution)`.
fn solve_over(data: &Dataset, s: &ThreeLayerSettings, configs: &[Config]) -> Result<(tl::Program3, backend::ConicSolution)> {
    let prog = tl::compile(data, s.beta, s.sub_width, configs)?;
    let sol = backend::solve(&prog.problem, s.backend, &s.solve)?;
    Ok((prog, sol))
}

/// Runs the three-layer program on `data` (module docs).
pub fn run(data: &Dataset, s: &ThreeLayerSettings) -> Result<Outcome3> {
    s.validate()?;
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!(
            "the three-layer program has scalar output (c = 1), but the data has c = {} outputs; use --targets signed for two classes",
            data.c()
        )));
    }
    let mut r = blank(data, s);
    let t0 = Instant::now();
    let m1 = s.sub_width;
    // 1. configurations: the pool (every realisable one) and the working set
    let (pool, working): (Option<ConfigSet>, Vec<Config>) = match s.configs {
        ConfigChoice::Exact => {
            let pool = tl::enumerate(data, m1, &s.budget)?;
            let w = pool.list.clone();
            (Some(pool), w)
        }
        ConfigChoice::Auto => match tl::enumerate(data, m1, &s.budget) {
            Ok(pool) => {
                let w = pool.list.clone();
                (Some(pool), w)
            }
            Err(e @ (Error::TooLarge(_) | Error::Degenerate(_))) => {
                r.notes.push(format!("exact enumeration not possible ({e}); sampled {AUTO_SAMPLES} sub-networks instead"));
                (None, tl::sample(data, m1, AUTO_SAMPLES, s.seed)?.list)
            }
            Err(e) => return Err(e),
        },
        ConfigChoice::Sampled(k) => {
            let w = tl::sample(data, m1, k, s.seed)?.list;
            let pool = if s.certify || s.column_generation {
                match tl::enumerate(data, m1, &s.budget) {
                    Ok(p) => Some(p),
                    Err(e @ (Error::TooLarge(_) | Error::Degenerate(_))) => {
                        r.notes.push(format!("no certificate: the configurations cannot all be enumerated ({e})"));
                        None
                    }
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            (pool, w)
        }
    };
    if working.is_empty() {
        return Err(Error::Degenerate("no sub-network configuration with a non-zero output on this data".into()));
    }
    r.patterns = pool.as_ref().map(|p| p.first_layer_patterns);
    let exact_working = matches!(s.configs, ConfigChoice::Exact) || (s.configs == ConfigChoice::Auto && pool.is_some());
    let configs_label = if exact_working { "exact".to_string() } else if let ConfigChoice::Sampled(k) = s.configs { format!("sampled {k}") } else { format!("sampled {AUTO_SAMPLES}") };
    r.compile_seconds = t0.elapsed().as_secs_f64();
    // 2-3. solve, price, add columns
    let mut working = working;
    let mut in_working: HashSet<Config> = working.iter().cloned().collect();
    let mut rounds = 0;
    let mut solve_seconds = 0.0;
    let mut iterations = 0;
    let (prog, sol, cert) = loop {
        let (prog, sol) = solve_over(data, s, &working)?;
        solve_seconds += sol.solve_seconds;
        iterations += sol.iterations;
        if !sol.status.has_solution() {
            break (prog, sol, None);
        }
        let cert = match (&pool, s.certify || (s.column_generation && !exact_working)) {
            (Some(pool), true) => {
                let yhat = prog.layout.fitted(data, &sol.x)?;
                Some(tl::certify(data, s.beta, &yhat, pool, 1e-6)?)
            }
            _ => None,
        };
        let pool_ref = pool.as_ref();
        let adds: Vec<Config> = match (&cert, pool_ref) {
            (Some(c), Some(p)) if s.column_generation && !exact_working && rounds < s.max_rounds => c
                .violators
                .iter()
                .map(|&i| p.list[i].clone())
                .filter(|cfg| !in_working.contains(cfg))
                .take(s.max_added)
                .collect(),
            _ => Vec::new(),
        };
        if adds.is_empty() {
            break (prog, sol, cert);
        }
        rounds += 1;
        for a in adds {
            in_working.insert(a.clone());
            working.push(a);
        }
    };
    r.status = sol.status.name().into();
    r.backend = sol.backend.name().into();
    r.iterations = iterations;
    let mut network = None;
    let mut sub_networks = 0;
    if sol.status.has_solution() {
        r.objective = Some(prog.layout.objective(data, &sol.x)?);
        // 4. recovery: prune, re-solve on the support, merge collinear outputs, recover
        let keep = prog.layout.support(&sol.x, s.drop_tolerance)?;
        let net = if !keep.is_empty() && keep.len() < working.len() {
            let sub: Vec<Config> = keep.iter().map(|&i| prog.layout.configs[i].clone()).collect();
            let (p2, s2) = solve_over(data, s, &sub)?;
            solve_seconds += s2.solve_seconds;
            if s2.status.has_solution() {
                p2.layout.recover(&p2.layout.merge_collinear(data, &s2.x, MERGE_TOLERANCE)?, 0.0)?
            } else {
                r.notes.push(format!("re-solve on the support ended {}; network recovered from the full solution", s2.status));
                prog.layout.recover(&prog.layout.merge_collinear(data, &sol.x, MERGE_TOLERANCE)?, s.drop_tolerance)?
            }
        } else {
            prog.layout.recover(&prog.layout.merge_collinear(data, &sol.x, MERGE_TOLERANCE)?, s.drop_tolerance)?
        };
        let ub = net.checked_objective(data, s.beta)?;
        r.upper_bound = Some(ub);
        r.upper_bound_source = Some("recovered three-layer network".into());
        sub_networks = net.width();
        r.width = Some(sub_networks);
        network = Some(net);
    } else {
        r.notes.push(format!("the solver returned no solution ({})", sol.status));
    }
    r.solve_seconds = solve_seconds;
    let mut max_price = None;
    if let Some(c) = &cert {
        r.certify_seconds = Some(c.seconds);
        max_price = Some(c.max_price);
        if c.certified && s.certify {
            r.lower_bound = Some(c.lower_bound);
            r.certified = true;
            r.lower_bound_method = Some(format!("dual certificate over all {} configurations (pricing SOCPs on clarabel)", c.configurations));
        }
        if !c.violators.is_empty() {
            r.notes.push(format!(
                "{} configurations still price above beta after {rounds} column-generation rounds: not optimal for the full program",
                c.violators.len()
            ));
        }
    } else if pool.is_none() {
        r.notes.push("sampled configurations only: the result is an upper bound (a real network); no certificate exists".into());
    }
    // gap and optimality, as pipeline::Report
    r.gap = match (r.upper_bound, r.lower_bound) {
        (Some(u), Some(l)) => Some((u - l) / u.abs().max(1e-300)),
        _ => None,
    };
    r.globally_optimal = r.certified && r.gap.is_some_and(|g| g <= GLOBAL_OPTIMALITY_TOLERANCE);
    let meta = ProblemMeta {
        formulation: Some("three-layer".into()),
        n: Some(data.n()),
        d: Some(data.d()),
        c: Some(data.c()),
        beta: Some(s.beta),
        layout: prog.layout.blocks().into_iter().map(|(name, start, len)| LayoutBlock { name, start, len }).collect(),
        notes: vec![format!("sub-width {m1}, {} configurations", prog.layout.configs.len())],
        ..ProblemMeta::generated()
    };
    let report = ThreeLayerReport {
        base: r,
        sub_width: m1,
        configs: configs_label,
        configurations: prog.layout.configs.len(),
        pool_configurations: pool.as_ref().map(|p| p.len()),
        sub_networks,
        column_generation_rounds: rounds,
        enumeration_lps: pool.as_ref().map_or(0, |p| p.lps),
        max_price,
    };
    Ok(Outcome3 { report, network, problem: prog.problem, meta })
}
