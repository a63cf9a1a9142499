//! The known datasets: their files, checksums, mirrors, and where to look for them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// One file of a known dataset.
pub struct KnownFile {
    pub name: &'static str,
    /// sha256 of the original .gz file.
    pub gz_sha256: &'static str,
    /// sha256 of the decompressed IDX file (Debian re-compresses its copies).
    pub raw_sha256: &'static str,
}

/// A dataset Hourglass knows by name.
pub struct KnownDataset {
    pub name: &'static str,
    pub files: [KnownFile; 4],
    pub mirrors: &'static [&'static str],
    /// A system folder a distribution installs it to.
    pub system_dir: Option<&'static str>,
}

pub const TRAIN_IMAGES: usize = 0;
pub const TRAIN_LABELS: usize = 1;
pub const TEST_IMAGES: usize = 2;
pub const TEST_LABELS: usize = 3;

pub const KNOWN: [KnownDataset; 2] = [
    KnownDataset {
        name: "mnist",
        files: [
            KnownFile {
                name: "train-images-idx3-ubyte.gz",
                gz_sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                raw_sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            },
            KnownFile {
                name: "train-labels-idx1-ubyte.gz",
                gz_sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                raw_sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            },
            KnownFile {
                name: "t10k-images-idx3-ubyte.gz",
                gz_sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                raw_sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            },
            KnownFile {
                name: "t10k-labels-idx1-ubyte.gz",
                gz_sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                raw_sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            },
        ],
        mirrors: &[
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        system_dir: None,
    },
    KnownDataset {
        name: "fashion-mnist",
        files: [
            KnownFile {
                name: "train-images-idx3-ubyte.gz",
                gz_sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                raw_sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            },
            KnownFile {
                name: "train-labels-idx1-ubyte.gz",
                gz_sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                raw_sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            },
            KnownFile {
                name: "t10k-images-idx3-ubyte.gz",
                gz_sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                raw_sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            },
            KnownFile {
                name: "t10k-labels-idx1-ubyte.gz",
                gz_sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                raw_sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            },
        ],
        mirrors: &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        system_dir: Some("/usr/share/datasets/fashion-mnist"),
    },
];

/// The folder a mirror keeps `dataset` in: `URL/<dataset>/` for a base URL (what `serve
/// --mirror` and `data fetch --mirror` both take), or the URL itself when it already names
/// that folder.
pub fn mirror_folder(url: &str, dataset: &str) -> String {
    let base = url.trim_end_matches('/');
    if base.ends_with(&format!("/{dataset}")) {
        format!("{base}/")
    } else {
        format!("{base}/{dataset}/")
    }
}

pub fn known(name: &str) -> Option<&'static KnownDataset> {
    KNOWN.iter().find(|d| d.name == name)
}

/// The folders searched for data, in order: `--data-dir`, `$HOURGLASS_DATA`, the user cache.
pub fn search_roots(data_dir: Option<&Path>) -> Vec<(String, PathBuf)> {
    let mut roots = Vec::new();
    if let Some(d) = data_dir {
        roots.push(("--data-dir".to_string(), d.to_path_buf()));
    }
    if let Some(d) = std::env::var_os("HOURGLASS_DATA").filter(|v| !v.is_empty()) {
        roots.push(("$HOURGLASS_DATA".to_string(), PathBuf::from(d)));
    }
    if let Some(d) = dirs::cache_dir() {
        roots.push(("user cache".to_string(), d.join("hourglass")));
    }
    roots
}

/// The file `name` of a dataset inside `dir`: `name` itself or its decompressed form.
pub fn file_in(dir: &Path, name: &str) -> Option<PathBuf> {
    let gz = dir.join(name);
    if gz.is_file() {
        return Some(gz);
    }
    let raw = dir.join(name.trim_end_matches(".gz"));
    raw.is_file().then_some(raw)
}

/// The first folder holding all four files of `ds`, with where it came from.
pub fn locate(ds: &KnownDataset, data_dir: Option<&Path>) -> Option<(String, PathBuf)> {
    let mut candidates: Vec<(String, PathBuf)> = search_roots(data_dir)
        .into_iter()
        .map(|(why, root)| (why, root.join(ds.name)))
        .collect();
    if let Some(sys) = ds.system_dir {
        candidates.push(("system".to_string(), PathBuf::from(sys)));
    }
    candidates
        .into_iter()
        .find(|(_, dir)| ds.files.iter().all(|f| file_in(dir, f.name).is_some()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a dataset file against its known checksums (the .gz's, or the decompressed data's).
pub fn verify(file: &KnownFile, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if sha256_hex(&bytes) == file.gz_sha256 {
        return Ok(());
    }
    let raw = hourglass_core::data::maybe_gunzip(&path.display().to_string(), &bytes)?;
    if sha256_hex(&raw) == file.raw_sha256 {
        return Ok(());
    }
    bail!(
        "{}: sha256 does not match the published checksum of {}",
        path.display(),
        file.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_is_a_base_url_or_the_datasets_own_folder() {
        let f = |u| mirror_folder(u, "mnist");
        assert_eq!(f("http://h:1"), "http://h:1/mnist/");
        assert_eq!(f("http://h:1/copies/"), "http://h:1/copies/mnist/");
        assert_eq!(f("http://h:1/mnist"), "http://h:1/mnist/");
        assert_eq!(f("http://h:1/mnist/"), "http://h:1/mnist/");
    }
}
