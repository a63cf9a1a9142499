//! A folder of images read from disk a batch at a time as training goes, so a folder larger
//! than memory trains: only the file list is held, and a worker thread decodes the epoch's
//! next batches ahead of the trainer into a bounded queue (at most [`AHEAD`] batches), so
//! memory stays flat however many images there are. The trainer gives each epoch's shuffled
//! order before asking for its batches ([`Samples::begin_epoch`]); the images are decoded by
//! the same function as [`crate::folder::load`]'s, so a run streamed and a run in memory
//! with the same seed see the same batches and end with the same weights.

use std::{
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
        mpsc::{Receiver, SyncSender, sync_channel},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use hourglass_core::{
    Error,
    data::{ImageChanges, ImageColour, Samples, decode_image_as, shape_words},
};
use image::ImageDecoder;
use rayon::prelude::*;

use crate::folder::FolderImages;

/// Batches decoded ahead of the trainer, at most.
pub const AHEAD: usize = 4;

/// A batch as the worker sends it: the indices it holds, and their values or why not.
type Batch = (Vec<usize>, Result<Vec<f32>, Error>);

/// The worker decoding the running epoch's batches, and the queue they arrive in.
struct Ahead {
    batches: Receiver<Batch>,
    stop: Arc<AtomicBool>,
}

impl Drop for Ahead {
    fn drop(&mut self) {
        // the worker ends at its next batch (or at once, its queue's receiver gone)
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Images on disk as [`Samples`]: a folder's files (or a subset of them), decoded to
/// `channels × size × size` when asked for.
pub struct ImageStream {
    name: String,
    files: Arc<Vec<PathBuf>>,
    channels: usize,
    size: u32,
    ahead: Mutex<Option<Ahead>>,
    /// Time the trainer waited for a batch the worker had not yet decoded.
    waited: Mutex<Duration>,
}

impl ImageStream {
    /// A stream of `folder`'s images at `size × size`, in the channels `colour` says (for
    /// "as they are", colour when any image's header says it has colour). Reads every
    /// image's header — not its pixels — to count what making them fit will change.
    pub fn open(
        folder: &FolderImages,
        size: u32,
        colour: ImageColour,
    ) -> Result<(ImageStream, ImageChanges)> {
        let headers: Vec<(bool, (u32, u32))> = folder
            .files
            .par_iter()
            .map(|(p, _)| header(p))
            .collect::<Result<_>>()?;
        let channels = colour.channels(headers.iter().any(|h| h.0));
        let mut changes = ImageChanges::default();
        for &(has_colour, dims) in &headers {
            changes.planes(has_colour, channels);
            changes.sized(dims, (size, size));
        }
        let stream = ImageStream {
            name: folder.name.clone(),
            files: Arc::new(folder.files.iter().map(|(p, _)| p.clone()).collect()),
            channels,
            size,
            ahead: Mutex::new(None),
            waited: Mutex::new(Duration::ZERO),
        };
        Ok((stream, changes))
    }

    /// The images at `indices`, in that order, as a stream of their own (a training or
    /// validation split).
    pub fn subset(&self, indices: &[usize]) -> ImageStream {
        ImageStream {
            name: self.name.clone(),
            files: Arc::new(indices.iter().map(|&i| self.files[i].clone()).collect()),
            channels: self.channels,
            size: self.size,
            ahead: Mutex::new(None),
            waited: Mutex::new(Duration::ZERO),
        }
    }

    /// Grey (1) or colour (3).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// How long the trainer has waited for batches the worker had not decoded yet.
    pub fn waited(&self) -> Duration {
        *self.waited.lock().expect("not poisoned")
    }

    /// The shape in words, `64×64×3`.
    pub fn shape_words(&self) -> String {
        shape_words(self.channels, self.size as usize, self.size as usize)
    }
}

/// Whether an image has colour, and its width and height, from its header alone.
fn header(path: &PathBuf) -> Result<(bool, (u32, u32))> {
    let decoder = image::ImageReader::open(path)
        .with_context(|| format!("{}: cannot read", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("{}: cannot read", path.display()))?
        .into_decoder()
        .map_err(|e| {
            Error::format(
                path.display().to_string(),
                format!("not a readable PNG or JPEG image ({e})"),
            )
        })?;
    Ok((decoder.color_type().has_color(), decoder.dimensions()))
}

/// Decodes the images at `indices` of `files`, row after row, on every core.
fn decode(
    files: &[PathBuf],
    indices: &[usize],
    channels: usize,
    size: u32,
) -> Result<Vec<f32>, Error> {
    let rows: Vec<Vec<f32>> = indices
        .par_iter()
        .map(|&i| {
            let path = files.get(i).ok_or_else(|| {
                Error::invalid(format!("image {i} of a folder of {}", files.len()))
            })?;
            let name = path.display().to_string();
            let bytes = crate::read_file(path).map_err(|e| Error::format(&name, e.to_string()))?;
            decode_image_as(&name, &bytes, channels, size, size)
        })
        .collect::<Result<_, Error>>()?;
    Ok(rows.concat())
}

/// The threads that decode ahead: a pool of their own. In rayon's global pool a decoding
/// thread waiting for a part of its batch could steal the trainer's step, which then waits
/// for that very batch — a deadlock (seen: every other run hung). Here the trainer's threads
/// never run decoding and these never run a step.
fn decode_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
            .thread_name(|i| format!("hourglass-decode-{i}"))
            .build()
            .expect("the decoding threads start")
    })
}

/// The worker: decodes `order`'s batches in turn into `queue` until the epoch's end, the
/// queue's receiver is gone, or `stop`.
fn decode_ahead(
    files: Arc<Vec<PathBuf>>,
    order: Vec<usize>,
    batch: usize,
    (channels, size): (usize, u32),
    queue: SyncSender<Batch>,
    stop: Arc<AtomicBool>,
) {
    for idx in order.chunks(batch.max(1)) {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let values = decode_pool().install(|| decode(&files, idx, channels, size));
        if queue.send((idx.to_vec(), values)).is_err() {
            return;
        }
    }
}

impl Samples for ImageStream {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> usize {
        self.files.len()
    }

    fn features(&self) -> usize {
        self.channels * (self.size * self.size) as usize
    }

    fn begin_epoch(&self, order: &[usize], batch: usize) {
        let (queue, batches) = sync_channel(AHEAD);
        let stop = Arc::new(AtomicBool::new(false));
        let (files, order, shape) = (
            self.files.clone(),
            order.to_vec(),
            (self.channels, self.size),
        );
        let worker_stop = stop.clone();
        std::thread::Builder::new()
            .name("hourglass-decode".into())
            .spawn(move || decode_ahead(files, order, batch, shape, queue, worker_stop))
            .expect("a thread starts");
        // the last epoch's worker (if any) is told to stop as its queue is dropped
        *self.ahead.lock().expect("not poisoned") = Some(Ahead { batches, stop });
    }

    fn gather(&self, indices: &[usize]) -> Result<Vec<f32>, Error> {
        let mut ahead = self.ahead.lock().expect("not poisoned");
        if let Some(a) = ahead.as_ref() {
            let asked = Instant::now();
            match a.batches.recv() {
                Ok((idx, values)) if idx == indices => {
                    *self.waited.lock().expect("not poisoned") += asked.elapsed();
                    return values;
                }
                // another batch than the epoch's next (or the worker gone): read directly,
                // and read ahead no more this epoch
                _ => *ahead = None,
            }
        }
        drop(ahead);
        decode(&self.files, indices, self.channels, self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hourglass_core::data::encode_image_png;

    fn folder_of(n: usize) -> (tempfile::TempDir, FolderImages) {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            let v: Vec<f32> = (0..3 * 16)
                .map(|k| ((i * 7 + k) % 255) as f32 / 255.0)
                .collect();
            std::fs::write(
                dir.path().join(format!("{i:03}.png")),
                encode_image_png(&v, 3, 4, 4).unwrap(),
            )
            .unwrap();
        }
        let f = crate::folder::list(dir.path()).unwrap();
        (dir, f)
    }

    #[test]
    fn batches_read_ahead_are_the_images_in_memory() {
        let (dir, folder) = folder_of(10);
        let (whole, _) = crate::folder::load(dir.path(), 4, ImageColour::AsTheyAre).unwrap();
        let (stream, changes) = ImageStream::open(&folder, 4, ImageColour::AsTheyAre).unwrap();
        assert_eq!(changes, ImageChanges::default());
        assert_eq!((stream.len(), stream.features()), (10, 48));
        let order = [3, 1, 4, 1, 5, 9, 2, 6];
        stream.begin_epoch(&order, 3);
        for idx in order.chunks(3) {
            assert_eq!(stream.gather(idx).unwrap(), whole.gather(idx).unwrap());
        }
        // another batch than the next: read directly, the same values
        stream.begin_epoch(&order, 3);
        assert_eq!(
            stream.gather(&[7, 8]).unwrap(),
            whole.gather(&[7, 8]).unwrap()
        );
        assert_eq!(stream.gather(&[0]).unwrap(), whole.gather(&[0]).unwrap());
        // a subset is those images
        let sub = stream.subset(&[9, 0]);
        assert_eq!(sub.gather(&[0, 1]).unwrap(), whole.gather(&[9, 0]).unwrap());
    }

    #[test]
    fn a_broken_image_is_named_when_its_batch_is_read() {
        let (dir, folder) = folder_of(4);
        let (stream, _) = ImageStream::open(&folder, 4, ImageColour::Grey).unwrap();
        assert_eq!(stream.features(), 16);
        std::fs::write(dir.path().join("002.png"), b"broken since").unwrap();
        stream.begin_epoch(&[0, 1, 2, 3], 2);
        assert!(stream.gather(&[0, 1]).is_ok());
        let e = stream.gather(&[2, 3]).unwrap_err().to_string();
        assert!(e.contains("002.png") && e.contains("not a readable"), "{e}");
        // a header that is not an image is refused when the folder is opened
        let e = ImageStream::open(&folder, 4, ImageColour::Grey)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("002.png"), "{e}");
    }
}
