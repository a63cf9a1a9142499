//! What the Digits Lab shows, every snapshot: the model, its map and the learner's own
//! training.

use super::*;

/// What the Digits Lab shows. Arrays, with a map: `codes` (n × 2 positions) and `labels`.
#[derive(Serialize)]
struct DigitsSnapshot<'a> {
    /// The model setting, the model's title, layers and code size; a VAE?
    model: &'a str,
    title: String,
    layers: String,
    latent: usize,
    vae: bool,
    /// The images the model takes and the map holds: channels (1 grey, 3 colour), height,
    /// width.
    image: Shape,
    /// Test error beside PCA's (shipped models) or the file's metrics; null while training.
    quality: &'a Value,
    models: &'a [ModelEntry],
    /// The learner's own model: steps, steps per epoch, epochs (fractional), last loss.
    step: u64,
    steps_per_epoch: Option<usize>,
    epoch: Option<f64>,
    loss: Option<f64>,
    /// The learner's model trains on the shipped sample of 2,000 test images (the dataset is
    /// not here).
    trains_on_sample: bool,
    datasets: Vec<Presence>,
    /// Why the map could not be drawn, if it could not.
    map_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    download: Option<FetchState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    map: Option<MapView<'a>>,
}

/// The map the codes are drawn on.
#[derive(Serialize)]
struct MapView<'a> {
    dataset: &'a str,
    /// `test`, `train`, `sample` or `subset`.
    source: &'static str,
    count: usize,
    /// The classes' names, when the data name them (photo-patches: its photographs).
    #[serde(skip_serializing_if = "Option::is_none")]
    classes: Option<&'a [String]>,
    /// Per code unit, its 1st and 99th percentile (the sliders' range); per class, the mean
    /// code.
    ranges: &'a [[f32; 2]],
    class_means: &'a [Option<Vec<f32>>],
    /// Positions are the codes' first two principal components (a code wider than 2).
    projected: bool,
    latent: usize,
    vae: bool,
}

impl DigitsJob {
    pub(super) fn snapshot(&mut self) -> Frame {
        let per_epoch = self.trainer.as_ref().map(Trainer::steps_per_epoch);
        let map_error = self.ensure_codes().err().map(|e| e.message);
        let training = self.training();
        let (model_title, layers, latent) = match (&self.fixed, training) {
            (Some(f), false) => (
                self.models
                    .iter()
                    .find(|m| m.name == f.name)
                    .map_or_else(|| f.name.clone(), |m| m.title.clone()),
                f.model.arch.describe(),
                f.model.arch.latent_size(),
            ),
            _ => (
                "Your model (trained here)".into(),
                architecture(&self.settings.dataset).describe(),
                2,
            ),
        };
        let vae = matches!((&self.fixed, training), (Some(f), false) if f.model.arch.code() == Code::Gaussian);
        let mut f = Frame::of(&DigitsSnapshot {
            model: &self.settings.model,
            vae,
            image: self.shape(),
            title: model_title,
            layers,
            latent,
            quality: match (training, &self.fixed) {
                (false, Some(f)) => &f.quality,
                _ => &Value::Null,
            },
            models: &self.models,
            step: self.steps,
            steps_per_epoch: per_epoch,
            epoch: per_epoch.map(|p| self.steps as f64 / p as f64),
            loss: self.last_loss,
            trains_on_sample: self.data.as_ref().is_some_and(|d| d.from_sample),
            datasets: self.datasets.list(),
            map_error,
            download: self.datasets.download(self.ctx.datasets.as_ref()),
            map: match (&self.codes, &self.map) {
                (Some(c), Some(m)) => Some(MapView {
                    dataset: &m.dataset,
                    source: m.source,
                    count: m.images.len(),
                    classes: m.images.classes.as_deref(),
                    ranges: &c.ranges,
                    class_means: &c.class_means,
                    projected: c.projection.is_some(),
                    latent: c.latent,
                    vae,
                }),
                _ => None,
            },
        });
        if let (Some(c), Some(m)) = (&self.codes, &self.map) {
            f = f
                .with("codes", c.positions.clone())
                .with("labels", m.labels.clone());
        }
        f
    }
}
