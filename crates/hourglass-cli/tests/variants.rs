//! The variants through the real binary: each trains, is saved with its variant and code in
//! the checkpoint (read back here and by Python's safetensors), is described by `eval`; the
//! same seed gives the same run; a flag of another variant is refused; `sample` draws from a
//! VAE's prior.

mod common;

use std::{fs, process::Command};

use common::*;
use hourglass_core::{architecture::Code, checkpoint::Checkpoint, variant::Variant};
use serde_json::Value;

fn train(out: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--dataset",
        "patterns",
        "--layers",
        "9,6,2",
        "--epochs",
        "3",
        "--batch",
        "8",
        "--activation",
        "tanh",
        "--loss",
        "bce",
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    ok(&args);
}

fn checkpoint(path: &std::path::Path) -> Checkpoint {
    Checkpoint::from_bytes("m", &fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_variant_trains_and_is_kept_in_its_checkpoint() {
    let dir = tmp();
    let python = std::env::var("HOURGLASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let cases: [(&str, &[&str], &str, Code); 5] = [
        ("plain", &[], "plain", Code::Linear),
        (
            "denoising",
            &["--variant", "denoising", "--noise", "salt-pepper:0.2"],
            "denoising",
            Code::Linear,
        ),
        (
            "vae",
            &["--variant", "vae", "--beta", "0.5"],
            "vae",
            Code::Gaussian,
        ),
        (
            "sparse",
            &["--variant", "sparse", "--sparsity", "kl:0.1:2"],
            "sparse",
            Code::Sigmoid,
        ),
        (
            "contractive",
            &["--variant", "contractive", "--contraction", "0.01"],
            "contractive",
            Code::Linear,
        ),
    ];
    for (name, flags, kind, code) in cases {
        let path = dir.path().join(format!("{name}.safetensors"));
        train(&path, flags);
        let ck = checkpoint(&path);
        assert_eq!(ck.config.training.variant.name(), kind);
        assert_eq!(ck.config.architecture.code(), code, "{name}");
        // eval names the variant and reports its loss terms
        let e: Value = serde_json::from_str(&ok(&[
            "eval",
            "--model",
            s(&path),
            "--dataset",
            "patterns",
            "--json",
        ]))
        .unwrap();
        assert_eq!(e["variant"]["kind"], kind, "{e}");
        if name != "plain" && name != "denoising" {
            let terms = e["terms"].as_object().unwrap();
            assert_eq!(terms.len(), 2, "{e}");
            assert!(terms.contains_key("reconstruction"));
        }
        if name == "denoising" {
            let d = &e["denoising"];
            assert_eq!(d["noise"], "salt-pepper:0.2");
            assert!(d["noisy"]["mse"].as_f64().unwrap() > 0.0);
        }
        // Python's safetensors reads the file, the variant in its metadata
        let script = r#"
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="numpy") as f:
    config = json.loads(f.metadata()["hourglass"])
print(json.dumps({"variant": config["training"].get("variant", {"kind": "plain"}),
                  "code": config["architecture"].get("code", "linear"),
                  "last": list(t["encoder.1.weight"].shape)}))
"#;
        let out = Command::new(&python)
            .args(["-c", script, s(&path)])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {python} ({e})"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["variant"]["kind"], kind, "{v}");
        assert_eq!(v["code"], code.name());
        // a VAE's last encoder layer gives μ and log σ² for each of the 2 code units
        let width = if code == Code::Gaussian { 4 } else { 2 };
        assert_eq!(v["last"], serde_json::json!([width, 6]), "{name}");
    }
    // the VAE's options are what was asked for
    let vae = checkpoint(&dir.path().join("vae.safetensors"));
    assert_eq!(vae.config.training.variant, Variant::Vae { beta: 0.5 });
}

#[test]
fn the_same_seed_gives_the_same_noise_and_samples() {
    let dir = tmp();
    for flags in [
        &["--variant", "vae"][..],
        &["--variant", "denoising", "--noise", "gaussian:0.3"][..],
    ] {
        let (a, b) = (
            dir.path().join("a.safetensors"),
            dir.path().join("b.safetensors"),
        );
        train(&a, flags);
        train(&b, flags);
        assert_eq!(checkpoint(&a).tensors, checkpoint(&b).tensors, "{flags:?}");
        let c = dir.path().join("c.safetensors");
        let mut other = flags.to_vec();
        other.extend(["--seed", "2"]);
        train(&c, &other);
        assert_ne!(checkpoint(&a).tensors, checkpoint(&c).tensors, "{flags:?}");
    }
}

#[test]
fn a_flag_of_another_variant_or_a_wrong_code_is_refused() {
    let dir = tmp();
    let out = dir.path().join("m.safetensors");
    let base = [
        "train",
        "--dataset",
        "patterns",
        "--layers",
        "9,6,2",
        "--out",
        s(&out),
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        a
    };
    bad(
        &with(&["--noise", "gaussian:0.5"]),
        &["--noise applies to --variant denoising only"],
    );
    bad(
        &with(&["--variant", "vae", "--sparsity", "l1:1e-4"]),
        &["--sparsity applies to --variant sparse only"],
    );
    bad(
        &with(&["--variant", "vae", "--code", "relu"]),
        &["gaussian"],
    );
    bad(
        &with(&["--variant", "denoising", "--noise", "mask:1.5"]),
        &["--noise mask:1.5", "outside"],
    );
    bad(&with(&["--variant", "gan"]), &["unknown variant 'gan'"]);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn sample_draws_from_a_vaes_prior() {
    let dir = tmp();
    let vae = dir.path().join("vae.safetensors");
    train(&vae, &["--variant", "vae"]);
    let csv = dir.path().join("samples.csv");
    let o = run(&[
        "sample",
        "--model",
        s(&vae),
        "--count",
        "5",
        "--seed",
        "3",
        "--out",
        s(&csv),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("5 codes drawn from N(0, I)"));
    let text = fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 6, "a header and 5 rows");
    // the same seed, the same samples
    let again = dir.path().join("again.csv");
    ok(&[
        "sample",
        "--model",
        s(&vae),
        "--count",
        "5",
        "--seed",
        "3",
        "--out",
        s(&again),
    ]);
    assert_eq!(text, fs::read_to_string(&again).unwrap());
    // a plain model can be sampled, with a word on why it makes no digits
    let plain = dir.path().join("plain.safetensors");
    train(&plain, &[]);
    let o = run(&[
        "sample",
        "--model",
        s(&plain),
        "--count",
        "2",
        "--out",
        s(&dir.path().join("p.csv")),
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("not a VAE"), "{}", stderr(&o));
}

#[test]
fn conv_models_train_as_every_variant() {
    let dir = tmp();
    for flags in [
        &["--variant", "denoising", "--noise", "mask:0.3"][..],
        &["--variant", "vae"][..],
        &["--variant", "sparse"][..],
        &["--variant", "contractive", "--contraction", "0.01"][..],
    ] {
        let path = dir.path().join("conv.safetensors");
        let mut args = vec![
            "train",
            "--dataset",
            "patterns",
            "--conv",
            "2:3:1:1",
            "--latent",
            "2",
            "--epochs",
            "3",
            "--batch",
            "4",
            "--out",
            s(&path),
        ];
        args.extend_from_slice(flags);
        ok(&args);
        let ck = checkpoint(&path);
        assert_eq!(ck.config.training.variant.name(), flags[1]);
        let e: Value = serde_json::from_str(&ok(&[
            "eval",
            "--model",
            s(&path),
            "--dataset",
            "patterns",
            "--json",
        ]))
        .unwrap();
        assert_eq!(e["variant"]["kind"], flags[1], "{e}");
        assert!(e["mse"].as_f64().unwrap().is_finite());
        if flags[1] == "vae" {
            // μ and log σ² for each of the 2 code units
            assert_eq!(ck.tensor("encoder.fc.weight").unwrap().shape[0], 4);
        }
    }
}

#[test]
fn decode_reads_what_encode_writes_and_names_a_column_it_cannot_use() {
    let dir = tmp();
    let vae = dir.path().join("vae.safetensors");
    train(&vae, &["--variant", "vae"]);
    let png = dir.path().join("grid.png");
    for file in ["codes.csv", "codes.npy"] {
        let codes = dir.path().join(file);
        // μ and log σ² (and the labels, where the data have them), as encode writes them
        ok(&[
            "encode",
            "--model",
            s(&vae),
            "--dataset",
            "patterns",
            "--logvar",
            "--out",
            s(&codes),
        ]);
        let o = run(&[
            "decode",
            "--model",
            s(&vae),
            "--codes",
            s(&codes),
            "--out",
            s(&png),
        ]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains("decoded 12 codes"), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("not part of"),
            "what is skipped is said: {}",
            stderr(&o)
        );
    }
    // a column that is no part of a code is named, not dropped
    let odd = dir.path().join("odd.csv");
    fs::write(&odd, "z0,z1,weight\n0.1,0.2,3\n").unwrap();
    bad(
        &[
            "decode",
            "--model",
            s(&vae),
            "--codes",
            s(&odd),
            "--out",
            s(&png),
        ],
        &["column 'weight' is not part of a code"],
    );
    // plain codes of the right width decode without a word
    let plain = dir.path().join("plain.csv");
    fs::write(&plain, "z0,z1\n0.1,0.2\n-0.3,0.4\n").unwrap();
    let o = run(&[
        "decode",
        "--model",
        s(&vae),
        "--codes",
        s(&plain),
        "--out",
        s(&png),
    ]);
    assert!(
        o.status.success() && !stderr(&o).contains("note:"),
        "{}",
        stderr(&o)
    );
}
