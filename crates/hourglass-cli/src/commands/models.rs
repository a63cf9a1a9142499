//! `hourglass models`: the models shipped inside the binary, which every command that takes
//! `--model` also reads by name.

use anyhow::Result;
use clap::Args;
use serde_json::json;

#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ModelsArgs) -> Result<()> {
    use hourglass_lab::shipped;
    let rows: Vec<_> = shipped::MODELS
        .iter()
        .map(|m| (m, shipped::quality(m.name)))
        .collect();
    if args.json {
        let list: Vec<_> = rows
            .iter()
            .map(|(m, q)| {
                json!({"name": m.name, "title": m.title, "dataset": m.dataset, "bytes": m.bytes.len(),
                       "layers": q.as_ref().map(|q| &q.layers), "latent": q.as_ref().map(|q| q.latent),
                       "test_mse": q.as_ref().map(|q| q.test_mse),
                       "pca_test_mse": q.as_ref().map(|q| q.pca_test_mse),
                       "command": q.as_ref().map(|q| &q.command)})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "models": list }))?
        );
        return Ok(());
    }
    println!("Models shipped in Hourglass (use the name wherever a command takes --model):");
    println!(
        "{:<12} {:<14} {:<20} {:>12} {:>12}",
        "name", "dataset", "layers", "test MSE", "PCA's MSE"
    );
    for (m, q) in &rows {
        let (layers, mse, pca) = match q {
            Some(q) => (
                q.layers.clone(),
                format!("{:.5}", q.test_mse),
                format!("{:.5}", q.pca_test_mse),
            ),
            None => ("?".into(), "?".into(), "?".into()),
        };
        println!(
            "{:<12} {:<14} {:<20} {:>12} {:>12}",
            m.name, m.dataset, layers, mse, pca
        );
    }
    println!(
        "\nEach was trained by Hourglass on the dataset's 60,000 training images; the MSE is over its 10,000 test images, beside PCA with as many components as the code has."
    );
    Ok(())
}
