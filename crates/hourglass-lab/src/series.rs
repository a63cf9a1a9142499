//! A training curve kept at a bounded length: when full, every other point is dropped and
//! points are recorded half as often from then on, so the whole run stays in view.

/// Most points kept.
pub const SERIES_POINTS: usize = 600;

/// `(x, loss)` points (x: the epoch, or the step for step-wise jobs), thinned as they grow.
#[derive(Debug, Clone, Default)]
pub struct Series {
    points: Vec<(f64, f64)>,
    /// Keep every `stride`-th point offered.
    stride: u64,
    offered: u64,
}

impl Series {
    /// Starts again, empty.
    pub fn clear(&mut self) {
        *self = Series::default();
    }

    /// Offers a point; kept when it falls on the stride.
    pub fn record(&mut self, x: f64, loss: f64) {
        let stride = self.stride.max(1);
        let keep = self.offered.is_multiple_of(stride);
        self.offered += 1;
        if !keep {
            return;
        }
        self.points.push((x, loss));
        if self.points.len() >= SERIES_POINTS {
            let kept: Vec<(f64, f64)> = self.points.iter().copied().step_by(2).collect();
            self.points = kept;
            self.stride = stride * 2;
        }
    }

    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_ordered_and_keeps_the_start() {
        let mut s = Series::default();
        for e in 0..100_000 {
            s.record(e as f64, 1.0 / (1.0 + e as f64));
        }
        let p = s.points();
        assert!(p.len() < SERIES_POINTS && p.len() > SERIES_POINTS / 4);
        assert_eq!(p[0].0, 0.0);
        assert!(p.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(p.last().unwrap().0 > 90_000.0);
        s.clear();
        assert!(s.points().is_empty());
    }
}
