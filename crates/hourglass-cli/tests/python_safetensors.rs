//! A checkpoint read by Python's `safetensors` package: the values it sees are ours.
//! The test command makes a venv with safetensors and numpy and points
//! HOURGLASS_TEST_PYTHON at it.

mod common;

use std::{fs, process::Command};

use common::*;
use hourglass_core::checkpoint::Checkpoint;
use serde_json::Value;

#[test]
fn python_safetensors_reads_our_checkpoint() {
    let dir = tmp();
    let model = dir.path().join("m.safetensors");
    ok(&[
        "train",
        "--dataset",
        "patterns",
        "--layers",
        "9,6,3",
        "--epochs",
        "5",
        "--batch",
        "4",
        "--out",
        s(&model),
    ]);
    let python = std::env::var("HOURGLASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="numpy") as f:
    meta = f.metadata()
config = json.loads(meta["hourglass"])
w = t["encoder.0.weight"]
print(json.dumps({"shape": list(w.shape), "dtype": str(w.dtype), "weight": w.flatten().tolist(),
                  "bias": t["decoder.1.bias"].tolist(), "layers": config["architecture"]["layers"],
                  "names": sorted(t.keys())}))
"#;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&model)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} ({e}); run the README's test command, which makes the venv")
        });
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ck = Checkpoint::from_bytes("m", &fs::read(&model).unwrap()).unwrap();
    assert_eq!(
        v["shape"],
        serde_json::json!([6, 9]),
        "PyTorch layout [out, in]"
    );
    assert_eq!(v["dtype"], "float32");
    assert_eq!(v["layers"], serde_json::json!([9, 6, 3]));
    let theirs: Vec<f32> = v["weight"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(theirs, ck.tensor("encoder.0.weight").unwrap().values);
    let bias: Vec<f32> = v["bias"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(bias, ck.tensor("decoder.1.bias").unwrap().values);
    assert_eq!(v["names"].as_array().unwrap().len(), 8);
}
