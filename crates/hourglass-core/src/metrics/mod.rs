//! Metrics: MSE, BCE, PSNR, SSIM and PCA.

mod image;
mod pca;
mod ssim;

pub use image::{bce, mse, psnr};
pub use pca::Pca;
pub use ssim::ssim;
