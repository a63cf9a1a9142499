//! Training steps per second of a dense autoencoder on random 784-wide data or MNIST (batch 128, MSE,
//! Adam): the engine alone, with no page, no worker and no data files. Built natively it gives
//! the one-thread figure (`RAYON_NUM_THREADS=1`); built for `wasm32-wasip1` with `+simd128`
//! it runs under Node's WASI, so the browser engine's inner loop can be timed and profiled
//! (`node --cpu-prof`) away from a browser. Prints one line; asserts nothing.
//!
//! Usage: train_steps [LAYERS] [STEPS] [IDX.gz]   (default 784,100,50,25,2, 300 and random
//! pixels; an IDX file of images trains on those, e.g. /data/mnist/train-images-idx3-ubyte.gz
//! under `bench/wasm/wasi-run.mjs`)
//!
//! Native, one thread:
//!   RAYON_NUM_THREADS=1 cargo run --release -p hourglass-core --example train_steps
//! In wasm under Node's WASI (`bench/wasm/wasi-run.mjs`):
//!   rustup target add wasm32-wasip1
//!   RUSTFLAGS="-C target-feature=+simd128" cargo build --release --target wasm32-wasip1 \
//!     -p hourglass-core --example train_steps
//!   node --cpu-prof bench/wasm/wasi-run.mjs target/wasm32-wasip1/release/examples/train_steps.wasm
use hourglass_core::{
    architecture::{Architecture, Code},
    data::Dataset,
    glass::Activation,
    tensor::{
        Autoencoder, LossKind, Optimizer, Reconstruction, TrainOptions, Trainer, initial_tensors,
        training_device,
    },
    variant::Variant,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let layers: Vec<usize> = args
        .next()
        .unwrap_or_else(|| "784,100,50,25,2".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let steps: usize = args.next().map_or(Ok(300), |s| s.parse())?;
    let file = args.next();
    let width = layers[0];
    let (n, values) = match &file {
        // an IDX file of images (MNIST's, from /data under WASI): real digits, as the pages train
        Some(path) => {
            let idx = hourglass_core::data::read_idx(path, &std::fs::read(path)?)?;
            let values: Vec<f32> = idx.data.iter().map(|&b| b as f32 / 255.0).collect();
            (values.len() / width, values)
        }
        None => {
            let n = 10_000;
            // seeded pseudo-random pixels (an LCG: no data files and no extra crate on WASI)
            let mut state = 0x2545_f491_4f6c_dd1d_u64;
            let values = (0..n * width)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    (state >> 40) as f32 / (1u64 << 24) as f32
                })
                .collect();
            (n, values)
        }
    };
    let data = Dataset::new(file.as_deref().unwrap_or("random"), width, values, None)?;
    let arch = Architecture::Dense {
        layers: layers.clone(),
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let device = training_device();
    let model = Autoencoder::from_tensors(&arch, &initial_tensors(&arch, 7)?, &device)?;
    let opts = TrainOptions {
        variant: Variant::Plain,
        loss: LossKind::Mse,
        optimizer: Optimizer::adam(1e-3),
        batch_size: 128,
        epochs: usize::MAX,
        seed: 7,
    };
    let mut trainer = Trainer::new(model, n, &opts, Box::new(Reconstruction(LossKind::Mse)))?;
    let step = |trainer: &mut Trainer| -> Result<f64, hourglass_core::Error> {
        let report = trainer.step(&data)?;
        if report.epoch_done {
            trainer.end_epoch(None);
        }
        Ok(report.loss)
    };
    for _ in 0..20 {
        step(&mut trainer)?; // warm-up
    }
    let t0 = std::time::Instant::now();
    let mut loss = 0.0;
    for _ in 0..steps {
        loss = step(&mut trainer)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{layers:?}, batch 128: {:.1} steps/s ({steps} steps in {secs:.2} s, last loss {loss:.5})",
        steps as f64 / secs
    );
    Ok(())
}
