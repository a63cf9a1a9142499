//! One module per subcommand.

pub mod anomaly;
pub mod bench;
pub mod codes;
pub mod data;
pub mod eval;
pub mod metrics;
pub mod models;
pub mod probe;
pub mod project;
pub mod serve;
pub mod train;
pub mod train_data;

use std::path::Path;

use anyhow::{Context, Result};
use hourglass_core::{
    checkpoint::Checkpoint,
    tensor::{Autoencoder, inference_device},
};

/// Reads and validates a checkpoint — a file, or a model shipped in the binary by its name
/// (`mnist-30d`; a file of that name wins) — and builds its model for inference.
pub fn load_model(path: &Path) -> Result<(Checkpoint, Autoencoder)> {
    if !path.exists() {
        if let Some(m) = path.to_str().and_then(hourglass_lab::shipped::model) {
            return model_from_bytes(&format!("the shipped model {}", m.name), m.bytes);
        }
        let names: Vec<&str> = hourglass_lab::shipped::MODELS
            .iter()
            .map(|m| m.name)
            .collect();
        anyhow::bail!(
            "{}: no such file, and no model shipped in Hourglass has that name (shipped: {}; \
             `hourglass models` lists them)",
            path.display(),
            names.join(", ")
        );
    }
    let bytes = crate::datasets::read_file(path)?;
    model_from_bytes(&path.display().to_string(), &bytes)
}

/// Validates a checkpoint's bytes (named `source` in errors) and builds its model for
/// inference.
pub fn model_from_bytes(source: &str, bytes: &[u8]) -> Result<(Checkpoint, Autoencoder)> {
    let ck = Checkpoint::from_bytes(source, bytes)?;
    let model =
        Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())
            .with_context(|| format!("{source}: cannot build the model"))?;
    Ok((ck, model))
}

/// Formats a metric for people: finite values with 6 significant digits.
pub fn fmt(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        "inf".into()
    }
}

/// A PSNR for people: in dB, or why it has no number (identical images; `--json` writes
/// null for it, as JSON has no infinity).
pub fn psnr_text(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6} dB")
    } else {
        "infinite: the images are identical (null in --json)".into()
    }
}

/// A metric for JSON: infinity (PSNR of identical images) becomes null.
pub fn json_num(v: f64) -> serde_json::Value {
    if v.is_finite() {
        serde_json::json!(v)
    } else {
        serde_json::Value::Null
    }
}
