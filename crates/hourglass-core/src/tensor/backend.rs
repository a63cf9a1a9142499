//! The one place the tensor backend is chosen. Switching to a GPU backend later means
//! changing these two functions (and Burn's features).

use burn::tensor::Device;

/// Device for inference (no autodiff).
pub fn inference_device() -> Device {
    Device::flex()
}

/// Device for training (autodiff on top of the inference device).
pub fn training_device() -> Device {
    Device::flex().autodiff()
}
