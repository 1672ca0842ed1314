//! Links the system OpenBLAS, which provides BLAS and LAPACK for Clarabel's PSD cone
//! (clarabel's `blas-src`/`lapack-src` features declare the symbols but do not pick a library).
fn main() {
    if std::env::var_os("CARGO_FEATURE_CLARABEL").is_some() {
        println!("cargo:rustc-link-lib=dylib=openblas");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
