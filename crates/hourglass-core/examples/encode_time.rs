//! Milliseconds to encode the Digits Lab's live map — 2,000 MNIST test digits through a
//! 784-100-50-25-2 encoder, as the page does every snapshot while the learner's model trains
//! — on the host path (`encode_host`). Built natively it gives the one-thread figure; built
//! for `wasm32-wasip1` with `+simd128` it runs under Node's WASI (`bench/wasm/wasi-run.mjs`,
//! which shows the datasets folder as `/data`). Prints one line; asserts nothing.
//!
//! Usage: encode_time [IDX.gz]   (default /data/mnist/t10k-images-idx3-ubyte.gz)
//!
//! Native, one thread:
//!   RAYON_NUM_THREADS=1 cargo run --release -p hourglass-core --example encode_time -- \
//!     ../shared/datasets/mnist/t10k-images-idx3-ubyte.gz
//! In wasm under Node's WASI:
//!   RUSTFLAGS="-C target-feature=+simd128" cargo build --release --target wasm32-wasip1 \
//!     -p hourglass-core --example encode_time
//!   node bench/wasm/wasi-run.mjs target/wasm32-wasip1/release/examples/encode_time.wasm
use hourglass_core::{
    architecture::{Architecture, Code},
    data::read_idx,
    glass::Activation,
    tensor::{Autoencoder, initial_tensors, training_device},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 2000;
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/data/mnist/t10k-images-idx3-ubyte.gz".into());
    let idx = read_idx(&path, &std::fs::read(&path)?)?;
    let values: Vec<f32> = idx.data[..n * 784]
        .iter()
        .map(|&b| b as f32 / 255.0)
        .collect();
    let arch = Architecture::Dense {
        layers: vec![784, 100, 50, 25, 2],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let model = Autoencoder::from_tensors(&arch, &initial_tensors(&arch, 7)?, &training_device())?;
    for _ in 0..3 {
        model.encode_host(&values, 1000); // warm-up
    }
    let runs = 20;
    let t0 = std::time::Instant::now();
    for _ in 0..runs {
        model.encode_host(&values, 1000);
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3 / runs as f64;
    println!("the map's {n} digits through 784-100-50-25-2: {ms:.2} ms an encode");
    Ok(())
}
