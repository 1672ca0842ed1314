//! Links the system OpenBLAS, which provides BLAS and LAPACK for Clarabel's PSD cone
//! (clarabel's `blas-src`/`lapack-src` features declare the symbols but do not pick a library)
//! and for the crate's own dense kernels (`src/linalg.rs`).
fn main() {
    println!("cargo:rustc-link-lib=dylib=openblas");
    println!("cargo:rerun-if-changed=build.rs");
}
