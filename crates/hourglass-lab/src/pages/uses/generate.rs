//! Generation: a VAE and a plain autoencoder with 2-D codes; the page samples both from the
//! prior N(0, I), tiles their decoders over the plane and walks between two images' codes.

use std::sync::Arc;

use hourglass_core::{
    architecture::Code,
    latent,
    tensor::{Autoencoder, LossKind},
    variant::Variant,
};
use serde_json::json;

use super::{
    UsesJob,
    train::{HIDDEN, RunSpec, dense},
};
use crate::{
    Frame, WireError,
    fields::{self, whole},
};

pub(super) fn specs() -> Vec<RunSpec> {
    vec![
        RunSpec {
            name: format!("VAE 784-{HIDDEN}-2"),
            arch: dense(2, Code::Gaussian),
            variant: Variant::Vae { beta: 1.0 },
            loss: LossKind::Bce,
        },
        RunSpec::plain(format!("plain 784-{HIDDEN}-2"), 2, LossKind::Bce),
    ]
}

pub(super) struct GenerateModels {
    vae: Autoencoder,
    plain: Autoencoder,
}

impl UsesJob {
    pub(super) fn keep_generators(&mut self, models: Vec<Autoencoder>) -> Result<(), WireError> {
        let [vae, plain]: [Autoencoder; 2] = models
            .try_into()
            .map_err(|_| WireError::invalid("the generation experiment trains two models"))?;
        self.generate = Some(GenerateModels { vae, plain });
        self.done_message = Some("Both 2-D models are trained: sample them below.".into());
        Ok(())
    }

    fn generate_models(&self) -> Result<&GenerateModels, WireError> {
        self.generate
            .as_ref()
            .ok_or_else(|| WireError::invalid("train the two 2-D models first"))
    }

    /// Codes drawn from the prior N(0, I), decoded by the VAE and by the plain model.
    pub(super) fn samples(
        &self,
        count: Option<usize>,
        seed: Option<u64>,
    ) -> Result<Frame, WireError> {
        let count = whole("count", count, (1, 64), 16)?;
        let seed = fields::seed(seed)?;
        let g = self.generate_models()?;
        let z = latent::prior_codes(count, 2, seed);
        Ok(Frame::new(json!({"count": count, "seed": seed}))
            .with("vae", Arc::new(g.vae.decode_host(&z, 64)))
            .with("plain", Arc::new(g.plain.decode_host(&z, 64)))
            .with("codes", Arc::new(z)))
    }

    /// Both decoders tiled over the plane: the VAE's over the prior's quantiles (5%–95%),
    /// the plain model's over the same square.
    pub(super) fn manifold(&self, n: Option<usize>) -> Result<Frame, WireError> {
        let n = whole("n", n, (2, 20), 10)?;
        let g = self.generate_models()?;
        // quantiles of N(0, 1) from 5% to 95%
        let q = |p: f64| latent::normal_quantile(p) as f32;
        let axis: Vec<f32> = (0..n)
            .map(|i| q(0.05 + 0.9 * i as f64 / (n - 1) as f64))
            .collect();
        let mut z = Vec::with_capacity(2 * n * n);
        for r in 0..n {
            for c in 0..n {
                // rows from the top: y decreasing
                z.push(axis[c]);
                z.push(axis[n - 1 - r]);
            }
        }
        Ok(Frame::new(json!({"n": n, "axis": axis}))
            .with("vae", Arc::new(g.vae.decode_host(&z, 128)))
            .with("plain", Arc::new(g.plain.decode_host(&z, 128))))
    }

    /// The straight path between two test images' codes, decoded by both models.
    pub(super) fn interpolate(
        &mut self,
        a: Option<usize>,
        b: Option<usize>,
        steps: Option<usize>,
    ) -> Result<Frame, WireError> {
        let steps = whole("steps", steps, (2, 16), 8)?;
        let a = whole("a", a, (0, 9_999), 0)?;
        let b = whole("b", b, (0, 9_999), 1)?;
        let test = self.test_set()?;
        if a.max(b) >= test.len() {
            return Err(WireError::invalid(format!(
                "the test split has {} images",
                test.len()
            )));
        }
        let g = self.generate_models()?;
        let path = |m: &Autoencoder| -> Vec<f32> {
            let za = m.encode_host(test.sample(a), 1);
            let zb = m.encode_host(test.sample(b), 1);
            let z = latent::interpolate(&za, &zb, steps);
            m.decode_host(&z, 16)
        };
        Ok(Frame::new(json!({"steps": steps, "a": a, "b": b}))
            .with("vae", Arc::new(path(&g.vae)))
            .with("plain", Arc::new(path(&g.plain)))
            .with("ends", Arc::new([test.sample(a), test.sample(b)].concat())))
    }
}
