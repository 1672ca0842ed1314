pub mod cpp;
pub mod sdp;
