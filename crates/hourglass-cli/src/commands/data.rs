//! `hourglass data list` and `hourglass data fetch`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use serde_json::json;

use hourglass_data::{
    catalog,
    fetch::{self, FetchEvent},
};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Each known dataset, where it was found, and whether its files verify (exits 2 when one
    /// fails its checksums)
    #[command(
        after_help = "Examples:\n  hourglass data list\n  hourglass data list --data-dir ./data --json"
    )]
    List {
        /// Look in this folder first (then $HOURGLASS_DATA, the user cache, Debian's folder)
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Print one JSON array
        #[arg(long)]
        json: bool,
    },
    /// Download a dataset's four files and verify each one's sha256
    #[command(
        after_help = "Examples:\n  hourglass data fetch mnist\n  hourglass data fetch fashion-mnist --data-dir ./data --mirror http://127.0.0.1:8000/fashion-mnist/"
    )]
    Fetch {
        /// mnist or fashion-mnist
        name: String,
        /// Where to put it (as DIR/NAME/); defaults to $HOURGLASS_DATA, then the user cache
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Download from this base URL (URL/NAME/…, as `serve --mirror` takes it) instead of the
        /// public mirrors
        #[arg(long, value_name = "URL")]
        mirror: Option<String>,
        /// No progress output
        #[arg(long)]
        quiet: bool,
    },
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::List { data_dir, json } => {
            let mut rows = Vec::new();
            for ds in &catalog::KNOWN {
                let found = catalog::locate(ds, data_dir.as_deref());
                let (status, problems) = match &found {
                    None => ("missing", vec![]),
                    Some((_, dir)) => {
                        let problems: Vec<String> = ds
                            .files
                            .iter()
                            .filter_map(|f| {
                                let p = catalog::file_in(dir, f.name).expect("located");
                                catalog::verify(f, &p).err().map(|e| e.to_string())
                            })
                            .collect();
                        (
                            if problems.is_empty() {
                                "verified"
                            } else {
                                "corrupt"
                            },
                            problems,
                        )
                    }
                };
                let looked: Vec<String> = catalog::search_roots(data_dir.as_deref())
                    .iter()
                    .map(|(_, r)| r.join(ds.name).display().to_string())
                    .chain(ds.system_dir.map(str::to_string))
                    .collect();
                rows.push(json!({
                    "name": ds.name,
                    "searched": looked,
                    "path": found.as_ref().map(|(_, d)| d.display().to_string()),
                    "source": found.as_ref().map(|(w, _)| w.clone()),
                    "status": status,
                    "verified": status == "verified",
                    "problems": problems,
                }));
            }
            rows.push(json!({"name": "patterns", "path": null, "source": "built in", "status": "built in", "verified": true, "problems": []}));
            rows.push(json!({"name": "photo-patches", "path": null, "source": "built in: 64×64 colour patches of scikit-image's photographs", "status": "built in", "verified": true, "problems": []}));
            let corrupt: Vec<String> = rows
                .iter()
                .filter(|r| r["status"] == "corrupt")
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for r in rows {
                    println!(
                        "{:<14} {:<9} {}",
                        r["name"].as_str().unwrap_or(""),
                        r["status"].as_str().unwrap_or(""),
                        match (r["path"].as_str(), r["source"].as_str()) {
                            (Some(p), Some(s)) => format!("{p} ({s})"),
                            (None, Some(s)) => s.to_string(),
                            _ => format!(
                                "not found in {}: run `hourglass data fetch {}`",
                                r["searched"]
                                    .as_array()
                                    .map(|a| a
                                        .iter()
                                        .filter_map(|v| v.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", "))
                                    .unwrap_or_default(),
                                r["name"].as_str().unwrap_or("")
                            ),
                        }
                    );
                    for p in r["problems"].as_array().into_iter().flatten() {
                        println!("    {}", p.as_str().unwrap_or(""));
                    }
                }
            }
            if !corrupt.is_empty() {
                bail!(
                    "{} failed its checksums: run `hourglass data fetch {}` to download it again",
                    corrupt.join(" and "),
                    corrupt[0]
                );
            }
            Ok(())
        }
        DataCommand::Fetch {
            name,
            data_dir,
            mirror,
            quiet,
        } => {
            let ds = catalog::known(&name).ok_or_else(|| {
                anyhow!("unknown dataset '{name}' (expected mnist or fashion-mnist)")
            })?;
            let root = catalog::search_roots(data_dir.as_deref())
                .into_iter()
                .next()
                .map(|(_, r)| r)
                .ok_or_else(|| anyhow!("no folder to download into; pass --data-dir"))?;
            let mirrors: Vec<String> = match mirror {
                Some(m) => vec![catalog::mirror_folder(&m, ds.name)],
                None => ds.mirrors.iter().map(|m| m.to_string()).collect(),
            };
            let dir = root.join(ds.name);
            // one bar per file, made when its first bytes arrive
            let mut bar: Option<ProgressBar> = None;
            let done_with = |bar: &mut Option<ProgressBar>, what: &str, p: &std::path::Path| {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                if !quiet {
                    eprintln!("{}: {what}", p.display());
                }
            };
            fetch::fetch(ds, &mirrors, &dir, &mut |e| match e {
                FetchEvent::Bytes { file, done, total } => {
                    let b = bar.get_or_insert_with(|| {
                        let b = if quiet {
                            ProgressBar::hidden()
                        } else {
                            ProgressBar::new(total.unwrap_or(0))
                        };
                        b.set_style(
                            ProgressStyle::with_template(
                                "{msg:30} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
                            )
                            .expect("valid template"),
                        );
                        b.set_message(file.clone());
                        b
                    });
                    b.set_position(*done);
                }
                FetchEvent::Present(p) => done_with(&mut bar, "already present and verified", p),
                FetchEvent::Downloaded(p) => done_with(&mut bar, "downloaded and verified", p),
            })?;
            println!("{}", dir.display());
            Ok(())
        }
    }
}
