//! Keeping models: the list, save (the checkpoint as `hourglass train` writes it), load
//! (settings and weights back), delete and rename, all through the model store.

use hourglass_core::{
    settings::{Choice, clamp_to},
    variant::NoiseKind,
};

use super::*;

/// A loaded model's output layer, if the Studio builds it (sigmoid or linear).
fn output_of(name: &str, a: Activation) -> Result<Output, WireError> {
    Output::from_name(a.name()).map_err(|_| {
        WireError::invalid(format!(
            "cannot load '{name}': its output layer is {a}, and the Studio builds sigmoid or linear outputs"
        ))
    })
}

/// `v` within the range the settings' schema gives `field`.
fn clamp(field: &str, v: f64) -> f64 {
    clamp_to::<StudioSettings>(field, v)
}

/// Settings that train `variant` with code layer `code` (a loaded model's).
pub(super) fn set_variant(s: &mut StudioSettings, variant: Variant, code: Code) {
    s.variant = match variant {
        Variant::Plain => VariantKind::Plain,
        Variant::Denoising { .. } => VariantKind::Denoising,
        Variant::Vae { .. } => VariantKind::Vae,
        Variant::Sparse { .. } => VariantKind::Sparse,
        Variant::Contractive { .. } => VariantKind::Contractive,
    };
    s.code = match code {
        _ if code == variant.default_code() => CodeChoice::Auto,
        Code::Linear => CodeChoice::Linear,
        Code::Relu => CodeChoice::Relu,
        Code::Sigmoid => CodeChoice::Sigmoid,
        // a gaussian code is a VAE's own and a TopK code a TopK-sparse model's (their
        // defaults, above); `check_code` refuses them elsewhere
        Code::Gaussian | Code::TopK(_) => CodeChoice::Auto,
    };
    match variant {
        Variant::Plain => {}
        Variant::Denoising { noise } => {
            let (kind, level) = NoiseKind::of(noise);
            s.noise = kind;
            s.noise_level = clamp("noise_level", level);
        }
        Variant::Vae { beta } => s.beta = clamp("beta", beta),
        Variant::Sparse { penalty } => match penalty {
            Sparsity::L1 { weight } => {
                s.sparsity = SparsityKind::L1;
                s.sparsity_weight = clamp("sparsity_weight", weight);
            }
            Sparsity::Kl { rho, beta } => {
                s.sparsity = SparsityKind::Kl;
                s.rho = clamp("rho", rho);
                s.sparsity_weight = clamp("sparsity_weight", beta);
            }
            Sparsity::TopK { k } => {
                s.sparsity = SparsityKind::TopK;
                s.topk = clamp("topk", k as f64) as u64;
            }
        },
        Variant::Contractive { weight } => s.contraction = clamp("contraction", weight),
    }
}

/// A model of the models folder, as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ModelInfo {
    pub(super) name: String,
    pub(super) file: String,
    pub(super) describe: Option<String>,
    pub(super) params: Option<usize>,
    pub(super) dataset: Option<String>,
    pub(super) epochs: Option<usize>,
    pub(super) metrics: Option<std::collections::BTreeMap<String, f64>>,
    pub(super) error: Option<String>,
}

pub(super) fn scan(models: &dyn ModelStore) -> Vec<ModelInfo> {
    models
        .list()
        .into_iter()
        .map(|file| {
            let name = file.strip_suffix(EXTENSION).unwrap_or(&file).to_string();
            match models.read(&file).map_err(|e| e.to_string()) {
                Ok(ck) => ModelInfo {
                    name,
                    describe: Some(ck.config.architecture.describe()),
                    params: ck.config.architecture.param_count().ok(),
                    dataset: Some(ck.config.dataset.name.clone()),
                    epochs: Some(ck.config.epochs_trained),
                    metrics: Some(ck.config.metrics.clone()),
                    error: None,
                    file,
                },
                Err(e) => ModelInfo {
                    name,
                    file,
                    describe: None,
                    params: None,
                    dataset: None,
                    epochs: None,
                    metrics: None,
                    error: Some(e),
                },
            }
        })
        .collect()
}

impl StudioJob {
    pub(super) fn save(&mut self, name: &str, overwrite: bool) -> Result<Change, WireError> {
        let stem = name.strip_suffix(EXTENSION).unwrap_or(name).to_string();
        if self.ctx.models.exists(name)? && !overwrite {
            return Err(WireError::new(
                "exists",
                format!(
                    "a model called '{stem}' is already in the models folder: pick another name, or replace it"
                ),
            ));
        }
        let Some(t) = &self.trainer else {
            return Err(WireError::invalid(
                "there is no trained model yet: press Train first",
            ));
        };
        let tensors = t.model().to_tensors();
        let d = self.data.as_ref().expect("a trainer has its data");
        let (train_samples, val_samples) = (d.train.len(), d.val.len());
        let s = self.settings.clone();
        // the metrics are those of the model as the file holds it (as `hourglass eval` reads it)
        let model = Autoencoder::from_tensors(&self.arch, &tensors, &inference_device())?;
        let e = evaluate(&model, self.test_set()?, 512)?;
        // an upload has no test split: its figures are the validation set's
        let set = self.held_out();
        let key = |m: &str| format!("{}_{m}", if set == "test" { "test" } else { "val" });
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert(key("mse"), e.mse);
        metrics.insert(key("bce"), e.bce);
        if e.psnr.is_finite() {
            metrics.insert(key("psnr"), e.psnr);
        }
        if let Some(v) = e.ssim {
            metrics.insert(key("ssim"), v);
        }
        let (scaling, classes) = match (&self.uploaded, s.dataset.strip_prefix(UPLOAD_PREFIX)) {
            (Some((n, d, sc)), Some(f)) if n == f => (*sc, d.classes.clone()),
            _ => (Scaling::IDENTITY, None),
        };
        let ck = Checkpoint {
            config: ModelConfig::trained(
                self.arch.clone(),
                DatasetInfo {
                    name: s
                        .dataset
                        .strip_prefix(UPLOAD_PREFIX)
                        .unwrap_or(&s.dataset)
                        .to_string(),
                    features: self.arch.input_size(),
                    image_shape: Some([28, 28]),
                    channels: input_shape(&self.arch)[0],
                    scaling,
                    train_samples,
                    val_samples,
                    classes,
                },
                TrainingInfo {
                    // the rate the run has now (as the trainer holds it)
                    learning_rate: self.trainer.as_ref().map_or(s.lr, Trainer::learning_rate),
                    ..self.training_info()
                },
                self.epochs_done(),
                self.loss_history(),
                metrics,
            ),
            tensors,
        };
        let file = self.ctx.models.write(name, &ck, true)?;
        self.saved = Some(json!({
            "name": stem,
            "file": file,
            "metrics": {"mse": e.mse, "bce": e.bce, "psnr": e.psnr.is_finite().then_some(e.psnr), "ssim": e.ssim, "samples": e.samples},
            "set": set,
        }));
        self.loaded = Some(stem);
        self.models = scan(self.ctx.models.as_ref());
        Ok(Change::Kept)
    }

    /// Loads a model of the models folder into the Studio: its settings and its weights (to
    /// look inside it, or to train it further).
    pub(super) fn load(&mut self, name: &str) -> Result<Change, WireError> {
        let ck = self
            .ctx
            .models
            .read(name)
            .map_err(|e| WireError::new("not_found", format!("cannot load '{name}': {e}")))?;
        let c = &ck.config;
        if c.architecture.input_size() != PIXELS && c.dataset.image_dims() != Some([3, 28, 28]) {
            return Err(WireError::invalid(format!(
                "cannot load '{name}': it takes {} values per sample; the Studio trains on 28×28 images, grey or colour",
                c.architecture.input_size()
            )));
        }
        let dataset = if self.uploads.contains(&c.dataset.name) {
            format!("{UPLOAD_PREFIX}{}", c.dataset.name)
        } else if c.dataset.name.to_lowercase().contains("fashion") {
            "fashion-mnist".into()
        } else {
            "mnist".into()
        };
        self.pick_dataset(&dataset)?;
        let mut next = self.settings.clone();
        next.dataset = dataset;
        match &c.architecture {
            Architecture::Dense {
                layers,
                activation,
                output,
                activations,
                ..
            } => {
                next.kind = ModelKind::Dense;
                next.activations = activations
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                next.layers = layers[1..layers.len() - 1]
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                next.latent = layers[layers.len() - 1] as u64;
                next.activation = *activation;
                next.output = output_of(name, *output)?;
            }
            Architecture::Conv {
                convs,
                latent,
                activation,
                output,
                ..
            } => {
                next.kind = ModelKind::Conv;
                next.activations = String::new();
                next.convs = convs
                    .iter()
                    .map(|c| format!("{}:{}:{}:{}", c.filters, c.kernel, c.stride, c.padding))
                    .collect::<Vec<_>>()
                    .join(",");
                next.latent = *latent as u64;
                next.activation = *activation;
                next.output = output_of(name, *output)?;
            }
        }
        let t = &c.training;
        // a checkpoint's loss and optimizer as the CLI writes them; one it does not write is
        // refused by name rather than read as another
        next.loss = LossKind::from_name(&t.loss)
            .map_err(|e| WireError::invalid(format!("cannot load '{name}': its loss {e}")))?;
        next.optimizer = OptimizerKind::from_name(&t.optimizer)
            .map_err(|e| WireError::invalid(format!("cannot load '{name}': its optimizer {e}")))?;
        next.lr = clamp("lr", t.learning_rate);
        next.momentum = clamp("momentum", t.momentum);
        next.batch = clamp("batch", t.batch_size as f64) as u64;
        next.val_split = clamp("val_split", t.val_split);
        next.seed = t.seed;
        let total = c.dataset.train_samples + c.dataset.val_samples;
        next.train_size = clamp("train_size", total as f64) as u64;
        // the Epochs asked for stay, unless the model has had them: then one more
        next.epochs = clamp(
            "epochs",
            (self.settings.epochs as f64).max(c.epochs_trained as f64 + 1.0),
        ) as u64;
        set_variant(&mut next, t.variant, c.architecture.code());
        let arch = architecture(&next, self.input_of(&next)).map_err(|e| {
            WireError::invalid(format!(
                "cannot load '{name}': the Studio cannot build it ({})",
                e.message
            ))
        })?;
        if arch != c.architecture {
            return Err(WireError::invalid(format!(
                "cannot load '{name}': its shape ({}) is not one the Studio builds",
                c.architecture.describe()
            )));
        }
        let model = Autoencoder::from_tensors(&arch, &ck.tensors, &training_device())?;
        let previous = std::mem::replace(&mut self.settings, next);
        self.arch = arch;
        self.drop_model();
        if let Err(e) = self.ensure_data() {
            self.settings = previous;
            self.arch = architecture(&self.settings, self.input_of(&self.settings))
                .expect("the previous settings were valid");
            return Err(e);
        }
        self.start_trainer(model)?;
        self.epochs_before = c.epochs_trained;
        self.before = c.history.clone();
        self.loaded = Some(name.strip_suffix(EXTENSION).unwrap_or(name).into());
        self.saved = None;
        Ok(Change::Restarted)
    }

    pub(super) fn delete(&mut self, name: &str) -> Result<Change, WireError> {
        self.ctx.models.delete(name)?;
        self.models = scan(self.ctx.models.as_ref());
        Ok(Change::Kept)
    }

    pub(super) fn rename(&mut self, from: &str, to: &str) -> Result<Change, WireError> {
        self.ctx.models.rename(from, to)?;
        self.models = scan(self.ctx.models.as_ref());
        Ok(Change::Kept)
    }
}
