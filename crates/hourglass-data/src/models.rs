//! The models folder and saving files: a model is a plain `<name>.safetensors` file in one
//! folder (`serve --models`, or [`crate::default_models_dir`]); names given by a page can never
//! reach outside it; files are written atomically (a temporary file in the same folder, synced,
//! renamed into place), so a crash leaves the old file or the new one, never half of one.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use hourglass_core::checkpoint::Checkpoint;

/// Checkpoints larger than this are not read from the models folder.
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
/// The models folder lists at most this many files.
pub const MAX_LISTED: usize = 200;
/// Longest model name (without `.safetensors`).
pub use hourglass_lab::{EXTENSION, MAX_NAME_CHARS};

/// Checks a model's name as a person gives it (see [`hourglass_lab::check_model_name`]).
pub fn check_name(name: &str) -> Result<(), String> {
    hourglass_lab::check_model_name(name)
}

/// The file of the model called `name` (with or without `.safetensors`) in `dir`, or why the
/// name cannot be one.
pub fn model_path(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let stem = name.strip_suffix(EXTENSION).unwrap_or(name);
    check_name(stem)?;
    Ok(dir.join(format!("{stem}{EXTENSION}")))
}

/// Why a model of the models folder cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The name cannot be a model's (it would leave the folder, say).
    #[error("{0}")]
    Name(String),
    #[error("there is no model '{name}' in the models folder ({path})")]
    Missing { name: String, path: PathBuf },
    #[error("{path}: {mb} MB is more than the models folder's 256 MB limit")]
    TooLarge { path: PathBuf, mb: u64 },
    #[error("{path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is there but is not a checkpoint Hourglass can use.
    #[error("{0}")]
    Invalid(hourglass_core::Error),
}

/// Reads the checkpoint of the model `name` from `dir` (refusing files over 256 MB), or says
/// why it cannot be used.
pub fn read_checkpoint(dir: &Path, name: &str) -> std::result::Result<Checkpoint, ModelFileError> {
    let path = model_path(dir, name).map_err(ModelFileError::Name)?;
    let unreadable = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ModelFileError::Missing {
                name: name.to_string(),
                path: path.clone(),
            }
        } else {
            ModelFileError::Unreadable {
                path: path.clone(),
                source,
            }
        }
    };
    let meta = fs::metadata(&path).map_err(unreadable)?;
    if meta.len() > MAX_MODEL_BYTES {
        return Err(ModelFileError::TooLarge {
            path,
            mb: meta.len() >> 20,
        });
    }
    let bytes = fs::read(&path).map_err(unreadable)?;
    Checkpoint::from_bytes(&path.display().to_string(), &bytes).map_err(ModelFileError::Invalid)
}

/// The model files of `dir` (names with their extension), sorted, at most [`MAX_LISTED`];
/// hidden files and files whose name is not a model name are left out. A missing folder has
/// none.
pub fn list(dir: &Path) -> Vec<String> {
    files_in(dir, |n| {
        n.strip_suffix(EXTENSION)
            .is_some_and(|stem| check_name(stem).is_ok())
    })
}

/// The plain files of `dir` whose names `keep` accepts, sorted, at most [`MAX_LISTED`]. A
/// missing folder has none.
pub fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| keep(n))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.truncate(MAX_LISTED);
    files
}

/// Writes `bytes` to `path` so a crash never leaves half a file. The file gets the
/// permissions the umask gives a new file (as `>` in a shell does), not 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".hourglass-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // the mode a new file is opened with; the kernel applies the umask
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).with_context(|| {
        format!(
            "{}: cannot create a file in {}",
            path.display(),
            dir.display()
        )
    })?;
    tmp.write_all(bytes)
        .with_context(|| format!("{}: write failed", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("{}: write failed", path.display()))?;
    tmp.persist(path).with_context(|| {
        format!(
            "{}: cannot move the finished file into place",
            path.display()
        )
    })?;
    remove_stale_temporaries(dir);
    Ok(())
}

/// Temporary files of saves that were killed (SIGKILL, power loss) are left behind; a later
/// save in the same folder removes those more than an hour old (a save takes milliseconds, so
/// none of them is still being written). Best effort: a file that cannot go stays.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let hour = std::time::Duration::from_secs(3600);
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".hourglass-") && name.ends_with(".tmp")) {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > hour);
        if old {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_file_that_cannot_be_read_says_which_way() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_checkpoint(dir.path(), "absent").unwrap_err();
        assert!(matches!(e, ModelFileError::Missing { .. }), "{e}");
        assert!(
            e.to_string().starts_with("there is no model 'absent'"),
            "{e}"
        );
        fs::write(dir.path().join("junk.safetensors"), b"not a model").unwrap();
        let e = read_checkpoint(dir.path(), "junk").unwrap_err();
        assert!(matches!(e, ModelFileError::Invalid(_)), "{e}");
        let e = read_checkpoint(dir.path(), "../x").unwrap_err();
        assert!(matches!(e, ModelFileError::Name(_)), "{e}");
    }

    #[test]
    fn names_stay_in_the_models_folder() {
        let dir = Path::new("/m");
        assert_eq!(
            model_path(dir, "my model_2.v1").unwrap(),
            dir.join("my model_2.v1.safetensors")
        );
        assert_eq!(
            model_path(dir, "a.safetensors").unwrap(),
            dir.join("a.safetensors")
        );
        for bad in [
            "",
            "../x",
            "a/b",
            "a\\b",
            "..",
            ".hidden",
            "/etc/passwd",
            "a\u{0}b",
            "caf\u{e9}",
            "\u{2215}x",
            " x",
            "x ",
            &"x".repeat(65),
        ] {
            assert!(model_path(dir, bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn a_save_removes_temporaries_left_by_killed_saves_but_not_fresh_ones() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".hourglass-abc123.tmp");
        let fresh = dir.path().join(".hourglass-def456.tmp");
        let other = dir.path().join("notes.tmp");
        for p in [&stale, &fresh, &other] {
            fs::write(p, b"half").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        write_atomic(&dir.path().join("m.safetensors"), b"whole").unwrap();
        assert!(!stale.exists(), "a stale temporary is removed");
        assert!(
            fresh.exists(),
            "a recent one may still be written: it stays"
        );
        assert!(other.exists(), "other files are not ours");
        assert_eq!(
            fs::read(dir.path().join("m.safetensors")).unwrap(),
            b"whole"
        );
    }
}
