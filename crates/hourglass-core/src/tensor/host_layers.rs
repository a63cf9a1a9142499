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
//! a time (W5 in `bench/`). A first layer fed mostly-blank images (digits) skips the blank
//! pixels ([`sparse_rows`]).

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
                        if li == 0 && mostly_zero(input) {
                            sparse_rows(
                                input,
                                layer.inputs,
                                &layer.weights,
                                layer.outputs,
                                cols,
                                b,
                            );
                        } else {
                            matmul(
                                m,
                                cols,
                                layer.inputs,
                                b,
                                true,
                                mat(input, layer.inputs, 1),
                                mat(&layer.weights, layer.outputs, 1),
                            );
                        }
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

/// Are at least half of the values exactly zero? (MNIST's images are about 80% background.)
fn mostly_zero(values: &[f32]) -> bool {
    let zeros: usize = values.iter().map(|&v| (v == 0.0) as usize).sum();
    2 * zeros >= values.len()
}

/// `y[r, ..cols] += Σ_i x[r, i] · W[i, ..cols]` over the nonzero `x[r, i]` only, rows
/// `[m × inputs]` into `y [m × cols]`, `W [inputs × outputs]` row-major. An image that is
/// mostly background costs its ink, not its width: the first layer of a digit model is 93% of
/// its encoder's multiply-adds, and a digit has ~150 inked pixels of 784. Written by hand
/// because a dense product (gemm or the wasm kernel) multiplies every zero; four inked pixels
/// at a time, so each output is read and written once per four weight rows. The sums differ
/// from the dense product's only in rounding order (f32 rounding; tested). Measured on 2,000
/// MNIST test digits through 784-100-50-25-2 (the Digits Lab's live map while training): in
/// wasm (Node, simd128) 16.3 → 7.0 ms an encode; natively on one thread 5.2 ms either way.
fn sparse_rows(x: &[f32], inputs: usize, w: &[f32], outputs: usize, cols: usize, y: &mut [f32]) {
    let row = |i: usize| &w[i * outputs..][..cols];
    let mut inked: Vec<(usize, f32)> = vec![(0, 0.0); inputs];
    for (xr, yr) in x.chunks_exact(inputs).zip(y.chunks_exact_mut(cols)) {
        // the inked pixels: blank runs skipped four pixels a test, and no branch per pixel
        // inside a run with ink (whether a pixel is inked is a coin toss: branches mispredict)
        let mut n = 0;
        let mut note = |i: usize, v: f32| {
            inked[n] = (i, v);
            n += (v != 0.0) as usize;
        };
        let mut fours = xr.chunks_exact(4);
        for (c, four) in (&mut fours).enumerate() {
            // every bit but the sign: ±0 are both blank
            if four.iter().fold(0, |a, v| a | v.to_bits()) << 1 != 0 {
                four.iter()
                    .enumerate()
                    .for_each(|(j, &v)| note(4 * c + j, v));
            }
        }
        let tail = inputs - fours.remainder().len();
        fours
            .remainder()
            .iter()
            .enumerate()
            .for_each(|(j, &v)| note(tail + j, v));
        let inked = &inked[..n];
        let mut quads = inked.chunks_exact(4);
        for q in &mut quads {
            let [(i0, a0), (i1, a1), (i2, a2), (i3, a3)] = [q[0], q[1], q[2], q[3]];
            let ws = row(i0).iter().zip(row(i1)).zip(row(i2)).zip(row(i3));
            for (y, (((w0, w1), w2), w3)) in yr.iter_mut().zip(ws) {
                *y += a0 * w0 + a1 * w1 + a2 * w2 + a3 * w3;
            }
        }
        for &(i, a) in quads.remainder() {
            yr.iter_mut().zip(row(i)).for_each(|(y, w)| *y += a * w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer with seeded weights, and rows that are mostly zero (a digit's background).
    fn layer(inputs: usize, outputs: usize) -> HostLayer {
        let w = |i: usize| ((i * 2_654_435_761 % 1000) as f32 / 500.0) - 1.0;
        HostLayer {
            inputs,
            outputs,
            weights: (0..inputs * outputs).map(w).collect(),
            biases: (0..outputs).map(|i| w(i + 7) * 0.1).collect(),
            activation: Activation::Linear,
        }
    }

    fn naive(x: &[f32], l: &HostLayer, cols: usize) -> Vec<f32> {
        x.chunks_exact(l.inputs)
            .flat_map(|r| {
                (0..cols).map(move |j| {
                    let dot: f64 = (0..l.inputs)
                        .map(|i| r[i] as f64 * l.weights[i * l.outputs + j] as f64)
                        .sum();
                    (dot + l.biases[j] as f64) as f32
                })
            })
            .collect()
    }

    #[test]
    fn mostly_blank_rows_take_the_inked_path_and_agree_with_the_full_product() {
        // 13 rows of 37 values, 5 of 37 inked (any count mod 4), one row blank, 9 outputs of
        // 11 kept: the remainder loop, the quads and the kept columns all run
        let l = layer(37, 11);
        let x: Vec<f32> = (0..13 * 37)
            .map(|i| {
                let (r, c) = (i / 37, i % 37);
                if r != 4 && (c * 7 + r) % 37 < 5 + r % 4 {
                    0.25 + (i % 5) as f32 * 0.2
                } else {
                    0.0
                }
            })
            .collect();
        assert!(mostly_zero(&x));
        let layers = HostLayers {
            layers: vec![l.clone()],
        };
        let got = layers.forward_rows(&x, Some(9));
        let want = naive(&x, &l, 9);
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "value {i}: {a} vs {b}"
            );
        }
        // the blank row is the biases alone
        assert_eq!(&got[4 * 9..5 * 9], &l.biases[..9]);
    }

    #[test]
    fn dense_rows_take_the_full_product() {
        let l = layer(16, 6);
        let x: Vec<f32> = (0..5 * 16).map(|i| 0.1 + (i % 3) as f32).collect();
        assert!(!mostly_zero(&x));
        let got = HostLayers {
            layers: vec![l.clone()],
        }
        .forward_rows(&x, None);
        for (a, b) in got.iter().zip(naive(&x, &l, 6)) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}
