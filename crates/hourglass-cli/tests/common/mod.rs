//! Helpers shared by the integration tests: run the real binary, find the test data.
#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hourglass"));
    // keep the user's own data and cache out of the tests
    c.env_remove("HOURGLASS_DATA");
    c.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("hourglass-test-empty-cache"),
    );
    c
}

/// Runs `hourglass ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .expect("the hourglass binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and asserts success, returning stdout.
pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "hourglass {args:?} failed: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// Runs and asserts exit code 2 with one error line on stderr containing every `needles`
/// (after any `note:` lines saying what was done to the input before the problem was found).
pub fn bad(args: &[&str], needles: &[&str]) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "hourglass {args:?} should exit 2; stderr: {err}"
    );
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert!(
        lines.len() == 1
            || lines[..lines.len() - 1]
                .iter()
                .all(|l| l.starts_with("note: ")),
        "one line expected (notes aside), got: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

/// The folder with mnist/ and fashion-mnist/: $HOURGLASS_TEST_DATA or ../shared/datasets
/// beside the repository.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HOURGLASS_TEST_DATA") {
        return PathBuf::from(d);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    assert!(
        beside.join("mnist").is_dir(),
        "test data not found: set HOURGLASS_TEST_DATA or put shared/datasets beside the repository"
    );
    beside
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Serves files from `root` on 127.0.0.1 (port 0) until the test process ends; a path
/// starting with /corrupt/ serves the file with its last byte changed.
pub fn serve_files(root: PathBuf) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = server.server_addr().to_ip().expect("ip address").port();
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let url = req.url().trim_start_matches('/').to_string();
            let (corrupt, rel) = match url.strip_prefix("corrupt/") {
                Some(r) => (true, r.to_string()),
                None => (false, url),
            };
            let path = root.join(&rel);
            let resp = match std::fs::read(&path) {
                Ok(mut bytes) if !rel.contains("..") => {
                    if corrupt && let Some(last) = bytes.last_mut() {
                        *last ^= 0xff;
                    }
                    tiny_http::Response::from_data(bytes).with_status_code(200)
                }
                _ => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
            };
            let _ = req.respond(resp);
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The four files of MNIST (and of Fashion-MNIST).
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// `hourglass train` on the built-in 3×3 patterns with the Glass Box's 9-6-3 sigmoid model
/// and SGD: the quick training the tests share (add `--epochs`, `--out`, …).
pub const TRAIN_PATTERNS: &[&str] = &[
    "train",
    "--dataset",
    "patterns",
    "--layers",
    "9,6,3",
    "--activation",
    "sigmoid",
    "--optimizer",
    "sgd",
    "--lr",
    "0.5",
];

/// Runs the test venv's Python ($HOURGLASS_TEST_PYTHON, which the README's test command
/// makes) with `args`, asserts it succeeded, and reads its stdout as JSON.
pub fn python_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let python = std::env::var("HOURGLASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} ({e}); run the README's test command, which makes the venv")
        });
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

/// Trains the 12-pattern model of `hourglass train --help` (SGD with momentum, 40 epochs) into
/// `out`, with `extra` flags; returns what it printed.
pub fn train_patterns(out: &std::path::Path, extra: &[&str]) -> String {
    let mut args = TRAIN_PATTERNS.to_vec();
    args.extend([
        "--momentum",
        "0.9",
        "--batch",
        "4",
        "--epochs",
        "40",
        "--val-split",
        "0.25",
        "--out",
        s(out),
    ]);
    args.extend_from_slice(extra);
    ok(&args)
}
