//! What the Features page shows, every snapshot: the run under way with its live figures,
//! the last dictionary's figures, the frontier beside PCA, and the probe's lines.

use serde::Serialize;

use super::{FeaturesJob, probe, train};
use crate::{FetchState, Frame, Presence};

/// What the Features page shows; the feature cards and images come by query.
#[derive(Serialize)]
struct FeaturesSnapshot<'a> {
    /// Bumped whenever a result changes (the page asks its queries again).
    version: u64,
    datasets: Vec<Presence>,
    /// True when the page runs on the shipped sample (no dataset here).
    sample: bool,
    training: Option<train::RunView>,
    dictionary: Option<DictionaryView>,
    frontier: &'a [train::FrontierPoint],
    /// PCA's FVU by its components, on the same images as the frontier.
    pca: Option<&'a [(usize, f64)]>,
    probe: Option<probe::ProbeView>,
    probe_lines: &'a [probe::ProbeLine],
    #[serde(skip_serializing_if = "Option::is_none")]
    download: Option<FetchState>,
}

/// The last dictionary trained, measured on the analysed test images.
#[derive(Serialize)]
struct DictionaryView {
    name: String,
    width: usize,
    l0: f64,
    dead: f64,
    fvu: f64,
    /// Its training loss at the last step.
    loss: f64,
    analysed: usize,
    /// Analysed on the shipped sample's images.
    sample: bool,
}

impl FeaturesJob {
    pub(super) fn snapshot(&mut self) -> Frame {
        let sample = !self.datasets.is_present(&self.settings.dataset);
        Frame::of(&FeaturesSnapshot {
            version: self.version,
            datasets: self.datasets.list(),
            sample,
            training: self.run.as_ref().and_then(|r| r.view(self.settings.epochs)),
            dictionary: self.dictionary.as_ref().map(|d| DictionaryView {
                name: d.spec.describe(),
                width: d.spec.width,
                l0: d.l0,
                dead: d.dead,
                fvu: d.fvu,
                loss: d.loss,
                analysed: d.images.len(),
                sample: d.sample,
            }),
            frontier: &self.frontier,
            pca: self.pca_curve.as_deref(),
            probe: self.probe.as_ref().and_then(probe::ProbeRun::view),
            probe_lines: &self.probe_lines,
            download: self.datasets.download(self.ctx.datasets.as_ref()),
        })
    }
}
