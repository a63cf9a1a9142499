//! The model a dictionary reads instead of the pixels: the shipped 30-D model of the dataset,
//! at one of its layers (a hidden layer or its code). Images go in through its encoder up to
//! that layer; a change made there (a dictionary's reconstruction, a feature clamped) comes
//! out as an image through the rest of the encoder and the decoder.

use hourglass_core::tensor::Autoencoder;

use super::{Source, shipped_30d};
use crate::WireError;

/// A model and the layer of it a dictionary reads.
#[derive(Clone)]
pub(super) struct Base {
    pub model: Autoencoder,
    /// `encoder.i` (a hidden layer), or none for the code layer.
    pub layer: Option<usize>,
}

impl Base {
    /// The shipped 30-D model of `dataset` at the layer `source` names (none for pixels).
    pub fn of(source: Source, dataset: &str) -> Result<Option<Base>, WireError> {
        let layer = match source {
            Source::Pixels => return Ok(None),
            Source::Hidden1 => Some(0),
            Source::Hidden2 => Some(1),
            Source::Codes => None,
        };
        let (_, model) = shipped_30d(dataset)?;
        Ok(Some(Base { model, layer }))
    }

    /// The layer's activations for images `[n × 784]`: `[n × width]` and the width.
    pub fn read(&self, images: &[f32]) -> Result<(Vec<f32>, usize), WireError> {
        Ok(match self.layer {
            None => (
                self.model.encode_host(images, 512),
                self.model.arch.latent_size(),
            ),
            Some(i) => self
                .model
                .layer_rows(images, &format!("encoder.{i}"), 512)?,
        })
    }

    /// Images for rows of the layer's activations: the rest of the model from there.
    pub fn draw(&self, rows: &[f32]) -> Result<Vec<f32>, WireError> {
        let codes = match self.layer {
            None => rows.to_vec(),
            Some(i) => self.model.codes_from_layer(i, rows, 512)?,
        };
        Ok(self.model.decode_host(&codes, 512))
    }
}
