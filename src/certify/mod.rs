//! Certified bounds on the global optimum p*, of both kinds, in one place.
//!
//! * [`crelu`] (re-exported here): the dual certificate of the scalar-output two-layer problem
//!   from any candidate network, priced over every activation pattern, and the upper bound that
//!   any real network's objective is.
//! * [`sdp`]: lower bounds on the SDP relaxation (hence on p*) from the approximate duals of every
//!   backend (Clarabel, SCS, `dnn`), valid whatever the solver's status.
//! * [`shift`]: the PSD repair those SDP bounds share (the best shift over the multipliers of two
//!   redundant constraints, verified by a Cholesky factorisation with a margin).

pub mod crelu;
pub mod sdp;
pub mod shift;

pub use crelu::*;
