//! The pages whose jobs live here, one folder each. The server's registry (and the browser's
//! worker) list them in the navigation bar's order.

pub mod digits;
pub mod glass;
pub mod latent3d;
pub mod studio;
pub mod uses;
