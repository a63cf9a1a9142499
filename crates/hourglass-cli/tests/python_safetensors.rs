//! A checkpoint read by Python's `safetensors` package: the values it sees are ours.
//! The test command makes a venv with safetensors and numpy and points
//! HOURGLASS_TEST_PYTHON at it.

mod common;

use std::fs;

use common::*;
use hourglass_core::checkpoint::Checkpoint;

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
    let v = python_json(&["-c".as_ref(), script.as_ref(), model.as_os_str()]);
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
