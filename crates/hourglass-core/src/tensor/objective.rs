//! What training minimises, as a pluggable piece: an [`Objective`] turns a batch into a loss
//! tensor (and the values of its named terms, for charts). The plain autoencoder's objective
//! is the reconstruction loss ([`Reconstruction`]); variants (denoising, VAE, sparse,
//! contractive) add terms or corrupt the input without touching the training loop.

use burn::tensor::Tensor;

use burn::tensor::TensorData;

use super::{Autoencoder, LossKind};
use crate::{
    Error,
    architecture::Architecture,
    glass::Activation,
    rng::Rng,
    variant::{Sparsity, Variant},
};

/// One batch's loss: the scalar to minimise, and the named terms it is made of (empty when
/// the loss is a single term).
pub struct BatchLoss {
    pub total: Tensor<1>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// The quantity a [`super::Trainer`] minimises.
pub trait Objective: Send {
    /// A short name for reports (`reconstruction`, …).
    fn name(&self) -> &'static str;
    /// The loss of `model` on the batch `x` (one sample per row).
    fn loss(&mut self, model: &Autoencoder, x: Tensor<2>) -> BatchLoss;
    /// The mean loss per sample of an inference `model` on host samples, with its terms —
    /// the validation loss. Its randomness (noise, the VAE's samples) is drawn afresh from a
    /// fixed seed every call, so epochs are compared on the same draws.
    fn evaluate(&self, model: &Autoencoder, values: &[f32]) -> Evaluated;
}

/// A loss evaluated over a data set: its mean per sample and its terms' means.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluated {
    pub loss: f64,
    pub terms: Vec<(&'static str, f64)>,
}

/// The plain autoencoder's objective: reconstruction loss, a mean over every value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconstruction(pub LossKind);

impl Objective for Reconstruction {
    fn name(&self) -> &'static str {
        "reconstruction"
    }

    fn loss(&mut self, model: &Autoencoder, x: Tensor<2>) -> BatchLoss {
        BatchLoss {
            total: reconstruction_loss(model, x.clone(), x, self.0),
            terms: Vec::new(),
        }
    }

    fn evaluate(&self, model: &Autoencoder, values: &[f32]) -> Evaluated {
        Evaluated {
            loss: self.0.host(&model.reconstruct_host(values, 1024), values),
            terms: Vec::new(),
        }
    }
}

/// The reconstruction loss of `model` on input `x` against `target`.
pub fn reconstruction_loss(
    model: &Autoencoder,
    x: Tensor<2>,
    target: Tensor<2>,
    loss: LossKind,
) -> Tensor<1> {
    logits_loss(model, model.decode_logits(model.encode(x)), target, loss)
}

/// The reconstruction loss, a mean over every value, of the decoder's `logits` against
/// `target`.
fn logits_loss(
    model: &Autoencoder,
    logits: Tensor<2>,
    target: Tensor<2>,
    loss: LossKind,
) -> Tensor<1> {
    let sigmoid_out = matches!(
        model.arch,
        Architecture::Dense {
            output: Activation::Sigmoid,
            ..
        } | Architecture::Conv {
            output: Activation::Sigmoid,
            ..
        }
    );
    match loss {
        // one fused op for a sigmoid output (σ, the difference and the square in one pass)
        LossKind::Mse if sigmoid_out => super::sigmoid_mse(logits, target).mean(),
        LossKind::Mse => (model.output_activation(logits) - target)
            .powi_scalar(2)
            .mean(),
        // BCE from logits when the output is a sigmoid: −[t·log σ(z) + (1 − t)·log σ(−z)],
        // exact and free of log(0).
        LossKind::Bce if sigmoid_out => super::bce_with_logits(logits, target).mean(),
        LossKind::Bce => {
            let y = model.output_activation(logits).clamp(1e-7, 1.0 - 1e-7);
            (target.clone() * y.clone().log() + (target.neg() + 1.0) * (y.neg() + 1.0).log())
                .mean()
                .neg()
        }
    }
}

/// The objective of any [`Variant`]: its loss and the terms it is made of.
///
/// - denoising: the reconstruction of a corrupted batch (fresh noise each batch) against the
///   clean one;
/// - VAE: the reconstruction loss summed over each sample's values (BCE in nats for a sigmoid
///   output) plus β·KL(q(z|x) ‖ N(0, I)), both means over the batch, z = μ + σ·ε;
/// - sparse: the reconstruction plus the penalty on the code (L1 of each sample's code, or
///   β·Σ KL(ρ ‖ ρ̂_j) over the batch's mean activations ρ̂);
/// - contractive: the reconstruction plus λ·‖∂z/∂x‖²_F per sample (exact, see
///   [`Autoencoder::code_jacobian`]).
///
/// Randomness (noise, ε) comes from one seeded stream, so a run is reproducible.
pub struct VariantObjective {
    variant: Variant,
    loss: LossKind,
    seed: u64,
    rng: Rng,
}

/// Samples per batch when a loss is evaluated over a data set (the contractive term holds
/// `latent` Jacobian rows per sample, hence the smaller batches there).
const EVAL_BATCH: usize = 500;

impl VariantObjective {
    /// Checks that `model`'s code suits the variant.
    pub fn new(
        variant: Variant,
        loss: LossKind,
        seed: u64,
        model: &Autoencoder,
    ) -> Result<Self, Error> {
        variant.validate()?;
        variant.check_code(model.arch.code())?;
        Ok(VariantObjective {
            variant,
            loss,
            seed,
            rng: Rng::new(seed ^ 0x0b1e_c7ed),
        })
    }

    fn batch_loss(&self, model: &Autoencoder, x: Tensor<2>, rng: &mut Rng) -> BatchLoss {
        let [n, features] = x.dims();
        let device = x.device();
        let host = |t: Tensor<2>| -> Vec<f32> {
            t.into_data()
                .try_into_vec::<f32>()
                .expect("the engine computes in f32")
        };
        match self.variant {
            Variant::Plain => BatchLoss {
                total: reconstruction_loss(model, x.clone(), x, self.loss),
                terms: Vec::new(),
            },
            Variant::Denoising { noise } => {
                let mut noisy = host(x.clone());
                noise.apply(&mut noisy, rng);
                let noisy = Tensor::from_data(TensorData::new(noisy, [n, features]), &device);
                BatchLoss {
                    total: reconstruction_loss(model, noisy, x, self.loss),
                    terms: Vec::new(),
                }
            }
            Variant::Vae { beta } => {
                let (mu, logvar) = model.encode_gaussian(x.clone());
                let l = mu.dims()[1];
                let eps: Vec<f32> = (0..n * l).map(|_| rng.normal() as f32).collect();
                let eps = Tensor::from_data(TensorData::new(eps, [n, l]), &device);
                let z = mu.clone() + (logvar.clone() * 0.5).exp() * eps;
                let rec =
                    logits_loss(model, model.decode_logits(z), x, self.loss) * features as f64;
                // KL(N(μ, σ²) ‖ N(0, 1)) summed over the code, mean over the batch
                let kl = ((logvar.clone().exp() + mu.powi_scalar(2) - logvar - 1.0).sum() * 0.5)
                    / n as f64;
                BatchLoss {
                    total: rec.clone() + kl.clone() * beta,
                    terms: vec![("reconstruction", rec), ("kl", kl)],
                }
            }
            Variant::Sparse { penalty } => {
                let z = model.encode(x.clone());
                let rec = logits_loss(model, model.decode_logits(z.clone()), x, self.loss);
                let term = match penalty {
                    // the code layer itself keeps K units: no penalty term
                    Sparsity::TopK { .. } => {
                        return BatchLoss {
                            total: rec,
                            terms: Vec::new(),
                        };
                    }
                    Sparsity::L1 { weight } => z.abs().sum() / n as f64 * weight,
                    Sparsity::Kl { rho, beta } => {
                        let mean = z.mean_dim(0).clamp(1e-6, 1.0 - 1e-6);
                        let kl = (mean.clone().recip() * rho).log() * rho
                            + ((mean.neg() + 1.0).recip() * (1.0 - rho)).log() * (1.0 - rho);
                        kl.sum() * beta
                    }
                };
                BatchLoss {
                    total: rec.clone() + term.clone(),
                    terms: vec![("reconstruction", rec), ("sparsity", term)],
                }
            }
            Variant::Contractive { weight } => {
                let (z, jacobian) = model
                    .code_jacobian(x.clone())
                    .expect("the code was checked when the objective was made");
                let rec = logits_loss(model, model.decode_logits(z), x, self.loss);
                let term = jacobian.powi_scalar(2).sum() / n as f64 * weight;
                BatchLoss {
                    total: rec.clone() + term.clone(),
                    terms: vec![("reconstruction", rec), ("contraction", term)],
                }
            }
        }
    }
}

impl Objective for VariantObjective {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn loss(&mut self, model: &Autoencoder, x: Tensor<2>) -> BatchLoss {
        let mut rng = std::mem::replace(&mut self.rng, Rng::new(0));
        let out = self.batch_loss(model, x, &mut rng);
        self.rng = rng;
        out
    }

    fn evaluate(&self, model: &Autoencoder, values: &[f32]) -> Evaluated {
        let features = model.arch.input_size();
        let device = model.device();
        let mut rng = Rng::new(self.seed ^ 0x5a1d_a7e5);
        let (mut loss, mut terms, mut seen) = (0.0, Vec::<(&'static str, f64)>::new(), 0usize);
        for chunk in values.chunks(features * EVAL_BATCH) {
            let n = chunk.len() / features;
            let x = Tensor::from_data(TensorData::new(chunk.to_vec(), [n, features]), &device);
            let b = self.batch_loss(model, x, &mut rng);
            loss += b.total.into_scalar::<f32>() as f64 * n as f64;
            for (i, (name, t)) in b.terms.into_iter().enumerate() {
                let v = t.into_scalar::<f32>() as f64 * n as f64;
                match terms.get_mut(i) {
                    Some(slot) => slot.1 += v,
                    None => terms.push((name, v)),
                }
            }
            seen += n;
        }
        let per = |v: f64| v / seen.max(1) as f64;
        Evaluated {
            loss: per(loss),
            terms: terms.into_iter().map(|(k, v)| (k, per(v))).collect(),
        }
    }
}

/// The mean over `values`' samples of ‖∂z/∂x‖²_F, the squared Frobenius norm of the encoder's
/// Jacobian at each sample (what a contractive autoencoder keeps small).
pub fn mean_jacobian_norm(model: &Autoencoder, values: &[f32]) -> Result<f64, Error> {
    let features = model.arch.input_size();
    let device = model.device();
    // a batch holds latent × features values per sample
    let batch = (4_000_000 / (model.arch.latent_size() * features).max(1)).clamp(1, 1000);
    let (mut total, mut seen) = (0.0, 0usize);
    for chunk in values.chunks(features * batch) {
        let n = chunk.len() / features;
        let x = Tensor::from_data(TensorData::new(chunk.to_vec(), [n, features]), &device);
        let (_, j) = model.code_jacobian(x)?;
        total += j.powi_scalar(2).sum().into_scalar::<f32>() as f64;
        seen += n;
    }
    Ok(total / seen.max(1) as f64)
}

/// The objective a run of `variant` minimises (the plain one for [`Variant::Plain`]).
pub fn objective_for(
    variant: Variant,
    loss: LossKind,
    seed: u64,
    model: &Autoencoder,
) -> Result<Box<dyn Objective>, Error> {
    Ok(match variant {
        Variant::Plain => {
            variant.check_code(model.arch.code())?;
            Box::new(Reconstruction(loss))
        }
        v => Box::new(VariantObjective::new(v, loss, seed, model)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        architecture::{Code, parse_convs},
        checkpoint::NamedTensor,
        tensor::{inference_device, initial_tensors, training_device},
        variant::Noise,
    };

    fn dense(code: Code, hidden: Activation) -> Architecture {
        Architecture::Dense {
            layers: vec![16, 7, 3],
            activation: hidden,
            output: Activation::Sigmoid,
            activations: vec![],
            code,
        }
    }

    fn conv(code: Code) -> Architecture {
        Architecture::Conv {
            input: [1, 6, 6],
            convs: parse_convs("2:3:2:1,3:3:1:1").unwrap(),
            latent: 3,
            activation: Activation::Tanh,
            output: Activation::Sigmoid,
            code,
        }
    }

    /// A batch of 5 samples in (0, 1), seeded.
    fn batch(features: usize) -> Vec<f32> {
        let mut rng = Rng::new(11);
        (0..5 * features)
            .map(|_| rng.uniform(0.05, 0.95) as f32)
            .collect()
    }

    fn model(
        arch: &Architecture,
        tensors: &[NamedTensor],
        device: &burn::tensor::Device,
    ) -> Autoencoder {
        Autoencoder::from_tensors(arch, tensors, device).unwrap()
    }

    /// Each term's value for the given weights (a fresh objective: the same noise and ε).
    fn terms_at(
        arch: &Architecture,
        tensors: &[NamedTensor],
        variant: Variant,
        values: &[f32],
    ) -> Vec<(&'static str, f64)> {
        let device = inference_device();
        let m = model(arch, tensors, &device);
        let mut o = VariantObjective::new(variant, LossKind::Bce, 3, &m).unwrap();
        let n = values.len() / arch.input_size();
        let x = Tensor::from_data(
            TensorData::new(values.to_vec(), [n, arch.input_size()]),
            &device,
        );
        let b = o.loss(&m, x);
        let mut out = vec![("total", b.total.into_scalar::<f32>() as f64)];
        out.extend(
            b.terms
                .into_iter()
                .map(|(k, t)| (k, t.into_scalar::<f32>() as f64)),
        );
        out
    }

    /// Every term's gradient with respect to a few weights of the first and the last
    /// encoder layer, against central differences (f32, so h = 1e-2 and a 2% tolerance).
    fn check_gradients(arch: &Architecture, variant: Variant) {
        let tensors = initial_tensors(arch, 5).unwrap();
        let values = batch(arch.input_size());
        let device = training_device();
        let n = values.len() / arch.input_size();
        // the tape is consumed by a backward pass: one forward pass per term
        let forward = || {
            let m = model(arch, &tensors, &device);
            let mut o = VariantObjective::new(variant, LossKind::Bce, 3, &m).unwrap();
            let x = Tensor::from_data(
                TensorData::new(values.clone(), [n, arch.input_size()]),
                &device,
            );
            let b = o.loss(&m, x);
            let mut all = vec![("total", b.total)];
            all.extend(b.terms);
            (m, all)
        };
        let names: Vec<&str> = forward().1.iter().map(|(k, _)| *k).collect();
        assert_eq!(&names[1..], variant.terms(), "{variant:?}");
        let (first, last) = match arch {
            Architecture::Dense { layers, .. } => (
                "encoder.0.weight".to_string(),
                format!("encoder.{}.weight", layers.len() - 2),
            ),
            Architecture::Conv { .. } => {
                ("encoder.conv.0.weight".into(), "encoder.fc.weight".into())
            }
        };
        for (t, &name) in names.iter().enumerate() {
            let (m, mut all) = forward();
            let grads = all.swap_remove(t).1.backward();
            for which in [&first, &last] {
                let analytic: Vec<f32> = {
                    let g = if which.contains("conv") {
                        m.module.enc_convs[0]
                            .weight
                            .val()
                            .grad(&grads)
                            .unwrap()
                            .into_data()
                    } else {
                        let i = if which == &first {
                            0
                        } else {
                            m.module.enc_linears.len() - 1
                        };
                        // Burn keeps [in, out]; the checkpoint's layout is [out, in]
                        m.module.enc_linears[i]
                            .weight
                            .val()
                            .grad(&grads)
                            .unwrap()
                            .transpose()
                            .into_data()
                    };
                    g.try_into_vec::<f32>().unwrap()
                };
                let at = tensors.iter().position(|t| &t.name == which).unwrap();
                let len = tensors[at].values.len();
                for k in [0, len / 3, len / 2, len - 1] {
                    let h = 1e-2f32;
                    let mut plus = tensors.clone();
                    plus[at].values[k] += h;
                    let mut minus = tensors.clone();
                    minus[at].values[k] -= h;
                    let fd = (terms_at(arch, &plus, variant, &values)[t].1
                        - terms_at(arch, &minus, variant, &values)[t].1)
                        / (2.0 * h as f64);
                    let g = analytic[k] as f64;
                    assert!(
                        (fd - g).abs() <= 0.02 * g.abs().max(fd.abs()) + 2e-4,
                        "{variant:?} {name} ∂/∂{which}[{k}]: analytic {g}, finite differences {fd}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_term_has_the_gradient_finite_differences_give() {
        let tanh = Activation::Tanh;
        check_gradients(&dense(Code::Gaussian, tanh), Variant::Vae { beta: 1.0 });
        check_gradients(&conv(Code::Gaussian), Variant::Vae { beta: 2.0 });
        check_gradients(
            &dense(Code::Linear, tanh),
            Variant::Sparse {
                penalty: Sparsity::L1 { weight: 0.1 },
            },
        );
        check_gradients(
            &dense(Code::Sigmoid, tanh),
            Variant::Sparse {
                penalty: Sparsity::Kl {
                    rho: 0.1,
                    beta: 1.0,
                },
            },
        );
        check_gradients(
            &dense(Code::Linear, tanh),
            Variant::Contractive { weight: 0.5 },
        );
        check_gradients(
            &dense(Code::Sigmoid, Activation::Sigmoid),
            Variant::Contractive { weight: 0.5 },
        );
        check_gradients(&conv(Code::Linear), Variant::Contractive { weight: 0.5 });
        check_gradients(
            &dense(Code::Linear, tanh),
            Variant::Denoising {
                noise: Noise::Gaussian { sigma: 0.3 },
            },
        );
    }

    #[test]
    fn the_jacobian_is_what_finite_differences_give() {
        for arch in [
            dense(Code::Linear, Activation::Tanh),
            dense(Code::Sigmoid, Activation::Sigmoid),
            dense(Code::Relu, Activation::LeakyRelu),
            conv(Code::Linear),
            conv(Code::Relu),
        ] {
            let device = inference_device();
            let m = model(&arch, &initial_tensors(&arch, 9).unwrap(), &device);
            let f = arch.input_size();
            let l = arch.latent_size();
            let values = batch(f);
            let n = values.len() / f;
            let (code, jac) = m
                .code_jacobian(Tensor::from_data(
                    TensorData::new(values.clone(), [n, f]),
                    &device,
                ))
                .unwrap();
            assert_eq!(jac.dims(), [n * l, f]);
            assert_eq!(
                code.into_data().try_into_vec::<f32>().unwrap(),
                m.encode_host(&values, 64)
            );
            let jac = jac.into_data().try_into_vec::<f32>().unwrap();
            // f64 differences of f32 codes: h large enough for f32, small against the kinks
            let h = 1e-2f32;
            for s in [0, n - 1] {
                for p in [0, f / 2, f - 1] {
                    let mut plus = values[s * f..(s + 1) * f].to_vec();
                    let mut minus = plus.clone();
                    plus[p] += h;
                    minus[p] -= h;
                    let (zp, zm) = (m.encode_host(&plus, 1), m.encode_host(&minus, 1));
                    for j in 0..l {
                        let fd = (zp[j] - zm[j]) as f64 / (2.0 * h as f64);
                        let a = jac[(s * l + j) * f + p] as f64;
                        assert!(
                            (fd - a).abs() <= 0.02 * a.abs().max(fd.abs()) + 1e-3,
                            "{} sample {s} ∂z{j}/∂x{p}: {a} vs {fd}",
                            arch.describe()
                        );
                    }
                }
            }
        }
        let vae = dense(Code::Gaussian, Activation::Tanh);
        let m = model(
            &vae,
            &initial_tensors(&vae, 1).unwrap(),
            &inference_device(),
        );
        let x = Tensor::from_data(TensorData::new(batch(16), [5, 16]), &inference_device());
        assert!(m.code_jacobian(x).is_err());
    }

    #[test]
    fn the_same_seed_draws_the_same_noise_and_samples() {
        let arch = dense(Code::Gaussian, Activation::Relu);
        let tensors = initial_tensors(&arch, 2).unwrap();
        let values = batch(16);
        let vae = Variant::Vae { beta: 1.0 };
        let a = terms_at(&arch, &tensors, vae, &values);
        assert_eq!(a, terms_at(&arch, &tensors, vae, &values));
        let device = inference_device();
        let m = model(&arch, &tensors, &device);
        let x = || Tensor::from_data(TensorData::new(values.clone(), [5, 16]), &device);
        let mut other = VariantObjective::new(vae, LossKind::Bce, 4, &m).unwrap();
        let b = other.loss(&m, x()).total.into_scalar::<f32>() as f64;
        assert_ne!(a[0].1, b, "another seed, other samples");
        // successive batches draw fresh ε
        let c = other.loss(&m, x()).total.into_scalar::<f32>() as f64;
        assert_ne!(b, c);
        // evaluation draws from its own fixed stream: the same figure every call
        let e1 = other.evaluate(&m, &values);
        assert_eq!(e1, other.evaluate(&m, &values));
        assert_eq!(e1.terms.len(), 2);
        assert!((e1.terms[0].1 + e1.terms[1].1 - e1.loss).abs() < 1e-3 * e1.loss);
    }
}
