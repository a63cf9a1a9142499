//! Checkpoints: the safetensors header, our configuration JSON, and the tensors it names.
#![no_main]
use hourglass_core::{checkpoint::Checkpoint, tensor::Autoencoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ck) = Checkpoint::from_bytes("f.safetensors", data) {
        // what loads must also build (or say why not): the server builds every listed model
        let _ = Autoencoder::from_tensors(
            &ck.config.architecture,
            &ck.tensors,
            &hourglass_core::tensor::inference_device(),
        );
    }
});
