//! Keeping models: the list, save (the checkpoint as `hourglass train` writes it), load
//! (settings and weights back), delete and rename, all through the model store.

use super::*;

/// Settings that train `variant` with code layer `code` (a loaded model's).
pub(super) fn set_variant(s: &mut StudioSettings, variant: Variant, code: Code) {
    s.variant = variant.name().into();
    s.code = if code == variant.default_code() {
        "auto".into()
    } else {
        code.name().into()
    };
    match variant {
        Variant::Plain => {}
        Variant::Denoising { noise } => {
            let (kind, level) = match noise {
                Noise::Gaussian { sigma } => ("gaussian", sigma),
                Noise::Mask { fraction } => ("mask", fraction),
                Noise::SaltPepper { fraction } => ("salt-pepper", fraction),
            };
            s.noise = kind.into();
            s.noise_level = level.clamp(0.01, 1.0);
        }
        Variant::Vae { beta } => s.beta = beta.clamp(0.0, 100.0),
        Variant::Sparse { penalty } => match penalty {
            Sparsity::L1 { weight } => {
                s.sparsity = "l1".into();
                s.sparsity_weight = weight.clamp(1e-6, 10.0);
            }
            Sparsity::Kl { rho, beta } => {
                s.sparsity = "kl".into();
                s.rho = rho.clamp(0.01, 0.5);
                s.sparsity_weight = beta.clamp(1e-6, 10.0);
            }
        },
        Variant::Contractive { weight } => s.contraction = weight.clamp(1e-6, 10.0),
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
        let opts = self.options();
        // the metrics are those of the model as the file holds it (as `hourglass eval` reads it)
        let model = Autoencoder::from_tensors(&self.arch, &tensors, &inference_device())?;
        let e = evaluate(&model, self.test_set()?, 512)?;
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(last) = self.history.last() {
            metrics.insert("train_loss".to_string(), last.train_loss);
            if let Some(v) = last.val_loss {
                metrics.insert("val_loss".to_string(), v);
            }
        }
        // an upload has no test split: its figures are the validation set's
        let set = self.held_out();
        let key = |m: &str| format!("{}_{m}", if set == "test" { "test" } else { "val" });
        metrics.insert(key("mse"), e.mse);
        metrics.insert(key("bce"), e.bce);
        if e.psnr.is_finite() {
            metrics.insert(key("psnr"), e.psnr);
        }
        if let Some(v) = e.ssim {
            metrics.insert(key("ssim"), v);
        }
        let scaling = match (&self.uploaded, s.dataset.strip_prefix(UPLOAD_PREFIX)) {
            (Some((n, _, sc)), Some(f)) if n == f => *sc,
            _ => Scaling::IDENTITY,
        };
        let ck = Checkpoint {
            config: ModelConfig {
                format_version: FORMAT_VERSION,
                architecture: self.arch.clone(),
                dataset: DatasetInfo {
                    name: s
                        .dataset
                        .strip_prefix(UPLOAD_PREFIX)
                        .unwrap_or(&s.dataset)
                        .to_string(),
                    features: PIXELS,
                    image_shape: Some([28, 28]),
                    scaling,
                    train_samples,
                    val_samples,
                },
                training: TrainingInfo {
                    loss: opts.loss.name().into(),
                    optimizer: s.optimizer.clone(),
                    learning_rate: self.trainer.as_ref().map_or(s.lr, Trainer::learning_rate),
                    momentum: s.momentum,
                    batch_size: opts.batch_size,
                    epochs: s.epochs as usize,
                    seed: s.seed,
                    val_split: s.val_split,
                    variant: opts.variant,
                },
                epochs_trained: self.epochs_done(),
                metrics: metrics.clone(),
                history: self.loss_history(),
            },
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
        if c.architecture.input_size() != PIXELS {
            return Err(WireError::invalid(format!(
                "cannot load '{name}': it takes {} values per sample; the Studio trains on 28×28 images",
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
                next.kind = "dense".into();
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
                next.activation = activation.to_string();
                next.output = output.to_string();
            }
            Architecture::Conv {
                convs,
                latent,
                activation,
                output,
                ..
            } => {
                next.kind = "conv".into();
                next.activations = String::new();
                next.convs = convs
                    .iter()
                    .map(|c| format!("{}:{}:{}:{}", c.filters, c.kernel, c.stride, c.padding))
                    .collect::<Vec<_>>()
                    .join(",");
                next.latent = *latent as u64;
                next.activation = activation.to_string();
                next.output = output.to_string();
            }
        }
        let t = &c.training;
        next.loss = if t.loss == "bce" { "bce" } else { "mse" }.into();
        next.optimizer = if t.optimizer == "sgd" { "sgd" } else { "adam" }.into();
        next.lr = t.learning_rate.clamp(1e-5, 1.0);
        next.momentum = t.momentum.clamp(0.0, 0.99);
        next.batch = (t.batch_size as u64).clamp(1, 4096);
        next.val_split = t.val_split.clamp(0.0, 0.5);
        next.seed = t.seed;
        let total = c.dataset.train_samples + c.dataset.val_samples;
        next.train_size = (total as u64).clamp(100, 60_000);
        next.epochs = (c.epochs_trained as u64 + 1).clamp(1, 1000);
        set_variant(&mut next, t.variant, c.architecture.code());
        let arch = architecture(&next).map_err(|e| {
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
            self.arch = architecture(&self.settings).expect("the previous settings were valid");
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
