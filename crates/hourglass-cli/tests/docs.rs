//! What the help texts and the README promise, checked on the real binary: every flag
//! described, every page named, and the examples converging as they say.

mod common;

use std::fs;

use common::*;
use serde_json::Value;

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
