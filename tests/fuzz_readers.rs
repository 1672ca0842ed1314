//! Smoke run of the reader fuzzer (`examples/fuzz_readers.rs`; the long run is
//! `cargo run --release --example fuzz_readers -- 100000`): a few thousand mutated inputs per
//! format through the JSON, SDPA, CBF and CSV readers, none of which may panic. The mutations
//! must also reach both outcomes (some inputs read, most refused), or the fuzzer tests nothing.

#[path = "../examples/fuzz_readers.rs"]
#[allow(dead_code)]
mod fuzz;

use fuzz::{fuzz, Target};

fn smoke(target: Target) {
    let cases = std::env::var("FUZZ_SMOKE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let tally = fuzz(target, cases, 1);
    let shown: Vec<String> = tally.panics.iter().take(3).map(|(c, t, _)| format!("case {c}:\n{t}")).collect();
    assert!(tally.panics.is_empty(), "{}: {} panics, e.g.\n{}", target.name(), tally.panics.len(), shown.join("\n---\n"));
    assert!(tally.ok > 0 && tally.errors > 0, "{}: {tally:?}", target.name());
}

#[test]
fn json_reader_survives_mutations() {
    smoke(Target::Json);
}

#[test]
fn sdpa_reader_survives_mutations() {
    smoke(Target::Sdpa);
}

#[test]
fn cbf_reader_survives_mutations() {
    smoke(Target::Cbf);
}

#[test]
fn csv_reader_survives_mutations() {
    smoke(Target::Csv);
}
