//! The `hourglass` binary, run as a user runs it: training, its outputs and what it prints,
//! evaluating, encoding, decoding and reconstructing. Bad input is in `refusals.rs`, the help
//! texts' and README's promises in `docs.rs`, your own data in `own_data.rs`.

mod common;

use std::fs;

use common::*;
use hourglass_core::{
    checkpoint::Checkpoint,
    data::{encode_png, read_csv, read_npy},
};
use serde_json::Value;

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
