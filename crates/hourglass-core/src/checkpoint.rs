//! Checkpoints: safetensors files whose metadata carries the whole configuration as JSON.
//! Loading checks every tensor's name, dtype and shape against that configuration.

use std::collections::{BTreeMap, HashMap};

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::{Error, architecture::Architecture, data::Scaling, variant::Variant};

/// Key of the configuration JSON in the safetensors metadata.
pub const CONFIG_KEY: &str = "hourglass";
/// Version of the configuration layout.
pub const FORMAT_VERSION: u32 = 1;

/// The dataset a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub features: usize,
    pub image_shape: Option<[usize; 2]>,
    /// Colour planes of the images: 1 grey, 3 colour (absent, and so 1, in older files and
    /// for grey images).
    #[serde(default = "one_channel", skip_serializing_if = "is_one_channel")]
    pub channels: usize,
    pub scaling: Scaling,
    pub train_samples: usize,
    pub val_samples: usize,
    /// The classes' names by class number, when the data named them (absent in older files
    /// and for numbered classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
}

fn one_channel() -> usize {
    1
}

fn is_one_channel(c: &usize) -> bool {
    *c == 1
}

impl DatasetInfo {
    /// `[channels, height, width]` when the model was trained on images.
    pub fn image_dims(&self) -> Option<[usize; 3]> {
        self.image_shape.map(|[h, w]| [self.channels, h, w])
    }
}

/// How a model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub loss: String,
    pub optimizer: String,
    pub learning_rate: f64,
    pub momentum: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
    pub val_split: f64,
    /// The kind of autoencoder and its options (plain in files written before it was kept).
    #[serde(default, skip_serializing_if = "Variant::is_plain")]
    pub variant: Variant,
}

/// Everything about a model except its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub format_version: u32,
    pub architecture: Architecture,
    pub dataset: DatasetInfo,
    pub training: TrainingInfo,
    pub epochs_trained: usize,
    /// Final metrics by name (`train_loss`, `val_loss`, …).
    pub metrics: BTreeMap<String, f64>,
    /// The loss per epoch, as training reported it (absent in files written before it was
    /// kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<EpochLoss>,
}

/// One epoch's losses in a checkpoint's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLoss {
    pub epoch: usize,
    pub train_loss: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// The epoch was cut short (Ctrl-C, the Studio's Stop): its losses cover part of the
    /// data, and `epochs_trained` does not count it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// A named f32 tensor in PyTorch layout.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// A model's configuration and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub config: ModelConfig,
    pub tensors: Vec<NamedTensor>,
}

impl Checkpoint {
    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&NamedTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Checks the tensors against the architecture: every expected tensor present with its
    /// shape and value count, nothing extra.
    pub fn validate(&self, source: &str) -> Result<(), Error> {
        let d = &self.config.dataset;
        if let Some([c, h, w]) = d.image_dims() {
            if !matches!(c, 1 | 3) || c * h * w != d.features {
                return Err(Error::format(
                    source,
                    format!(
                        "its data are {c}-channel {h}×{w} images of {} values each: not a grey or colour image",
                        d.features
                    ),
                ));
            }
            if let Architecture::Conv { input, .. } = &self.config.architecture
                && *input != [c, h, w]
            {
                return Err(Error::format(
                    source,
                    format!(
                        "its conv model takes {input:?} inputs but its data are {:?} images",
                        [c, h, w]
                    ),
                ));
            }
        }
        let specs = self
            .config
            .architecture
            .tensor_specs()
            .map_err(|e| Error::format(source, e.to_string()))?;
        for spec in &specs {
            let t = self.tensor(&spec.name).ok_or_else(|| {
                Error::format(
                    source,
                    format!("missing tensor '{}' (shape {:?})", spec.name, spec.shape),
                )
            })?;
            if t.shape != spec.shape {
                return Err(Error::format(
                    source,
                    format!(
                        "tensor '{}' has shape {:?}, the architecture needs {:?}",
                        spec.name, t.shape, spec.shape
                    ),
                ));
            }
            if t.values.len() != t.shape.iter().product::<usize>() {
                return Err(Error::format(
                    source,
                    format!("tensor '{}' has the wrong number of values", spec.name),
                ));
            }
            if let Some(i) = t.values.iter().position(|v| !v.is_finite()) {
                return Err(Error::format(
                    source,
                    format!("tensor '{}' holds a non-finite value at {i}", spec.name),
                ));
            }
        }
        if let Some(extra) = self
            .tensors
            .iter()
            .find(|t| !specs.iter().any(|s| s.name == t.name))
        {
            return Err(Error::format(
                source,
                format!(
                    "unexpected tensor '{}' for {}",
                    extra.name,
                    self.config.architecture.describe()
                ),
            ));
        }
        Ok(())
    }

    /// Serialises to safetensors bytes (validating first).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        self.validate("checkpoint")?;
        let raw: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.shape.clone(),
                    t.values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                )
            })
            .collect();
        let views: Vec<(String, TensorView<'_>)> = raw
            .iter()
            .map(|(n, s, b)| {
                Ok((
                    n.clone(),
                    TensorView::new(Dtype::F32, s.clone(), b)
                        .map_err(|e| Error::invalid(e.to_string()))?,
                ))
            })
            .collect::<Result<_, Error>>()?;
        let json =
            serde_json::to_string(&self.config).map_err(|e| Error::invalid(e.to_string()))?;
        let meta = HashMap::from([(CONFIG_KEY.to_string(), json)]);
        safetensors::serialize(views, Some(meta))
            .map_err(|e| Error::invalid(format!("safetensors: {e}")))
    }

    /// Parses and validates safetensors bytes; `source` names the file in messages.
    pub fn from_bytes(source: &str, bytes: &[u8]) -> Result<Self, Error> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| Error::format(source, format!("not a valid safetensors file ({e})")))?;
        let (_, meta) = SafeTensors::read_metadata(bytes)
            .map_err(|e| Error::format(source, format!("not a valid safetensors file ({e})")))?;
        let json = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get(CONFIG_KEY))
            .ok_or_else(|| {
                Error::format(
                    source,
                    "no Hourglass configuration in the metadata (not an Hourglass checkpoint)",
                )
            })?;
        let config: ModelConfig = serde_json::from_str(json)
            .map_err(|e| Error::format(source, format!("malformed configuration: {e}")))?;
        if config.format_version != FORMAT_VERSION {
            return Err(Error::format(
                source,
                format!(
                    "checkpoint format version {} is not supported (expected {FORMAT_VERSION})",
                    config.format_version
                ),
            ));
        }
        let mut tensors = Vec::new();
        for (name, view) in st.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(Error::format(
                    source,
                    format!("tensor '{name}' is {:?}, expected F32", view.dtype()),
                ));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                .collect();
            tensors.push(NamedTensor {
                name,
                shape: view.shape().to_vec(),
                values,
            });
        }
        let specs = config
            .architecture
            .tensor_specs()
            .map_err(|e| Error::format(source, e.to_string()))?;
        tensors.sort_by_key(|t| {
            specs
                .iter()
                .position(|s| s.name == t.name)
                .unwrap_or(usize::MAX)
        });
        let ck = Checkpoint { config, tensors };
        ck.validate(source)?;
        Ok(ck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::Code;
    use crate::glass::Activation;

    /// Every tensor `arch` needs, each value `v`.
    fn filled(arch: &Architecture, v: f32) -> Vec<NamedTensor> {
        arch.tensor_specs()
            .unwrap()
            .into_iter()
            .map(|s| NamedTensor {
                values: vec![v; s.shape.iter().product()],
                name: s.name,
                shape: s.shape,
            })
            .collect()
    }

    fn sample() -> Checkpoint {
        let architecture = Architecture::Dense {
            layers: vec![4, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let tensors = architecture
            .tensor_specs()
            .unwrap()
            .into_iter()
            .map(|s| {
                let n = s.shape.iter().product::<usize>();
                NamedTensor {
                    name: s.name,
                    shape: s.shape,
                    values: (0..n).map(|v| v as f32 * 0.5).collect(),
                }
            })
            .collect();
        Checkpoint {
            config: ModelConfig {
                history: vec![],
                format_version: FORMAT_VERSION,
                architecture,
                dataset: DatasetInfo {
                    name: "toy".into(),
                    features: 4,
                    image_shape: Some([2, 2]),
                    channels: 1,
                    scaling: Scaling::IDENTITY,
                    train_samples: 10,
                    val_samples: 0,
                    classes: None,
                },
                training: TrainingInfo {
                    loss: "mse".into(),
                    optimizer: "adam".into(),
                    learning_rate: 1e-3,
                    momentum: 0.9,
                    batch_size: 2,
                    epochs: 1,
                    seed: 1,
                    val_split: 0.0,
                    variant: Variant::Plain,
                },
                epochs_trained: 1,
                metrics: BTreeMap::from([("train_loss".into(), 0.25)]),
            },
            tensors,
        }
    }

    #[test]
    fn round_trips() {
        let ck = sample();
        let bytes = ck.to_bytes().unwrap();
        assert_eq!(Checkpoint::from_bytes("m", &bytes).unwrap(), ck);
    }

    #[test]
    fn colour_images_are_recorded_and_checked_against_the_model() {
        let mut ck = sample();
        ck.config.dataset.features = 12;
        ck.config.dataset.channels = 3;
        ck.config.architecture = Architecture::Dense {
            layers: vec![12, 2],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        ck.tensors = filled(&ck.config.architecture, 0.5);
        let bytes = ck.to_bytes().unwrap();
        let back = Checkpoint::from_bytes("c", &bytes).unwrap();
        assert_eq!(back.config.dataset.image_dims(), Some([3, 2, 2]));
        // channels that do not fill the values are refused, named
        let mut bad = ck.clone();
        bad.config.dataset.channels = 2;
        let e = bad.to_bytes().unwrap_err().to_string();
        assert!(e.contains("2-channel 2×2 images"), "{e}");
    }

    #[test]
    fn a_file_without_a_variant_is_plain_and_a_variant_round_trips() {
        // today's plain files and those written before variants existed are the same JSON
        let ck = sample();
        let json = serde_json::to_value(&ck.config).unwrap();
        assert!(json["training"].get("variant").is_none(), "{json}");
        assert!(json["architecture"].get("code").is_none(), "{json}");
        assert!(json["dataset"].get("channels").is_none(), "{json}");
        let back: ModelConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back.training.variant, Variant::Plain);
        assert_eq!(back.architecture.code(), Code::Linear);
        // a VAE: its code and its β in the file, and a last encoder layer twice as wide
        let mut vae = sample();
        vae.config.architecture = vae.config.architecture.clone().with_code(Code::Gaussian);
        vae.config.training.variant = Variant::Vae { beta: 4.0 };
        vae.tensors = filled(&vae.config.architecture, 0.25);
        assert_eq!(vae.tensor("encoder.0.weight").unwrap().shape, vec![4, 4]);
        let bytes = vae.to_bytes().unwrap();
        assert_eq!(Checkpoint::from_bytes("vae", &bytes).unwrap(), vae);
    }

    #[test]
    fn names_a_missing_tensor_and_a_wrong_shape() {
        let mut ck = sample();
        ck.tensors.retain(|t| t.name != "decoder.0.bias");
        let err = ck.validate("m.safetensors").unwrap_err().to_string();
        assert!(err.contains("missing tensor 'decoder.0.bias'"), "{err}");

        let mut ck = sample();
        ck.tensors[0].shape = vec![4, 2];
        let err = ck.validate("m").unwrap_err().to_string();
        assert!(err.contains("'encoder.0.weight' has shape [4, 2]"), "{err}");

        assert!(Checkpoint::from_bytes("junk", b"0123456789").is_err());
    }
}
