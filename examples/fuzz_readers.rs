//! Mutation fuzzing of the four input readers: JSON, SDPA and CBF problem files, and CSV data.
//!
//! ```text
//! cargo run --release --example fuzz_readers -- [CASES_PER_FORMAT] [SEED]     (defaults 100000, 0)
//! ```
//!
//! Valid seed files (exports of the problem catalogue and of the exact C-ReLU program of the
//! built-in instance; small CSV files) are mutated by a seeded mutator (ChaCha8): byte flips,
//! insertions and deletions, truncation, duplicated / swapped / dropped lines, numbers replaced by
//! boundary values (0, -1, 2^32, 2^63, 2^64 - 1, 1e308, NaN, inf, ...), and keywords of the format
//! inserted at random lines; 1 to 4 mutations per case. Each mutated text goes through the reader;
//! a returned problem is validated again. The run counts `ok` and `error` outcomes and reports
//! every **panic** with the input that caused it (written to `fuzz-failure-<format>-<case>.txt` in
//! the temporary directory). Aborts (allocation failures) would end the process, so a completed
//! run also means "no abort". The exit code is 1 when any panic was found.
//!
//! The test suite runs the same mutator for a few thousand cases per format
//! (`tests/fuzz_readers.rs`).

use convex_relu::catalogue;
use convex_relu::data::{csv, CsvOptions, TargetColumn, TargetEncoding};
use convex_relu::export::{self, Format, ProblemMeta};
use convex_relu::formulation::{self, CompileSettings, Formulation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The formats fuzzed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Json,
    Sdpa,
    Cbf,
    Csv,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::Json, Target::Sdpa, Target::Cbf, Target::Csv];

    pub fn name(self) -> &'static str {
        match self {
            Target::Json => "json",
            Target::Sdpa => "sdpa",
            Target::Cbf => "cbf",
            Target::Csv => "csv",
        }
    }

    fn keywords(self) -> &'static [&'static str] {
        match self {
            Target::Json => &["{", "}", "[", "]", "\"cones\": [{\"PSDTriangleConeT\": 99999}]", "\"m\": 18446744073709551615", "null", ","],
            Target::Sdpa => &["*", "\"", "1 1 1 1 1.0", "0 1 1 1", "{-99999}", "1 = mDIM", "99999 = nBLOCK"],
            Target::Cbf => &["VER", "OBJSENSE", "MIN", "VAR", "CON", "PSDCON", "OBJACOORD", "ACOORD", "BCOORD", "HCOORD", "DCOORD", "L+ 3", "Q 2", "F 1", "1"],
            Target::Csv => &["\"", "\"\"", ",", ",,", "a,b", "NaN", "inf", "x,x,y"],
        }
    }
}

/// Valid inputs of `target` that the mutations start from.
pub fn seeds(target: Target) -> Vec<String> {
    match target {
        Target::Csv => vec![
            "x,bias,y\n-1,1,-0.14\n-0.71,1,-0.85\n-0.43,1,-0.96\n-0.14,1,-0.42\n0.14,1,0.42\n0.43,1,0.96\n0.71,1,0.85\n1,1,0.14\n".into(),
            "sepal_length,sepal_width,label\n5.1,3.5,setosa\n4.9,3,setosa\n7,3.2,versicolor\n6.4,3.2,versicolor\n6.3,3.3,virginica\n5.8,2.7,virginica\n".into(),
            "\"a\",\"b, with comma\",class\n1,2,\"yes\"\n3,4,\"no\"\n5,6,\"yes\"\n".into(),
        ],
        _ => {
            let format = match target {
                Target::Json => Format::Json,
                Target::Sdpa => Format::Sdpa,
                _ => Format::Cbf,
            };
            let mut problems: Vec<_> = catalogue::all().into_iter().map(|e| e.problem).collect();
            let data = convex_relu::data::synth::reference_1d();
            problems.push(formulation::compile(Formulation::Exact, &data, &CompileSettings::default()).expect("compiles").problem);
            problems.iter().filter_map(|p| export::to_string(p, &ProblemMeta::generated(), format).ok()).collect()
        }
    }
}

const NUMBERS: [&str; 18] = [
    "0", "-1", "1", "2", "-0", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551615", "18446744073709551616", "6074001000", "1e308", "-1e308", "1e-320", "NaN", "inf", "99999",
];

fn random_number(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.7) {
        NUMBERS[rng.random_range(0..NUMBERS.len())].to_string()
    } else {
        format!("{}", rng.random_range(-5i64..100_000))
    }
}

/// Byte offsets of the number-like tokens of `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() || (b[i] == b'-' && i + 1 < b.len() && b[i + 1].is_ascii_digit()) {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'-' || b[i] == b'+') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// One mutation of `text` (kept valid UTF-8: the readers take `&str`).
fn mutate_once(text: &str, target: Target, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let len = text.len();
    match rng.random_range(0..10) {
        0 if len > 0 => {
            // truncate
            let mut cut = rng.random_range(0..len);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text[..cut].to_string()
        }
        1 | 2 => {
            // replace a number
            let spans = number_spans(text);
            if spans.is_empty() {
                return text.to_string();
            }
            let (a, b) = spans[rng.random_range(0..spans.len())];
            format!("{}{}{}", &text[..a], random_number(rng), &text[b..])
        }
        3 if !lines.is_empty() => {
            // duplicate a line
            let i = rng.random_range(0..lines.len());
            let l = lines[i].clone();
            lines.insert(rng.random_range(0..=lines.len()), l);
            lines.join("\n") + "\n"
        }
        4 if !lines.is_empty() => {
            // drop a line
            lines.remove(rng.random_range(0..lines.len()));
            lines.join("\n") + "\n"
        }
        5 if lines.len() > 1 => {
            let (i, j) = (rng.random_range(0..lines.len()), rng.random_range(0..lines.len()));
            lines.swap(i, j);
            lines.join("\n") + "\n"
        }
        6 => {
            // insert a keyword line
            let kw = target.keywords()[rng.random_range(0..target.keywords().len())];
            lines.insert(rng.random_range(0..=lines.len()), kw.to_string());
            lines.join("\n") + "\n"
        }
        7 if len > 0 => {
            // delete a byte range
            let mut a = rng.random_range(0..len);
            let mut b = (a + rng.random_range(1..16)).min(len);
            while !text.is_char_boundary(a) {
                a -= 1;
            }
            while !text.is_char_boundary(b) {
                b += 1;
            }
            format!("{}{}", &text[..a], &text[b..])
        }
        8 => {
            // insert a random printable byte (or a newline)
            let mut at = rng.random_range(0..=len);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let c = if rng.random_bool(0.2) { '\n' } else { rng.random_range(0x20u8..0x7f) as char };
            format!("{}{}{}", &text[..at], c, &text[at..])
        }
        _ => {
            // flip one ASCII byte into another ASCII byte
            let mut bytes = text.as_bytes().to_vec();
            if bytes.is_empty() {
                return String::new();
            }
            let i = rng.random_range(0..bytes.len());
            if bytes[i].is_ascii() {
                bytes[i] = rng.random_range(0x09u8..0x7f);
            }
            String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
        }
    }
}

/// A mutated input: a seed with 1 to 4 mutations.
pub fn mutated(seeds: &[String], target: Target, rng: &mut ChaCha8Rng) -> String {
    let mut t = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..=4) {
        t = mutate_once(&t, target, rng);
    }
    t
}

/// Runs the reader of `target` on `text`: `Ok(true)` read, `Ok(false)` a clean error.
pub fn read(target: Target, text: &str, rng_choice: u64) -> bool {
    match target {
        Target::Json => match export::json::from_str(text, Path::new("fuzz.json")) {
            Ok((p, _)) => p.validate().is_ok(),
            Err(_) => false,
        },
        Target::Sdpa => match export::sdpa::from_str(text, Path::new("fuzz.dat-s")) {
            Ok(p) => p.validate().is_ok(),
            Err(_) => false,
        },
        Target::Cbf => match export::cbf::from_str(text, Path::new("fuzz.cbf")) {
            Ok(p) => p.validate().is_ok(),
            Err(_) => false,
        },
        Target::Csv => {
            let encoding = [TargetEncoding::Auto, TargetEncoding::Numeric, TargetEncoding::Signed, TargetEncoding::Onehot][(rng_choice % 4) as usize];
            let target = [TargetColumn::Last, TargetColumn::Position(1), TargetColumn::Name("label".into())][(rng_choice / 4 % 3) as usize].clone();
            let options = CsvOptions { target, encoding, ..CsvOptions::default() };
            match csv::parse_csv(text, Path::new("fuzz.csv"), &options) {
                Ok(d) => d.x.nrows() == d.y.nrows(),
                Err(_) => false,
            }
        }
    }
}

/// Outcome counts of a run.
#[derive(Debug, Default)]
pub struct Tally {
    pub ok: usize,
    pub errors: usize,
    /// (case number, input, reader option choice) of every panic.
    pub panics: Vec<(usize, String, u64)>,
}

/// Fuzzes `target` with `cases` mutated inputs from `seed`.
pub fn fuzz(target: Target, cases: usize, seed: u64) -> Tally {
    let seeds = seeds(target);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (target as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut tally = Tally::default();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for case in 0..cases {
        let text = mutated(&seeds, target, &mut rng);
        let choice: u64 = rng.random();
        match std::panic::catch_unwind(|| read(target, &text, choice)) {
            Ok(true) => tally.ok += 1,
            Ok(false) => tally.errors += 1,
            Err(_) => tally.panics.push((case, text, choice)),
        }
    }
    std::panic::set_hook(hook);
    tally
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cases: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut failed = false;
    for target in Target::ALL {
        let t0 = std::time::Instant::now();
        let tally = fuzz(target, cases, seed);
        println!(
            "{:<5} {cases} cases: {} read, {} clean errors, {} panics ({:.1} s)",
            target.name(),
            tally.ok,
            tally.errors,
            tally.panics.len(),
            t0.elapsed().as_secs_f64()
        );
        for (case, text, choice) in tally.panics.iter().take(5) {
            let path = std::env::temp_dir().join(format!("fuzz-failure-{}-{case}.txt", target.name()));
            let _ = std::fs::write(&path, text);
            println!("  panic on case {case}; input written to {}", path.display());
            // re-run with the default hook to show the message
            let _ = std::panic::catch_unwind(|| read(target, text, *choice));
        }
        failed |= !tally.panics.is_empty();
    }
    if failed {
        std::process::exit(1);
    }
}
