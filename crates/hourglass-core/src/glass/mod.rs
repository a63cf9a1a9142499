//! The glass engine: exact small networks in f64 whose every weight, activation and
//! gradient can be shown (the Glass Box and the 3D Latent Explorer).
//!
//! Written by hand rather than on the tensor engine: these networks have tens to thousands
//! of parameters, where per-call overhead of a tensor library dominates, and the pages need
//! f64 values and per-sample introspection that a batched engine does not expose.

mod activation;
mod adam;
mod explorer;
mod glassbox;
mod init;
mod loss;
mod momentum;
mod network;

pub use activation::{Activation, LEAKY_SLOPE};
pub use adam::Adam;
pub use explorer::{
    EXPLORER_ACTIVATIONS, EXPLORER_HIDDEN, EXPLORER_LATENTS, EXPLORER_LR_RANGE, Explorer,
    ExplorerConfig, ExplorerSettings, ExplorerView, TRAIL_EVERY_RANGE, UPLOADED,
};
pub use glassbox::{
    GLASS_BOTTLENECK, GLASS_LR_RANGE, GLASS_MOMENTUM_RANGE, GLASS_SIZES, GlassBox, GlassSettings,
};
pub use init::Init;
pub use loss::{BCE_EPS, Loss};
pub use momentum::MomentumSgd;
pub use network::{Gradients, Layer, Network, Trace};
