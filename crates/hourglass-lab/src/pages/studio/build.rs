//! From settings to a model: the architecture the settings describe (an impossible one
//! refused with its field, its layer and the reason), the variant, the diagram and summary
//! the page shows, and what a run is (`run_key`).

use super::*;

/// Why settings cannot be built into a model: the field, the 1-based layer where there is
/// one, and the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigError {
    pub field: &'static str,
    pub layer: Option<usize>,
    pub message: String,
}

impl ConfigError {
    pub(super) fn new(
        field: &'static str,
        layer: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            field,
            layer,
            message: message.into(),
        }
    }
}

impl From<ConfigError> for WireError {
    fn from(e: ConfigError) -> Self {
        WireError::invalid(e.message)
    }
}

/// The parts of a comma-separated list (none for an empty one).
pub(super) fn parts(text: &str) -> Vec<&str> {
    if text.trim().is_empty() {
        vec![]
    } else {
        text.split(',').map(str::trim).collect()
    }
}

/// A dense model's hidden layer sizes, or which one is wrong and why.
pub(super) fn hidden_layers(text: &str) -> Result<Vec<usize>, ConfigError> {
    let parts = parts(text);
    if parts.len() > MAX_HIDDEN {
        return Err(ConfigError::new(
            "layers",
            Some(MAX_HIDDEN + 1),
            format!(
                "{} hidden layers: the Studio builds at most {MAX_HIDDEN}",
                parts.len()
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| match p.parse::<usize>() {
            Ok(n) if (1..=MAX_WIDTH).contains(&n) => Ok(n),
            _ => Err(ConfigError::new(
                "layers",
                Some(i + 1),
                format!(
                    "hidden layer {}: '{p}' is not a size from 1 to {MAX_WIDTH}",
                    i + 1
                ),
            )),
        })
        .collect()
}

/// A dense model's activation per hidden layer (none: every layer uses the model's one), or
/// which one is wrong and why.
pub(super) fn hidden_activations(
    text: &str,
    hidden: usize,
) -> Result<Vec<Activation>, ConfigError> {
    let parts = parts(text);
    if parts.is_empty() {
        return Ok(vec![]);
    }
    if parts.len() != hidden {
        return Err(ConfigError::new(
            "activations",
            None,
            format!(
                "{} activations for {hidden} hidden layer{}: give one per layer",
                parts.len(),
                if hidden == 1 { "" } else { "s" }
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.parse::<Activation>().map_err(|e| {
                ConfigError::new(
                    "activations",
                    Some(i + 1),
                    format!("hidden layer {}: {e}", i + 1),
                )
            })
        })
        .collect()
}

/// A conv model's layers, or which one is wrong and why.
pub(super) fn conv_layers(text: &str) -> Result<Vec<ConvLayer>, ConfigError> {
    let parts = parts(text);
    if parts.is_empty() {
        return Err(ConfigError::new(
            "convs",
            Some(1),
            "a conv model needs at least one conv layer",
        ));
    }
    if parts.len() > MAX_CONVS {
        return Err(ConfigError::new(
            "convs",
            Some(MAX_CONVS + 1),
            format!(
                "{} conv layers: the Studio builds at most {MAX_CONVS}",
                parts.len()
            ),
        ));
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let bad = |why: String| {
                ConfigError::new("convs", Some(i + 1), format!("conv layer {}: {why}", i + 1))
            };
            // the one grammar (core's), then the Studio's own bound on filters
            let layer = parse_conv(p).map_err(bad)?;
            if layer.filters > MAX_FILTERS {
                return Err(bad(format!(
                    "{} filters: give 1 to {MAX_FILTERS}",
                    layer.filters
                )));
            }
            Ok(layer)
        })
        .collect()
}

/// The model the settings describe, or why it cannot be built (which field, which layer).
/// The variant the settings train, with its options.
pub fn variant_of(s: &StudioSettings) -> Result<Variant, ConfigError> {
    let bad = |field: &'static str| {
        move |e: hourglass_core::Error| ConfigError::new(field, None, e.to_string())
    };
    let noise: Noise = s.noise.at(s.noise_level).map_err(bad("noise"))?;
    let sparsity = match s.sparsity {
        SparsityKind::Kl => Sparsity::Kl {
            rho: s.rho,
            beta: s.sparsity_weight,
        },
        SparsityKind::L1 => Sparsity::L1 {
            weight: s.sparsity_weight,
        },
        SparsityKind::TopK => Sparsity::TopK { k: s.topk as usize },
    };
    let opts = VariantOptions {
        noise,
        beta: s.beta,
        sparsity,
        contraction: s.contraction,
    };
    Variant::from_name(s.variant.name(), &opts).map_err(bad("variant"))
}

/// The code layer the settings ask for (`auto`: the variant's), checked against the variant.
pub(super) fn code_of(s: &StudioSettings, variant: Variant) -> Result<Code, ConfigError> {
    let code = match s.code {
        CodeChoice::Auto => variant.default_code(),
        CodeChoice::Linear => Code::Linear,
        CodeChoice::Relu => Code::Relu,
        CodeChoice::Sigmoid => Code::Sigmoid,
    };
    variant
        .check_code(code)
        .map_err(|e| ConfigError::new("code", None, e.to_string()))?;
    Ok(code)
}

/// The shape of the images the Studio trains on unless an upload says otherwise: grey 28×28.
pub const GREY: [usize; 3] = [1, 28, 28];

/// The model `s` builds over images of `input` (`[channels, height, width]`).
pub fn architecture(s: &StudioSettings, input: [usize; 3]) -> Result<Architecture, ConfigError> {
    let code = code_of(s, variant_of(s)?)?;
    let (activation, output) = (s.activation, s.output.activation());
    let latent = s.latent as usize;
    let arch = match s.kind {
        ModelKind::Dense => {
            let hidden = hidden_layers(&s.layers)?;
            let each = hidden_activations(&s.activations, hidden.len())?;
            let mut layers = vec![input.iter().product()];
            layers.extend(hidden);
            layers.push(latent);
            // one activation for all is said once (the checkpoint of such a model is the
            // CLI's); different ones are kept per layer
            let (activation, activations) = match each.first() {
                Some(&first) if each.iter().all(|&a| a == first) => (first, vec![]),
                Some(_) => (activation, each),
                None => (activation, vec![]),
            };
            Architecture::Dense {
                layers,
                activation,
                output,
                activations,
                code,
            }
        }
        ModelKind::Conv => {
            let convs = conv_layers(&s.convs)?;
            // the first layer that cannot be built (or mirrored back) is named
            for i in 1..=convs.len() {
                let prefix = Architecture::Conv {
                    input,
                    convs: convs[..i].to_vec(),
                    latent,
                    activation,
                    output,
                    code: Code::Linear,
                };
                if let Err(e) = prefix.conv_shapes() {
                    let [_, h, w] = shape_before(&convs[..i - 1], input);
                    return Err(ConfigError::new(
                        "convs",
                        Some(i),
                        format!("{e} (its input is {h}×{w})"),
                    ));
                }
            }
            Architecture::Conv {
                input,
                convs,
                latent,
                activation,
                output,
                code,
            }
        }
    };
    arch.validate()
        .map_err(|e| ConfigError::new("latent", None, e.to_string()))?;
    let params = arch
        .param_count()
        .map_err(|e| ConfigError::new("layers", None, e.to_string()))?;
    if params > MAX_PARAMS {
        let field = match s.kind {
            ModelKind::Conv => "convs",
            ModelKind::Dense => "layers",
        };
        return Err(ConfigError::new(
            field,
            None,
            format!(
                "{params} parameters: the Studio builds models of at most {MAX_PARAMS} (make a layer narrower)"
            ),
        ));
    }
    Ok(arch)
}

/// The `[c, h, w]` after `convs` (all of which fit) over images of `input`.
pub(super) fn shape_before(convs: &[ConvLayer], input: [usize; 3]) -> [usize; 3] {
    if convs.is_empty() {
        return input;
    }
    let a = Architecture::Conv {
        input,
        convs: convs.to_vec(),
        latent: 1,
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        code: Code::Linear,
    };
    a.conv_shapes()
        .ok()
        .and_then(|(s, _)| s.last().copied())
        .unwrap_or(input)
}

/// The model's layers as the page draws them (the hourglass): name and shape, input to output.
pub(super) fn diagram(arch: &Architecture) -> Vec<Value> {
    let input = input_shape(arch);
    let mut out = vec![json!({"name": "input", "shape": input})];
    match arch {
        Architecture::Dense { layers, .. } => {
            let hidden = &layers[1..layers.len() - 1];
            for (i, n) in hidden.iter().enumerate() {
                out.push(json!({"name": format!("encoder {}", i + 1), "shape": [n]}));
            }
            out.push(json!({"name": "code", "shape": [layers[layers.len() - 1]]}));
            for (i, n) in hidden.iter().rev().enumerate() {
                out.push(json!({"name": format!("decoder {}", i + 1), "shape": [n]}));
            }
        }
        Architecture::Conv { latent, .. } => {
            let (shapes, _) = arch.conv_shapes().unwrap_or_default();
            for (i, s) in shapes.iter().enumerate().skip(1) {
                out.push(json!({"name": format!("conv {i}"), "shape": s}));
            }
            out.push(json!({"name": "code", "shape": [latent]}));
            let k = shapes.len();
            for (j, s) in shapes
                .iter()
                .rev()
                .enumerate()
                .skip(1)
                .take(k.saturating_sub(2))
            {
                out.push(json!({"name": format!("deconv {j}"), "shape": s}));
            }
        }
    }
    out.push(json!({"name": "output", "shape": input}));
    out
}

/// The images a Studio model takes: a conv model's input, a dense model's first layer as grey
/// 28×28 or colour 28×28×3 images.
pub(super) fn input_shape(arch: &Architecture) -> [usize; 3] {
    match arch {
        Architecture::Conv { input, .. } => *input,
        Architecture::Dense { layers, .. } => match layers.first() {
            Some(&n) if n == 3 * PIXELS => [3, 28, 28],
            _ => GREY,
        },
    }
}

/// What the `check` query and every snapshot say of a configuration.
pub(super) fn summary(s: &StudioSettings, input: [usize; 3]) -> Value {
    match architecture(s, input) {
        Ok(a) => summary_of(&a),
        Err(e) => json!({"ok": false, "error": e}),
    }
}

/// What is said of a model that can be built.
pub(super) fn summary_of(a: &Architecture) -> Value {
    json!({
        "ok": true,
        "describe": a.describe(),
        "params": a.param_count().unwrap_or(0),
        "layers": diagram(a),
    })
}

/// Why the settings will likely train a model that does not work, when they will: a VAE on
/// mean squared error (a pixel's squared error is ~0.05 while the KL term is tens of nats, so
/// the KL wins: every code collapses onto the prior and every image decodes to the same grey
/// blob — 10 dB after an epoch on 10,000 images).
pub(super) fn advice(s: &StudioSettings) -> Option<&'static str> {
    (s.variant == VariantKind::Vae && s.loss == LossKind::Mse).then_some(
        "A VAE on mean squared error: the KL term outweighs a pixel's small squared error, so the codes collapse onto the prior and every image decodes to the same grey blob. Binary cross-entropy (a VAE's default here) works.",
    )
}

/// What a run is: the model, its variant, its data and how it trains, apart from the
/// learning rate and the epochs (which apply to a run under way). Two settings with the same
/// key train the same model the same way, so changing from one to the other keeps the run —
/// `relu,relu` for `relu`, a conv layer list edited while the model is dense, or SGD's
/// momentum while Adam trains change nothing.
pub(super) fn run_key(
    s: &StudioSettings,
    input: [usize; 3],
) -> Result<impl PartialEq + use<>, ConfigError> {
    let sgd = s.optimizer == OptimizerKind::Sgd;
    Ok((
        (architecture(s, input)?, variant_of(s)?, s.loss),
        (s.dataset.clone(), s.train_size, s.val_split, s.seed),
        (sgd, if sgd { s.momentum } else { 0.0 }, s.batch),
    ))
}
