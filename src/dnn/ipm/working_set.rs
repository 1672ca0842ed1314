//! The interior-point method on a working set of the sign constraints, grown by the most violated
//! ones (a cutting-plane loop), for relaxations whose `m = 2 n (n - 1)` inequalities are too many
//! for one solve.
//!
//! # Why it is valid
//!
//! Leaving inequalities out relaxes the program, so every round's optimum is a lower bound on
//! the whole program's, and more: the round's multiplier, zero on the inequalities left out, is
//! a multiplier of the whole program (a zero multiplier of a constraint is always dual
//! feasible), so the certificate ([`crate::certify`]) of any round is a certified bound on the
//! relaxation itself. The round's point `S` is feasible for the working set only; the
//! inequalities it violates are added (at most [`super::super::DnnSettings::working_set_added`]
//! per round, the most violated first) and the program is solved again, until the point violates
//! none beyond the tolerance (the primal residual measured on *all* inequalities,
//! `||min(g(S), 0)|| / (1 + ||g(S)||)`), or the time, the rounds or the memory run out (a round
//! whose Schur complement would not fit is not started, nor one whose predicted duration,
//! [`predicted_round_seconds`], exceeds the time left).
//!
//! # Why it is cheap
//!
//! At an optimum most inequalities are inactive (on full iris, 43 780 of the 44 700 at the last
//! iterations). Each round is the interior-point method with every working inequality kept in its
//! low-rank preconditioner, which is then exact: its capacitance matrix, of order
//! `|working set| + n`, is the Schur complement of the constraints, factored once per iteration,
//! and GMRES needs a few steps per direction. The normal matrix of order `N = q (q + 1) / 2` is
//! never formed. Each round starts from scratch (an interior-point method does not warm-start).
//!
//! Most inequalities a round adds are inactive at its point too: on the banknote training half,
//! after the second round 2 605 of the 2 700 working inequalities had a multiplier below 1e-4 of
//! the largest, after the third 5 018 of 5 400. So after each round the inequalities slack both
//! ways (multiplier and normalised entry, [`INACTIVE_MULTIPLIER`], [`INACTIVE_ENTRY`]) leave the
//! set ([`DnnSettings::working_set_drop_inactive`], each inequality at most once, so the set
//! cannot cycle). A multiplier exactly zero at an exact optimum leaves that optimum optimal
//! without its inequality; the ones dropped are small rather than zero and the loose rounds
//! inexact, so the next round's value can fall a little (a stop returns the finished round of
//! highest dual value). The Schur complement then holds the binding inequalities and the newly
//! added ones, and the rounds stay about as cheap as the second one (banknote: 55-86 s each
//! instead of 51, 92, 175 s, ...). The rounds are then many; [`MAX_ROUNDS`] only guards against a
//! loop that would never end, the time and iteration limits are what stop it.

use super::constraints::{Constraints, Entry};
use super::solve_interior_on;
use crate::backend::Status;
use crate::dnn::{DnnProblem, DnnSettings, DnnSolution};
use crate::error::Result;
use nalgebra::DMatrix;
use std::collections::HashSet;
use std::time::Instant;

/// Most rounds (each a complete interior-point solve). With the inactive inequalities dropped
/// between rounds the rounds are many and cheap (iris-half: 11 rounds where 6 sufficed when every
/// inequality stayed).
pub const MAX_ROUNDS: usize = 50;

/// The tolerance of the rounds far from feasibility (module docs).
pub const LOOSE_TOLERANCE: f64 = 1e-3;

/// The default of [`DnnSettings::working_set_added`]: `4 n`, at least 1 000.
pub fn default_added(n: usize) -> usize {
    (4 * n).max(1000)
}

/// Solves the relaxation by rounds of the interior-point method on a growing working set
/// (module docs). Zero and equal rows of `X` are solved out first, as for the interior-point
/// method itself.
pub fn solve(problem: &DnnProblem, settings: &DnnSettings) -> Result<DnnSolution> {
    crate::dnn::reduce::solve_on_reduced_rows(problem, |p| solve_rounds(p, settings))
}

fn solve_rounds(problem: &DnnProblem, settings: &DnnSettings) -> Result<DnnSolution> {
    settings.validate()?;
    let start = Instant::now();
    let (n, c) = (problem.t.n(), problem.t.c());
    let all = Constraints::all_inequalities(n);
    let added = settings.working_set_added.unwrap_or_else(|| default_added(n)).max(1);
    let mut working: Vec<Entry> = Vec::new();
    let mut in_set: HashSet<Entry> = HashSet::new();
    let mut dropped: HashSet<Entry> = HashSet::new();
    let mut totals = Totals::default();
    // Rounds whose point only serves to find violated inequalities are solved to a loose
    // tolerance (a tenth of the last violation, at most LOOSE_TOLERANCE); the round that can end
    // the loop is solved to the tolerance asked for.
    let mut round_tolerance = LOOSE_TOLERANCE.max(settings.tolerance);
    // The finished round of highest dual objective, with its violation: what a stop returns
    // (usually the last finished one: the rounds' values rise, up to the small multipliers of the
    // inequalities dropped between them).
    let mut best: Option<(DnnSolution, f64)> = None;
    let mut round_seconds: Vec<f64> = Vec::new();
    let finish = |mut sol: DnnSolution, violation: f64, status: Status, totals: Totals| -> DnnSolution {
        sol.primal_residual = sol.primal_residual.max(violation);
        sol.iterations = totals.iterations;
        sol.preconditioned_iterations = totals.preconditioned;
        sol.single_precision_iterations = totals.single;
        sol.single_capacitance_iterations = totals.single_capacitance;
        sol.inequalities_dropped = totals.dropped;
        sol.solve_seconds = start.elapsed().as_secs_f64();
        sol.method = crate::dnn::DnnMethod::WorkingSet;
        sol.status = status;
        sol
    };
    for round in 1..=MAX_ROUNDS {
        let elapsed = start.elapsed().as_secs_f64();
        let left = settings.time_limit_seconds.map(|t| t - elapsed);
        // A round that cannot finish in the time left would only return a worse point: stop now
        // with the best finished one (the same bound, sooner).
        if let (Some(left), Some((b, v))) = (left, best.as_ref()) {
            let predicted = predicted_round_seconds(&round_seconds);
            if left < predicted {
                if settings.verbose {
                    eprintln!("dnn-ipm working set: the next round would take about {predicted:.0} s, {left:.0} s are left; stopping");
                }
                return Ok(finish(b.clone(), *v, Status::TimeLimit, totals));
            }
        }
        // A round that would not fit in memory: stop with the best finished one.
        let terms = working.len() + n * c;
        let fits = super::preconditioned_memory_estimate_for(problem, terms, working.len() as u64).is_ok_and(|b| b <= settings.memory_limit_bytes);
        if let (false, Some((b, v))) = (fits, best.as_ref()) {
            if settings.verbose {
                eprintln!("dnn-ipm working set: {} inequalities would not fit in the memory limit; stopping", working.len());
            }
            return Ok(finish(b.clone(), *v, Status::IterationLimit, totals));
        }
        let round_start = Instant::now();
        let mut sub = settings.clone();
        sub.tolerance = round_tolerance;
        sub.time_limit_seconds = left.map(|t| t.max(0.0));
        sub.max_iterations = settings.max_iterations.saturating_sub(totals.iterations).max(1);
        // Every working inequality (and every loss term) in the preconditioner: it is then the
        // exact Schur complement of the constraints.
        sub.ipm_preconditioned_from = Some(0);
        sub.ipm_preconditioner_terms = Some(terms);
        let sol = solve_interior_on(problem, &sub, Some(working.clone()))?;
        round_seconds.push(round_start.elapsed().as_secs_f64());
        totals.add_round(&sol);
        let finished = sol.status.has_solution();
        let lam = problem.t.forward(&sol.s)?;
        let mut norm_g = 0.0;
        let mut norm_violation = 0.0;
        let mut violated: Vec<(f64, Entry)> = Vec::new();
        for e in &all {
            let v = lam[(e.r, e.s)];
            norm_g += v * v;
            if v < 0.0 {
                norm_violation += v * v;
                if !in_set.contains(e) {
                    violated.push((v, *e));
                }
            }
        }
        let violation = norm_violation.sqrt() / (1.0 + norm_g.sqrt());
        if settings.verbose {
            eprintln!(
                "dnn-ipm working set: round {round}, {} inequalities of {}, tolerance {:.0e}: {:?} in {} iterations, objective {:.10e} (dual {:.10e}), violation of the rest {violation:.2e} ({} violated), {:.1} s",
                working.len(),
                all.len(),
                sub.tolerance,
                sol.status,
                sol.iterations,
                sol.primal_objective,
                sol.dual_objective,
                violated.len(),
                start.elapsed().as_secs_f64()
            );
        }
        let feasible = violation <= settings.tolerance || violated.is_empty();
        if finished && feasible && round_tolerance <= settings.tolerance {
            let status = sol.status;
            return Ok(finish(sol, violation, status, totals));
        }
        if finished && best.as_ref().map_or(true, |(b, _)| sol.dual_objective > b.dual_objective) {
            best = Some((sol.clone(), violation));
        }
        let out_of_time = settings.time_limit_seconds.is_some_and(|t| start.elapsed().as_secs_f64() >= t);
        if !finished || out_of_time || round == MAX_ROUNDS || totals.iterations >= settings.max_iterations {
            let status = if out_of_time {
                Status::TimeLimit
            } else if totals.iterations >= settings.max_iterations || round == MAX_ROUNDS {
                Status::IterationLimit
            } else {
                sol.status
            };
            return Ok(match best {
                Some((b, v)) => finish(b, v, status, totals),
                None => finish(sol, violation, status, totals),
            });
        }
        // Few violated inequalities left: the next round is likely the last, so solve it to the
        // final tolerance at once.
        round_tolerance = if feasible || violated.len() <= added / 4 { settings.tolerance } else { (0.1 * violation).clamp(settings.tolerance, LOOSE_TOLERANCE.max(settings.tolerance)) };
        if settings.working_set_drop_inactive {
            let dropped_now = drop_inactive(&mut working, &mut in_set, &mut dropped, &sol.z, &lam);
            totals.dropped = totals.dropped.saturating_add(u32::try_from(dropped_now).unwrap_or(u32::MAX));
            if settings.verbose {
                eprintln!("dnn-ipm working set: {dropped_now} inactive inequalities dropped, {} kept", working.len());
            }
        }
        violated.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(_, e) in violated.iter().take(added) {
            in_set.insert(e);
            working.push(e);
        }
    }
    unreachable!("the last round returns")
}

/// The counts a stop reports, summed over the rounds.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    iterations: u32,
    preconditioned: u32,
    single: u32,
    single_capacitance: u32,
    dropped: u32,
}

impl Totals {
    fn add_round(&mut self, sol: &DnnSolution) {
        self.iterations = self.iterations.saturating_add(sol.iterations);
        self.preconditioned = self.preconditioned.saturating_add(sol.preconditioned_iterations);
        self.single = self.single.saturating_add(sol.single_precision_iterations);
        self.single_capacitance = self.single_capacitance.saturating_add(sol.single_capacitance_iterations);
    }
}

/// A working inequality counts as inactive at a round's point when its multiplier is at most
/// this fraction of the largest working multiplier ...
pub const INACTIVE_MULTIPLIER: f64 = 1e-4;

/// ... and its entry of `Lambda`, normalised by the geometric mean of the two diagonal entries
/// (a cosine, in `[-1, 1]`), is at least this: clearly slack both ways.
pub const INACTIVE_ENTRY: f64 = 1e-3;

/// Removes from the working set the inequalities inactive at the round's point (multiplier `z`,
/// lifted matrix `lam`, both `p x p`; [`INACTIVE_MULTIPLIER`], [`INACTIVE_ENTRY`]) that were never
/// dropped before, records them in `dropped`, and returns how many it removed. A multiplier
/// exactly zero at an exact optimum leaves that optimum optimal without its inequality (the ones
/// dropped are only small, so the next round's value can fall a little); an inequality dropped
/// once is kept if it comes back, so the working set cannot cycle.
fn drop_inactive(working: &mut Vec<Entry>, in_set: &mut HashSet<Entry>, dropped: &mut HashSet<Entry>, z: &DMatrix<f64>, lam: &DMatrix<f64>) -> usize {
    let multiplier = |e: &Entry| z[(e.r, e.s)].abs() + z[(e.s, e.r)].abs();
    let largest = working.iter().map(multiplier).fold(0.0, f64::max);
    let before = working.len();
    working.retain(|e| {
        let cosine = lam[(e.r, e.s)] / (lam[(e.r, e.r)] * lam[(e.s, e.s)]).sqrt().max(f64::MIN_POSITIVE);
        let inactive = multiplier(e) <= INACTIVE_MULTIPLIER * largest && cosine >= INACTIVE_ENTRY && !dropped.contains(e);
        if inactive {
            in_set.remove(e);
            dropped.insert(*e);
        }
        !inactive
    });
    before - working.len()
}

/// The largest growth from one round to the next that [`predicted_round_seconds`] assumes (the
/// rounds measured on the banknote training half grew by 1.8-1.9 times).
pub const MAX_ROUND_GROWTH: f64 = 4.0;

/// The predicted duration of the next round from those of the rounds so far: the last one
/// times its growth per round, within `[1, MAX_ROUND_GROWTH]`, the growth taken as the geometric
/// mean over the last two rounds (`sqrt(last / two rounds before)`) when there are three, so that
/// one noisy pair does not decide (with the inactive inequalities dropped, rounds take about the
/// same time: 59, 73, 65, 86 s on banknote, where the last pair alone predicted 114 s with 113 s
/// left, and the two-round mean 93 s). Rounds that keep every inequality grow: on the banknote
/// training half they took 28, 51, 92 and 175 s, and the fifth, started with 254 s left (more
/// than the fourth took), was cut after 242 s. A very fast round before a slow one (the first
/// round with inequalities after one without, a tight round after a loose one) does not predict
/// an unbounded next one. No round yet: 0.
pub fn predicted_round_seconds(rounds: &[f64]) -> f64 {
    let growth = |last: f64, before: f64, steps: i32| if before > 0.0 { (last / before).powf(1.0 / steps as f64).clamp(1.0, MAX_ROUND_GROWTH) } else { 1.0 };
    let p = match rounds {
        [] => return 0.0,
        [only] => return *only,
        [before, last] => last * growth(*last, *before, 1),
        [.., first, _, last] => last * growth(*last, *first, 2),
    };
    if p.is_finite() {
        p
    } else {
        *rounds.last().unwrap_or(&0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prediction: the last round times its growth, never below the last round, the growth
    /// capped.
    #[test]
    fn round_prediction_follows_the_growth() {
        assert_eq!(predicted_round_seconds(&[]), 0.0);
        assert_eq!(predicted_round_seconds(&[28.0]), 28.0);
        // Two rounds: the last one's growth.
        assert!((predicted_round_seconds(&[51.0, 92.0]) - 92.0 * 92.0 / 51.0).abs() < 1e-9);
        // 175 * sqrt(175 / 51) = 324.2 s: more than the 254 s that were left on the banknote half.
        assert!((predicted_round_seconds(&[28.0, 51.0, 92.0, 175.0]) - 175.0 * (175.0f64 / 51.0).sqrt()).abs() < 1e-9);
        // Steady rounds with one slow last one: 86 * sqrt(86 / 73) = 93.3 s, not 86 * 86 / 65 = 113.8 s.
        assert!((predicted_round_seconds(&[59.0, 73.0, 65.0, 86.0]) - 86.0 * (86.0f64 / 73.0).sqrt()).abs() < 1e-9);
        // A shorter last round predicts itself, not less.
        assert_eq!(predicted_round_seconds(&[50.0, 40.0]), 40.0);
        assert_eq!(predicted_round_seconds(&[60.0, 50.0, 40.0]), 40.0);
        assert_eq!(predicted_round_seconds(&[0.0, 3.0]), 3.0);
        // A very fast round before a slow one: the growth is capped.
        assert_eq!(predicted_round_seconds(&[1e-6, 3.0]), 3.0 * MAX_ROUND_GROWTH);
        assert_eq!(predicted_round_seconds(&[1e-6, 1.0, 3.0]), 3.0 * MAX_ROUND_GROWTH);
    }
    use crate::dnn::DnnMethod;

    /// Only inequalities slack both ways (small multiplier, clearly positive normalised entry)
    /// and never dropped before leave the working set.
    #[test]
    fn only_inequalities_slack_both_ways_and_new_to_dropping_are_dropped() {
        let p = 4;
        let mut lam = DMatrix::<f64>::identity(p, p);
        let mut z = DMatrix::<f64>::zeros(p, p);
        let e = |r, s| Entry { r, s };
        // (0, 1): binding (large multiplier, zero entry): kept.
        z[(0, 1)] = 1.0;
        // (0, 2): slack both ways: dropped.
        z[(0, 2)] = 1e-6;
        lam[(0, 2)] = 0.5;
        // (0, 3): small multiplier but an entry at the boundary: kept.
        z[(0, 3)] = 1e-6;
        lam[(0, 3)] = 1e-5;
        // (1, 2): slack both ways, but dropped in an earlier round: kept.
        z[(1, 2)] = 1e-7;
        lam[(1, 2)] = 0.3;
        // (1, 3): a positive entry but a multiplier above the threshold: kept.
        z[(1, 3)] = 1e-3;
        lam[(1, 3)] = 0.4;
        let mut working = vec![e(0, 1), e(0, 2), e(0, 3), e(1, 2), e(1, 3)];
        let mut in_set: HashSet<Entry> = working.iter().copied().collect();
        let mut dropped: HashSet<Entry> = [e(1, 2)].into_iter().collect();
        assert_eq!(drop_inactive(&mut working, &mut in_set, &mut dropped, &z, &lam), 1);
        assert_eq!(working, vec![e(0, 1), e(0, 3), e(1, 2), e(1, 3)]);
        assert!(!in_set.contains(&e(0, 2)) && dropped.contains(&e(0, 2)));
        // Dropped once, never again.
        working.push(e(0, 2));
        in_set.insert(e(0, 2));
        assert_eq!(drop_inactive(&mut working, &mut in_set, &mut dropped, &z, &lam), 0);
    }

    /// A round whose Schur complement would not fit is not started: the first round (no
    /// inequality) fits the limit, the second (every violated one added) does not, so the method
    /// returns the first round, with `iteration_limit` and its violation as primal residual.
    #[test]
    fn a_round_that_would_not_fit_is_not_started() {
        let data = crate::data::synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0;
        let problem = DnnProblem::new(&data, 0.5).unwrap();
        let (n, c) = (problem.t.n(), problem.t.c());
        let first = super::super::preconditioned_memory_estimate_for(&problem, n * c, 0).unwrap();
        let settings = DnnSettings { method: DnnMethod::WorkingSet, memory_limit_bytes: first + 1, working_set_added: Some(usize::MAX), quiet: true, ..Default::default() };
        let sol = solve(&problem, &settings).unwrap();
        assert_eq!(sol.status, Status::IterationLimit);
        assert_eq!(sol.method, DnnMethod::WorkingSet);
        assert!(sol.primal_residual > settings.tolerance, "{}", sol.primal_residual);
    }
}
