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
