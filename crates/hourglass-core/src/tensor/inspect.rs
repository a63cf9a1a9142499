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

    /// Codes from a dense encoder layer's activations: rows `[n × width]` of `encoder.LAYER`
    /// (as [`Autoencoder::layer_rows`] gives them) through the rest of the encoder and the
    /// code layer, in batches of `batch` — so a change made at that layer (a sparse
    /// dictionary's reconstruction, a feature clamped) can be decoded to an image.
    pub fn codes_from_layer(
        &self,
        layer: usize,
        rows: &[f32],
        batch: usize,
    ) -> Result<Vec<f32>, Error> {
        let linears = &self.module.enc_linears;
        if !self.module.enc_convs.is_empty() || layer + 1 >= linears.len() {
            return Err(Error::invalid(format!(
                "encoder.{layer} is not a hidden dense layer of this model"
            )));
        }
        let width = linears[layer + 1].weight.dims()[0];
        if rows.is_empty() || !rows.len().is_multiple_of(width) {
            return Err(Error::invalid(format!(
                "{} values are not whole rows of encoder.{layer}'s {width}",
                rows.len()
            )));
        }
        let last = linears.len() - 1;
        let mut out = Vec::with_capacity(rows.len() / width * self.arch.latent_size());
        for chunk in rows.chunks(batch.max(1) * width) {
            let n = chunk.len() / width;
            let mut h =
                Tensor::from_data(TensorData::new(chunk.to_vec(), [n, width]), &self.device());
            for (i, l) in linears.iter().enumerate().skip(layer + 1) {
                let a = if i < last {
                    self.hidden_at(i)
                } else {
                    crate::glass::Activation::Linear
                };
                h = super::autoencoder::layer(l, h, a);
            }
            out.extend(host(self.code_of(h)));
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use crate::{
        architecture::{Architecture, Code},
        glass::Activation,
        rng::Rng,
        tensor::{Autoencoder, initial_tensors, training_device},
    };

    #[test]
    fn codes_from_a_hidden_layer_are_the_codes_of_the_images() {
        let arch = Architecture::Dense {
            layers: vec![12, 9, 6, 3],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 4).unwrap(),
            &training_device(),
        )
        .unwrap();
        let mut rng = Rng::new(2);
        let x: Vec<f32> = (0..5 * 12).map(|_| rng.uniform(0.0, 1.0) as f32).collect();
        let codes = model.encode_host(&x, 2);
        for layer in 0..2 {
            let (rows, width) = model
                .layer_rows(&x, &format!("encoder.{layer}"), 2)
                .unwrap();
            assert_eq!(width, [9, 6][layer]);
            let again = model.codes_from_layer(layer, &rows, 2).unwrap();
            for (a, b) in again.iter().zip(&codes) {
                assert!((a - b).abs() < 1e-5, "encoder.{layer}: {a} against {b}");
            }
        }
        let e = model
            .codes_from_layer(2, &[0.0; 3], 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a hidden dense layer"), "{e}");
        let e = model
            .codes_from_layer(0, &[0.0; 4], 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("whole rows"), "{e}");
    }
}
