//! One training run, one configuration: the [`TrainingInfo`] a checkpoint records is also
//! what the run trains with ([`TrainingInfo::options`]), and [`ModelConfig::trained`] writes
//! it into the checkpoint. The CLI's `train` and the Model Studio's Save both go through
//! here, so a file says the same whichever home wrote it.

use std::collections::BTreeMap;

use super::{EpochReport, LossKind, Optimizer, TrainOptions};
use crate::{
    Error,
    architecture::Architecture,
    checkpoint::{DatasetInfo, EpochLoss, FORMAT_VERSION, ModelConfig, TrainingInfo},
};

/// The optimizers a run may name.
pub const OPTIMIZERS: [&str; 2] = ["adam", "sgd"];

impl TrainingInfo {
    /// The run's configuration from the options it trains with. `momentum` is recorded as
    /// given (SGD's; the setting kept beside Adam, which has moments of its own).
    pub fn of(options: &TrainOptions, momentum: f64, val_split: f64) -> Self {
        let (optimizer, momentum) = match options.optimizer {
            Optimizer::Adam { .. } => ("adam", momentum),
            Optimizer::Sgd { momentum, .. } => ("sgd", momentum),
        };
        TrainingInfo {
            loss: options.loss.name().into(),
            optimizer: optimizer.into(),
            learning_rate: options.optimizer.learning_rate(),
            momentum,
            batch_size: options.batch_size,
            epochs: options.epochs,
            seed: options.seed,
            val_split,
            variant: options.variant,
        }
    }

    /// The options this run trains with, or what in the record cannot be trained with.
    pub fn options(&self) -> Result<TrainOptions, Error> {
        let loss: LossKind = self.loss.parse()?;
        let lr = self.learning_rate;
        if !lr.is_finite() || lr <= 0.0 {
            return Err(Error::invalid(format!(
                "learning rate {lr} must be a positive number"
            )));
        }
        let optimizer = match self.optimizer.as_str() {
            "adam" => Optimizer::adam(lr),
            "sgd" => Optimizer::Sgd {
                lr,
                momentum: self.momentum,
            },
            other => {
                return Err(Error::invalid(format!(
                    "unknown optimizer '{other}' (expected {})",
                    OPTIMIZERS.join(" or ")
                )));
            }
        };
        Ok(TrainOptions {
            variant: self.variant,
            loss,
            optimizer,
            batch_size: self.batch_size,
            epochs: self.epochs,
            seed: self.seed,
        })
    }
}

impl ModelConfig {
    /// A trained model's configuration: its shape, data and run, the epochs it has had and
    /// their losses; the metrics start with the last epoch's losses (`train_loss`,
    /// `val_loss`), then `extra`.
    pub fn trained(
        architecture: Architecture,
        dataset: DatasetInfo,
        training: TrainingInfo,
        epochs_trained: usize,
        history: Vec<EpochLoss>,
        extra: BTreeMap<String, f64>,
    ) -> Self {
        let mut metrics = BTreeMap::new();
        if let Some(last) = history.last() {
            metrics.insert("train_loss".to_string(), last.train_loss);
            if let Some(v) = last.val_loss {
                metrics.insert("val_loss".to_string(), v);
            }
        }
        metrics.extend(extra);
        ModelConfig {
            format_version: FORMAT_VERSION,
            architecture,
            dataset,
            training,
            epochs_trained,
            metrics,
            history,
        }
    }
}

impl From<&EpochReport> for EpochLoss {
    fn from(r: &EpochReport) -> Self {
        EpochLoss {
            epoch: r.epoch,
            train_loss: r.train_loss,
            val_loss: r.val_loss,
            partial: r.partial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::{Variant, VariantOptions};

    #[test]
    fn a_run_trains_with_what_its_checkpoint_records() {
        let vae = Variant::from_name("vae", &VariantOptions::default()).unwrap();
        for options in [
            TrainOptions {
                variant: Variant::default(),
                loss: LossKind::Mse,
                optimizer: Optimizer::Sgd {
                    lr: 0.5,
                    momentum: 0.8,
                },
                batch_size: 32,
                epochs: 4,
                seed: 9,
            },
            TrainOptions {
                variant: vae,
                loss: LossKind::Bce,
                optimizer: Optimizer::adam(1e-3),
                batch_size: 128,
                epochs: 10,
                seed: 1,
            },
        ] {
            let info = TrainingInfo::of(&options, 0.9, 0.1);
            assert_eq!(info.options().unwrap(), options);
        }
        let mut info = TrainingInfo::of(
            &TrainOptions {
                variant: Variant::default(),
                loss: LossKind::Mse,
                optimizer: Optimizer::adam(0.01),
                batch_size: 8,
                epochs: 1,
                seed: 1,
            },
            0.9,
            0.0,
        );
        info.optimizer = "rmsprop".into();
        assert_eq!(
            info.options().unwrap_err().to_string(),
            "unknown optimizer 'rmsprop' (expected adam or sgd)"
        );
        info.optimizer = "adam".into();
        info.loss = "l1".into();
        assert!(info.options().unwrap_err().to_string().contains("'l1'"));
    }
}
