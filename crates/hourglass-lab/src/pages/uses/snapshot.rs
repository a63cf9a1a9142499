//! What the Uses page shows, every snapshot: each experiment's result, the training under
//! way and the map.

use super::*;

/// What the Uses page shows: each experiment's result once it has one (its figures and
/// images come by query), the training under way, the map (arrays `map_xy`, `map_labels`).
#[derive(Serialize)]
struct UsesSnapshot<'a> {
    /// Bumped whenever a result changes (the page asks its queries again).
    version: u64,
    datasets: Vec<Presence>,
    training: Option<train::TrainingView<'a>>,
    anomaly: Option<anomaly::AnomalyView>,
    denoise: Option<DenoiseView<'a>>,
    compress: Option<CompressView<'a>>,
    generate: Option<GenerateView>,
    map: Option<maps::MapView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    download: Option<FetchState>,
}

#[derive(Serialize)]
struct DenoiseView<'a> {
    /// The noise the denoiser was trained with.
    noise: &'a str,
    /// Why its figures teach nothing yet, when the denoiser is no better than the average
    /// image.
    warning: &'a Option<String>,
}

#[derive(Serialize)]
struct CompressView<'a> {
    /// Every method's distortion at every size, with its bits.
    points: &'a [compress::CompressPoint],
    /// Why the ladder teaches nothing yet, when even its widest code is no better than the
    /// average image.
    warning: &'a Option<String>,
}

#[derive(Serialize)]
struct GenerateView {
    latent: usize,
}

impl UsesJob {
    pub(super) fn snapshot(&mut self) -> Frame {
        let mut f = Frame::of(&UsesSnapshot {
            version: self.version,
            datasets: self.datasets.list(),
            training: self
                .queue
                .as_ref()
                .and_then(|q| q.view(self.settings.epochs)),
            anomaly: self.anomaly.as_ref().map(anomaly::AnomalyResult::view),
            denoise: self.denoise.as_ref().map(|d| DenoiseView {
                noise: &d.noise,
                warning: &d.warning,
            }),
            compress: self.compress.as_ref().map(|r| CompressView {
                points: &r.points,
                warning: &r.warning,
            }),
            generate: self.generate.as_ref().map(|_| GenerateView { latent: 2 }),
            map: self.map.as_ref().map(MapResult::view),
            download: self.datasets.download(self.ctx.datasets.as_ref()),
        });
        if let Some(m) = &mut self.map
            && let Some(xy) = m.xy()
        {
            f = f.with("map_xy", xy).with("map_labels", m.labels.clone());
        }
        f
    }
}
