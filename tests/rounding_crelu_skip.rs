//! The C-ReLU refit is an optional stage: when it would exceed the memory budget the staged
//! rounding goes on without it and reports why. Its own test binary, because it sets the
//! process-wide memory budget (CONVEX_RELU_MAX_MEMORY_GIB) very low.

use convex_relu::data::synth;
use convex_relu::lift::lift;
use convex_relu::network::Network;
use convex_relu::rounding::{round, RoundingSettings};
use nalgebra::dmatrix;

#[test]
fn crelu_refit_over_the_memory_budget_is_skipped_and_reported() {
    let data = synth::reference_1d();
    let beta = 0.1;
    let net = Network { u: dmatrix![1.0, -1.0; 0.3, 0.2], v: dmatrix![0.8, 0.6] };
    let lambda = lift(&net, data.x.as_view());
    let mut s = RoundingSettings::default();
    s.staged.polish_candidates = 0;
    // Within the default budget the stage runs.
    let r = round(&lambda, &data, beta, &s).unwrap();
    let st = r.stages.as_ref().unwrap();
    assert!(st.crelu.is_some() && st.crelu_skipped.is_none(), "{:?}", st.crelu_skipped);
    // 1e-5 GiB (about 10 kB) is below what the C-ReLU program on reference-1d needs (about
    // 50 kB) and nothing else in the rounding checks the budget.
    std::env::set_var(convex_relu::limits::ENV_MAX_MEMORY, "1e-5");
    let r2 = round(&lambda, &data, beta, &s).unwrap();
    std::env::remove_var(convex_relu::limits::ENV_MAX_MEMORY);
    let st2 = r2.stages.as_ref().unwrap();
    assert!(st2.crelu.is_none());
    let why = st2.crelu_skipped.as_deref().expect("the reason is reported");
    assert!(why.contains("C-ReLU refit"), "{why}");
    assert_eq!(r2.objective, st2.sampled.min(st2.refitted));
    assert_eq!(st2.refitted, st.refitted, "the other stages are unchanged");
    assert!(r2.objective >= r.objective);
}
