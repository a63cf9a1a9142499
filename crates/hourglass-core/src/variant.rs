//! The kinds of autoencoder Hourglass trains: plain, denoising, variational (VAE), sparse and
//! contractive, with their options — parsed from the CLI's and the pages' text, checked,
//! saved in checkpoints. The losses themselves live in `tensor/objective.rs`.

use serde::{Deserialize, Serialize};

use crate::{Error, architecture::Code, rng::Rng};

/// How a denoising autoencoder's input is corrupted (fresh noise every batch, seeded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Noise {
    /// Adds N(0, σ²) to every value, clipped to [0, 1] (the Keras tutorial's factor 0.5).
    Gaussian { sigma: f64 },
    /// Sets a random fraction of the values to 0.
    Mask { fraction: f64 },
    /// Sets a random fraction of the values to 0 or 1, half each.
    SaltPepper { fraction: f64 },
}

/// The sparse autoencoder's penalty on its code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Sparsity {
    /// `weight · Σ|z|` per sample (Keras's `activity_regularizer=l1(weight)`).
    L1 { weight: f64 },
    /// `beta · Σ_j KL(ρ ‖ ρ̂_j)`, ρ̂_j the batch's mean activation of code unit j (a sigmoid
    /// code, so that it is a probability).
    Kl { rho: f64, beta: f64 },
    /// No penalty: the code keeps its K largest units per sample (a TopK code layer, Gao et
    /// al. 2024), and a one-layer dictionary's decoder directions are kept at unit norm.
    TopK { k: usize },
}

/// The kind of autoencoder and its options.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Variant {
    #[default]
    Plain,
    /// The input is corrupted, the target is the clean input.
    Denoising { noise: Noise },
    /// The encoder gives μ and log σ² (a Gaussian code); the decoder reconstructs a sample
    /// z = μ + σ·ε; the loss is the reconstruction summed over an image's values plus β·KL.
    Vae { beta: f64 },
    /// Reconstruction plus a penalty on the code's activity.
    Sparse { penalty: Sparsity },
    /// Reconstruction plus `weight · ‖J‖²_F`, J the encoder's Jacobian at each input.
    Contractive { weight: f64 },
}

/// Names of the variants, as the CLI and the pages write them.
pub const VARIANT_NAMES: [&str; 5] = ["plain", "denoising", "vae", "sparse", "contractive"];

fn number(text: &str, what: &str) -> Result<f64, Error> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Error::invalid(format!("{what} '{text}' is not a number")))
}

fn within(v: f64, lo: f64, hi: f64, what: &str) -> Result<f64, Error> {
    if v < lo || v > hi {
        return Err(Error::invalid(format!(
            "{what} {v} is outside [{lo}, {hi}]"
        )));
    }
    Ok(v)
}

impl std::str::FromStr for Noise {
    type Err = Error;
    /// `gaussian:0.5`, `mask:0.3`, `salt-pepper:0.1`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let (kind, level) = s.split_once(':').ok_or_else(|| {
            Error::invalid(format!(
                "noise '{s}' is not kind:level (gaussian:0.5, mask:0.3 or salt-pepper:0.1)"
            ))
        })?;
        let level = number(level, "noise level")?;
        let noise = match kind.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "gaussian" => Noise::Gaussian { sigma: level },
            "mask" | "masking" => Noise::Mask { fraction: level },
            "salt-pepper" | "salt-and-pepper" | "sp" => Noise::SaltPepper { fraction: level },
            other => {
                return Err(Error::invalid(format!(
                    "unknown noise '{other}' (expected gaussian, mask or salt-pepper)"
                )));
            }
        };
        noise.validate()?;
        Ok(noise)
    }
}

/// The kinds of noise, as a page's setting (its level is a setting of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseKind {
    Gaussian,
    Mask,
    SaltPepper,
}

impl crate::settings::Choice for NoiseKind {
    const ALL: &'static [Self] = &[NoiseKind::Gaussian, NoiseKind::Mask, NoiseKind::SaltPepper];
    fn name(self) -> &'static str {
        match self {
            NoiseKind::Gaussian => "gaussian",
            NoiseKind::Mask => "mask",
            NoiseKind::SaltPepper => "salt-pepper",
        }
    }
    fn label(self) -> &'static str {
        match self {
            NoiseKind::Gaussian => "Gaussian (σ)",
            NoiseKind::Mask => "masking (share of pixels)",
            NoiseKind::SaltPepper => "salt and pepper (share of pixels)",
        }
    }
}

impl NoiseKind {
    /// This kind of noise at `level` (σ, or the share of pixels), checked.
    pub fn at(self, level: f64) -> Result<Noise, Error> {
        let noise = match self {
            NoiseKind::Gaussian => Noise::Gaussian { sigma: level },
            NoiseKind::Mask => Noise::Mask { fraction: level },
            NoiseKind::SaltPepper => Noise::SaltPepper { fraction: level },
        };
        noise.validate()?;
        Ok(noise)
    }

    /// The kind and level of `noise`.
    pub fn of(noise: Noise) -> (NoiseKind, f64) {
        match noise {
            Noise::Gaussian { sigma } => (NoiseKind::Gaussian, sigma),
            Noise::Mask { fraction } => (NoiseKind::Mask, fraction),
            Noise::SaltPepper { fraction } => (NoiseKind::SaltPepper, fraction),
        }
    }
}

impl std::fmt::Display for Noise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Noise::Gaussian { sigma } => write!(f, "gaussian:{sigma}"),
            Noise::Mask { fraction } => write!(f, "mask:{fraction}"),
            Noise::SaltPepper { fraction } => write!(f, "salt-pepper:{fraction}"),
        }
    }
}

impl Noise {
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            Noise::Gaussian { sigma } => within(sigma, 0.0, 2.0, "Gaussian noise σ").map(|_| ()),
            Noise::Mask { fraction } | Noise::SaltPepper { fraction } => {
                within(fraction, 0.0, 1.0, "noise fraction").map(|_| ())
            }
        }
    }

    /// Corrupts `values` in place, drawing from `rng`.
    pub fn apply(&self, values: &mut [f32], rng: &mut Rng) {
        match *self {
            Noise::Gaussian { sigma } => {
                for v in values {
                    *v = (*v + (sigma * rng.normal()) as f32).clamp(0.0, 1.0);
                }
            }
            Noise::Mask { fraction } => {
                for v in values {
                    if rng.uniform(0.0, 1.0) < fraction {
                        *v = 0.0;
                    }
                }
            }
            Noise::SaltPepper { fraction } => {
                for v in values {
                    let u = rng.uniform(0.0, 1.0);
                    if u < fraction {
                        *v = if u < fraction / 2.0 { 0.0 } else { 1.0 };
                    }
                }
            }
        }
    }

    /// A corrupted copy of `values`, drawn from `seed`.
    pub fn corrupted(&self, values: &[f32], seed: u64) -> Vec<f32> {
        let mut out = values.to_vec();
        self.apply(&mut out, &mut Rng::new(seed));
        out
    }
}

impl std::str::FromStr for Sparsity {
    type Err = Error;
    /// `l1:1e-4` or `kl:0.05:3` (ρ, then β).
    fn from_str(s: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = s.split(':').collect();
        let p = match parts[..] {
            [k, w] if k.eq_ignore_ascii_case("l1") => Sparsity::L1 {
                weight: number(w, "L1 weight")?,
            },
            [k, rho, beta] if k.eq_ignore_ascii_case("kl") => Sparsity::Kl {
                rho: number(rho, "target activation ρ")?,
                beta: number(beta, "sparsity weight β")?,
            },
            [name, k] if name.eq_ignore_ascii_case("topk") => match k.trim().parse::<usize>() {
                Ok(k) => Sparsity::TopK { k },
                Err(_) => {
                    return Err(Error::invalid(format!(
                        "topk:{k} needs a whole number of units (e.g. topk:32)"
                    )));
                }
            },
            _ => {
                return Err(Error::invalid(format!(
                    "sparsity '{s}' is not l1:WEIGHT, kl:RHO:BETA or topk:K (e.g. l1:1e-4, kl:0.05:3, topk:32)"
                )));
            }
        };
        p.validate()?;
        Ok(p)
    }
}

impl std::fmt::Display for Sparsity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sparsity::L1 { weight } => write!(f, "l1:{weight}"),
            Sparsity::Kl { rho, beta } => write!(f, "kl:{rho}:{beta}"),
            Sparsity::TopK { k } => write!(f, "topk:{k}"),
        }
    }
}

impl Sparsity {
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            Sparsity::L1 { weight } => within(weight, 0.0, 10.0, "L1 weight").map(|_| ()),
            Sparsity::Kl { rho, beta } => {
                if rho <= 0.0 || rho >= 1.0 {
                    return Err(Error::invalid(format!(
                        "target activation ρ {rho} must be strictly between 0 and 1"
                    )));
                }
                within(beta, 0.0, 100.0, "sparsity weight β").map(|_| ())
            }
            Sparsity::TopK { k } => {
                if k == 0 || k > crate::architecture::MAX_WIDTH {
                    return Err(Error::invalid(format!(
                        "topk:{k} must keep between 1 and {} units",
                        crate::architecture::MAX_WIDTH
                    )));
                }
                Ok(())
            }
        }
    }
}

/// The variant's options as the CLI takes them; only the chosen variant's are used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VariantOptions {
    pub noise: Noise,
    pub beta: f64,
    pub sparsity: Sparsity,
    pub contraction: f64,
}

impl Default for VariantOptions {
    fn default() -> Self {
        VariantOptions {
            noise: Noise::Gaussian { sigma: 0.5 },
            beta: 1.0,
            sparsity: Sparsity::L1 { weight: 1e-4 },
            contraction: 1e-4,
        }
    }
}

impl Variant {
    /// The variant called `name` with its options from `opts`.
    pub fn from_name(name: &str, opts: &VariantOptions) -> Result<Self, Error> {
        let v = match name.trim().to_ascii_lowercase().as_str() {
            "plain" => Variant::Plain,
            "denoising" => Variant::Denoising { noise: opts.noise },
            "vae" | "variational" => Variant::Vae { beta: opts.beta },
            "sparse" => Variant::Sparse {
                penalty: opts.sparsity,
            },
            "contractive" => Variant::Contractive {
                weight: opts.contraction,
            },
            other => {
                return Err(Error::invalid(format!(
                    "unknown variant '{other}' (expected {})",
                    VARIANT_NAMES.join(", ")
                )));
            }
        };
        v.validate()?;
        Ok(v)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Denoising { .. } => "denoising",
            Variant::Vae { .. } => "vae",
            Variant::Sparse { .. } => "sparse",
            Variant::Contractive { .. } => "contractive",
        }
    }

    /// Checks the options' ranges.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            Variant::Plain => Ok(()),
            Variant::Denoising { noise } => noise.validate(),
            Variant::Vae { beta } => within(*beta, 0.0, 1000.0, "β").map(|_| ()),
            Variant::Sparse { penalty } => penalty.validate(),
            Variant::Contractive { weight } => {
                within(*weight, 0.0, 100.0, "contraction weight").map(|_| ())
            }
        }
    }

    /// The code layer this variant needs when the user names none: a VAE's is Gaussian, a
    /// KL-sparse one's a sigmoid (its mean activation is a probability), an L1-sparse one's
    /// a ReLU (as in the Keras tutorial), a TopK-sparse one's TopK, the others linear.
    pub fn default_code(&self) -> Code {
        match self {
            Variant::Vae { .. } => Code::Gaussian,
            Variant::Sparse {
                penalty: Sparsity::Kl { .. },
            } => Code::Sigmoid,
            Variant::Sparse {
                penalty: Sparsity::L1 { .. },
            } => Code::Relu,
            Variant::Sparse {
                penalty: Sparsity::TopK { k },
            } => Code::TopK(*k),
            _ => Code::Linear,
        }
    }

    /// Checks that a model with code layer `code` can be trained as this variant.
    pub fn check_code(&self, code: Code) -> Result<(), Error> {
        match (self, code) {
            (Variant::Vae { .. }, Code::Gaussian) => Ok(()),
            (Variant::Vae { .. }, other) => Err(Error::invalid(format!(
                "a VAE needs a gaussian code (μ and log σ²), not a {other} one"
            ))),
            (other, Code::Gaussian) => Err(Error::invalid(format!(
                "a gaussian code belongs to a VAE, not a {} autoencoder",
                other.name()
            ))),
            (
                Variant::Sparse {
                    penalty: Sparsity::Kl { .. },
                },
                c,
            ) if c != Code::Sigmoid => Err(Error::invalid(format!(
                "KL sparsity needs a sigmoid code (its mean activation is a probability), not a {c} one"
            ))),
            (
                Variant::Sparse {
                    penalty: Sparsity::TopK { k },
                },
                c,
            ) if c != Code::TopK(*k) => Err(Error::invalid(format!(
                "topk:{k} sparsity is its code layer (topk:{k}), not a {c} one"
            ))),
            (
                Variant::Sparse {
                    penalty: Sparsity::TopK { .. },
                },
                _,
            ) => Ok(()),
            (other, Code::TopK(k)) => Err(Error::invalid(format!(
                "a topk:{k} code belongs to the sparse variant (--variant sparse --sparsity topk:{k}), not a {} autoencoder",
                other.name()
            ))),
            _ => Ok(()),
        }
    }

    /// A one-line description, e.g. `denoising (gaussian:0.5)`.
    pub fn describe(&self) -> String {
        match self {
            Variant::Plain => "plain".into(),
            Variant::Denoising { noise } => format!("denoising ({noise})"),
            Variant::Vae { beta } => format!("vae (β {beta})"),
            Variant::Sparse { penalty } => format!("sparse ({penalty})"),
            Variant::Contractive { weight } => format!("contractive (λ {weight})"),
        }
    }

    /// The names of the loss's terms, in order (empty for a single-term loss).
    pub fn terms(&self) -> &'static [&'static str] {
        match self {
            Variant::Plain | Variant::Denoising { .. } => &[],
            Variant::Vae { .. } => &["reconstruction", "kl"],
            Variant::Sparse {
                penalty: Sparsity::TopK { .. },
            } => &[],
            Variant::Sparse { .. } => &["reconstruction", "sparsity"],
            Variant::Contractive { .. } => &["reconstruction", "contraction"],
        }
    }

    /// True for a plain autoencoder (what older checkpoints hold).
    pub fn is_plain(&self) -> bool {
        matches!(self, Variant::Plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_bad_ones_say_what_is_wrong() {
        assert_eq!(
            "gaussian:0.5".parse::<Noise>().unwrap(),
            Noise::Gaussian { sigma: 0.5 }
        );
        assert_eq!(
            "salt-pepper:0.1".parse::<Noise>().unwrap(),
            Noise::SaltPepper { fraction: 0.1 }
        );
        assert_eq!(
            "kl:0.05:3".parse::<Sparsity>().unwrap(),
            Sparsity::Kl {
                rho: 0.05,
                beta: 3.0
            }
        );
        let e = "mask:1.5".parse::<Noise>().unwrap_err().to_string();
        assert!(e.contains("fraction 1.5 is outside"), "{e}");
        let e = "blur:1".parse::<Noise>().unwrap_err().to_string();
        assert!(e.contains("unknown noise 'blur'"), "{e}");
        let e = "kl:1:3".parse::<Sparsity>().unwrap_err().to_string();
        assert!(e.contains("strictly between 0 and 1"), "{e}");
        let e = Variant::from_name("gan", &VariantOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant 'gan'"), "{e}");
        let vae = Variant::from_name("vae", &VariantOptions::default()).unwrap();
        assert_eq!(vae.default_code(), Code::Gaussian);
        assert!(vae.check_code(Code::Linear).is_err());
        assert!(Variant::Plain.check_code(Code::Gaussian).is_err());
    }

    #[test]
    fn noise_is_seeded_bounded_and_fresh_per_draw() {
        let v = vec![0.5f32; 4000];
        for noise in [
            Noise::Gaussian { sigma: 0.5 },
            Noise::Mask { fraction: 0.25 },
            Noise::SaltPepper { fraction: 0.2 },
        ] {
            let a = noise.corrupted(&v, 1);
            assert_eq!(a, noise.corrupted(&v, 1), "{noise}");
            assert_ne!(a, noise.corrupted(&v, 2), "{noise}");
            assert!(a.iter().all(|x| (0.0..=1.0).contains(x)));
            let mut rng = Rng::new(3);
            let mut b1 = v.clone();
            noise.apply(&mut b1, &mut rng);
            let mut b2 = v.clone();
            noise.apply(&mut b2, &mut rng);
            assert_ne!(b1, b2, "every batch draws fresh noise");
        }
        let sp = Noise::SaltPepper { fraction: 0.2 }.corrupted(&v, 5);
        let zeros = sp.iter().filter(|&&x| x == 0.0).count();
        let ones = sp.iter().filter(|&&x| x == 1.0).count();
        assert!(
            (300..500).contains(&zeros) && (300..500).contains(&ones),
            "{zeros} {ones}"
        );
    }

    #[test]
    fn variants_round_trip_through_json() {
        for v in [
            Variant::Plain,
            Variant::Denoising {
                noise: Noise::Mask { fraction: 0.3 },
            },
            Variant::Vae { beta: 4.0 },
            Variant::Sparse {
                penalty: Sparsity::Kl {
                    rho: 0.05,
                    beta: 3.0,
                },
            },
            Variant::Contractive { weight: 1e-4 },
        ] {
            let j = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Variant>(&j).unwrap(), v, "{j}");
        }
    }
}
