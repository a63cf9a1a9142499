//! The explorer's timeline: a moment (the whole view) kept every K epochs, within a memory
//! budget — when full, every other moment is dropped and K doubles, the start always kept.

use std::sync::Arc;

use hourglass_core::glass::ExplorerView;

/// Memory one session's timeline may use; the number of moments kept follows from it.
pub const TIMELINE_BYTES: usize = 4 << 20;
/// Fewest and most moments a timeline keeps before thinning.
pub const TIMELINE_MOMENTS: (usize, usize) = (24, 400);
/// The model's state at one moment, in f32 for the wire (row-major arrays).
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub epoch: u64,
    pub loss: f64,
    pub codes: Vec<f32>,
    pub reconstructions: Vec<f32>,
    pub errors: Vec<f32>,
    pub trails: Vec<f32>,
}

impl Moment {
    pub(super) fn of(v: &ExplorerView) -> Self {
        let mut m = Self::of_view(v);
        m.trails = f32s(&v.trails);
        m
    }

    /// The view without its trails (the live view shows those of the last refresh).
    pub(super) fn of_view(v: &ExplorerView) -> Self {
        Moment {
            epoch: v.epoch,
            loss: v.loss,
            codes: f32s(&v.codes),
            reconstructions: f32s(&v.reconstructions),
            errors: f32s(&v.errors),
            trails: Vec::new(),
        }
    }

    pub(super) fn bytes(&self) -> usize {
        4 * (self.codes.len() + self.reconstructions.len() + self.errors.len() + self.trails.len())
    }
}

fn f32s(a: &[f64]) -> Vec<f32> {
    a.iter().map(|&x| x as f32).collect()
}

/// Moments kept every K epochs, bounded in memory: when full, every other moment of the
/// older half is dropped (recent moments stay dense, old ones thin out).
#[derive(Debug, Default)]
pub struct Timeline {
    moments: Vec<Arc<Moment>>,
    /// Changes whenever the timeline is cleared, so a page knows its indices went stale.
    pub generation: u64,
}

impl Timeline {
    pub(super) fn clear(&mut self) {
        self.moments.clear();
        self.generation += 1;
    }

    pub(super) fn push(&mut self, m: Moment) {
        if self.moments.last().is_some_and(|l| l.epoch == m.epoch) {
            return;
        }
        let cap = (TIMELINE_BYTES / m.bytes().max(1)).clamp(TIMELINE_MOMENTS.0, TIMELINE_MOMENTS.1);
        self.moments.push(Arc::new(m));
        if self.moments.len() >= cap {
            let half = self.moments.len() / 2;
            let mut kept: Vec<Arc<Moment>> =
                self.moments[..half].iter().step_by(2).cloned().collect();
            kept.extend_from_slice(&self.moments[half..]);
            self.moments = kept;
        }
    }

    pub fn get(&self, i: usize) -> Option<Arc<Moment>> {
        self.moments.get(i).cloned()
    }

    pub fn len(&self) -> usize {
        self.moments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.moments.is_empty()
    }

    pub fn epochs(&self) -> Vec<u64> {
        self.moments.iter().map(|m| m.epoch).collect()
    }
}
