//! Hourglass's engine: pure computation, no network, no threads of its own, no file paths.
//! Readers take bytes; writers return bytes. Builds for wasm32 without the `tensor` feature.

pub mod architecture;
pub mod checkpoint;
pub mod data;
mod error;
pub mod fixed;
pub mod glass;
pub mod latent;
pub mod metrics;
#[cfg(feature = "tensor")]
pub mod probe;
#[cfg(feature = "tensor")]
pub mod project;
pub mod rng;
pub mod settings;
#[cfg(feature = "tensor")]
pub mod tensor;
pub mod variant;

pub use error::Error;
