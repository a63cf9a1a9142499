//! What the Model Studio shows, every snapshot: the model being built, the run, its
//! history, the models folder and the data.

use super::*;

/// The Studio's snapshot header (no arrays: the grid comes by query).
#[derive(Serialize)]
struct StudioSnapshot<'a> {
    /// The settings' model: layers, parameters (or why it cannot be built).
    arch: Value,
    /// The kind of autoencoder, and advice when a choice will not learn well.
    variant: String,
    advice: Option<&'static str>,
    /// A variant's loss terms, each a series of (x, value).
    terms: Vec<Term<'a>>,
    step: u64,
    steps_per_epoch: Option<usize>,
    /// Whole epochs done (a cut-short one is not), and epochs of data seen (the loss
    /// chart's x).
    epochs_done: usize,
    epoch: f64,
    /// Of the epochs asked for, 0–1; seconds left at the speed reached.
    progress: f64,
    seconds_left: Option<f64>,
    loss: Option<f64>,
    lr: f64,
    history: &'a [EpochRow],
    /// A loaded model's epochs before this run, as its file records them.
    before: &'a [EpochLoss],
    trained: bool,
    loaded: &'a Option<String>,
    saved: &'a Option<Value>,
    models: &'a [ModelInfo],
    models_dir: String,
    uploads: &'a [String],
    /// The class left out of training (the anomaly split), if any.
    held_out: &'static str,
    datasets: Vec<Presence>,
    train_samples: Option<usize>,
    val_samples: Option<usize>,
    weights_version: u64,
    /// The reconstruction grid can be asked for.
    grid_ready: bool,
    /// The images' channels: 1 grey, 3 colour (each image of the grid is 28×28 of each).
    channels: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    download: Option<FetchState>,
}

#[derive(Serialize)]
struct Term<'a> {
    name: &'static str,
    points: &'a [(f64, f64)],
}

impl StudioJob {
    pub(super) fn snapshot(&mut self, run: &RunState) -> Frame {
        let per_epoch = self.trainer.as_ref().map(Trainer::steps_per_epoch);
        let done = self.epochs_done();
        let target = self.settings.epochs as usize;
        let into = per_epoch.map_or(0.0, |p| self.epoch_steps as f64 / p as f64);
        let progress = ((done as f64 + into) / target.max(1) as f64).min(1.0);
        let left_steps = per_epoch.map(|p| {
            (target.saturating_sub(done) as f64 * p as f64 - self.epoch_steps as f64).max(0.0)
        });
        let seconds_left = match left_steps {
            Some(l) if run.training && run.steps_per_second > 0.0 => Some(l / run.steps_per_second),
            _ => None,
        };
        let d = self.data.as_ref();
        Frame::of(&StudioSnapshot {
            arch: summary_of(&self.arch),
            variant: self.variant().describe(),
            advice: advice(&self.settings),
            terms: self
                .term_series
                .iter()
                .map(|(name, series)| Term {
                    name,
                    points: series.points(),
                })
                .collect(),
            step: self.steps,
            steps_per_epoch: per_epoch,
            epochs_done: done,
            epoch: self.position(),
            progress,
            seconds_left,
            loss: self.last_loss,
            lr: self
                .trainer
                .as_ref()
                .map_or(self.settings.lr, Trainer::learning_rate),
            history: &self.history,
            before: &self.before,
            trained: self.trainer.is_some(),
            loaded: &self.loaded,
            saved: &self.saved,
            models: &self.models,
            models_dir: self.ctx.models.location(),
            uploads: &self.uploads,
            held_out: self.held_out(),
            datasets: self.datasets.list(),
            train_samples: d.map(|d| d.train.len()),
            val_samples: d.map(|d| d.val.len()),
            weights_version: self.weights_version,
            grid_ready: self.data.is_some(),
            channels: input_shape(&self.arch)[0],
            download: self.datasets.download(self.ctx.datasets.as_ref()),
        })
    }
}
