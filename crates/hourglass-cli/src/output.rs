//! Writing files: checked before any work is done (a run is never lost to a bad path, an input
//! is never overwritten), then written atomically (a temporary file in the same folder,
//! renamed into place) with the permissions the umask gives.

use std::{fs, path::Path};

use anyhow::{Context, Result, bail};

/// Checks, before any work, that `out` can be written: its extension is one of `extensions`,
/// it is not a folder, not one of `inputs`, not read-only; a missing parent folder is
/// created (and said so).
pub fn check_output(out: &Path, inputs: &[&Path], extensions: &[&str]) -> Result<()> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !extensions.contains(&ext.as_str()) {
        let list: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
        bail!(
            "--out {}: expected a {} file",
            out.display(),
            list.join(" or ")
        );
    }
    if out.is_dir() {
        bail!(
            "--out {} is a folder; name a file inside it (e.g. {})",
            out.display(),
            out.join(format!("out.{}", extensions[0])).display()
        );
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.exists() {
        fs::create_dir_all(parent)
            .with_context(|| format!("--out {}: cannot create the folder", out.display()))?;
        eprintln!("note: created the folder {}", parent.display());
    } else if !parent.is_dir() {
        bail!(
            "--out {}: {} is not a folder",
            out.display(),
            parent.display()
        );
    }
    if out.exists() {
        let o = fs::canonicalize(out)
            .with_context(|| format!("--out {}: cannot read", out.display()))?;
        for input in inputs {
            if fs::canonicalize(input).is_ok_and(|i| i == o) {
                bail!(
                    "--out {} is also an input ({}); refusing to overwrite it: choose another file",
                    out.display(),
                    input.display()
                );
            }
        }
        if fs::metadata(out).is_ok_and(|m| m.permissions().readonly()) {
            bail!(
                "--out {} is read-only; refusing to replace it (make it writable, or choose another file)",
                out.display()
            );
        }
    }
    Ok(())
}

pub use hourglass_data::models::write_atomic;
