//! The models the Digits Lab shows: the picker (shipped models, "train your own", the kept
//! ones, each with why it cannot be used when it cannot), loading one, and the model the page
//! looks at now.

use super::*;

/// One entry of the model picker.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ModelEntry {
    pub(super) name: String,
    pub(super) title: String,
    /// `shipped`, `file` or `train`.
    pub(super) kind: &'static str,
    pub(super) dataset: Option<String>,
    pub(super) latent: Option<usize>,
    /// Why a file cannot be used (it is listed, not offered).
    pub(super) error: Option<String>,
}

/// The model the page looks at when it is not training one.
pub(super) struct Fixed {
    pub(super) name: String,
    pub(super) dataset: String,
    pub(super) model: Autoencoder,
    /// Test error beside PCA's (shipped models), or the checkpoint's recorded metrics.
    pub(super) quality: Value,
}

/// The images a data set of the Digits Lab holds: channels, height, width.
pub(super) type Shape = [usize; 3];

/// The images of a data set the Digits Lab shows: MNIST's and Fashion-MNIST's 28×28 grey
/// digits, or photo-patches' 64×64 colour patches.
pub(super) fn shape_of(dataset: &str) -> Shape {
    if dataset == shipped::PHOTOS_NAME {
        [3, shipped::PHOTO_SIZE, shipped::PHOTO_SIZE]
    } else {
        [1, 28, 28]
    }
}

/// The learner's own model of `dataset`'s images: the tutorial's layers with the data's
/// width first (784 for digits, 12,288 for 64×64 colour patches).
pub(super) fn architecture(dataset: &str) -> Architecture {
    let mut layers = DIGIT_LAYERS.to_vec();
    layers[0] = shape_of(dataset).iter().product();
    Architecture::Dense {
        layers,
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    }
}

/// A checkpoint as a model the Digits Lab can show, or why not.
pub(super) fn digit_model(source: &str, bytes: &[u8]) -> Result<(Checkpoint, Autoencoder), String> {
    let ck = digit_checkpoint(source, bytes)?;
    let model = build(&ck)?;
    Ok((ck, model))
}

/// A checkpoint of a model of a data set the Digits Lab shows, or why not (read, not yet
/// built).
pub(super) fn digit_checkpoint(source: &str, bytes: &[u8]) -> Result<Checkpoint, String> {
    check_digit_model(Checkpoint::from_bytes(source, bytes).map_err(|e| e.to_string())?)
}

/// The checkpoint, if its model takes the images of the data set it names (MNIST or
/// Fashion-MNIST, 28×28; photo-patches, 64×64 colour); otherwise why the Digits Lab cannot
/// show it.
pub(super) fn check_digit_model(ck: Checkpoint) -> Result<Checkpoint, String> {
    let inputs = ck.config.architecture.input_size();
    let dataset = dataset_of(&ck);
    let [c, h, w] = shape_of(&dataset);
    if inputs != c * h * w {
        return Err(format!(
            "it takes {inputs} values per sample; the Digits Lab shows 28×28 images (784) of \
             MNIST and Fashion-MNIST, and 64×64 colour patches (12,288) of {}",
            shipped::PHOTOS_NAME
        ));
    }
    Ok(ck)
}

/// The model a checkpoint describes, for inference.
pub(super) fn build(ck: &Checkpoint) -> Result<Autoencoder, String> {
    Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())
        .map_err(|e| e.to_string())
}

/// The known dataset a checkpoint was trained on (MNIST's images for anything else).
pub(super) fn dataset_of(ck: &Checkpoint) -> String {
    let n = ck.config.dataset.name.to_lowercase();
    if n.contains("fashion") {
        "fashion-mnist".into()
    } else if n == shipped::PHOTOS_NAME {
        shipped::PHOTOS_NAME.into()
    } else {
        "mnist".into()
    }
}

/// Reads a model from the models folder.
pub(super) fn read_model_file(
    models: &dyn ModelStore,
    name: &str,
) -> Result<(Checkpoint, Autoencoder), String> {
    let ck = read_checkpoint_file(models, name)?;
    let model = build(&ck)?;
    Ok((ck, model))
}

/// Reads a checkpoint from the models folder (the picker lists it without building it).
pub(super) fn read_checkpoint_file(
    models: &dyn ModelStore,
    name: &str,
) -> Result<Checkpoint, String> {
    let ck = models.read(name).map_err(|e| e.to_string())?;
    check_digit_model(ck)
}

/// The picker: shipped models, "train your own", and every checkpoint in the models folder
/// (one that cannot be used is listed with the reason).
pub(super) fn scan_models(models: &dyn ModelStore) -> Vec<ModelEntry> {
    let mut out: Vec<ModelEntry> = shipped::MODELS
        .iter()
        .map(|m| ModelEntry {
            name: m.name.into(),
            title: m.title.into(),
            kind: "shipped",
            dataset: Some(m.dataset.into()),
            latent: shipped::quality(m.name).map(|q| q.latent),
            error: None,
        })
        .collect();
    out.push(ModelEntry {
        name: TRAIN_MODEL.into(),
        title: "Train your own (2-D, here)".into(),
        kind: "train",
        dataset: None,
        latent: Some(2),
        error: None,
    });
    for f in models.list() {
        let (dataset, latent, error) = match read_checkpoint_file(models, &f) {
            Ok(ck) => (
                Some(dataset_of(&ck)),
                Some(ck.config.architecture.latent_size()),
                None,
            ),
            Err(e) => (None, None, Some(e)),
        };
        out.push(ModelEntry {
            name: format!("{FILE_PREFIX}{f}"),
            title: f,
            kind: "file",
            dataset,
            latent,
            error,
        });
    }
    out
}

/// The model the page looks at: the trained one (as of `steps`) or the fixed one.
pub(super) fn current_model<'a>(
    settings: &DigitsSettings,
    fixed: Option<&'a Fixed>,
    cache: &'a mut InferenceCache<u64>,
    trainer: Option<&Trainer>,
    steps: u64,
) -> Result<&'a Autoencoder, WireError> {
    if settings.model == TRAIN_MODEL {
        cache.get(
            steps,
            trainer,
            &architecture(&settings.dataset),
            settings.seed,
        )
    } else {
        fixed
            .map(|f| &f.model)
            .ok_or_else(|| WireError::invalid("no model is loaded"))
    }
}

impl DigitsJob {
    /// Loads the model a `model` setting names (not `train`).
    pub(super) fn load_fixed(&self, name: &str) -> Result<Fixed, WireError> {
        if let Some(m) = shipped::model(name) {
            let (_, model) = digit_model(m.name, m.bytes).map_err(WireError::invalid)?;
            let quality = shipped::quality(name).map_or(Value::Null, |q| {
                json!({"test_mse": q.test_mse, "pca_test_mse": q.pca_test_mse,
                       "pca_components": q.pca_components, "epochs": q.epochs,
                       "layers": q.layers, "command": q.command})
            });
            return Ok(Fixed {
                name: name.into(),
                dataset: m.dataset.into(),
                model,
                quality,
            });
        }
        let file = name.strip_prefix(FILE_PREFIX).ok_or_else(|| {
            let names: Vec<&str> = shipped::MODELS.iter().map(|m| m.name).collect();
            WireError::invalid(format!(
                "no model '{name}' (expected {}, {TRAIN_MODEL}, or file:<name> from the models folder)",
                names.join(", ")
            ))
        })?;
        let (ck, model) = read_model_file(self.ctx.models.as_ref(), file)
            .map_err(|e| WireError::new("not_found", format!("cannot use {file}: {e}")))?;
        Ok(Fixed {
            name: name.into(),
            dataset: dataset_of(&ck),
            model,
            quality: json!({"metrics": ck.config.metrics, "epochs": ck.config.epochs_trained}),
        })
    }
}
