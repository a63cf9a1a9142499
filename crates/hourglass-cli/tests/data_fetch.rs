//! `hourglass data fetch` and `data list`, against a local HTTP server serving the test data
//! (never the internet).

mod common;

use std::fs;

use common::*;

use serde_json::Value;

#[test]
fn fetch_downloads_verifies_and_list_finds_it() {
    let base = serve_files(data_dir());
    let dir = tmp();
    let out = ok(&[
        "data",
        "fetch",
        "mnist",
        "--data-dir",
        s(dir.path()),
        // a base URL, as `serve --mirror` takes it (URL/mnist/…)
        "--mirror",
        &base,
        "--quiet",
    ]);
    assert_eq!(out.trim(), dir.path().join("mnist").display().to_string());
    for f in MNIST_FILES {
        assert_eq!(
            fs::read(dir.path().join("mnist").join(f)).unwrap(),
            fs::read(data_dir().join("mnist").join(f)).unwrap()
        );
    }
    let list: Value = serde_json::from_str(&ok(&[
        "data",
        "list",
        "--data-dir",
        s(dir.path()),
        "--json",
    ]))
    .unwrap();
    let mnist = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "mnist")
        .unwrap();
    assert_eq!(mnist["status"], "verified");
    assert_eq!(mnist["source"], "--data-dir");
    // $HOURGLASS_DATA is searched too, after --data-dir
    let via_env = bin()
        .args(["data", "list", "--json"])
        .env("HOURGLASS_DATA", dir.path())
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&via_env.stdout).unwrap();
    let mnist = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "mnist")
        .unwrap();
    assert_eq!(mnist["source"], "$HOURGLASS_DATA");
    // a dataset found there can be trained on by name
    ok(&[
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        s(dir.path()),
        "--limit",
        "200",
        "--layers",
        "784,8",
        "--epochs",
        "1",
        "--out",
        s(&dir.path().join("m.safetensors")),
    ]);
}

#[test]
fn a_wrong_checksum_leaves_no_file_and_says_which() {
    let base = serve_files(data_dir());
    let dir = tmp();
    let o = run(&[
        "data",
        "fetch",
        "fashion-mnist",
        "--data-dir",
        s(dir.path()),
        "--mirror",
        &format!("{base}/corrupt/fashion-mnist/"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("train-images-idx3-ubyte.gz") && err.contains("wrong sha256"),
        "{err}"
    );
    let left: Vec<_> = fs::read_dir(dir.path().join("fashion-mnist"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "nothing may be left behind: {left:?}");
}

#[test]
fn a_missing_mirror_file_is_a_clear_error_and_list_reports_corruption() {
    let base = serve_files(data_dir());
    let dir = tmp();
    let o = run(&[
        "data",
        "fetch",
        "mnist",
        "--data-dir",
        s(dir.path()),
        "--mirror",
        &format!("{base}/nothing-here/"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no mirror could provide it"),
        "{}",
        stderr(&o)
    );
    // a corrupt local copy is reported by list
    let m = dir.path().join("mnist");
    fs::create_dir_all(&m).unwrap();
    for f in MNIST_FILES {
        fs::write(m.join(f), b"garbage").unwrap();
    }
    // the table still comes, and the command fails, naming the dataset and what to do
    let o = run(&["data", "list", "--data-dir", s(dir.path()), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("mnist failed its checksums")
            && stderr(&o).contains("hourglass data fetch mnist"),
        "{}",
        stderr(&o)
    );
    let list: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mnist = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "mnist")
        .unwrap();
    assert_eq!(mnist["status"], "corrupt");
    assert_eq!(mnist["verified"], false);
    // nothing found: the name and the folders searched
    let empty = tmp();
    let o = run(&["data", "list", "--data-dir", s(empty.path())]);
    let out = stdout(&o);
    assert!(
        out.contains("hourglass data fetch mnist")
            && out.contains(&empty.path().join("mnist").display().to_string()),
        "{out}"
    );
    bad(
        &["data", "fetch", "imagenet", "--data-dir", s(dir.path())],
        &["unknown dataset 'imagenet'"],
    );
}
