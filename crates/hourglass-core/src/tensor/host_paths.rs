//! Many samples through a model, as host values in and out: in batches on the engine, or,
//! for a dense model, on the host ([`HostLayers`]: its weights copied once, no engine
//! dispatch) where that is faster — encoding many images, decoding a few codes.

use std::sync::Arc;

use burn::tensor::{Tensor, TensorData};

use super::{
    HOST_DECODE_MAX, HostLayers,
    autoencoder::{Autoencoder, host},
};
use crate::{
    architecture::{Architecture, Code},
    glass::Activation,
};

impl Autoencoder {
    /// Runs host values `[n × features]` through `f` in batches of `batch` and returns host
    /// values.
    fn batched(
        &self,
        values: &[f32],
        width: usize,
        batch: usize,
        f: impl Fn(&Self, Tensor<2>) -> Tensor<2> + Sync,
    ) -> Vec<f32> {
        let device = self.device();
        let run = || {
            let mut out = Vec::new();
            for chunk in values.chunks(width * batch.max(1)) {
                let n = chunk.len() / width;
                let x = Tensor::from_data(TensorData::new(chunk.to_vec(), [n, width]), &device);
                let y = host(f(self, x));
                if out.is_empty() {
                    out = y;
                } else {
                    out.extend(y);
                }
            }
            out
        };
        // as a training step runs (see `on_engine_threads`)
        super::backend::on_engine_threads(run)
    }

    /// Codes for host samples (row-major `[n × features]`). A dense model with a linear,
    /// ReLU, TopK or gaussian (μ) code encodes on the host ([`HostLayers::forward_rows`]), others
    /// through the engine in batches of `batch`.
    pub fn encode_host(&self, values: &[f32], batch: usize) -> Vec<f32> {
        if let Some(e) = self.host_encoder() {
            let latent = self.arch.latent_size();
            let z = match self.arch.code() {
                Code::Linear => Some(e.forward_rows(values, None)),
                Code::Relu => {
                    let mut z = e.forward_rows(values, None);
                    z.iter_mut()
                        .for_each(|v| *v = Activation::Relu.apply_f32(*v));
                    Some(z)
                }
                // μ: the first half of the last layer's outputs
                Code::Gaussian => Some(e.forward_rows(values, Some(latent))),
                Code::TopK(k) => {
                    let mut z = e.forward_rows(values, None);
                    super::topk::topk_rows(&mut z, latent, k);
                    Some(z)
                }
                Code::Sigmoid => None,
            };
            if let Some(z) = z {
                return z;
            }
        }
        self.batched(values, self.arch.input_size(), batch, |m, x| m.encode(x))
    }

    /// The host copy of a dense encoder, its last layer linear (None for a conv model).
    fn host_encoder(&self) -> Option<&HostLayers> {
        self.host
            .encoder
            .get_or_init(|| match self.arch {
                Architecture::Dense { .. } => {
                    let n = self.module.enc_linears.len();
                    let hidden: Vec<Activation> = (0..n.saturating_sub(1))
                        .map(|i| self.hidden_at(i))
                        .collect();
                    Some(Arc::new(HostLayers::new(
                        &self.module.enc_linears,
                        &hidden,
                        Activation::Linear,
                    )))
                }
                Architecture::Conv { .. } => None,
            })
            .as_deref()
    }

    /// A VAE's code distributions for host samples: rows of μ then log σ² (`2 · latent`
    /// values each).
    pub fn encode_gaussian_host(&self, values: &[f32], batch: usize) -> Vec<f32> {
        self.batched(values, self.arch.input_size(), batch, |m, x| {
            let (mu, logvar) = m.encode_gaussian(x);
            Tensor::cat(vec![mu, logvar], 1)
        })
    }

    /// Reconstructions for host codes (row-major `[n × latent]`). A few codes of a dense
    /// model are decoded on the host ([`HostLayers`]: no engine dispatch), more in batches
    /// on the engine.
    pub fn decode_host(&self, codes: &[f32], batch: usize) -> Vec<f32> {
        let latent = self.arch.latent_size();
        if codes.len() <= HOST_DECODE_MAX * latent
            && let Some(d) = self.host_decoder()
        {
            let mut out = Vec::with_capacity(codes.len() / latent * d.outputs());
            d.decode_into(codes, &mut out);
            return out;
        }
        self.batched(codes, latent, batch, |m, z| m.decode(z))
    }

    /// The host copy of a dense decoder (None for a conv model).
    fn host_decoder(&self) -> Option<&HostLayers> {
        self.host
            .decoder
            .get_or_init(|| match self.arch {
                Architecture::Dense { .. } => Some(Arc::new(HostLayers::new(
                    &self.module.dec_linears,
                    &self.decoder_hidden(),
                    self.output(),
                ))),
                Architecture::Conv { .. } => None,
            })
            .as_deref()
    }

    /// Reconstructions for host samples.
    pub fn reconstruct_host(&self, values: &[f32], batch: usize) -> Vec<f32> {
        self.batched(values, self.arch.input_size(), batch, |m, x| {
            m.reconstruct(x)
        })
    }
}
