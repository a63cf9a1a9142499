//! An .npy file larger than memory, read from disk a batch at a time as training goes: only
//! its header is held; each sample is read from its place in the file when a batch asks for
//! it (positional reads, so memory stays flat however large the file — a memory map would
//! count every page it touched in the process's resident memory). Values are decoded by
//! [`NpyHeader::decode`], as [`hourglass_core::data::read_npy`] decodes the whole file, and
//! scaled by the same formula, so a run streamed and a run in memory with the same seed end
//! with the same weights.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use hourglass_core::{
    Error,
    data::{NpyHeader, Samples, Scaling},
};

/// The most header bytes read to find the shape (NumPy writes 64–128).
const HEADER_MOST: usize = 1 << 20;
/// Samples read at a time to find the values' range.
const RANGE_BLOCK: usize = 256;

/// An .npy file's samples (or a subset of them) as [`Samples`], read when asked for.
pub struct NpyStream {
    name: String,
    file: Arc<Mutex<File>>,
    header: Arc<NpyHeader>,
    /// The file's samples this stream holds, in order.
    rows: Arc<Vec<usize>>,
    scaling: Scaling,
    /// Time spent reading samples from disk.
    waited: Mutex<Duration>,
}

impl NpyStream {
    /// Opens `path` (its first `limit` samples, when given): reads and checks its header and
    /// length, not its values.
    pub fn open(path: &Path, limit: Option<usize>) -> Result<NpyStream> {
        let name = path.display().to_string();
        let mut file = File::open(path).with_context(|| format!("{name}: cannot read"))?;
        let len = file
            .metadata()
            .with_context(|| format!("{name}: cannot read"))?
            .len();
        let mut prefix = vec![0u8; (len as usize).min(HEADER_MOST)];
        file.read_exact(&mut prefix)
            .with_context(|| format!("{name}: cannot read"))?;
        let header = NpyHeader::parse(&name, &prefix)?;
        let need = header.data_bytes(&name)? as u64;
        let have = len.saturating_sub(header.data_start as u64);
        if have != need {
            return Err(Error::format(
                &name,
                format!(
                    "shape {:?} needs {need} data bytes, file has {have}",
                    header.shape
                ),
            )
            .into());
        }
        let n = limit.map_or(header.samples(), |l| l.min(header.samples()));
        if n == 0 {
            bail!("{name}: no samples to train on");
        }
        Ok(NpyStream {
            name,
            file: Arc::new(Mutex::new(file)),
            header: Arc::new(header),
            rows: Arc::new((0..n).collect()),
            scaling: Scaling::IDENTITY,
            waited: Mutex::new(Duration::ZERO),
        })
    }

    /// Each column's smallest and largest value, read a block at a time (uint8 values are
    /// in [0, 1] and not read).
    pub fn column_ranges(&self) -> Result<(Vec<f32>, Vec<f32>), Error> {
        let f = self.header.features();
        if !self.header.is_float() {
            return Ok((vec![0.0; f], vec![1.0; f]));
        }
        let (mut lo, mut hi) = (vec![f32::INFINITY; f], vec![f32::NEG_INFINITY; f]);
        let n = self.rows.len();
        for at in (0..n).step_by(RANGE_BLOCK) {
            let idx: Vec<usize> = (at..(at + RANGE_BLOCK).min(n)).collect();
            for row in self.read(&idx)?.chunks_exact(f) {
                for (c, &v) in row.iter().enumerate() {
                    lo[c] = lo[c].min(v);
                    hi[c] = hi[c].max(v);
                }
            }
        }
        Ok((lo, hi))
    }

    /// The stream with its values scaled as `s` says ((v − offset) / scale, as a data set in
    /// memory is).
    pub fn scaled(mut self, s: Scaling) -> NpyStream {
        self.scaling = s;
        self
    }

    /// The samples at `indices`, in that order, as a stream of their own (a training or
    /// validation split).
    pub fn subset(&self, indices: &[usize]) -> NpyStream {
        NpyStream {
            name: self.name.clone(),
            file: Arc::clone(&self.file),
            header: Arc::clone(&self.header),
            rows: Arc::new(indices.iter().map(|&i| self.rows[i]).collect()),
            scaling: self.scaling,
            waited: Mutex::new(Duration::ZERO),
        }
    }

    /// `[channels, height, width]` of images (None for rows of numbers).
    pub fn image_dims(&self) -> Option<[usize; 3]> {
        self.header.image_dims()
    }

    /// How long training has waited for samples to be read.
    pub fn waited(&self) -> Duration {
        *self.waited.lock().expect("not poisoned")
    }

    /// The unscaled values of samples `indices` of this stream, row after row.
    fn read(&self, indices: &[usize]) -> Result<Vec<f32>, Error> {
        let h = &self.header;
        let size = h.sample_bytes();
        let mut bytes = vec![0u8; size];
        let mut out = Vec::with_capacity(indices.len() * h.features());
        let mut file = self.file.lock().expect("not poisoned");
        for &i in indices {
            let row = *self.rows.get(i).ok_or_else(|| {
                Error::invalid(format!(
                    "sample {i} of {}, which has {}",
                    self.name,
                    self.rows.len()
                ))
            })?;
            let at = h.data_start as u64 + (row * size) as u64;
            file.seek(SeekFrom::Start(at))
                .and_then(|_| file.read_exact(&mut bytes))
                .map_err(|e| Error::format(&self.name, format!("cannot read sample {row}: {e}")))?;
            h.decode(&bytes, &mut out);
        }
        Ok(out)
    }
}

impl Samples for NpyStream {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn features(&self) -> usize {
        self.header.features()
    }

    fn gather(&self, indices: &[usize]) -> Result<Vec<f32>, Error> {
        let t0 = Instant::now();
        let mut values = self.read(indices)?;
        self.scaling.apply(&mut values);
        *self.waited.lock().expect("not poisoned") += t0.elapsed();
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use hourglass_core::data::{read_npy, write_npy_f32};

    use super::*;

    #[test]
    fn samples_read_from_disk_equal_the_file_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.npy");
        let values: Vec<f32> = (0..30).map(|v| v as f32 * 0.5 - 3.0).collect();
        let bytes = write_npy_f32(10, 3, &values);
        std::fs::write(&path, &bytes).unwrap();
        let whole = read_npy("rows", &bytes).unwrap();
        let s = NpyStream::open(&path, None).unwrap();
        assert_eq!((s.len(), s.features(), s.image_dims()), (10, 3, None));
        let (lo, hi) = s.column_ranges().unwrap();
        assert_eq!((lo, hi), (vec![-3.0, -2.5, -2.0], vec![10.5, 11.0, 11.5]));
        assert_eq!(
            s.gather(&[7, 2]).unwrap(),
            [whole.sample(7), whole.sample(2)].concat()
        );
        // a subset is numbered from 0 again; scaling is applied as in memory
        let sub = s.subset(&[4, 9]).scaled(Scaling {
            offset: -3.0,
            scale: 14.5,
        });
        let want: Vec<f32> = whole.sample(9).iter().map(|v| (v + 3.0) / 14.5).collect();
        assert_eq!(sub.gather(&[1]).unwrap(), want);
        assert!(
            sub.gather(&[2])
                .unwrap_err()
                .to_string()
                .contains("sample 2")
        );
        // --limit: the first samples only
        assert_eq!(NpyStream::open(&path, Some(4)).unwrap().len(), 4);
        // a file cut short is refused when opened, naming the bytes missing
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let e = NpyStream::open(&path, None).err().unwrap().to_string();
        assert!(e.contains("needs 120 data bytes, file has 115"), "{e}");
    }
}
