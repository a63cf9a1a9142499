//! Training: the trainer built from the seed, an epoch's end (validation figures and the
//! grid), the loss history, and the model for inference as of the latest step.

use super::*;

impl StudioJob {
    /// Builds the model and its trainer from the seed if there is none.
    pub(super) fn ensure_trainer(&mut self) -> Result<(), WireError> {
        self.ensure_data()?;
        if self.trainer.is_some() {
            return Ok(());
        }
        let model = Autoencoder::from_tensors(
            &self.arch,
            &initial_tensors(&self.arch, self.settings.seed)?,
            &training_device(),
        )?;
        self.start_trainer(model)
    }

    pub(super) fn start_trainer(&mut self, model: Autoencoder) -> Result<(), WireError> {
        let samples = self.data.as_ref().map_or(0, |d| d.train.len());
        let opts = self.options()?;
        let objective = objective_for(opts.variant, opts.loss, opts.seed, &model)?;
        self.trainer = Some(Trainer::new(model, samples, &opts, objective)?);
        self.refresh_grid();
        Ok(())
    }

    /// Forgets the model (it is built again from the seed when training starts).
    pub(super) fn drop_model(&mut self) {
        self.trainer = None;
        self.steps = 0;
        self.epoch_steps = 0;
        self.last_loss = None;
        self.term_series.clear();
        self.history.clear();
        self.recon = None;
        self.inference.clear();
        self.epochs_before = 0;
        self.before.clear();
        self.loaded = None;
        self.weights_version += 1;
    }

    /// Reconstructs the grid with the model as it is now.
    pub(super) fn refresh_grid(&mut self) {
        if let (Some(t), Some(d)) = (&self.trainer, &self.data) {
            let model = t.inference_model();
            self.recon = Some(Arc::new(model.reconstruct_host(&d.grid, GRID)));
            self.weights_version += 1;
        }
    }

    /// Ends the running epoch (part-way when `partial`): its losses, the validation set's
    /// PSNR and SSIM, and the grid.
    pub(super) fn finish_epoch(&mut self) -> Result<(), WireError> {
        let loss = self.settings.loss;
        let plain = self.variant().is_plain();
        let (Some(t), Some(d)) = (self.trainer.as_mut(), self.data.as_ref()) else {
            return Ok(());
        };
        let Some(r) = t.end_epoch(None) else {
            return Ok(());
        };
        let model = t.inference_model();
        let e = if d.val.is_empty() {
            None
        } else {
            Some(epoch_figures(&model, &d.val, loss)?)
        };
        // a variant's validation loss is its objective's (a VAE's in nats per image)
        let val_loss = match &e {
            Some(_) if !plain => Some(t.evaluate(&d.val.values).loss),
            Some(e) => Some(e.loss),
            None => None,
        };
        let at = self.position();
        self.history.push(EpochRow {
            epoch: self.epochs_before + r.epoch,
            at,
            train_loss: r.train_loss,
            val_loss,
            terms: r.terms,
            psnr: e.as_ref().map(|e| e.psnr).filter(|p| p.is_finite()),
            ssim: e.as_ref().and_then(|e| e.ssim),
            seconds: r.seconds,
            partial: r.partial,
        });
        self.epoch_steps = 0;
        self.refresh_grid();
        Ok(())
    }

    /// The loss per epoch of the model's whole life: a loaded model's, then this run's.
    pub(super) fn loss_history(&self) -> Vec<EpochLoss> {
        self.before
            .iter()
            .cloned()
            .chain(self.history.iter().map(|r| EpochLoss {
                epoch: r.epoch,
                train_loss: r.train_loss,
                val_loss: r.val_loss,
                partial: r.partial,
            }))
            .collect()
    }

    /// Whole epochs the model has had in all (a cut-short one is not one: training goes on
    /// until the Epochs asked for are whole ones, as `hourglass train` counts them).
    pub(super) fn epochs_done(&self) -> usize {
        self.epochs_before + self.history.iter().filter(|r| !r.partial).count()
    }

    /// Epochs of data seen, on the loss chart's x axis: the loaded model's epochs, then the
    /// steps of this run.
    pub(super) fn position(&self) -> f64 {
        let per_epoch = self
            .trainer
            .as_ref()
            .map_or(1, Trainer::steps_per_epoch)
            .max(1);
        self.epochs_before as f64 + self.steps as f64 / per_epoch as f64
    }

    /// The model as it is now, for inference (kept until training moves on).
    pub(super) fn model(&mut self) -> Result<&Autoencoder, WireError> {
        let now = (self.steps, self.weights_version);
        self.inference
            .get(now, self.trainer.as_ref(), &self.arch, self.settings.seed)
    }
}
