//! The Glass Box's job: the 9-6-3-6-9 network learning the twelve 3×3 patterns, one epoch
//! per step, with the learner's own 3×3 input run through it in every snapshot.
//!
//! Its own message: `{"type": "set_input", "input": [9 numbers in 0..=1]}`. Settings:
//! [`GlassSettings`] (learning rate and momentum apply at once; a new seed starts again).

use std::sync::Arc;

use hourglass_core::{
    data::PATTERNS,
    glass::{GLASS_BOTTLENECK, GlassBox, GlassSettings, Loss},
};
use serde::{Deserialize, Serialize};

use crate::{Change, Context, Frame, NoQuery, PageJob, Progress, RunState, WireError};

/// The Glass Box's own messages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GlassCommand {
    SetInput { input: Vec<f64> },
}

/// What the Glass Box shows, every step.
#[derive(Serialize)]
struct GlassSnapshot<'a> {
    epoch: u64,
    /// The last epoch's mean loss over the patterns (None before the first).
    loss: Option<f64>,
    params: usize,
    /// Neurons per layer, input first (9, 6, 3, 6, 9).
    sizes: Vec<usize>,
    layers: Vec<LayerView<'a>>,
    /// The learner's 3×3 input, its activations layer by layer, its output and error.
    input: [f64; 9],
    activations: Vec<Vec<f64>>,
    output: Vec<f64>,
    bottleneck: Vec<f64>,
    error: f64,
    /// Each pattern's reconstruction error, and its code.
    pattern_errors: Vec<f64>,
    pattern_codes: Vec<Vec<f64>>,
    /// For each bottleneck neuron, the three patterns that drive it highest (best first).
    top_patterns: Vec<Vec<usize>>,
}

/// One layer's weights (row-major, `outputs` × `inputs`) and biases.
#[derive(Serialize)]
struct LayerView<'a> {
    inputs: usize,
    outputs: usize,
    weights: &'a [f64],
    biases: &'a [f64],
}

pub struct GlassJob {
    glass: GlassBox,
    input: [f64; 9],
}

impl PageJob for GlassJob {
    type Settings = GlassSettings;
    type Command = GlassCommand;
    type Query = NoQuery;
    const NAME: &'static str = "glass";
    const TITLE: &'static str = "Glass Box";
    /// Slow enough to watch it learn.
    const DEFAULT_SPEED: f64 = 200.0;

    fn start(_ctx: Arc<Context>) -> Result<Self, WireError> {
        let s = GlassSettings::default();
        Ok(GlassJob {
            glass: GlassBox::with_rates(s.seed, s.lr, s.momentum),
            input: PATTERNS[0],
        })
    }

    fn settings(&self) -> GlassSettings {
        self.glass.settings()
    }

    fn configure(&mut self, next: GlassSettings) -> Result<Change, WireError> {
        self.glass.set_learning_rate(next.lr)?;
        self.glass.set_momentum(next.momentum)?;
        if next.seed != self.glass.seed() {
            self.glass.reset(next.seed);
            return Ok(Change::Restarted);
        }
        Ok(Change::Kept)
    }

    fn command(&mut self, cmd: GlassCommand) -> Result<Change, WireError> {
        let GlassCommand::SetInput { input } = cmd;
        if input.len() != 9 {
            return Err(WireError::invalid(format!(
                "input has {} values; the glass box takes 9",
                input.len()
            )));
        }
        if let Some(v) = input
            .iter()
            .find(|v| !v.is_finite() || !(0.0..=1.0).contains(*v))
        {
            return Err(WireError::invalid(format!(
                "input value {v} is outside 0–1"
            )));
        }
        self.input.copy_from_slice(&input);
        Ok(Change::Kept)
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.glass.reset(self.glass.seed());
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        let loss = self.glass.train_epoch();
        Ok(Some(Progress {
            x: self.glass.epoch as f64,
            loss,
        }))
    }

    fn origin(&self) -> Option<Progress> {
        // no loss before the first epoch
        None
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        let net = &self.glass.net;
        let trace = net.forward(&self.input).expect("9 inputs");
        let output = trace.output().to_vec();
        let error = Loss::SumSquared.value(&output, &self.input);
        let bottleneck = trace.post[GLASS_BOTTLENECK].clone();
        let codes: Vec<Vec<f64>> = PATTERNS
            .iter()
            .map(|p| net.forward(p).expect("9 inputs").post[GLASS_BOTTLENECK].clone())
            .collect();
        // for each bottleneck neuron, the patterns that drive it highest (best first)
        let top_patterns: Vec<Vec<usize>> = (0..bottleneck.len())
            .map(|k| {
                let mut order: Vec<usize> = (0..PATTERNS.len()).collect();
                order.sort_by(|&a, &b| codes[b][k].total_cmp(&codes[a][k]));
                order.truncate(3);
                order
            })
            .collect();
        Frame::of(&GlassSnapshot {
            epoch: self.glass.epoch,
            loss: self.glass.last_epoch_loss,
            params: net.param_count(),
            sizes: net.sizes(),
            layers: net
                .layers
                .iter()
                .map(|l| LayerView {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    weights: &l.weights,
                    biases: &l.biases,
                })
                .collect(),
            input: self.input,
            activations: trace.post,
            output,
            bottleneck,
            error,
            pattern_errors: self.glass.pattern_errors(),
            top_patterns,
            pattern_codes: codes,
        })
    }

    fn query(&mut self, query: NoQuery) -> Result<Frame, WireError> {
        match query {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{SERIES_POINTS, testing::Probe};

    fn epoch(f: &Frame) -> u64 {
        f.header["epoch"].as_u64().unwrap()
    }

    #[test]
    fn trains_pauses_steps_and_resets() {
        let mut p = Probe::<GlassJob>::start();
        assert_eq!(p.latest().header["params"], 168);
        p.send(r#"{"type":"speed","value":0}"#);
        p.send(r#"{"type":"play"}"#);
        p.run(500);
        let s = p.latest();
        assert_eq!(epoch(&s), 500);
        assert_eq!(s.header["run"]["training"], true);
        p.send(r#"{"type":"pause"}"#);
        assert_eq!(p.latest().header["run"]["training"], false);
        assert_eq!(p.run(10), 0, "pause stops the steps");
        assert_eq!(epoch(&p.latest()), 500, "pause freezes the epoch");
        p.send(r#"{"type":"step"}"#);
        assert_eq!(epoch(&p.latest()), 501);
        p.send(r#"{"type":"set_input","input":[0,0,1,0,1,0,1,0,0]}"#);
        p.send(r#"{"type":"configure","seed":5}"#);
        let r = p.latest();
        assert_eq!(epoch(&r), 0);
        assert_eq!(
            r.header["input"],
            json!([0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0])
        );
        assert_eq!(r.header["settings"]["seed"], 5);
        assert_eq!(r.header["run"]["losses"], json!([]));
    }

    #[test]
    fn settings_apply_while_training_and_bad_values_are_refused() {
        let mut p = Probe::<GlassJob>::start();
        p.send(r#"{"type":"play"}"#);
        p.run(3);
        p.send(r#"{"type":"configure","lr":0.4}"#);
        let s = p.latest();
        assert_eq!(s.header["settings"]["lr"], 0.4);
        assert_eq!(s.header["run"]["training"], true);
        assert!(
            p.refused(r#"{"type":"configure","lr":0.9}"#)
                .contains("learning rate")
        );
        assert!(
            p.refused(r#"{"type":"set_input","input":[1,0]}"#)
                .contains("9")
        );
        assert!(
            p.refused(r#"{"type":"query","id":3,"query":"x"}"#)
                .contains("no query")
        );
    }

    #[test]
    fn a_patch_with_the_current_values_changes_nothing() {
        let mut p = Probe::<GlassJob>::start();
        p.send(r#"{"type":"play"}"#);
        p.run(40);
        // the seed it has: no new weights, no pause, the curve goes on
        p.send(r#"{"type":"configure","seed":1,"lr":0.15,"momentum":0.8}"#);
        let s = p.latest();
        assert_eq!(epoch(&s), 40);
        assert_eq!(s.header["run"]["training"], true);
        assert!(!s.header["run"]["losses"].as_array().unwrap().is_empty());
    }

    #[test]
    fn the_loss_series_stays_bounded() {
        let mut p = Probe::<GlassJob>::start();
        p.send(r#"{"type":"speed","value":0}"#);
        p.send(r#"{"type":"play"}"#);
        p.run(5001);
        let s = p.latest();
        let l = s.header["run"]["losses"].as_array().unwrap();
        assert!(l.len() < SERIES_POINTS);
        assert!(l.windows(2).all(|w| w[0][0].as_f64() < w[1][0].as_f64()));
    }
}
