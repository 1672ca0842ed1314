//! The refinement of approximate duals before certifying (`certify::sdp::certify_dnn_with` for
//! the dnn multiplier, `certify_with` for conic duals): from an approximate multiplier (the ADMM
//! stopped early, Clarabel stopped `inaccurate`), the refined bound is at least the unrefined one, strictly higher on these instances, and still below independent references:
//! the interior-point optimum of the same relaxation and the objectives of real networks.

mod dnn_common;

use convex_relu::certify::sdp::{certify_dnn_with, RefineSettings};
use convex_relu::data::synth;
use convex_relu::dnn::{self, DnnMethod, DnnProblem, DnnSettings};
use dnn_common::assert_below_networks;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn refined_bound_is_higher_and_still_below_the_optimum_and_every_network() {
    let beta = 0.1;
    let data = synth::spirals(30, 3, 0.0, 1).unwrap();
    let problem = DnnProblem::new(&data, beta).unwrap();
    let early = dnn::solve(&problem, &DnnSettings { method: DnnMethod::Admm, max_iterations: 1500, quiet: true, ..Default::default() }, None).unwrap();
    let lambda = early.lambda(&problem).unwrap();
    let plain = certify_dnn_with(&problem, &early.z, Some(&lambda), &[], RefineSettings { max_steps: 0, ..Default::default() });
    let refined = certify_dnn_with(&problem, &early.z, Some(&lambda), &[], RefineSettings::default());
    assert!(plain.certified && refined.certified, "{plain} / {refined}");
    assert_eq!(plain.details.refinement_steps, 0);
    assert!(refined.details.refinement_steps > 0, "{refined}");
    assert_eq!(refined.details.value_before_refinement, plain.value);
    assert!(refined.value > plain.value + 1e-3 * plain.value.abs(), "refined {} vs plain {}", refined.value, plain.value);

    // Independent reference: the interior-point method on the same relaxation.
    let optimum = dnn::solve(&problem, &DnnSettings { method: DnnMethod::InteriorPoint, quiet: true, ..Default::default() }, None).unwrap();
    assert!(optimum.primal_residual < 1e-8, "{}", optimum.primal_residual);
    assert!(refined.value <= optimum.primal_objective * (1.0 + 1e-9), "{} vs optimum {}", refined.value, optimum.primal_objective);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    assert_below_networks(refined.value, &data, beta, &mut rng);
}

#[test]
fn refined_conic_bound_is_higher_and_still_below_the_optimum_and_every_network() {
    use convex_relu::backend::{self, BackendKind, SolveSettings};
    use convex_relu::certify::sdp::certify_with;
    use convex_relu::formulation::sdp::{compile, SdpForm};
    let beta = 0.1;
    let data = synth::planted_relu(25, 2, 3, 5, 0.1, 2).unwrap().0;
    let comp = compile(&data, beta, SdpForm::Reduced).unwrap();
    // Clarabel stops short of full accuracy on this instance, so its dual leaves room.
    let sol = backend::solve(&comp.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    let plain = certify_with(&comp, &sol.z, &[], RefineSettings { max_steps: 0, ..Default::default() });
    let refined = certify_with(&comp, &sol.z, &[], RefineSettings::default());
    assert!(plain.certified && refined.certified, "{plain} / {refined}");
    assert!(refined.details.refinement_steps > 0, "{refined}");
    assert_eq!(refined.details.value_before_refinement, plain.value);
    assert!(refined.value > plain.value + 1e-4 * plain.value.abs(), "refined {} vs plain {}", refined.value, plain.value);

    let problem = DnnProblem::new(&data, beta).unwrap();
    let optimum = dnn::solve(&problem, &DnnSettings { method: DnnMethod::InteriorPoint, quiet: true, ..Default::default() }, None).unwrap();
    assert!(optimum.primal_residual < 1e-8, "{}", optimum.primal_residual);
    assert!(refined.value <= optimum.primal_objective * (1.0 + 1e-9), "{} vs optimum {}", refined.value, optimum.primal_objective);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    assert_below_networks(refined.value, &data, beta, &mut rng);
}
