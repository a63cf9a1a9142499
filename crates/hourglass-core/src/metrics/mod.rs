//! Metrics: MSE, BCE, PSNR, SSIM, PCA, and ROC curves of anomaly scores.

mod image;
mod pca;
mod roc;
mod ssim;

pub mod anomaly;
pub use image::{bce, mse, psnr};
pub use pca::Pca;
pub use roc::{RocPoint, at_fpr, auc, roc};
pub use ssim::ssim;
