//! A folder of images as a data set: its PNG and JPEG files in a fixed order (the folder's
//! own images, then each sub-folder's, sorted by name), labelled by sub-folder. Read whole
//! into memory ([`load`]) or a batch at a time as training goes ([`crate::stream`]): the
//! same files in the same order, decoded by the same function.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hourglass_core::data::{self, Dataset, ImageChanges, ImageColour};

/// A folder's images: each file with its label (its sub-folder's index), and the classes'
/// names when the images are in sub-folders.
#[derive(Debug, Clone)]
pub struct FolderImages {
    pub name: String,
    pub files: Vec<(PathBuf, Option<u32>)>,
    pub classes: Option<Vec<String>>,
}

/// A PNG or JPEG file, by its extension.
pub fn is_image(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("png" | "jpg" | "jpeg")
    )
}

/// Lists `dir`'s images (those in sub-folders labelled by the sub-folder's index).
pub fn list(dir: &Path) -> Result<FolderImages> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let subdirs: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    let mut files: Vec<(PathBuf, Option<u32>)> = entries
        .iter()
        .filter(|p| p.is_file() && is_image(p))
        .map(|p| (p.clone(), None))
        .collect();
    for (label, sub) in subdirs.iter().enumerate() {
        let mut inner: Vec<PathBuf> = std::fs::read_dir(sub)
            .with_context(|| format!("{}: cannot read the folder", sub.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_image(p))
            .collect();
        inner.sort();
        files.extend(inner.into_iter().map(|p| (p, Some(label as u32))));
    }
    let labelled = !files.is_empty() && files.iter().all(|(_, l)| l.is_some());
    let classes = labelled.then(|| {
        subdirs
            .iter()
            .map(|d| {
                d.file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
            })
            .collect()
    });
    let name = dir.display().to_string();
    if files.is_empty() {
        return Err(hourglass_core::Error::format(&name, "no PNG or JPEG images found").into());
    }
    Ok(FolderImages {
        name,
        files,
        classes,
    })
}

impl FolderImages {
    /// The labels, when every image has one.
    pub fn labels(&self) -> Option<Vec<u32>> {
        self.files.iter().map(|(_, l)| *l).collect()
    }

    /// Only the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        self.files.truncate(n);
    }
}

/// Reads a folder's images into memory at `size × size`, in the channels `colour` says, with
/// what making them fit changed.
pub fn load(dir: &Path, size: u32, colour: ImageColour) -> Result<(Dataset, ImageChanges)> {
    let folder = list(dir)?;
    let mut files = Vec::with_capacity(folder.files.len());
    for (p, label) in &folder.files {
        files.push((p.display().to_string(), crate::read_file(p)?, *label));
    }
    let (data, changed) = data::images_dataset(&folder.name, &files, size, size, colour)?;
    let data = match folder.classes {
        Some(names) if data.labels.is_some() => data.with_classes(names),
        _ => data,
    };
    Ok((data, changed))
}
