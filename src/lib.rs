//! convex-relu: train two-layer (and three-layer) ReLU networks through convex programs and
//! report how close to the global optimum the result is.
//!
//! The flow: [`data::Dataset`] --compile--> [`conic::ConicProblem`] (+ a layout that maps the
//! solution back) --[`backend`]--> [`backend::ConicSolution`] --recover/round--> [`network::Network`]
//! --> a report with certified lower and upper bounds.
//!
//! Mathematics and conventions: see docs/ and the module documentation of each stage.

pub mod allocator;
pub mod backend;
pub mod catalogue;
pub mod certify;
pub mod conic;
pub mod data;
pub mod dense;
pub mod dnn;
pub mod error;
pub mod export;
pub mod files;
pub mod formulation;
pub mod kernels;
pub mod lift;
pub mod limits;
pub mod linalg;
pub mod network;
pub mod network3;
pub mod patterns;
pub mod pipeline;
pub mod rounding;
pub mod study;
pub mod three_layer_run;
pub mod train;
pub mod train3;

pub use error::{Error, Result};
