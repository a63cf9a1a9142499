//! Looking inside a model: every layer's activations for one input (the pages draw them),
//! and one layer's activations for many (`hourglass encode --layer`).

use burn::tensor::{Tensor, TensorData};

use super::autoencoder::{Autoencoder, LayerActivations, host};
use crate::Error;

impl Autoencoder {
    /// One layer's activations (a name [`Autoencoder::layer_activations`] gives: `encoder.0`,
    /// `encoder.conv.1`, `latent`, `decoder.0`, `output` …) for every row of `values`, in
    /// batches of `batch`; returns the rows and their width. An unknown name is refused with
    /// the model's layer names.
    pub fn layer_rows(
        &self,
        values: &[f32],
        name: &str,
        batch: usize,
    ) -> Result<(Vec<f32>, usize), Error> {
        let width = self.arch.input_size();
        if values.is_empty() || !values.len().is_multiple_of(width) {
            return Err(Error::invalid(format!(
                "{} values are not whole samples of {width}",
                values.len()
            )));
        }
        let names: Vec<String> = self
            .layer_activations(&values[..width])?
            .into_iter()
            .map(|l| l.name)
            .collect();
        if !names.iter().any(|n| n == name) {
            return Err(Error::invalid(format!(
                "the model has no layer named '{name}' (its layers: {})",
                names.join(", ")
            )));
        }
        let mut out = Vec::new();
        let mut units = 0;
        for chunk in values.chunks(batch.max(1) * width) {
            let n = chunk.len() / width;
            let x = Tensor::from_data(TensorData::new(chunk.to_vec(), [n, width]), &self.device());
            let mut got: Option<Tensor<2>> = None;
            let logits = {
                let mut trace = |layer: String, t: Tensor<2>| {
                    if layer == name {
                        got = Some(t);
                    }
                };
                let z = self.encode_traced(x, &mut trace);
                self.decode_traced(z, &mut trace)
            };
            let t = match got {
                Some(t) => t,
                None => self.output_activation(logits),
            };
            let rows = host(t);
            units = rows.len() / n;
            out.extend(rows);
        }
        Ok((out, units))
    }

    /// Every layer's activations for one input (the pages draw activation maps).
    pub fn layer_activations(&self, sample: &[f32]) -> Result<Vec<LayerActivations>, Error> {
        let width = self.arch.input_size();
        if sample.len() != width {
            return Err(Error::invalid(format!(
                "sample has {} values, the model takes {width}",
                sample.len()
            )));
        }
        let x = Tensor::from_data(TensorData::new(sample.to_vec(), [1, width]), &self.device());
        let mut layers: Vec<(String, Tensor<2>)> = Vec::new();
        let z = self.encode_traced(x, &mut |name, t| layers.push((name, t)));
        let logits = self.decode_traced(z, &mut |name, t| layers.push((name, t)));
        layers.push(("output".into(), self.output_activation(logits)));
        let shape_of = |name: &str, units: usize| -> Vec<usize> {
            let conv_index = |prefix: &str| {
                name.strip_prefix(prefix)
                    .and_then(|i| i.parse::<usize>().ok())
            };
            if let Some(i) = conv_index("encoder.conv.") {
                self.conv_shapes[i + 1].to_vec()
            } else if let Some(j) = conv_index("decoder.deconv.") {
                self.conv_shapes[self.conv_shapes.len() - 2 - j].to_vec()
            } else if name == "output" && !self.conv_shapes.is_empty() {
                self.conv_shapes[0].to_vec()
            } else {
                vec![units]
            }
        };
        Ok(layers
            .into_iter()
            .map(|(name, t)| {
                let values = host(t);
                let shape = shape_of(&name, values.len());
                LayerActivations {
                    name,
                    shape,
                    values,
                }
            })
            .collect())
    }
}
