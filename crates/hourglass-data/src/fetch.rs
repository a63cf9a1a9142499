//! Downloading a known dataset: each file from a mirror, its progress reported to the
//! caller (a progress bar in the CLI, a progress message to a page in the server), checked
//! against its published sha256 before it is moved into place.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, anyhow, bail};

use crate::catalog::{KnownDataset, KnownFile, sha256_hex};

/// What a download is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchEvent {
    /// `done` of `total` bytes (when the mirror says) of `file` have arrived.
    Bytes {
        file: String,
        done: u64,
        total: Option<u64>,
    },
    /// A file was already there with the right checksum.
    Present(PathBuf),
    /// A file was downloaded, verified and moved into place.
    Downloaded(PathBuf),
}

/// Largest file accepted from a mirror.
const MAX_DOWNLOAD: u64 = 64 << 20;

fn download(url: &str, file: &str, on_progress: &mut dyn FnMut(&FetchEvent)) -> Result<Vec<u8>> {
    let mut resp = ureq::get(url).call().map_err(|e| anyhow!("{url}: {e}"))?;
    let len = resp.body().content_length();
    if len.is_some_and(|l| l > MAX_DOWNLOAD) {
        bail!("{url}: {} bytes is more than expected", len.unwrap_or(0));
    }
    let mut reader = resp.body_mut().with_config().limit(MAX_DOWNLOAD).reader();
    let mut out = Vec::with_capacity(len.unwrap_or(0) as usize);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .with_context(|| format!("{url}: download interrupted"))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        on_progress(&FetchEvent::Bytes {
            file: file.to_string(),
            done: out.len() as u64,
            total: len,
        });
    }
    Ok(out)
}

/// Downloads one file into `dir`, verifying its checksum; nothing is left behind on failure.
fn fetch_file(
    file: &KnownFile,
    mirrors: &[String],
    dir: &Path,
    on_progress: &mut dyn FnMut(&FetchEvent),
) -> Result<()> {
    let mut errors = Vec::new();
    for mirror in mirrors {
        let url = format!("{}/{}", mirror.trim_end_matches('/'), file.name);
        let bytes = match download(&url, file.name, on_progress) {
            Ok(b) => b,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let got = sha256_hex(&bytes);
        if got != file.gz_sha256 {
            bail!(
                "{}: wrong sha256 from {url} (got {got}, expected {}); nothing was saved",
                file.name,
                file.gz_sha256
            );
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".hourglass-")
            .suffix(".part")
            .tempfile_in(dir)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(dir.join(file.name))
            .with_context(|| format!("{}: cannot move into place", file.name))?;
        return Ok(());
    }
    bail!(
        "{}: no mirror could provide it ({})",
        file.name,
        errors.join("; ")
    )
}

/// Downloads the four files of `ds` into `dir` (created if needed), reporting progress.
pub fn fetch(
    ds: &KnownDataset,
    mirrors: &[String],
    dir: &Path,
    on_progress: &mut dyn FnMut(&FetchEvent),
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    for file in &ds.files {
        let target = dir.join(file.name);
        if target.is_file() && crate::catalog::verify(file, &target).is_ok() {
            on_progress(&FetchEvent::Present(target));
            continue;
        }
        fetch_file(file, mirrors, dir, on_progress)?;
        on_progress(&FetchEvent::Downloaded(target));
    }
    Ok(())
}
