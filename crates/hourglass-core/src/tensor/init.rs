//! Seeded initial weights, drawn exactly as PyTorch's defaults draw them (uniform in
//! ±1/√fan_in for weights and biases), so a run here starts like the same PyTorch script.

use crate::{Error, architecture::Architecture, checkpoint::NamedTensor, rng::Rng};

/// Every tensor of `arch`, freshly drawn from `seed`, in PyTorch layout.
pub fn initial_tensors(arch: &Architecture, seed: u64) -> Result<Vec<NamedTensor>, Error> {
    let mut rng = Rng::new(seed);
    let specs = arch.tensor_specs()?;
    let mut out: Vec<NamedTensor> = Vec::with_capacity(specs.len());
    for spec in specs {
        let n: usize = spec.shape.iter().product();
        // fan_in: Linear [out, in] → in; Conv2d [out, in, k, k] → in·k·k;
        // ConvTranspose2d [in, out, k, k] → out·k·k (PyTorch reads dimension 1 alike).
        let fan_in = if spec.name.ends_with(".bias") {
            let weight = &out.last().expect("a weight precedes its bias").shape;
            weight[1..].iter().product::<usize>()
        } else {
            spec.shape[1..].iter().product::<usize>()
        };
        let bound = 1.0 / (fan_in as f64).sqrt();
        let values = (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect();
        out.push(NamedTensor {
            name: spec.name,
            shape: spec.shape,
            values,
        });
    }
    Ok(out)
}
