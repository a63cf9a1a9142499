//! The `hourglass` binary, run as a user runs it.

mod common;

use std::{fs, io::Write};

use common::*;
use hourglass_core::{
    checkpoint::Checkpoint,
    data::{encode_png, read_csv, read_npy, write_idx},
};
use serde_json::Value;

fn train_patterns(out: &std::path::Path, extra: &[&str]) -> String {
    let mut args = common::TRAIN_PATTERNS.to_vec();
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

/// The flags of a `--help` text that have no description.
fn undescribed(help: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let lines: Vec<&str> = help.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if !(t.starts_with("--") || t.starts_with("-h")) || l.len() - t.len() < 2 {
            continue;
        }
        // the description follows the flag after two or more spaces, or on the next line
        let described = t
            .split_once("  ")
            .is_some_and(|(_, d)| !d.trim().is_empty())
            || lines
                .get(i + 1)
                .is_some_and(|n| n.starts_with("          ") && !n.trim().is_empty());
        if !described {
            missing.push(t.to_string());
        }
    }
    missing
}

#[test]
fn help_on_every_command_describes_every_flag_and_has_examples() {
    let commands: [&[&str]; 10] = [
        &["serve"],
        &["train"],
        &["eval"],
        &["encode"],
        &["decode"],
        &["reconstruct"],
        &["metrics"],
        &["bench"],
        &["data", "list"],
        &["data", "fetch"],
    ];
    for cmd in commands {
        let out = ok(&[cmd, &["--help"]].concat());
        assert!(
            out.contains("Example"),
            "{cmd:?} --help has no example:\n{out}"
        );
        let missing = undescribed(&out);
        assert!(
            missing.is_empty(),
            "{cmd:?} --help: no description for {missing:?}"
        );
    }
    assert_eq!(
        undescribed("      --seed <SEED>\n  -h, --help  Print help"),
        ["--seed <SEED>"]
    );
}

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
fn a_denoising_models_loss_line_says_which_noise_it_was_measured_with() {
    let dir = tmp();
    let model = dir.path().join("dae.safetensors");
    train_patterns(
        &model,
        &["--variant", "denoising", "--noise", "gaussian:0.1"],
    );
    let out = ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        "patterns",
        "--noise",
        "mask:0.3",
    ]);
    assert!(!out.contains("()"), "{out}");
    assert!(
        out.contains("denoising loss") && out.contains("the model's own noise, gaussian:0.1"),
        "{out}"
    );
    assert!(out.contains("on corrupted inputs (mask:0.3"), "{out}");
}

#[test]
fn one_epoch_is_said_as_one_epoch() {
    let dir = tmp();
    let out = dir.path().join("p.safetensors");
    let o = run(&[
        "train",
        "--dataset",
        "patterns",
        "--layers",
        "9,6,3",
        "--epochs",
        "1",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("after 1 epoch in"), "{}", stderr(&o));
}

#[test]
fn help_names_every_page_the_server_serves() {
    for args in [&["--help"][..], &["serve", "--help"]] {
        let out = ok(args);
        for page in hourglass_server::pages::PAGES {
            assert!(
                out.contains(page.title),
                "{args:?} names no {}:\n{out}",
                page.title
            );
        }
    }
    assert!(ok(&["serve", "--help"]).contains("pages: Glass Box, 3D Latent Explorer, Digits Lab"));
}

#[test]
fn train_json_prints_only_epochs_and_a_summary() {
    let dir = tmp();
    let model = dir.path().join("p.safetensors");
    let out = train_patterns(&model, &["--json"]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(lines.len(), 41, "40 epochs and a summary");
    for (i, l) in lines[..40].iter().enumerate() {
        assert_eq!(l["epoch"], i + 1);
        for key in ["train_loss", "val_loss", "seconds"] {
            assert!(l[key].is_f64(), "{key} missing in {l}");
        }
    }
    let summary = &lines[40];
    assert_eq!(summary["summary"], true);
    assert_eq!(summary["epochs"], 40);
    let first = lines[0]["train_loss"].as_f64().unwrap();
    let last = lines[39]["train_loss"].as_f64().unwrap();
    assert!(last < first, "training lowered the loss: {first} -> {last}");
    let ck = Checkpoint::from_bytes("p", &fs::read(&model).unwrap()).unwrap();
    assert_eq!(ck.config.epochs_trained, 40);
    assert_eq!(ck.config.training.seed, 1);
    assert_eq!(ck.config.dataset.name, "patterns");
    assert!(ck.config.metrics.contains_key("val_loss"));
}

#[test]
fn same_seed_same_checkpoint() {
    let dir = tmp();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    train_patterns(&a, &["--seed", "7"]);
    train_patterns(&b, &["--seed", "7"]);
    let load = |p| {
        Checkpoint::from_bytes("x", &fs::read(p).unwrap())
            .unwrap()
            .tensors
    };
    assert_eq!(load(&a), load(&b));
}

#[test]
fn mnist_train_eval_encode_decode_reconstruct() {
    let data = data_dir();
    let dir = tmp();
    let model = dir.path().join("m.safetensors");
    let d = s(&data);
    ok(&[
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        d,
        "--limit",
        "3000",
        "--layers",
        "784,64,16",
        "--epochs",
        "3",
        "--batch",
        "64",
        "--lr",
        "0.003",
        "--out",
        s(&model),
    ]);
    let eval: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        d,
        "--limit",
        "500",
        "--json",
    ]))
    .unwrap();
    assert_eq!(eval["samples"], 500);
    let mse = eval["mse"].as_f64().unwrap();
    assert!(
        mse > 0.0 && mse < 0.06,
        "a 3-epoch model reconstructs better than a blank image: {mse}"
    );
    assert!(eval["psnr"].as_f64().unwrap() > 12.0);
    let ssim = eval["ssim"].as_f64().unwrap();
    assert!(ssim > 0.2 && ssim < 1.0, "{ssim}");
    assert!(eval["bce"].as_f64().unwrap() > 0.0);

    // encode: CSV with labels, NPY with labels as the last column
    let csv = dir.path().join("codes.csv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        d,
        "--limit",
        "20",
        "--out",
        s(&csv),
    ]);
    let codes = read_csv(
        "codes",
        &fs::read(&csv).unwrap(),
        Some(&"label".parse().unwrap()),
    )
    .unwrap();
    assert_eq!((codes.len(), codes.features), (20, 16));
    assert_eq!(
        codes.labels.as_ref().unwrap()[..3],
        [7, 2, 1],
        "the first test digits are 7, 2, 1"
    );
    let npy = dir.path().join("codes.npy");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        d,
        "--limit",
        "20",
        "--out",
        s(&npy),
    ]);
    let n = read_npy("codes", &fs::read(&npy).unwrap()).unwrap();
    assert_eq!(n.features, 17);
    assert_eq!(n.sample(0)[16], 7.0);
    assert!((n.sample(0)[0] - codes.sample(0)[0]).abs() < 1e-5);

    // decode both back to a grid of 20 images: 16 per row → 2 rows of 29-pixel cells
    for codes in [&csv, &npy] {
        let png = dir.path().join("decoded.png");
        ok(&[
            "decode",
            "--model",
            s(&model),
            "--codes",
            s(codes),
            "--out",
            s(&png),
        ]);
        let img = image::open(&png).unwrap();
        assert_eq!((img.width(), img.height()), (16 * 29 + 1, 2 * 29 + 1));
    }

    // reconstruct: originals above reconstructions
    let grid = dir.path().join("grid.png");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--dataset",
        "mnist",
        "--data-dir",
        d,
        "--count",
        "8",
        "--out",
        s(&grid),
    ]);
    let img = image::open(&grid).unwrap().to_luma8();
    assert_eq!(img.dimensions(), (8 * 29 + 1, 2 * 29 + 1));
    // the top-left original is a 7: dark background, bright strokes in the cell
    let cell_max = (1..29)
        .flat_map(|y| (1..29).map(move |x| (x, y)))
        .map(|(x, y)| img.get_pixel(x, y)[0])
        .max();
    assert_eq!(cell_max, Some(255));
}

#[test]
fn conv_model_trains_on_fashion_mnist() {
    let data = data_dir();
    let dir = tmp();
    let model = dir.path().join("c.safetensors");
    let out = ok(&[
        "train",
        "--dataset",
        "fashion-mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "1000",
        "--conv",
        "8:3:2:1,16:3:2:1",
        "--latent",
        "16",
        "--epochs",
        "2",
        "--batch",
        "50",
        "--lr",
        "0.003",
        "--json",
        "--out",
        s(&model),
    ]);
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["epochs"], 2);
    let ck = Checkpoint::from_bytes("c", &fs::read(&model).unwrap()).unwrap();
    assert!(ck.tensor("decoder.deconv.1.weight").is_some());
    let eval: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        "fashion-mnist",
        "--data-dir",
        s(&data),
        "--limit",
        "100",
        "--json",
    ]))
    .unwrap();
    assert!(eval["mse"].as_f64().unwrap() < 0.2);
}

#[test]
fn own_data_csv_npy_and_image_folder() {
    let dir = tmp();
    // CSV with a header and a label column; values outside [0, 1] are scaled into it
    let csv = dir.path().join("points.csv");
    let mut text = String::from("a,b,c,d,kind\n");
    for i in 0..40 {
        let t = i as f32 / 10.0;
        text.push_str(&format!("{},{},{},{},{}\n", t, 2.0 * t, -t, t * t, i % 3));
    }
    fs::write(&csv, text).unwrap();
    let model = dir.path().join("csv.safetensors");
    let out = run(&[
        "train",
        "--dataset",
        s(&csv),
        "--label-column",
        "kind",
        "--layers",
        "4,2",
        "--epochs",
        "2",
        "--batch",
        "8",
        "--out",
        s(&model),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("scaled linearly"));
    let ck = Checkpoint::from_bytes("csv", &fs::read(&model).unwrap()).unwrap();
    // values span [-3.9, 3.9²]: the saved scaling maps them to [0, 1]
    let sc = ck.config.dataset.scaling;
    assert!(
        (sc.offset + 3.9).abs() < 1e-5 && (sc.scale - (3.9 * 3.9 + 3.9)).abs() < 1e-4,
        "{sc:?}"
    );
    // eval applies the model's scaling to the same file
    let eval: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        s(&csv),
        "--label-column",
        "kind",
        "--json",
    ]))
    .unwrap();
    assert_eq!(eval["samples"], 40);
    assert!(eval["ssim"].is_null(), "no SSIM for non-image data");

    // a folder of PNGs in two class folders
    for (k, class) in ["circles", "squares"].iter().enumerate() {
        let sub = dir.path().join("imgs").join(class);
        fs::create_dir_all(&sub).unwrap();
        for i in 0..3 {
            let v: Vec<f32> = (0..64)
                .map(|p| ((p + i + k * 7) % 5) as f32 / 4.0)
                .collect();
            fs::write(sub.join(format!("{i}.png")), encode_png(&v, 8, 8).unwrap()).unwrap();
        }
    }
    let imgs = dir.path().join("imgs");
    let model = dir.path().join("img.safetensors");
    ok(&[
        "train",
        "--dataset",
        s(&imgs),
        "--image-size",
        "12",
        "--layers",
        "144,4",
        "--epochs",
        "1",
        "--out",
        s(&model),
    ]);
    let ck = Checkpoint::from_bytes("img", &fs::read(&model).unwrap()).unwrap();
    assert_eq!(ck.config.dataset.image_shape, Some([12, 12]));
    assert_eq!(
        ck.config.dataset.train_samples + ck.config.dataset.val_samples,
        6
    );
    // encode reads the folder as the model was trained on it (12×12), without being told
    let codes = dir.path().join("img-codes.csv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--dataset",
        s(&imgs),
        "--out",
        s(&codes),
    ]);
    assert_eq!(fs::read_to_string(&codes).unwrap().lines().count(), 7);
    // told otherwise, the message names the size to use
    bad(
        &[
            "encode",
            "--model",
            s(&model),
            "--dataset",
            s(&imgs),
            "--image-size",
            "28",
            "--out",
            s(&codes),
        ],
        &["784 values per sample", "takes 144", "--image-size 12"],
    );
}

fn ssim_images() -> (Vec<f32>, Vec<f32>) {
    // the formulas of ssim.rs's test_images (and tests/ssim_reference.py), 28×28
    let (h, w) = (28, 28);
    let mut a = vec![0.0f32; h * w];
    let mut b = vec![0.0f32; h * w];
    for yy in 0..h {
        for xx in 0..w {
            let (y, x) = (yy as f32, xx as f32);
            let base = 0.5 + 0.4 * ((x * 0.3).sin() * (y * 0.2).cos());
            a[yy * w + xx] = base;
            b[yy * w + xx] = (base + 0.1 * ((x * 1.7 + y * 2.3).sin())).clamp(0.0, 1.0);
        }
    }
    (a, b)
}

#[test]
fn metrics_of_two_pngs_match_scikit_image() {
    let dir = tmp();
    let (a, b) = ssim_images();
    let (pa, pb) = (dir.path().join("a.png"), dir.path().join("b.png"));
    fs::write(&pa, encode_png(&a, 28, 28).unwrap()).unwrap();
    fs::write(&pb, encode_png(&b, 28, 28).unwrap()).unwrap();
    let v: Value = serde_json::from_str(&ok(&["metrics", s(&pa), s(&pb), "--json"])).unwrap();
    // scikit-image 0.26.0 on the same 8-bit images (tests/ssim_reference.py, SKIMAGE_AB_PNG)
    let ssim = v["ssim"].as_f64().unwrap();
    assert!((ssim - 0.7772317395963052).abs() < 1e-4, "{ssim}");
    assert!(v["psnr"].as_f64().unwrap() > 15.0);
    let same: Value = serde_json::from_str(&ok(&["metrics", s(&pa), s(&pa), "--json"])).unwrap();
    assert_eq!(same["ssim"], 1.0);
    assert!(
        same["psnr"].is_null(),
        "identical images have infinite PSNR"
    );
    let human = ok(&["metrics", s(&pa), s(&pb)]);
    assert!(human.contains("PSNR") && human.contains("SSIM"));
    // no "inf dB" beside JSON's null: the text says why there is no number
    let human = ok(&["metrics", s(&pa), s(&pa)]);
    assert!(!human.contains("inf dB"), "{human}");
    assert!(
        human.contains("PSNR  infinite: the images are identical"),
        "{human}"
    );
    let small = dir.path().join("small.png");
    fs::write(&small, encode_png(&[0.5; 16], 4, 4).unwrap()).unwrap();
    bad(&["metrics", s(&pa), s(&small)], &["same size"]);
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
fn ctrl_c_stops_training_and_still_saves_the_model() {
    let dir = tmp();
    let model = dir.path().join("interrupted.safetensors");
    let mut child = bin()
        .args([
            "train",
            "--dataset",
            "patterns",
            "--layers",
            "9,6,3",
            "--batch",
            "1",
            "--epochs",
            "100000000",
            "--json",
            "--out",
            s(&model),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait for the first epoch line, then interrupt
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    assert!(first.contains("\"epoch\":1"), "{first}");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    let exit = child.wait().unwrap();
    // saved, then the exit code of an interrupted program
    assert_eq!(exit.code(), Some(130), "exit {exit:?}");
    let summary: Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(summary["stopped_early"], true);
    // the epoch it stopped in is marked as partial, and not counted
    let epochs: Vec<Value> = std::iter::once(first.as_str())
        .chain(rest.lines())
        .filter(|l| l.contains("\"epoch\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let partial = epochs.iter().filter(|e| e["partial"] == true).count();
    assert!(partial <= 1);
    assert_eq!(
        summary["epochs"].as_u64().unwrap() as usize,
        epochs.len() - partial
    );
    let ck = Checkpoint::from_bytes("i", &fs::read(&model).unwrap()).unwrap();
    assert!(ck.config.epochs_trained >= 1);
    // the file says the same: every epoch in its history, the cut one marked partial
    let h = &ck.config.history;
    assert_eq!(h.len(), epochs.len());
    assert_eq!(h.iter().filter(|e| e.partial).count(), partial);
    assert_eq!(
        ck.config.epochs_trained,
        h.iter().filter(|e| !e.partial).count()
    );
    for (e, line) in h.iter().zip(&epochs) {
        assert_eq!(e.partial, line["partial"] == true, "epoch {}", e.epoch);
    }
}

#[test]
fn bench_quick_measures_the_glass_box_and_refuses_unknown_workloads() {
    let out = ok(&["bench", "--quick", "--only", "W3"]);
    let row = out
        .lines()
        .find(|l| l.starts_with("W3"))
        .unwrap_or_else(|| panic!("no W3 row:\n{out}"));
    // the Hourglass column holds a positive rate
    let rate: f64 = row
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("a number in the W3 row");
    assert!(rate > 0.0, "{row}");
    assert!(out.contains("QUICK"), "{out}");
    let o = run(&["bench", "--only", "W10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown workload 'W10'"));
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

#[test]
fn grids_are_a_sensible_size_and_non_images_reconstruct_to_csv() {
    let dir = tmp();
    let p = |n: &str| dir.path().join(n);
    let model = p("p.safetensors");
    train_patterns(&model, &[]);
    // 3×3 patterns: each image scaled up to at least 28 px
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--dataset",
        "patterns",
        "--out",
        s(&p("r.png")),
    ]);
    let img = image::open(p("r.png")).unwrap();
    assert!(
        img.width() >= 12 * 28 && img.height() >= 2 * 28,
        "{}×{}",
        img.width(),
        img.height()
    );
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--dataset",
        "patterns",
        "--scale",
        "1",
        "--out",
        s(&p("small.png")),
    ]);
    assert!(image::open(p("small.png")).unwrap().width() < img.width());
    // decode draws the first 64 codes by default, and says so
    let codes: String = std::iter::once("z0,z1,z2\n".to_string())
        .chain((0..100).map(|i| {
            format!(
                "{},{},0.5\n",
                (i % 10) as f32 / 10.0,
                (i / 10) as f32 / 10.0
            )
        }))
        .collect();
    fs::write(p("codes.csv"), codes).unwrap();
    let o = run(&[
        "decode",
        "--model",
        s(&model),
        "--codes",
        s(&p("codes.csv")),
        "--out",
        s(&p("d.png")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("first 64 of 100"), "{}", stderr(&o));
    bad(
        &[
            "decode",
            "--model",
            s(&model),
            "--codes",
            s(&p("codes.csv")),
            "--count",
            "0",
            "--out",
            s(&p("d.png")),
        ],
        &["--count"],
    );
    // a model of plain vectors: a .png is refused naming the .csv to write; the .csv works
    let csv = p("vec.csv");
    fs::write(&csv, "a,b,c,d\n0,0.5,1,0.2\n1,0.5,0,0.4\n0.2,0.4,0.6,0.8\n").unwrap();
    let vmodel = p("v.safetensors");
    ok(&[
        "train",
        "--dataset",
        s(&csv),
        "--layers",
        "4,2",
        "--epochs",
        "2",
        "--val-split",
        "0",
        "--out",
        s(&vmodel),
    ]);
    bad(
        &[
            "reconstruct",
            "--model",
            s(&vmodel),
            "--dataset",
            s(&csv),
            "--out",
            s(&p("rec.png")),
        ],
        &["not trained on images", "rec.csv"],
    );
    ok(&[
        "reconstruct",
        "--model",
        s(&vmodel),
        "--dataset",
        s(&csv),
        "--out",
        s(&p("rec.csv")),
    ]);
    let rec = fs::read_to_string(p("rec.csv")).unwrap();
    assert_eq!(rec.lines().count(), 4, "{rec}");
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
fn csv_text_labels_become_classes_and_uneven_columns_are_pointed_out() {
    let dir = tmp();
    let csv = dir.path().join("pets.csv");
    fs::write(
        &csv,
        "id,x,y,kind\n1000,0.1,0.2,dog\n2000,0.3,0.1,cat\n3000,0.2,0.4,dog\n4000,0.5,0.3,bird\n",
    )
    .unwrap();
    let out = dir.path().join("pets.safetensors");
    // without --label-column: the text column is named, with the flag to add
    bad(
        &[
            "train",
            "--dataset",
            s(&csv),
            "--layers",
            "4,2",
            "--out",
            s(&out),
        ],
        &["'dog'", "--label-column kind"],
    );
    let o = run(&[
        "train",
        "--dataset",
        s(&csv),
        "--label-column",
        "kind",
        "--layers",
        "3,2",
        "--epochs",
        "1",
        "--val-split",
        "0",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("squeezes the narrow ones"),
        "{}",
        stderr(&o)
    );
    // the labels came through as classes: encode writes them
    let codes = dir.path().join("codes.csv");
    ok(&[
        "encode",
        "--model",
        s(&out),
        "--dataset",
        s(&csv),
        "--label-column",
        "kind",
        "--out",
        s(&codes),
    ]);
    let text = fs::read_to_string(&codes).unwrap();
    let labels: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    // by their names (the classes' names are kept with the model and the data)
    assert_eq!(labels, ["dog", "cat", "dog", "bird"]);
}

#[test]
fn the_readme_first_example_converges_as_the_readme_says() {
    // README, "The CLI": the patterns example, as written there
    let readme =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(readme.contains(
        "hourglass train --dataset patterns --layers 9,6,3 --activation tanh --optimizer adam \\\n    --lr 0.01 --batch 4 --epochs 1000 --val-split 0 --out patterns.safetensors"
    ));
    assert!(readme.contains("ends near MSE 0.0008"));
    let dir = tmp();
    let model = dir.path().join("patterns.safetensors");
    ok(&[
        "train",
        "--dataset",
        "patterns",
        "--layers",
        "9,6,3",
        "--activation",
        "tanh",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch",
        "4",
        "--epochs",
        "1000",
        "--val-split",
        "0",
        "--out",
        s(&model),
    ]);
    let mse = patterns_mse(&model);
    assert!(mse < 0.0012, "MSE {mse}");
}

#[test]
fn the_help_sgd_example_learns_its_patterns() {
    // `train --help`'s SGD example, run as written (only the output path moved): it once
    // ended at MSE 0.23, no better than guessing the mean pattern
    let help = ok(&["train", "--help"]);
    let line = help
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("hourglass train") && l.contains("--optimizer sgd"))
        .expect("an SGD example in train --help");
    let dir = tmp();
    let model = dir.path().join("glass.safetensors");
    let mut args: Vec<String> = line
        .split_whitespace()
        .skip(2) // "hourglass train"
        .map(str::to_string)
        .collect();
    assert_eq!(args[0], "--dataset");
    let out = args.iter().position(|a| a == "--out").unwrap();
    args[out + 1] = s(&model).to_string();
    let mut all = vec!["train"];
    all.extend(args.iter().map(String::as_str));
    ok(&all);
    let mse = patterns_mse(&model);
    assert!(mse < 0.03, "MSE {mse}: the example learns nothing");
}

/// `hourglass eval`'s MSE of `model` over the 12 patterns.
fn patterns_mse(model: &std::path::Path) -> f64 {
    let e: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(model),
        "--dataset",
        "patterns",
        "--json",
    ]))
    .unwrap();
    e["mse"].as_f64().unwrap()
}
