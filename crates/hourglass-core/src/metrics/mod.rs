//! Metrics: MSE, BCE, PSNR, SSIM, PCA, ROC curves of anomaly scores, and a sparse code's
//! L0, dead units and fraction of variance unexplained.

mod image;
mod pca;
mod roc;
mod sparse;
mod ssim;

pub mod anomaly;
pub use image::{bce, mse, psnr};
pub use pca::Pca;
pub use roc::{RocPoint, at_fpr, auc, roc};
pub use sparse::{CodeSparsity, code_sparsity, fvu};
pub use ssim::{ssim, ssim_channels};
