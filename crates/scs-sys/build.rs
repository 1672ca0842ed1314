//! Builds SCS 3.3.1 (from its pinned, sha256-verified PyPI source distribution) and our shim.
//!
//! Source lookup, in order:
//! 1. `$SCS_SOURCE_DIR` (a directory containing SCS's `include/scs.h`), if set;
//! 2. `<workspace>/.deps/scs-3.3.1/scs_source` (where `scripts/fetch-scs.sh` extracts it);
//! 3. otherwise this script runs `scripts/fetch-scs.sh` (needs python3 + pip and network) and
//!    uses the directory it prints. If that fails too, the build stops with the command to run.
//!
//! Compile-time configuration of SCS (see `scs_source/include/glbopts.h`, `scs_types.h`):
//! * no `DLONG`: `scs_int` is C `int` (32 bit; so nnz(A), nnz(P), m, n must be < 2^31);
//! * no `SFLOAT`: `scs_float` is `double`;
//! * `USE_LAPACK=1`: enables the PSD cone projection (LAPACK `dsyevr`) -- without it SCS
//!   rejects PSD cones;
//! * `CTRLC=0`: no SIGINT handler is installed (a library must not steal Ctrl-C), so SCS never
//!   returns `SCS_SIGINT`;
//! * BLAS/LAPACK names with a trailing underscore (SCS's default `BLASSUFFIX`), 32-bit BLAS
//!   integers (no `BLAS64`): matches Debian's libopenblas, which provides both BLAS and LAPACK;
//! * the direct linear-system solver (QDLDL + AMD), as the Python wheel's default `_scs_direct`.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCS_VERSION: &str = "3.3.1";

fn has_sources(dir: &Path) -> bool {
    dir.join("include/scs.h").is_file() && dir.join("src/scs.c").is_file()
}

fn find_sources(workspace: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("SCS_SOURCE_DIR") {
        let dir = PathBuf::from(dir);
        return if has_sources(&dir) {
            Ok(dir)
        } else {
            Err(format!("SCS_SOURCE_DIR={} does not contain SCS {SCS_VERSION} sources (include/scs.h, src/scs.c)", dir.display()))
        };
    }
    let default = workspace.join(format!(".deps/scs-{SCS_VERSION}/scs_source"));
    if has_sources(&default) {
        return Ok(default);
    }
    let script = workspace.join("scripts/fetch-scs.sh");
    println!("cargo:warning=SCS sources not found at {}; running {}", default.display(), script.display());
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let printed = String::from_utf8_lossy(&out.stdout).trim().lines().last().unwrap_or("").to_string();
    let dir = PathBuf::from(printed);
    if has_sources(&dir) {
        Ok(dir)
    } else if has_sources(&default) {
        Ok(default)
    } else {
        Err(format!("{} ran but no sources appeared at {}", script.display(), default.display()))
    }
}

fn c_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    v.sort();
    v
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().and_then(Path::parent).expect("crates/scs-sys lives two levels below the workspace").to_path_buf();
    println!("cargo:rerun-if-env-changed=SCS_SOURCE_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=shim/scs_shim.c");
    println!("cargo:rerun-if-changed=shim/scs_shim.h");

    let src = match find_sources(&workspace) {
        Ok(d) => d,
        Err(msg) => {
            eprintln!(
                "\nscs-sys: cannot find the SCS {SCS_VERSION} C sources.\n{msg}\n\n\
                 Fix: run `scripts/fetch-scs.sh` in the repository root (it downloads scs=={SCS_VERSION} from PyPI with\n\
                 `python3 -m pip download`, checks its sha256 and extracts it to .deps/), or set SCS_SOURCE_DIR to an\n\
                 extracted `scs_source/` directory of the scs-{SCS_VERSION} source distribution.\n\
                 Or build without SCS: `cargo build --no-default-features --features clarabel`.\n"
            );
            std::process::exit(1);
        }
    };
    // Only existing files here: a missing one would make cargo rerun this script every build.
    println!("cargo:rerun-if-changed={}", src.join("include/glbopts.h").display());

    let mut files = c_files(&src.join("src"));
    files.push(src.join("linsys/scs_matrix.c"));
    files.push(src.join("linsys/csparse.c"));
    files.extend(c_files(&src.join("linsys/cpu/direct")));
    files.push(src.join("linsys/external/qdldl/qdldl.c"));
    files.extend(c_files(&src.join("linsys/external/amd")));

    let mut build = cc::Build::new();
    build
        .files(&files)
        .file(manifest.join("shim/scs_shim.c"))
        .include(&src)
        .include(src.join("include"))
        .include(src.join("linsys"))
        .include(src.join("linsys/cpu/direct"))
        .include(src.join("linsys/external/qdldl"))
        .include(src.join("linsys/external/amd"))
        .include(manifest.join("shim"))
        .define("USE_LAPACK", "1")
        .define("CTRLC", "0")
        .flag_if_supported("-fno-math-errno")
        .flag_if_supported("-funroll-loops")
        .warnings(false)
        // SCS's iterations dominate solve time: optimise it even in debug/test builds.
        .opt_level(3)
        .debug(false);
    build.compile("scs");

    // BLAS + LAPACK from the system OpenBLAS (Debian: libopenblas-dev), plus libm.
    println!("cargo:rustc-link-lib=dylib=openblas");
    println!("cargo:rustc-link-lib=dylib=m");
    println!("cargo:include={}", manifest.join("shim").display());
}
