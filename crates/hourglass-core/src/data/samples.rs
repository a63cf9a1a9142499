//! Where a trainer's samples come from: a [`Dataset`] in memory, or a source that brings each
//! batch from somewhere else (a folder of images read from disk as training goes).

use super::Dataset;
use crate::Error;

/// Samples a trainer reads a batch at a time. Its epoch order is given before its batches,
/// so a source that reads from disk can read ahead.
pub trait Samples: Sync {
    /// A name for messages.
    fn name(&self) -> &str;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn features(&self) -> usize;
    /// The samples in memory, when they are: read directly, with no copy.
    fn in_memory(&self) -> Option<&Dataset> {
        None
    }
    /// An epoch begins: its samples will be asked for in `order`, `batch` at a time.
    fn begin_epoch(&self, _order: &[usize], _batch: usize) {}
    /// The samples at `indices` (the epoch's next batch, or any others), row after row.
    fn gather(&self, indices: &[usize]) -> Result<Vec<f32>, Error>;
}

impl Samples for Dataset {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> usize {
        Dataset::len(self)
    }

    fn features(&self) -> usize {
        self.features
    }

    fn in_memory(&self) -> Option<&Dataset> {
        Some(self)
    }

    fn gather(&self, indices: &[usize]) -> Result<Vec<f32>, Error> {
        let mut out = Vec::with_capacity(indices.len() * self.features);
        for &i in indices {
            if i >= Dataset::len(self) {
                return Err(Error::invalid(format!(
                    "sample {i} of {}, which has {}",
                    self.name,
                    Dataset::len(self)
                )));
            }
            out.extend_from_slice(self.sample(i));
        }
        Ok(out)
    }
}

/// Visits every sample of `samples` in order, `rows` at a time (the last block shorter).
pub fn for_each_block(
    samples: &dyn Samples,
    rows: usize,
    mut f: impl FnMut(&[f32]) -> Result<(), Error>,
) -> Result<(), Error> {
    let n = samples.len();
    let rows = rows.max(1);
    let mut at = 0;
    while at < n {
        let idx: Vec<usize> = (at..(at + rows).min(n)).collect();
        f(&samples.gather(&idx)?)?;
        at += idx.len();
    }
    Ok(())
}
