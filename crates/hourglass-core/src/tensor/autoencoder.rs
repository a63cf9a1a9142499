//! A dense or convolutional autoencoder as a Burn module, built from an [`Architecture`] and
//! PyTorch-layout tensors, and turned back into them.

use burn::{
    module::{Module, Param},
    nn::{
        Linear, LinearConfig,
        conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig},
    },
    tensor::{Device, Tensor, TensorData, activation},
};

use std::sync::{Arc, OnceLock};

use super::{
    conv::{ConvGeometry, conv_transpose2d, conv2d},
    dense::{DenseActivation, dense},
    host_layers::HostLayers,
};
use crate::{
    Error,
    architecture::{Architecture, Code},
    checkpoint::NamedTensor,
    glass::{Activation, LEAKY_SLOPE},
};

/// The trainable parts. A dense model has no convolutions and several linear layers; a conv
/// model has one linear layer (the bottleneck) on each side of its convolutions.
#[derive(Module, Debug)]
pub struct AeModule {
    pub enc_convs: Vec<Conv2d>,
    pub enc_linears: Vec<Linear>,
    pub dec_linears: Vec<Linear>,
    pub dec_deconvs: Vec<ConvTranspose2d>,
}

/// An autoencoder: its architecture and its module.
#[derive(Debug, Clone)]
pub struct Autoencoder {
    pub arch: Architecture,
    /// Replaced in place by the trainer's optimizer steps (see [`Autoencoder::set_module`]).
    pub(super) module: AeModule,
    /// `[c, h, w]` after each conv, input first (empty for a dense model).
    pub(super) conv_shapes: Vec<[usize; 3]>,
    /// Each encoder conv's geometry, with the output padding its mirroring transposed conv
    /// needs (empty for a dense model).
    conv_geometry: Vec<ConvGeometry>,
    /// Host copies of a dense model's weights, made on first use (see [`HostLayers`]);
    /// forgotten whenever the module is replaced.
    pub(super) host: HostCopies,
}

/// A dense model's decoder and encoder as host layers (`None` for a conv model).
#[derive(Debug, Default, Clone)]
pub(super) struct HostCopies {
    pub(super) decoder: OnceLock<Option<Arc<HostLayers>>>,
    pub(super) encoder: OnceLock<Option<Arc<HostLayers>>>,
}

/// One layer's activations for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerActivations {
    pub name: String,
    /// `[channels, height, width]` for conv layers, `[units]` for dense ones.
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Up to this many codes are decoded on the host rather than the tensor engine.
pub const HOST_DECODE_MAX: usize = 8;

/// A linear layer and its activation: ReLU-like ones in the same op (see
/// [`super::dense`]), the others as a separate op after it.
pub(super) fn layer(l: &Linear, x: Tensor<2>, a: Activation) -> Tensor<2> {
    let (fused, after) = fused(a);
    act(after, dense(x, l.weight.val(), bias(&l.bias), fused))
}

/// What of activation `a` the custom ops apply themselves, and what follows them as its own
/// op (`Linear` where nothing does).
fn fused(a: Activation) -> (DenseActivation, Activation) {
    match a {
        Activation::Linear => (DenseActivation::Linear, Activation::Linear),
        Activation::Relu => (DenseActivation::Relu, Activation::Linear),
        Activation::LeakyRelu => (
            DenseActivation::LeakyRelu(LEAKY_SLOPE as f32),
            Activation::Linear,
        ),
        other => (DenseActivation::Linear, other),
    }
}

/// A layer's bias (every layer this module builds has one).
fn bias(b: &Option<Param<Tensor<1>>>) -> Tensor<1> {
    b.as_ref().expect("layers are built with a bias").val()
}

/// The geometry of each conv layer of `arch` (empty for a dense model).
fn geometry(arch: &Architecture, out_pad: &[usize]) -> Vec<ConvGeometry> {
    match arch {
        Architecture::Dense { .. } => vec![],
        Architecture::Conv { convs, .. } => convs
            .iter()
            .zip(out_pad)
            .map(|(c, &out_padding)| ConvGeometry {
                kernel: c.kernel,
                stride: c.stride,
                padding: c.padding,
                out_padding,
            })
            .collect(),
    }
}

fn act<const D: usize>(a: Activation, x: Tensor<D>) -> Tensor<D> {
    match a {
        // vectorized and multi-threaded, keeping its output for the backward pass
        Activation::Sigmoid => super::fast_sigmoid(x),
        Activation::Tanh => x.tanh(),
        Activation::Relu => activation::relu(x),
        Activation::LeakyRelu => activation::leaky_relu(x, LEAKY_SLOPE),
        Activation::Linear => x,
    }
}

/// The derivative of activation `a` at each value, from the activation's output `y`.
fn derivative_from_output(a: Activation, y: Tensor<2>) -> Tensor<2> {
    match a {
        Activation::Linear => y.ones_like(),
        Activation::Relu => y.greater_elem(0.0).float(),
        Activation::LeakyRelu => y.greater_elem(0.0).float() * (1.0 - LEAKY_SLOPE) + LEAKY_SLOPE,
        Activation::Sigmoid => y.clone() * (y.neg() + 1.0),
        Activation::Tanh => y.powi_scalar(2).neg() + 1.0,
    }
}

fn tensor<const D: usize>(t: &NamedTensor, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::<D>::from_data(TensorData::new(t.values.clone(), shape), device)
}

pub(super) fn host(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .try_into_vec::<f32>()
        .expect("the engine computes in f32")
}

impl Autoencoder {
    /// Builds the model from tensors in PyTorch layout (from [`super::initial_tensors`] or a
    /// checkpoint), on `device`.
    pub fn from_tensors(
        arch: &Architecture,
        tensors: &[NamedTensor],
        device: &Device,
    ) -> Result<Self, Error> {
        let specs = arch.tensor_specs()?;
        let get = |name: &str| -> Result<&NamedTensor, Error> {
            let t = tensors
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| Error::invalid(format!("missing tensor '{name}'")))?;
            let spec = specs
                .iter()
                .find(|s| s.name == name)
                .expect("names come from the specs");
            if t.shape != spec.shape {
                return Err(Error::invalid(format!(
                    "tensor '{name}' has shape {:?}, expected {:?}",
                    t.shape, spec.shape
                )));
            }
            Ok(t)
        };
        let linear = |prefix: &str| -> Result<Linear, Error> {
            let w = get(&format!("{prefix}.weight"))?;
            let b = get(&format!("{prefix}.bias"))?;
            let (o, i) = (w.shape[0], w.shape[1]);
            let mut l = LinearConfig::new(i, o).init(device);
            // Burn stores Linear weights as [in, out]; PyTorch as [out, in].
            l.weight = Param::from_tensor(tensor::<2>(w, [o, i], device).transpose());
            l.bias = Some(Param::from_tensor(tensor::<1>(b, [o], device)));
            Ok(l)
        };
        let (conv_shapes, out_pad) = arch.conv_shapes()?;
        let conv_geometry = geometry(arch, &out_pad);
        let module = match arch {
            Architecture::Dense { layers, .. } => AeModule {
                enc_convs: vec![],
                enc_linears: (0..layers.len() - 1)
                    .map(|i| linear(&format!("encoder.{i}")))
                    .collect::<Result<_, _>>()?,
                dec_linears: (0..layers.len() - 1)
                    .map(|i| linear(&format!("decoder.{i}")))
                    .collect::<Result<_, _>>()?,
                dec_deconvs: vec![],
            },
            Architecture::Conv { convs, .. } => {
                let mut enc_convs = Vec::new();
                for (i, c) in convs.iter().enumerate() {
                    let w = get(&format!("encoder.conv.{i}.weight"))?;
                    let b = get(&format!("encoder.conv.{i}.bias"))?;
                    let mut conv = Conv2dConfig::new([w.shape[1], c.filters], [c.kernel, c.kernel])
                        .with_stride([c.stride, c.stride])
                        .with_padding(burn::nn::PaddingConfig2d::Explicit(
                            c.padding, c.padding, c.padding, c.padding,
                        ))
                        .init(device);
                    conv.weight = Param::from_tensor(tensor::<4>(
                        w,
                        [w.shape[0], w.shape[1], w.shape[2], w.shape[3]],
                        device,
                    ));
                    conv.bias = Some(Param::from_tensor(tensor::<1>(b, [c.filters], device)));
                    enc_convs.push(conv);
                }
                let mut dec_deconvs = Vec::new();
                for (j, i) in (0..convs.len()).rev().enumerate() {
                    let c = convs[i];
                    let w = get(&format!("decoder.deconv.{j}.weight"))?;
                    let b = get(&format!("decoder.deconv.{j}.bias"))?;
                    let mut d =
                        ConvTranspose2dConfig::new([c.filters, w.shape[1]], [c.kernel, c.kernel])
                            .with_stride([c.stride, c.stride])
                            .with_padding([c.padding, c.padding])
                            .with_padding_out([out_pad[i], out_pad[i]])
                            .init(device);
                    d.weight = Param::from_tensor(tensor::<4>(
                        w,
                        [w.shape[0], w.shape[1], w.shape[2], w.shape[3]],
                        device,
                    ));
                    d.bias = Some(Param::from_tensor(tensor::<1>(b, [w.shape[1]], device)));
                    dec_deconvs.push(d);
                }
                AeModule {
                    enc_convs,
                    enc_linears: vec![linear("encoder.fc")?],
                    dec_linears: vec![linear("decoder.fc")?],
                    dec_deconvs,
                }
            }
        };
        Ok(Autoencoder {
            arch: arch.clone(),
            module,
            conv_shapes,
            conv_geometry,
            host: HostCopies::default(),
        })
    }

    /// Wraps a module (for example one handed back by an optimizer step).
    pub fn from_module(arch: Architecture, module: AeModule) -> Self {
        let (conv_shapes, out_pad) = arch.conv_shapes().unwrap_or_default();
        let conv_geometry = geometry(&arch, &out_pad);
        Autoencoder {
            arch,
            module,
            conv_shapes,
            conv_geometry,
            host: HostCopies::default(),
        }
    }

    /// The trainable module.
    pub fn module(&self) -> &AeModule {
        &self.module
    }

    /// Replaces the module (after an optimizer step); forgets host copies of its weights.
    pub fn set_module(&mut self, module: AeModule) {
        self.module = module;
        self.host = HostCopies::default();
    }

    /// The model's tensors in PyTorch layout, named as in [`Architecture::tensor_specs`].
    pub fn to_tensors(&self) -> Vec<NamedTensor> {
        fn named<const D: usize>(name: String, t: Tensor<D>) -> NamedTensor {
            let shape = t.dims().to_vec();
            NamedTensor {
                name,
                shape,
                values: t.into_data().try_into_vec::<f32>().expect("f32 weights"),
            }
        }
        let m = &self.module;
        let mut out = Vec::new();
        let linear = |out: &mut Vec<NamedTensor>, prefix: String, l: &Linear| {
            out.push(named(
                format!("{prefix}.weight"),
                l.weight.val().transpose(),
            ));
            out.push(named(
                format!("{prefix}.bias"),
                l.bias.as_ref().expect("layers have biases").val(),
            ));
        };
        match &self.arch {
            Architecture::Dense { .. } => {
                for (i, l) in m.enc_linears.iter().enumerate() {
                    linear(&mut out, format!("encoder.{i}"), l);
                }
                for (i, l) in m.dec_linears.iter().enumerate() {
                    linear(&mut out, format!("decoder.{i}"), l);
                }
            }
            Architecture::Conv { .. } => {
                for (i, c) in m.enc_convs.iter().enumerate() {
                    out.push(named(format!("encoder.conv.{i}.weight"), c.weight.val()));
                    out.push(named(
                        format!("encoder.conv.{i}.bias"),
                        c.bias.as_ref().expect("bias").val(),
                    ));
                }
                linear(&mut out, "encoder.fc".into(), &m.enc_linears[0]);
                linear(&mut out, "decoder.fc".into(), &m.dec_linears[0]);
                for (j, d) in m.dec_deconvs.iter().enumerate() {
                    out.push(named(format!("decoder.deconv.{j}.weight"), d.weight.val()));
                    out.push(named(
                        format!("decoder.deconv.{j}.bias"),
                        d.bias.as_ref().expect("bias").val(),
                    ));
                }
            }
        }
        out
    }

    /// The activation of a conv model's layers (and of its dense layers).
    fn hidden(&self) -> Activation {
        match &self.arch {
            Architecture::Dense { activation, .. } | Architecture::Conv { activation, .. } => {
                *activation
            }
        }
    }

    /// The activation of the encoder's dense layer `i` (its mirror in the decoder uses the
    /// same).
    pub(super) fn hidden_at(&self, i: usize) -> Activation {
        self.arch.hidden_activation(i)
    }

    /// The activations of the decoder's dense layers but the output, in order.
    pub(super) fn decoder_hidden(&self) -> Vec<Activation> {
        let n = self.module.dec_linears.len();
        match &self.arch {
            // decoder layer j gives the mirror of encoder hidden layer n − 2 − j
            Architecture::Dense { .. } => (0..n.saturating_sub(1))
                .map(|j| self.hidden_at(n - 2 - j))
                .collect(),
            Architecture::Conv { .. } => vec![self.hidden(); n],
        }
    }

    pub(super) fn output(&self) -> Activation {
        match &self.arch {
            Architecture::Dense { output, .. } | Architecture::Conv { output, .. } => *output,
        }
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.module.enc_linears[0].weight.val().device()
    }

    /// Encodes a batch `[n, features]` to codes `[n, latent]`: the last encoder layer's output
    /// through the code layer (a VAE's code is its mean μ).
    pub fn encode(&self, x: Tensor<2>) -> Tensor<2> {
        self.encode_traced(x, &mut |_, _| {})
    }

    /// A VAE's code distribution for a batch: `(μ, log σ²)`, each `[n, latent]`. For other
    /// models the code itself and zeros.
    pub fn encode_gaussian(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let raw = self.encoder_output(x, &mut |_, _| {});
        let [n, width] = raw.dims();
        if self.arch.code() == Code::Gaussian {
            let l = width / 2;
            (raw.clone().slice([0..n, 0..l]), raw.slice([0..n, l..width]))
        } else {
            let z = self.code_of(raw);
            let zeros = z.zeros_like();
            (z, zeros)
        }
    }

    /// The code layer applied to the last encoder layer's output.
    pub(super) fn code_of(&self, raw: Tensor<2>) -> Tensor<2> {
        match self.arch.code() {
            Code::Linear => raw,
            Code::Relu => activation::relu(raw),
            Code::Sigmoid => super::fast_sigmoid(raw),
            Code::TopK(k) => super::topk::topk_code(raw, k),
            Code::Gaussian => {
                let [n, width] = raw.dims();
                raw.slice([0..n, 0..width / 2])
            }
        }
    }

    pub(super) fn encode_traced(
        &self,
        x: Tensor<2>,
        trace: &mut dyn FnMut(String, Tensor<2>),
    ) -> Tensor<2> {
        let raw = self.encoder_output(x, trace);
        let z = self.code_of(raw);
        trace("latent".into(), z.clone());
        z
    }

    /// The encoder up to its last layer's output (before the code layer); traces the hidden
    /// layers.
    fn encoder_output(&self, x: Tensor<2>, trace: &mut dyn FnMut(String, Tensor<2>)) -> Tensor<2> {
        let n = x.dims()[0];
        let a = self.hidden();
        let mut h = x;
        if !self.module.enc_convs.is_empty() {
            let [c, hh, ww] = self.conv_shapes[0];
            let mut img: Tensor<4> = h.reshape([n, c, hh, ww]);
            for (i, conv) in self.module.enc_convs.iter().enumerate() {
                let g = self.conv_geometry[i];
                let (fused, after) = fused(a);
                img = act(
                    after,
                    conv2d(img, conv.weight.val(), bias(&conv.bias), g, fused),
                );
                let [c2, h2, w2] = self.conv_shapes[i + 1];
                trace(
                    format!("encoder.conv.{i}"),
                    img.clone().reshape([n, c2 * h2 * w2]),
                );
            }
            h = img.flatten(1, 3);
        }
        let last = self.module.enc_linears.len() - 1;
        for (i, l) in self.module.enc_linears.iter().enumerate() {
            h = layer(
                l,
                h,
                if i < last {
                    self.hidden_at(i)
                } else {
                    Activation::Linear
                },
            );
            if i < last {
                trace(format!("encoder.{i}"), h.clone());
            }
        }
        h
    }

    /// The code and the encoder's Jacobian ∂code/∂input at each input of the batch, as rows
    /// `[n · latent, features]` (sample i's rows are i·latent .. (i+1)·latent).
    ///
    /// Exact, by reverse mode for every code unit at once: the rows start as the code layer's
    /// derivative times the last layer's weights and are carried down through each layer — a
    /// dense layer multiplies them by its activation's derivative and its weight matrix, a
    /// conv layer by its activation's derivative and then the transposed convolution with its
    /// own kernel (the adjoint of the convolution). Every step is an engine op, so a penalty
    /// built on the Jacobian has exact gradients too. The cost is one backward pass per code
    /// unit, batched. A Gaussian (VAE) code is refused: its code is a sample.
    pub fn code_jacobian(&self, x: Tensor<2>) -> Result<(Tensor<2>, Tensor<2>), Error> {
        let code_act = match self.arch.code() {
            Code::Linear => Activation::Linear,
            Code::Relu => Activation::Relu,
            Code::Sigmoid => Activation::Sigmoid,
            Code::TopK(k) => {
                return Err(Error::invalid(format!(
                    "a topk:{k} code is cut where its K-th unit lies: it has no Jacobian there"
                )));
            }
            Code::Gaussian => {
                return Err(Error::invalid(
                    "a VAE's code is a sample: it has no encoder Jacobian to contract",
                ));
            }
        };
        let n = x.dims()[0];
        let device = x.device();
        let (mut conv_out, mut dense_out) = (Vec::new(), Vec::new());
        let raw = self.encoder_output(x, &mut |name, t| {
            if name.starts_with("encoder.conv.") {
                conv_out.push(t)
            } else {
                dense_out.push(t)
            }
        });
        let code = self.code_of(raw);
        let l = self.arch.latent_size();
        let last = self.module.enc_linears.len() - 1;
        // rows [n, l, h]: ∂z_j/∂h = act'(z_j) · W_last[j, :]
        let w = self.module.enc_linears[last].weight.val().transpose();
        let h = w.dims()[1];
        let d = derivative_from_output(code_act, code.clone());
        let mut g: Tensor<2> =
            (d.unsqueeze_dim::<3>(2) * w.unsqueeze_dim::<3>(0)).reshape([n * l, h]);
        for i in (0..last).rev() {
            let d = derivative_from_output(self.hidden_at(i), dense_out[i].clone());
            let hi = d.dims()[1];
            let scaled = g.reshape([n, l, hi]) * d.unsqueeze_dim::<3>(1);
            g = scaled
                .reshape([n * l, hi])
                .matmul(self.module.enc_linears[i].weight.val().transpose());
        }
        for k in (0..self.module.enc_convs.len()).rev() {
            let d = derivative_from_output(self.hidden(), conv_out[k].clone());
            let [c, hh, ww] = self.conv_shapes[k + 1];
            let scaled = (g.reshape([n, l, c * hh * ww]) * d.unsqueeze_dim::<3>(1)).reshape([
                n * l,
                c,
                hh,
                ww,
            ]);
            let [ci, hi, wi] = self.conv_shapes[k];
            g = conv_transpose2d(
                scaled,
                self.module.enc_convs[k].weight.val(),
                Tensor::zeros([ci], &device),
                self.conv_geometry[k],
                DenseActivation::Linear,
            )
            .reshape([n * l, ci * hi * wi]);
        }
        Ok((code, g))
    }

    /// Decodes codes `[n, latent]` to pre-activation outputs `[n, features]` (logits when the
    /// output is a sigmoid).
    pub fn decode_logits(&self, z: Tensor<2>) -> Tensor<2> {
        self.decode_traced(z, &mut |_, _| {})
    }

    pub(super) fn decode_traced(
        &self,
        z: Tensor<2>,
        trace: &mut dyn FnMut(String, Tensor<2>),
    ) -> Tensor<2> {
        let n = z.dims()[0];
        let a = self.hidden();
        let mut h = z;
        let dense_only = self.module.dec_deconvs.is_empty();
        let last = self.module.dec_linears.len() - 1;
        let hidden = self.decoder_hidden();
        for (i, l) in self.module.dec_linears.iter().enumerate() {
            let output_layer = dense_only && i == last;
            h = layer(
                l,
                h,
                if output_layer {
                    Activation::Linear
                } else {
                    hidden[i]
                },
            );
            if !output_layer {
                trace(format!("decoder.{i}"), h.clone());
            }
        }
        if !dense_only {
            let k = self.conv_shapes.len() - 1;
            let [c, hh, ww] = self.conv_shapes[k];
            let mut img: Tensor<4> = h.reshape([n, c, hh, ww]);
            let last = self.module.dec_deconvs.len() - 1;
            for (j, d) in self.module.dec_deconvs.iter().enumerate() {
                let g = self.conv_geometry[k - j - 1];
                if j < last {
                    let (fused, after) = fused(a);
                    img = act(
                        after,
                        conv_transpose2d(img, d.weight.val(), bias(&d.bias), g, fused),
                    );
                    let [c2, h2, w2] = self.conv_shapes[k - j - 1];
                    trace(
                        format!("decoder.deconv.{j}"),
                        img.clone().reshape([n, c2 * h2 * w2]),
                    );
                } else {
                    img = conv_transpose2d(
                        img,
                        d.weight.val(),
                        bias(&d.bias),
                        g,
                        DenseActivation::Linear,
                    );
                }
            }
            h = img.flatten(1, 3);
        }
        h
    }

    /// Applies the output activation to logits.
    pub fn output_activation(&self, logits: Tensor<2>) -> Tensor<2> {
        act(self.output(), logits)
    }

    /// Decodes codes to reconstructions.
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        self.output_activation(self.decode_logits(z))
    }

    /// Reconstructs a batch.
    pub fn reconstruct(&self, x: Tensor<2>) -> Tensor<2> {
        self.decode(self.encode(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        architecture::parse_convs,
        tensor::{inference_device, initial_tensors},
    };

    fn dense() -> Architecture {
        Architecture::Dense {
            layers: vec![16, 8, 3],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        }
    }

    fn conv() -> Architecture {
        Architecture::Conv {
            input: [1, 8, 8],
            convs: parse_convs("4:3:2:1,6:3:2:1").unwrap(),
            latent: 5,
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            code: Code::Linear,
        }
    }

    #[test]
    fn each_hidden_layer_uses_its_own_activation_and_its_mirror_the_same() {
        let arch = Architecture::Dense {
            layers: vec![6, 5, 4, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![Activation::Tanh, Activation::Relu],
            code: Code::Linear,
        };
        arch.validate().unwrap();
        let tensors = initial_tensors(&arch, 3).unwrap();
        let m = Autoencoder::from_tensors(&arch, &tensors, &inference_device()).unwrap();
        let x = [0.9f32, -0.4, 0.3, 0.8, -0.7, 0.2];
        // by hand: h1 = tanh(W0 x + b0), h2 = relu(W1 h1 + b1), z = W2 h2 + b2, and back:
        // d1 = relu(V0 z + c0) (mirror of h2), d2 = tanh(V1 d1 + c1) (mirror of h1)
        let t = |n: &str| tensors.iter().find(|t| t.name == n).unwrap();
        let lin = |w: &str, b: &str, v: &[f32], f: &dyn Fn(f32) -> f32| -> Vec<f32> {
            let (w, b) = (t(w), t(b));
            let (o, i) = (w.shape[0], w.shape[1]);
            (0..o)
                .map(|r| f((0..i).map(|c| w.values[r * i + c] * v[c]).sum::<f32>() + b.values[r]))
                .collect()
        };
        let relu = |v: f32| v.max(0.0);
        let h1 = lin("encoder.0.weight", "encoder.0.bias", &x, &|v: f32| v.tanh());
        let h2 = lin("encoder.1.weight", "encoder.1.bias", &h1, &relu);
        let z = lin("encoder.2.weight", "encoder.2.bias", &h2, &|v| v);
        let d1 = lin("decoder.0.weight", "decoder.0.bias", &z, &relu);
        let d2 = lin("decoder.1.weight", "decoder.1.bias", &d1, &|v: f32| {
            v.tanh()
        });
        let layers = m.layer_activations(&x).unwrap();
        let got = |n: &str| layers.iter().find(|l| l.name == n).unwrap().values.clone();
        for (name, want) in [
            ("encoder.0", &h1),
            ("encoder.1", &h2),
            ("latent", &z),
            ("decoder.0", &d1),
            ("decoder.1", &d2),
        ] {
            let g = got(name);
            let worst = g
                .iter()
                .zip(want.iter())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{name}: {g:?} vs {want:?}");
        }
        assert!(h1.iter().any(|&v| v < 0.0), "tanh lets negatives through");
        // the host decoder (a few codes) agrees with the engine
        let host = m.decode_host(&z, 1);
        let engine = &got("output");
        let worst = host
            .iter()
            .zip(engine)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "{host:?} vs {engine:?}");
        // a per-layer list of the wrong length is refused
        let bad = Architecture::Dense {
            layers: vec![6, 5, 4, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![Activation::Tanh],
            code: Code::Linear,
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn a_few_codes_decode_on_the_host_as_the_engine_decodes_them() {
        for act in [Activation::Relu, Activation::Tanh, Activation::LeakyRelu] {
            let arch = Architecture::Dense {
                layers: vec![64, 32, 8, 4],
                activation: act,
                output: Activation::Sigmoid,
                activations: vec![],
                code: Code::Linear,
            };
            let m = Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, 5).unwrap(),
                &inference_device(),
            )
            .unwrap();
            let codes: Vec<f32> = (0..4 * 3).map(|i| (i as f32 * 0.37).sin() * 2.0).collect();
            let host = m.decode_host(&codes, 16);
            let engine = host_values(m.decode(Tensor::from_data(
                TensorData::new(codes.clone(), [3, 4]),
                &inference_device(),
            )));
            assert_eq!(host.len(), 3 * 64);
            for (a, b) in host.iter().zip(&engine) {
                assert!((a - b).abs() < 1e-5, "{act:?}: host {a}, engine {b}");
            }
            // many codes go through the engine
            let many: Vec<f32> = codes
                .iter()
                .cycle()
                .take(4 * (HOST_DECODE_MAX + 1))
                .copied()
                .collect();
            assert_eq!(m.decode_host(&many, 4).len(), 64 * (HOST_DECODE_MAX + 1));
        }
    }

    #[test]
    fn a_dense_model_encodes_on_the_host_as_the_engine_encodes() {
        // more rows than one block of the host path (512), a ragged last block
        let n = 1_100;
        let x: Vec<f32> = (0..n * 64)
            .map(|i| ((i as f32 * 0.013).sin() * 0.5 + 0.5).clamp(0.0, 1.0))
            .collect();
        for (act, code) in [
            (Activation::Relu, Code::Linear),
            (Activation::Tanh, Code::Linear),
            (Activation::LeakyRelu, Code::Relu),
            (Activation::Relu, Code::Gaussian),
            (Activation::Relu, Code::Sigmoid),
        ] {
            let arch = Architecture::Dense {
                layers: vec![64, 32, 8, 4],
                activation: act,
                output: Activation::Sigmoid,
                activations: vec![],
                code,
            };
            let m = Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, 5).unwrap(),
                &inference_device(),
            )
            .unwrap();
            let host = m.encode_host(&x, 256);
            let engine = host_values(m.encode(Tensor::from_data(
                TensorData::new(x.clone(), [n, 64]),
                &inference_device(),
            )));
            assert_eq!(host.len(), n * 4, "{act:?} {code:?}");
            assert_eq!(engine.len(), n * 4);
            for (i, (a, b)) in host.iter().zip(&engine).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                    "{act:?} {code:?} value {i}: host {a}, engine {b}"
                );
            }
            if code == Code::Relu {
                assert!(host.contains(&0.0), "the ReLU code cut some values");
            }
        }
    }

    fn host_values(t: Tensor<2>) -> Vec<f32> {
        host(t)
    }

    #[test]
    fn tensors_round_trip_through_the_module() {
        for arch in [dense(), conv()] {
            let t = initial_tensors(&arch, 3).unwrap();
            let m = Autoencoder::from_tensors(&arch, &t, &inference_device()).unwrap();
            assert_eq!(m.to_tensors(), t);
        }
    }

    #[test]
    fn shapes_of_codes_reconstructions_and_activations() {
        for arch in [dense(), conv()] {
            let m = Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, 1).unwrap(),
                &inference_device(),
            )
            .unwrap();
            let x: Vec<f32> = (0..3 * arch.input_size())
                .map(|i| (i % 7) as f32 / 7.0)
                .collect();
            let codes = m.encode_host(&x, 2);
            assert_eq!(codes.len(), 3 * arch.latent_size());
            // three dense codes decode on the host: equal to the engine's to f32 rounding
            let rec = m.decode_host(&codes, 2);
            let close = |a: &[f32], b: &[f32]| {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
            };
            assert!(close(&rec, &m.reconstruct_host(&x, 2)));
            assert!(rec.iter().all(|v| (0.0..=1.0).contains(v)));
            let acts = m.layer_activations(&x[..arch.input_size()]).unwrap();
            assert!(close(
                &acts.last().unwrap().values,
                &rec[..arch.input_size()]
            ));
            let latent = acts.iter().find(|a| a.name == "latent").unwrap();
            // one input and a batch of three agree to f32 rounding (the matrix products may
            // take different kernels for one row and for three)
            assert!(close(&latent.values, &codes[..arch.latent_size()]));
            for a in &acts {
                assert_eq!(
                    a.shape.iter().product::<usize>(),
                    a.values.len(),
                    "{}",
                    a.name
                );
            }
            assert!(m.layer_activations(&[0.0; 3]).is_err());
        }
    }
}
