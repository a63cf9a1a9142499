//! The model a page looks at while it trains one: rebuilt for inference only when training
//! has moved on (a step, new weights), so many questions between two steps share it. One
//! cache for every page that trains a tensor model (the Digits Lab, the Model Studio).

use hourglass_core::{
    architecture::Architecture,
    tensor::{Autoencoder, Trainer, inference_device, initial_tensors},
};

use crate::WireError;

/// The inference model as of a moment `K` of training (e.g. the step).
pub struct InferenceCache<K> {
    at: Option<(K, Autoencoder)>,
}

impl<K> Default for InferenceCache<K> {
    fn default() -> Self {
        InferenceCache { at: None }
    }
}

impl<K: PartialEq> InferenceCache<K> {
    /// The model as of `now`: the trainer's, or (before training) the one `seed` gives
    /// `arch`; built again only when `now` differs from the last time.
    pub fn get(
        &mut self,
        now: K,
        trainer: Option<&Trainer>,
        arch: &Architecture,
        seed: u64,
    ) -> Result<&Autoencoder, WireError> {
        let fresh = self.at.as_ref().is_some_and(|(at, _)| *at == now);
        if !fresh {
            let m = match trainer {
                Some(t) => t.inference_model(),
                None => Autoencoder::from_tensors(
                    arch,
                    &initial_tensors(arch, seed)?,
                    &inference_device(),
                )?,
            };
            self.at = Some((now, m));
        }
        self.at
            .as_ref()
            .map(|(_, m)| m)
            .ok_or_else(|| WireError::new("internal", "the model was not built"))
    }

    /// Forgets the model (a new run starts).
    pub fn clear(&mut self) {
        self.at = None;
    }
}
