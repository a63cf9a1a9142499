//! Bad input to the `hourglass` binary, run as a user runs it: refused with exit code 2 and one
//! line naming the problem and what to do; nothing half-written, nothing lost, no flag ignored.

mod common;

use std::{fs, io::Write};

use common::*;
use hourglass_core::{checkpoint::Checkpoint, data::write_idx};

#[test]
fn a_split_given_for_a_set_without_parts_is_refused_not_ignored() {
    let dir = tmp();
    let model = dir.path().join("p.safetensors");
    train_patterns(&model, &[]);
    for cmd in ["eval", "encode"] {
        let mut args = vec![
            cmd,
            "--model",
            s(&model),
            "--dataset",
            "patterns",
            "--split",
            "train",
        ];
        let out = dir.path().join("codes.csv");
        if cmd == "encode" {
            args.extend(["--out", s(&out)]);
        }
        bad(
            &args,
            &[
                "--split train applies to mnist, fashion-mnist and photo-patches only; patterns is one set",
            ],
        );
    }
    // without --split it evaluates
    assert!(ok(&["eval", "--model", s(&model), "--dataset", "patterns"]).contains("MSE"));
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_problem() {
    let dir = tmp();
    let p = |name: &str| dir.path().join(name);
    let model = p("ok.safetensors");
    train_patterns(&model, &[]);

    // a truncated IDX and a wrong magic number
    let idx = write_idx(&[10, 3, 3], &[0; 90]);
    fs::write(p("trunc-idx3-ubyte"), &idx[..50]).unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&p("trunc-idx3-ubyte")),
            "--layers",
            "9,2",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["trunc-idx3-ubyte", "truncated"],
    );
    let mut wrong = idx.clone();
    wrong[0] = 0x42;
    fs::write(p("magic.idx"), &wrong).unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&p("magic.idx")),
            "--layers",
            "9,2",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["magic.idx", "magic number"],
    );
    // a ragged CSV row
    fs::write(p("ragged.csv"), "1,2,3\n4,5\n").unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&p("ragged.csv")),
            "--layers",
            "3,2",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["ragged.csv", "row 2 has 2 fields, expected 3"],
    );
    // an NPY of an unsupported dtype
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }\n";
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend_from_slice(&[0; 8]);
    fs::write(p("ints.npy"), npy).unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&p("ints.npy")),
            "--layers",
            "1,1",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["ints.npy", "unsupported dtype '<i8'"],
    );
    // a checkpoint missing a tensor
    let mut ck = Checkpoint::from_bytes("ok", &fs::read(&model).unwrap()).unwrap();
    ck.tensors.retain(|t| t.name != "decoder.1.bias");
    let bytes = {
        // to_bytes validates, so write the damaged file with the safetensors crate directly
        let raw: Vec<(String, Vec<usize>, Vec<u8>)> = ck
            .tensors
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.shape.clone(),
                    t.values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                )
            })
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView)> = raw
            .iter()
            .map(|(n, s, b)| {
                (
                    n.clone(),
                    safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                        .unwrap(),
                )
            })
            .collect();
        let meta = std::collections::HashMap::from([(
            "hourglass".to_string(),
            serde_json::to_string(&ck.config).unwrap(),
        )]);
        safetensors::serialize(views, Some(meta)).unwrap()
    };
    fs::write(p("missing.safetensors"), bytes).unwrap();
    bad(
        &[
            "eval",
            "--model",
            s(&p("missing.safetensors")),
            "--dataset",
            "patterns",
        ],
        &["missing.safetensors", "missing tensor 'decoder.1.bias'"],
    );
    let mut junk = fs::File::create(p("junk.safetensors")).unwrap();
    junk.write_all(b"definitely not safetensors").unwrap();
    bad(
        &[
            "eval",
            "--model",
            s(&p("junk.safetensors")),
            "--dataset",
            "patterns",
        ],
        &["junk.safetensors"],
    );
    // a layer list with a zero, a negative or NaN learning rate, an unknown dataset
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "9,0,3",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["size 0"],
    );
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "9,3",
            "--lr",
            "-0.1",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["--lr -0.1"],
    );
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "9,3",
            "--lr",
            "NaN",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["--lr NaN"],
    );
    bad(
        &[
            "train",
            "--dataset",
            "cifar-100",
            "--layers",
            "9,3",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["unknown dataset 'cifar-100'"],
    );
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "10,3",
            "--out",
            s(&p("x.safetensors")),
        ],
        &["--layers starts with 10", "9 values"],
    );
    bad(
        &[
            "eval",
            "--model",
            s(&model),
            "--dataset",
            "mnist",
            "--data-dir",
            s(&p("nowhere")),
        ],
        &["dataset 'mnist' not found", "data fetch"],
    );
    // nothing half-written was left behind by the failures
    assert!(!p("x").exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn nothing_is_lost_to_a_bad_output_path_a_huge_batch_or_an_input_as_output() {
    let dir = tmp();
    let d = dir.path();
    // a dataset file of our own
    let csv = d.join("self.csv");
    fs::write(&csv, "a,b,c\n0,0.5,1\n1,0.5,0\n0.2,0.4,0.6\n0.9,0.1,0.3\n").unwrap();
    let before = fs::read(&csv).unwrap();
    // the output is the input: refused, the input untouched
    bad(
        &[
            "train",
            "--dataset",
            s(&csv),
            "--layers",
            "3,2",
            "--epochs",
            "1",
            "--out",
            s(&csv),
        ],
        &["--out", "self.csv", "expected a .safetensors file"],
    );
    let same = d.join("self.safetensors");
    fs::copy(&csv, &same).unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&same),
            "--layers",
            "3,2",
            "--epochs",
            "1",
            "--out",
            s(&same),
        ],
        &["also an input", "refusing to overwrite"],
    );
    assert_eq!(fs::read(&csv).unwrap(), before);
    // a folder, or a model.pt, is refused before any training
    bad(
        &[
            "train",
            "--dataset",
            s(&csv),
            "--layers",
            "3,2",
            "--out",
            s(d),
        ],
        &["expected a .safetensors file"],
    );
    let folder = d.join("adir.safetensors");
    fs::create_dir(&folder).unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&csv),
            "--layers",
            "3,2",
            "--out",
            s(&folder),
        ],
        &["is a folder"],
    );
    bad(
        &[
            "train",
            "--dataset",
            s(&csv),
            "--layers",
            "3,2",
            "--out",
            s(&d.join("model.pt")),
        ],
        &["model.pt", ".safetensors"],
    );
    // a missing folder is created, and said so; a batch larger than the data is the data
    let nested = d.join("nodir/sub/m.safetensors");
    let o = run(&[
        "train",
        "--dataset",
        s(&csv),
        "--layers",
        "3,2",
        "--epochs",
        "2",
        "--batch",
        "100000000",
        "--val-split",
        "0",
        "--out",
        s(&nested),
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("created the folder") && err.contains("using 4"),
        "{err}"
    );
    // not a terminal: one plain line per epoch in the log
    assert_eq!(
        err.lines().filter(|l| l.starts_with("epoch ")).count(),
        2,
        "{err}"
    );
    let ck = Checkpoint::from_bytes("m", &fs::read(&nested).unwrap()).unwrap();
    assert_eq!(ck.config.training.batch_size, 4);
    // files get the umask's permissions; a read-only target is not replaced
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&nested).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o044,
            0o044,
            "readable by group and others: {mode:o}"
        );
        let locked = d.join("locked.safetensors");
        fs::copy(&nested, &locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o444)).unwrap();
        bad(
            &[
                "train",
                "--dataset",
                s(&csv),
                "--layers",
                "3,2",
                "--out",
                s(&locked),
            ],
            &["read-only", "refusing to replace"],
        );
    }
    // decode's output may not be its codes
    let codes = d.join("lc.csv");
    fs::write(&codes, "z0,z1\n0.1,0.2\n").unwrap();
    bad(
        &[
            "decode",
            "--model",
            s(&nested),
            "--codes",
            s(&codes),
            "--out",
            s(&codes),
        ],
        &["also an input"],
    );
}

#[test]
fn flags_that_would_be_ignored_are_refused() {
    let dir = tmp();
    let out = dir.path().join("m.safetensors");
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "9,3",
            "--momentum",
            "0.5",
            "--out",
            s(&out),
        ],
        &["--momentum applies to --optimizer sgd only"],
    );
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--conv",
            "4:3:2",
            "--latent",
            "2",
            "--out",
            s(&out),
        ],
        // the Studio refuses the same layer in the same words (one grammar, in core)
        &[
            "--conv 4:3:2",
            "conv layer 1: '4:3:2' is not filters:kernel:stride:padding: give four whole numbers (e.g. 16:3:2:1), so the padding is not a guess",
        ],
    );
    // --latent belongs to conv models
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "9,3",
            "--latent",
            "2",
            "--out",
            s(&out),
        ],
        &["--latent", "--conv", "last of --layers"],
    );
    assert!(!out.exists());
}

#[test]
fn messages_say_what_to_do_and_values_take_any_case() {
    let dir = tmp();
    let model = dir.path().join("p.safetensors");
    // --output-activation names what it sets; --output is not a thing (it read as a file)
    train_patterns(&model, &["--output-activation", "linear"]);
    let ck = Checkpoint::from_bytes("p", &fs::read(&model).unwrap()).unwrap();
    assert!(
        serde_json::to_string(&ck.config.architecture)
            .unwrap()
            .contains("linear")
    );
    let o = run(&[
        "train",
        "--dataset",
        "patterns",
        "--layers",
        "9,3",
        "--output",
        "x.safetensors",
        "--out",
        s(&dir.path().join("q.safetensors")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // a file that is not there is said to be missing (not an "unknown dataset")
    bad(
        &[
            "eval",
            "--model",
            s(&model),
            "--dataset",
            s(&dir.path().join("nope.csv")),
        ],
        &["nope.csv", "no such file"],
    );
    // any case: --optimizer Adam, --dataset MNIST, --activation Relu
    let data = data_dir();
    ok(&[
        "train",
        "--dataset",
        "MNIST",
        "--data-dir",
        s(&data),
        "--limit",
        "200",
        "--layers",
        "784,8",
        "--activation",
        "Relu",
        "--optimizer",
        "Adam",
        "--loss",
        "MSE",
        "--epochs",
        "1",
        "--out",
        s(&dir.path().join("m.safetensors")),
    ]);
}
