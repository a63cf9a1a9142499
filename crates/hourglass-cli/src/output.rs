//! Writing files: checked before any work is done (a run is never lost to a bad path, an input
//! is never overwritten), then written atomically (a temporary file in the same folder,
//! renamed into place) with the permissions the umask gives.

use std::{fs, io::Write, path::Path};

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
