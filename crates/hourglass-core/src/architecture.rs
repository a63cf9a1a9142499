//! What an MNIST-size autoencoder looks like: its layers and the tensors that hold it.
//! Shared by the tensor engine, checkpoints and the CLI; independent of any engine.

use serde::{Deserialize, Serialize};

use crate::{Error, glass::Activation};

/// One convolution of the encoder (the decoder mirrors it with a transposed convolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvLayer {
    pub filters: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

/// What the code layer gives: the last encoder layer's output as it is (linear), through a
/// ReLU or a sigmoid (sparse codes), its K largest units through a ReLU and the rest zeroed
/// (TopK, Gao et al. 2024: exactly K or fewer active per sample), or a Gaussian (a VAE's: the
/// layer gives μ and log σ² for each code unit, twice the latent size; the code is μ, or a
/// sample while training).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    #[default]
    Linear,
    Relu,
    Sigmoid,
    Gaussian,
    /// Keeps the K largest units of each sample (then a ReLU), zeroes the rest.
    TopK(usize),
}

impl Code {
    /// The code layers that take no number (TopK is written `topk:K`).
    pub const ALL: [Code; 4] = [Code::Linear, Code::Relu, Code::Sigmoid, Code::Gaussian];

    pub fn name(self) -> &'static str {
        match self {
            Code::Linear => "linear",
            Code::Relu => "relu",
            Code::Sigmoid => "sigmoid",
            Code::Gaussian => "gaussian",
            Code::TopK(_) => "topk",
        }
    }

    pub fn is_linear(&self) -> bool {
        *self == Code::Linear
    }

    /// Outputs of the last encoder layer for a code of `latent` units.
    pub fn encoder_outputs(self, latent: usize) -> usize {
        if self == Code::Gaussian {
            2 * latent
        } else {
            latent
        }
    }

    /// Checks the code against the code layer's width (TopK's K within 1..=latent).
    pub fn validate(self, latent: usize) -> Result<(), Error> {
        match self {
            Code::TopK(k) if k == 0 || k > latent => Err(Error::invalid(format!(
                "topk:{k} keeps {k} of a {latent}-unit code: K must be within 1..={latent}"
            ))),
            _ => Ok(()),
        }
    }
}

impl std::str::FromStr for Code {
    type Err = Error;
    /// `linear`, `relu`, `sigmoid`, `gaussian` or `topk:K`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if let Some((name, k)) = s.split_once(':')
            && name.eq_ignore_ascii_case("topk")
        {
            return match k.trim().parse::<usize>() {
                Ok(k) if k > 0 => Ok(Code::TopK(k)),
                _ => Err(Error::invalid(format!(
                    "topk:{k} needs a whole number of units above 0 (e.g. topk:32)"
                ))),
            };
        }
        Code::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown code layer '{s}' (expected linear, relu, sigmoid, gaussian or topk:K)"
                ))
            })
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Code::TopK(k) => write!(f, "topk:{k}"),
            c => f.write_str(c.name()),
        }
    }
}

/// The shape of an autoencoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Architecture {
    /// Dense layers `layers[0] → … → layers[n]` (the bottleneck), mirrored back.
    Dense {
        layers: Vec<usize>,
        activation: Activation,
        output: Activation,
        /// Each hidden layer's own activation, encoder order (its mirror in the decoder uses
        /// the same); empty when every hidden layer uses `activation`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        activations: Vec<Activation>,
        /// The code layer (linear in files written before it was kept).
        #[serde(default, skip_serializing_if = "Code::is_linear")]
        code: Code,
    },
    /// Convolutions over `[channels, height, width]` images, then a dense bottleneck of
    /// `latent`; the decoder mirrors it with transposed convolutions.
    Conv {
        input: [usize; 3],
        convs: Vec<ConvLayer>,
        latent: usize,
        activation: Activation,
        output: Activation,
        #[serde(default, skip_serializing_if = "Code::is_linear")]
        code: Code,
    },
}

/// A tensor's name and shape, in PyTorch's layouts (Linear `[out, in]`, Conv2d
/// `[out, in, k, k]`, ConvTranspose2d `[in, out, k, k]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
}

fn spec(name: String, shape: Vec<usize>) -> TensorSpec {
    TensorSpec { name, shape }
}

/// Parses a layer list like `784,256,128,32`.
pub fn parse_layers(text: &str) -> Result<Vec<usize>, Error> {
    let layers: Vec<usize> = text
        .split(',')
        .map(|s| {
            s.trim().parse::<usize>().map_err(|_| {
                Error::invalid(format!(
                    "layer size '{}' in '{text}' is not a whole number",
                    s.trim()
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(layers)
}

/// Largest conv kernel side, and largest stride, the grammar accepts.
pub const MAX_KERNEL: usize = 15;
pub const MAX_STRIDE: usize = 8;

/// Parses one conv layer, `filters:kernel:stride:padding` — all four, so the padding is
/// never a guess — or says why it is not one. The one grammar of conv layers: the CLI's
/// `--conv` and the Model Studio read a layer with it, so `16:3:2` is refused in both with
/// the same sentence.
pub fn parse_conv(part: &str) -> Result<ConvLayer, String> {
    let nums: Option<Vec<usize>> = part.split(':').map(|s| s.trim().parse().ok()).collect();
    let Some([filters, kernel, stride, padding]) =
        nums.as_deref().and_then(|n| <[usize; 4]>::try_from(n).ok())
    else {
        return Err(format!(
            "'{}' is not filters:kernel:stride:padding: give four whole numbers (e.g. 16:3:2:1), so the padding is not a guess",
            part.trim()
        ));
    };
    if filters == 0 {
        return Err("0 filters: give 1 or more".into());
    }
    if !(1..=MAX_KERNEL).contains(&kernel) {
        return Err(format!(
            "a {kernel}×{kernel} kernel: give 1 to {MAX_KERNEL}"
        ));
    }
    if !(1..=MAX_STRIDE).contains(&stride) {
        return Err(format!("stride {stride}: give 1 to {MAX_STRIDE}"));
    }
    if padding >= kernel {
        return Err(format!(
            "padding {padding} is not smaller than the kernel ({kernel})"
        ));
    }
    Ok(ConvLayer {
        filters,
        kernel,
        stride,
        padding,
    })
}

/// Parses a conv spec like `16:3:2:1,32:3:2:1`, each layer as [`parse_conv`] reads it.
pub fn parse_convs(text: &str) -> Result<Vec<ConvLayer>, Error> {
    text.split(',')
        .enumerate()
        .map(|(i, part)| {
            parse_conv(part).map_err(|why| Error::invalid(format!("conv layer {}: {why}", i + 1)))
        })
        .collect()
}

/// Largest layer width accepted (keeps a typo from allocating gigabytes).
pub const MAX_WIDTH: usize = 1 << 16;

impl Architecture {
    /// Checks sizes, that the convolutions can be mirrored exactly, and the code layer.
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_shape()?;
        self.code().validate(self.latent_size())
    }

    fn validate_shape(&self) -> Result<(), Error> {
        match self {
            Architecture::Dense {
                layers,
                activations,
                ..
            } => {
                if !activations.is_empty() && activations.len() + 2 != layers.len() {
                    return Err(Error::invalid(format!(
                        "{} per-layer activations for {} hidden layers",
                        activations.len(),
                        layers.len().saturating_sub(2)
                    )));
                }
                if layers.len() < 2 {
                    return Err(Error::invalid(
                        "a dense autoencoder needs at least an input size and a bottleneck size",
                    ));
                }
                if let Some(i) = layers.iter().position(|&s| s == 0) {
                    return Err(Error::invalid(format!(
                        "layer {} of {layers:?} has size 0",
                        i
                    )));
                }
                if let Some(&s) = layers.iter().find(|&&s| s > MAX_WIDTH) {
                    return Err(Error::invalid(format!(
                        "layer size {s} is larger than {MAX_WIDTH}"
                    )));
                }
                Ok(())
            }
            Architecture::Conv {
                input,
                convs,
                latent,
                ..
            } => {
                if input.contains(&0) {
                    return Err(Error::invalid(format!("input shape {input:?} has a zero")));
                }
                if *latent == 0 || *latent > MAX_WIDTH {
                    return Err(Error::invalid(format!(
                        "latent size {latent} is outside 1..={MAX_WIDTH}"
                    )));
                }
                if convs.is_empty() {
                    return Err(Error::invalid(
                        "a conv autoencoder needs at least one conv layer",
                    ));
                }
                self.conv_shapes()?;
                Ok(())
            }
        }
    }

    /// The activation of the encoder's hidden dense layer `i` (0-based; its mirror in the
    /// decoder uses the same): its own when the layers have their own, else the model's.
    pub fn hidden_activation(&self, i: usize) -> Activation {
        match self {
            Architecture::Dense {
                activation,
                activations,
                ..
            } => activations.get(i).copied().unwrap_or(*activation),
            Architecture::Conv { activation, .. } => *activation,
        }
    }

    /// The code layer.
    pub fn code(&self) -> Code {
        match self {
            Architecture::Dense { code, .. } | Architecture::Conv { code, .. } => *code,
        }
    }

    /// The same architecture with code layer `code`.
    pub fn with_code(mut self, c: Code) -> Self {
        match &mut self {
            Architecture::Dense { code, .. } | Architecture::Conv { code, .. } => *code = c,
        }
        self
    }

    /// Values per sample.
    pub fn input_size(&self) -> usize {
        match self {
            Architecture::Dense { layers, .. } => layers[0],
            Architecture::Conv { input, .. } => input.iter().product(),
        }
    }

    /// Size of the code.
    pub fn latent_size(&self) -> usize {
        match self {
            Architecture::Dense { layers, .. } => *layers.last().expect("validated"),
            Architecture::Conv { latent, .. } => *latent,
        }
    }

    /// For a conv architecture: the `[c, h, w]` shape after each conv (input first), and for
    /// each transposed conv of the decoder the output padding that restores the size exactly.
    pub fn conv_shapes(&self) -> Result<(Vec<[usize; 3]>, Vec<usize>), Error> {
        let Architecture::Conv { input, convs, .. } = self else {
            return Ok((vec![], vec![]));
        };
        let mut shapes = vec![*input];
        let mut out_pad = Vec::new();
        for (i, c) in convs.iter().enumerate() {
            if c.filters == 0 || c.kernel == 0 || c.stride == 0 {
                return Err(Error::invalid(format!(
                    "conv layer {} has a zero filters, kernel or stride",
                    i + 1
                )));
            }
            if c.filters > 1024 || c.kernel > 15 || c.stride > 8 || c.padding >= c.kernel {
                return Err(Error::invalid(format!(
                    "conv layer {} ({c:?}) is out of range",
                    i + 1
                )));
            }
            let [_, h, w] = *shapes.last().expect("non-empty");
            let size = |n: usize| -> Result<usize, Error> {
                let span = n + 2 * c.padding;
                if span < c.kernel {
                    return Err(Error::invalid(format!(
                        "conv layer {} kernel {} does not fit a {n}-pixel side",
                        i + 1,
                        c.kernel
                    )));
                }
                Ok((span - c.kernel) / c.stride + 1)
            };
            let (oh, ow) = (size(h)?, size(w)?);
            // the transposed conv gives (o − 1)·s − 2p + k + output_padding; output_padding < s
            let back = |o: usize, n: usize| -> Result<usize, Error> {
                let base = (o - 1) * c.stride + c.kernel;
                let base = base.checked_sub(2 * c.padding).filter(|&b| b <= n);
                match base {
                    Some(b) if n - b < c.stride => Ok(n - b),
                    _ => Err(Error::invalid(format!(
                        "conv layer {} cannot be mirrored exactly by a transposed convolution",
                        i + 1
                    ))),
                }
            };
            let (ph, pw) = (back(oh, h)?, back(ow, w)?);
            if ph != pw {
                return Err(Error::invalid(format!(
                    "conv layer {} needs different output padding for height and width",
                    i + 1
                )));
            }
            out_pad.push(ph);
            shapes.push([c.filters, oh, ow]);
        }
        Ok((shapes, out_pad))
    }

    /// Every tensor of the model with its shape, in a fixed order.
    pub fn tensor_specs(&self) -> Result<Vec<TensorSpec>, Error> {
        self.validate()?;
        let mut specs = Vec::new();
        match self {
            Architecture::Dense { layers, .. } => {
                let last = layers.len() - 2;
                for (i, w) in layers.windows(2).enumerate() {
                    let out = if i == last {
                        self.code().encoder_outputs(w[1])
                    } else {
                        w[1]
                    };
                    specs.push(spec(format!("encoder.{i}.weight"), vec![out, w[0]]));
                    specs.push(spec(format!("encoder.{i}.bias"), vec![out]));
                }
                let rev: Vec<usize> = layers.iter().rev().copied().collect();
                for (i, w) in rev.windows(2).enumerate() {
                    specs.push(spec(format!("decoder.{i}.weight"), vec![w[1], w[0]]));
                    specs.push(spec(format!("decoder.{i}.bias"), vec![w[1]]));
                }
            }
            Architecture::Conv { convs, latent, .. } => {
                let (shapes, _) = self.conv_shapes()?;
                for (i, c) in convs.iter().enumerate() {
                    specs.push(spec(
                        format!("encoder.conv.{i}.weight"),
                        vec![c.filters, shapes[i][0], c.kernel, c.kernel],
                    ));
                    specs.push(spec(format!("encoder.conv.{i}.bias"), vec![c.filters]));
                }
                let flat: usize = shapes.last().expect("non-empty").iter().product();
                let out = self.code().encoder_outputs(*latent);
                specs.push(spec("encoder.fc.weight".into(), vec![out, flat]));
                specs.push(spec("encoder.fc.bias".into(), vec![out]));
                specs.push(spec("decoder.fc.weight".into(), vec![flat, *latent]));
                specs.push(spec("decoder.fc.bias".into(), vec![flat]));
                for (j, i) in (0..convs.len()).rev().enumerate() {
                    let c = convs[i];
                    specs.push(spec(
                        format!("decoder.deconv.{j}.weight"),
                        vec![c.filters, shapes[i][0], c.kernel, c.kernel],
                    ));
                    specs.push(spec(format!("decoder.deconv.{j}.bias"), vec![shapes[i][0]]));
                }
            }
        }
        Ok(specs)
    }

    /// Number of weights and biases.
    pub fn param_count(&self) -> Result<usize, Error> {
        Ok(self
            .tensor_specs()?
            .iter()
            .map(|s| s.shape.iter().product::<usize>())
            .sum())
    }

    /// A one-line description, e.g. `dense 784-256-128-32 (relu, sigmoid out)`.
    pub fn describe(&self) -> String {
        let shape = match self {
            Architecture::Dense {
                layers,
                activation,
                output,
                activations,
                ..
            } => {
                let sizes = layers
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join("-");
                if activations.is_empty() {
                    format!("dense {sizes} ({activation}, {output} out)")
                } else {
                    let each: Vec<String> = activations.iter().map(|a| a.to_string()).collect();
                    format!("dense {sizes} ({}, {output} out)", each.join("/"))
                }
            }
            Architecture::Conv {
                input,
                convs,
                latent,
                activation,
                output,
                ..
            } => format!(
                "conv {}x{}x{} {} -> {latent} ({activation}, {output} out)",
                input[0],
                input[1],
                input[2],
                convs
                    .iter()
                    .map(|c| format!("{}:{}:{}:{}", c.filters, c.kernel, c.stride, c.padding))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        match self.code() {
            Code::Linear => shape,
            code => format!("{shape}, {code} code"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_specs_mirror_the_layers() {
        let a = Architecture::Dense {
            layers: vec![784, 256, 128, 32],
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            activations: vec![],
            code: Code::Linear,
        };
        let s = a.tensor_specs().unwrap();
        assert_eq!(s.len(), 12);
        assert_eq!(
            s[0],
            TensorSpec {
                name: "encoder.0.weight".into(),
                shape: vec![256, 784]
            }
        );
        assert_eq!(
            s[11],
            TensorSpec {
                name: "decoder.2.bias".into(),
                shape: vec![784]
            }
        );
        assert_eq!(
            a.param_count().unwrap(),
            2 * (784 * 256 + 256 * 128 + 128 * 32) + 256 + 128 + 32 + 128 + 256 + 784
        );
    }

    #[test]
    fn conv_shapes_and_output_padding() {
        let a = Architecture::Conv {
            input: [1, 28, 28],
            convs: parse_convs("16:3:2:1,32:3:2:1").unwrap(),
            latent: 16,
            activation: Activation::Relu,
            output: Activation::Sigmoid,
            code: Code::Linear,
        };
        let (shapes, pads) = a.conv_shapes().unwrap();
        assert_eq!(shapes, vec![[1, 28, 28], [16, 14, 14], [32, 7, 7]]);
        assert_eq!(pads, vec![1, 1]);
        let s = a.tensor_specs().unwrap();
        assert!(s.contains(&TensorSpec {
            name: "encoder.fc.weight".into(),
            shape: vec![16, 32 * 49]
        }));
        assert!(s.contains(&TensorSpec {
            name: "decoder.deconv.0.weight".into(),
            shape: vec![32, 16, 3, 3]
        }));
        assert!(s.contains(&TensorSpec {
            name: "decoder.deconv.1.bias".into(),
            shape: vec![1]
        }));
    }

    #[test]
    fn bad_layer_lists_are_refused() {
        assert!(
            parse_layers("784,0,32")
                .map(|l| Architecture::Dense {
                    layers: l,
                    activation: Activation::Relu,
                    output: Activation::Sigmoid,
                    activations: vec![],
                    code: Code::Linear,
                }
                .validate())
                .unwrap()
                .is_err()
        );
        assert!(parse_layers("784,abc").is_err());
        assert!(parse_convs("16:3:2:1:9").is_err());
        let short = parse_convs("16:3:2,8:3:1:1").unwrap_err().to_string();
        assert_eq!(
            short,
            "conv layer 1: '16:3:2' is not filters:kernel:stride:padding: give four whole numbers (e.g. 16:3:2:1), so the padding is not a guess"
        );
        assert!(
            parse_convs("8:16:1:0")
                .unwrap_err()
                .to_string()
                .contains("16×16 kernel")
        );
        assert!(
            parse_convs("8:3:1:3")
                .unwrap_err()
                .to_string()
                .contains("padding 3")
        );
        let a = Architecture::Conv {
            input: [1, 4, 4],
            convs: parse_convs("8:9:1:0").unwrap(),
            latent: 2,
            activation: Activation::Relu,
            output: Activation::Linear,
            code: Code::Linear,
        };
        assert!(a.validate().is_err());
    }
}
