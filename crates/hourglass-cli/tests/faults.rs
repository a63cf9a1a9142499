//! Faults: `hourglass train` killed with SIGKILL at any moment, 200 times over a model that is
//! already there, always leaves that path holding a complete checkpoint — the old one or the
//! new one, never a torn file.

mod common;

use std::{
    process::Stdio,
    thread,
    time::{Duration, Instant},
};

use common::bin;
use hourglass_core::checkpoint::Checkpoint;

/// The epochs a checkpoint at `path` was trained for; panics on a torn or missing file.
fn epochs_at(path: &std::path::Path) -> usize {
    let bytes = std::fs::read(path).expect("the model file is there");
    Checkpoint::from_bytes("model", &bytes)
        .expect("a complete checkpoint")
        .config
        .epochs_trained
}

fn train(epochs: &str, out: &std::path::Path) -> std::process::Child {
    bin()
        .args(common::TRAIN_PATTERNS)
        .args(["--epochs", epochs, "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the hourglass binary runs")
}

#[test]
fn a_save_killed_at_any_moment_leaves_the_old_or_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    assert!(train("1", &path).wait().unwrap().success());
    assert_eq!(epochs_at(&path), 1);
    // how long a whole run takes here, so the kills spread over all of it, save included
    let t = Instant::now();
    assert!(train("300", &path).wait().unwrap().success());
    let whole = t.elapsed().as_micros() as u64;
    assert_eq!(epochs_at(&path), 300);
    let (mut old, mut new) = (0, 0);
    let mut seed: u64 = 0x5eed;
    for round in 0..200 {
        // the other model each time, so the old and the new file can be told apart
        let before = epochs_at(&path);
        let epochs = if before == 1 { 300 } else { 1 };
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = (seed >> 33) % (whole + whole / 4);
        let mut child = train(&epochs.to_string(), &path);
        thread::sleep(Duration::from_micros(delay));
        let _ = child.kill(); // SIGKILL; the run may already be over
        child.wait().unwrap();
        let now = epochs_at(&path);
        assert!(
            now == before || now == epochs,
            "round {round}: {now} epochs, expected {before} or {epochs}"
        );
        if now == before {
            old += 1;
        } else {
            new += 1;
        }
    }
    // kills landed both before the file was moved into place and after
    assert!(
        old > 0 && new > 0,
        "{old} runs killed before the save, {new} after"
    );
    // a run killed while writing leaves its hidden temporary file beside the model
    let stray = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name();
            n.to_string_lossy().starts_with(".hourglass-")
        })
        .count();
    eprintln!(
        "200 kills: {old} left the old model, {new} the new one; none torn; {stray} temporary files left"
    );
}

/// A write that fails part-way — here the file-size limit (`ulimit -f`), which fails the
/// write as a full disk does (EFBIG instead of ENOSPC; `scripts/full-disk` runs the same on a
/// real full tmpfs) — is a clear error, the old model stays as it was, and nothing
/// half-written is left beside it.
#[test]
fn a_write_that_fails_part_way_keeps_the_old_model_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.safetensors");
    let first = train("3", &out).wait_with_output().unwrap();
    assert!(first.status.success());
    let before = std::fs::read(&out).unwrap();
    assert!(
        before.len() > 2048,
        "the model is larger than the limit below"
    );
    // the shell ignores SIGXFSZ (so the write fails instead of killing the process), limits
    // files to 2 KiB (4 blocks of 512 bytes), and runs the binary
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_hourglass"))
        .args(common::TRAIN_PATTERNS)
        .args(["--epochs", "5", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("model.safetensors: write failed"), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "the old model is intact"
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        ["model.safetensors"],
        "nothing half-written beside it"
    );
}
