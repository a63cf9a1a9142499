//! A dense model's layers on the host, without the tensor engine: decoding one code at a
//! time, and encoding many images in blocks of rows.
//!
//! Written by hand on purpose: decoding a single 32-value code through a dense decoder is
//! about 240k multiply-adds, a few microseconds of arithmetic, while each tensor-engine call
//! (host → tensor, three layers, tensor → host) costs tens of microseconds of dispatch and
//! copying. The pages decode one code per pointer move, so this path serves them; batches
//! still go through the engine. Its results match the engine's to f32 rounding (tested).
//!
//! The same stack of host layers encodes batches of a dense model ([`HostLayers::forward_rows`]):
//! blocks of rows, each block through every layer on one core (one `gemm` product per layer
//! into a small scratch buffer that stays in cache), the blocks spread over the cores. The
//! engine's path copied the whole input into a tensor first and split each layer's product
//! across the cores, with a fresh buffer per layer; the pages encode 10,000–70,000 images at
//! a time (W5 in `bench/`).

use burn::nn::Linear;
use rayon::prelude::*;

use super::host::{mat, matmul};

use crate::glass::Activation;

/// One dense layer, weights `[inputs × outputs]` row-major (the engine's own layout): the
/// output is built input by input as `y += x_i · W[i, :]`, contiguous and vectorizable.
#[derive(Debug, Clone)]
struct HostLayer {
    inputs: usize,
    outputs: usize,
    weights: Vec<f32>,
    biases: Vec<f32>,
    activation: Activation,
}

/// A dense decoder's or encoder's weights, copied out of the engine once.
#[derive(Debug, Clone)]
pub struct HostLayers {
    layers: Vec<HostLayer>,
}

impl HostLayers {
    /// Copies `linears` (a decoder's or an encoder's layers in order); layer `i` but the last
    /// uses `hidden[i]`, the last `output`.
    pub fn new(linears: &[Linear], hidden: &[Activation], output: Activation) -> Self {
        let last = linears.len().saturating_sub(1);
        let layers = linears
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let w = l.weight.val();
                let [inputs, outputs] = w.dims();
                HostLayer {
                    inputs,
                    outputs,
                    weights: w.into_data().try_into_vec::<f32>().expect("f32 weights"),
                    biases: l
                        .bias
                        .as_ref()
                        .expect("layers have biases")
                        .val()
                        .into_data()
                        .try_into_vec::<f32>()
                        .expect("f32 biases"),
                    activation: if i == last { output } else { hidden[i] },
                }
            })
            .collect();
        HostLayers { layers }
    }

    /// Values in a code.
    pub fn latent(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// Values out.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Decodes codes `[n × latent]` (row-major) and appends `[n × outputs]` to `out`.
    pub fn decode_into(&self, codes: &[f32], out: &mut Vec<f32>) {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for code in codes.chunks_exact(self.latent().max(1)) {
            a.clear();
            a.extend_from_slice(code);
            for layer in &self.layers {
                b.clear();
                b.extend_from_slice(&layer.biases);
                for (&x, row) in a.iter().zip(layer.weights.chunks_exact(layer.outputs)) {
                    if x != 0.0 {
                        b.iter_mut().zip(row).for_each(|(y, w)| *y += x * w);
                    }
                }
                b.iter_mut()
                    .for_each(|y| *y = layer.activation.apply_f32(*y));
                std::mem::swap(&mut a, &mut b);
            }
            out.extend_from_slice(&a);
        }
    }

    /// Rows `[n × inputs]` (row-major) through every layer, the last layer keeping only its
    /// first `keep` outputs (all when `None`): `[n × kept]`.
    pub fn forward_rows(&self, rows: &[f32], keep: Option<usize>) -> Vec<f32> {
        /// Rows per block: a 784-wide block is 1.6 MB in, its widest layer's scratch 0.5 MB.
        const BLOCK: usize = 512;
        let (Some(first), Some(last)) = (self.layers.first(), self.layers.last()) else {
            return rows.to_vec();
        };
        let width = first.inputs.max(1);
        let kept = keep.unwrap_or(last.outputs).min(last.outputs);
        let n = rows.len() / width;
        let mut out = vec![0.0f32; n * kept];
        if kept == 0 {
            return out;
        }
        rows.par_chunks(BLOCK * width)
            .zip(out.par_chunks_mut(BLOCK * kept))
            .for_each_init(
                || (Vec::new(), Vec::new()),
                |(a, b): &mut (Vec<f32>, Vec<f32>), (x, y)| {
                    let m = x.len() / width;
                    let count = self.layers.len();
                    for (li, layer) in self.layers.iter().enumerate() {
                        let lastl = li + 1 == count;
                        let cols = if lastl { kept } else { layer.outputs };
                        let input: &[f32] = if li == 0 { x } else { a };
                        b.clear();
                        for _ in 0..m {
                            b.extend_from_slice(&layer.biases[..cols]);
                        }
                        matmul(
                            m,
                            cols,
                            layer.inputs,
                            b,
                            true,
                            mat(input, layer.inputs, 1),
                            mat(&layer.weights, layer.outputs, 1),
                        );
                        if layer.activation != Activation::Linear {
                            b.iter_mut()
                                .for_each(|v| *v = layer.activation.apply_f32(*v));
                        }
                        std::mem::swap(a, b);
                    }
                    y.copy_from_slice(&a[..y.len()]);
                },
            );
        out
    }
}
