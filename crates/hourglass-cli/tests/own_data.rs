//! Your own data as the CLI reads it — CSV, NPY and image folders train, evaluate and encode;
//! text labels become classes — and what it does to a file is said, never done silently — a
//! column headed `label` is taken as the labels, grey images given colour channels (or colour
//! made grey) and other sizes resized are counted.

mod common;

use std::fs;

use common::*;
use hourglass_core::{checkpoint::Checkpoint, data::encode_png};
use serde_json::Value;

/// The last field of row `row` (0: the header) of a CSV file.
fn last_column(path: &std::path::Path, row: usize) -> String {
    let text = fs::read_to_string(path).unwrap();
    let line = text.lines().nth(row).unwrap_or_default();
    line.rsplit(',').next().unwrap_or_default().to_string()
}

fn train_on(data: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "train",
        "--dataset",
        s(data),
        "--layers",
        "3,2",
        "--batch",
        "2",
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

#[test]
fn a_column_headed_label_holds_the_labels() {
    let dir = tmp();
    let csv = dir.path().join("points.csv");
    fs::write(
        &csv,
        "a,b,c,label\n0.1,0.2,0.3,1\n0.4,0.5,0.6,0\n0.7,0.8,0.9,1\n0.2,0.1,0.0,0\n",
    )
    .unwrap();
    let model = dir.path().join("m.safetensors");
    let said = train_on(&csv, &model, &["--epochs", "1"]);
    assert!(
        said.contains("column 'label' taken as the labels"),
        "{said}"
    );
    // three features (not four): the label is no input
    let codes = dir.path().join("codes.csv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--dataset",
        s(&csv),
        "--out",
        s(&codes),
    ]);
    let text = fs::read_to_string(&codes).unwrap();
    assert_eq!(text.lines().next(), Some("z0,z1,label"));
    assert!(text.lines().nth(1).unwrap().ends_with(",1"), "{text}");
    // another column named on purpose is used instead, and nothing is said
    let said = train_on(&csv, &model, &["--epochs", "1", "--label-column", "a"]);
    assert!(!said.contains("taken as the labels"), "{said}");
}

#[test]
fn colour_and_other_sizes_are_said_when_made_to_fit() {
    let dir = tmp();
    let folder = dir.path().join("pictures");
    fs::create_dir(&folder).unwrap();
    // a colour 40×30 picture and a grey 28×28 one
    let colour = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 90])
    });
    colour.save(folder.join("a.png")).unwrap();
    let grey = image::GrayImage::from_fn(28, 28, |x, _| image::Luma([(x * 9) as u8]));
    grey.save(folder.join("b.png")).unwrap();
    let model = dir.path().join("m.safetensors");
    // as they are: colour, since one has colour; the grey one given three channels
    let o = run(&[
        "train",
        "--dataset",
        s(&folder),
        "--layers",
        "2352,16,2",
        "--epochs",
        "1",
        "--out",
        s(&model),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(
        said.contains("1 grey image given three equal colour channels"),
        "{said}"
    );
    assert!(
        said.contains("1 image resized to 28×28, 1 of them stretched"),
        "{said}"
    );
    // grey asked for: the colour one made grey
    let o = run(&[
        "train",
        "--dataset",
        s(&folder),
        "--colour",
        "grey",
        "--layers",
        "784,16,2",
        "--epochs",
        "1",
        "--out",
        s(&model),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 colour image made grey"),
        "{}",
        stderr(&o)
    );
    // a flag for image folders given with a file is refused, not ignored
    bad(
        &[
            "train",
            "--dataset",
            s(&folder.join("a.png")),
            "--colour",
            "grey",
            "--layers",
            "784,2",
            "--out",
            s(&model),
        ],
        &["--colour applies to image folders only"],
    );
}

#[test]
fn csv_outputs_are_in_the_datas_own_units() {
    let dir = tmp();
    let csv = dir.path().join("metres.csv");
    // values 0–100: scaled into [0, 1] to train, the scaling saved with the model
    let rows: String = (0..24)
        .map(|i| format!("{},{},{}\n", 4 * i, 100 - 4 * i, (i * 7) % 100))
        .collect();
    fs::write(&csv, format!("a,b,c\n{rows}")).unwrap();
    let model = dir.path().join("m.safetensors");
    train_on(&csv, &model, &["--epochs", "1"]);
    let rec = dir.path().join("rec.csv");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--dataset",
        s(&csv),
        "--count",
        "24",
        "--out",
        s(&rec),
    ]);
    let values: Vec<f32> = fs::read_to_string(&rec)
        .unwrap()
        .lines()
        .skip(1)
        .flat_map(|l| {
            l.split(',')
                .map(|v| v.parse::<f32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let max = values.iter().copied().fold(f32::MIN, f32::max);
    assert!(
        max > 10.0 && max <= 100.5,
        "in metres, not the 0–1 training scale: max {max}"
    );
    let decoded = dir.path().join("dec.csv");
    let codes = dir.path().join("z.csv");
    fs::write(&codes, "z0,z1\n0,0\n").unwrap();
    ok(&[
        "decode",
        "--model",
        s(&model),
        "--codes",
        s(&codes),
        "--out",
        s(&decoded),
    ]);
    let row: Vec<f32> = fs::read_to_string(&decoded)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(row.iter().any(|&v| v > 1.5), "{row:?}");
}

#[test]
fn class_names_are_kept_accepted_and_written() {
    let dir = tmp();
    let csv = dir.path().join("animals.csv");
    let rows: String = (0..12)
        .map(|i| {
            let animal = ["cat", "dog", "seven", "three"][i % 4];
            format!(
                "{},{},{},{animal}\n",
                i as f32 / 12.0,
                0.5,
                1.0 - i as f32 / 12.0
            )
        })
        .collect();
    fs::write(&csv, format!("a,b,c,animal\n{rows}")).unwrap();
    let model = dir.path().join("m.safetensors");
    // a class named by its name; a number is not taken for the 8th name in sorted order
    train_on(
        &csv,
        &model,
        &[
            "--epochs",
            "1",
            "--label-column",
            "animal",
            "--held-out",
            "seven",
        ],
    );
    let ck = Checkpoint::from_bytes("m", &fs::read(&model).unwrap()).unwrap();
    assert_eq!(
        ck.config.dataset.classes,
        Some(vec![
            "cat".into(),
            "dog".into(),
            "seven".into(),
            "three".into()
        ])
    );
    bad(
        &[
            "train",
            "--dataset",
            s(&csv),
            "--label-column",
            "animal",
            "--layers",
            "3,2",
            "--held-out",
            "7",
            "--out",
            s(&dir.path().join("x.safetensors")),
        ],
        &["'7' is not one of the classes", "cat, dog, seven, three"],
    );
    // anomaly takes names too
    let o = run(&[
        "anomaly",
        "--model",
        s(&model),
        "--dataset",
        s(&csv),
        "--label-column",
        "animal",
        "--held-out",
        "seven",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // encode and project write the names
    let codes = dir.path().join("codes.csv");
    ok(&[
        "encode",
        "--model",
        s(&model),
        "--dataset",
        s(&csv),
        "--label-column",
        "animal",
        "--out",
        s(&codes),
    ]);
    assert_eq!(last_column(&codes, 3), "seven");
    let map = dir.path().join("map.csv");
    ok(&[
        "project",
        "--dataset",
        s(&csv),
        "--label-column",
        "animal",
        "--method",
        "pca",
        "--trust-k",
        "0",
        "--out",
        s(&map),
    ]);
    assert_eq!(last_column(&map, 2), "dog");
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
