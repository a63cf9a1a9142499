//! MNIST-size dense and convolutional autoencoders on the tensor engine (Burn, `flex` CPU
//! backend).

mod adam;
mod autoencoder;
mod backend;
mod bce;
mod conv;
mod dense;
mod dictionary;
mod evaluation;
mod host;
mod host_layers;
mod host_paths;
mod init;
mod inspect;
mod objective;
#[cfg(any(test, target_arch = "wasm32"))]
mod packed_gemm;
mod run;
mod sigmoid;
mod topk;
mod train_options;
mod trainer;

pub use adam::FusedAdam;
pub use autoencoder::{AeModule, Autoencoder, HOST_DECODE_MAX, LayerActivations};
pub use backend::{
    DeviceChoice, OpenedDevice, current_device, inference_device, on_cpu_engine, training_device,
    use_device,
};
pub use bce::{bce_with_logits, sigmoid_mse};
pub use conv::{ConvGeometry, conv_transpose2d, conv2d};
pub use dense::{DenseActivation, dense};
pub use dictionary::{
    CodeFigures, SparseFigures, code_figures, pca_fvu, pca_fvu_curve, sparse_figures,
};
pub use host_layers::HostLayers;
pub use init::initial_tensors;
// the matrix product, for the maps' neighbour search
pub use evaluation::{
    DenoisingEvaluation, EpochFigures, Evaluation, compare, epoch_figures, evaluate,
    evaluate_denoising,
};
pub(crate) use host::{mat, matmul, matmul_parallel};
pub use objective::{
    BatchLoss, Evaluated, Objective, Reconstruction, VariantObjective, mean_jacobian_norm,
    objective_for, reconstruction_loss,
};
pub use run::OPTIMIZERS;
pub use sigmoid::fast_sigmoid;
pub use trainer::{
    EpochReport, LossKind, Optimizer, Progress, StepReport, TrainOptions, Trainer, train,
};
