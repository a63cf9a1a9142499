//! Per-layer activation functions of the glass engine, with their derivatives.

use serde::{Deserialize, Serialize};

/// Slope of leaky ReLU for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.01;

/// An elementwise activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    Linear,
}

impl Activation {
    /// Every activation, in the order the pages list them.
    pub const ALL: [Activation; 5] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Linear,
    ];

    /// The activation's value at pre-activation `z`.
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
            Activation::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    LEAKY_SLOPE * z
                }
            }
            Activation::Linear => z,
        }
    }

    /// The same function in f32, for the host decoder of the tensor models (computing it in
    /// f64 would cost a double-precision `exp` per output pixel there).
    pub fn apply_f32(self, z: f32) -> f32 {
        match self {
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Tanh => z.tanh(),
            // a comparison, not `max`: on wasm32 `f32::max` is a call to libm's `fmaxf` (wasm's
            // own max propagates NaN), 14% of a map encode there; NaN gives 0 either way
            Activation::Relu => {
                if z > 0.0 {
                    z
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    LEAKY_SLOPE as f32 * z
                }
            }
            Activation::Linear => z,
        }
    }

    /// The derivative d a / d z at pre-activation `z`, given `a = apply(z)`.
    pub fn derivative(self, z: f64, a: f64) -> f64 {
        match self {
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu => {
                if z > 0.0 {
                    1.0
                } else {
                    LEAKY_SLOPE
                }
            }
            Activation::Linear => 1.0,
        }
    }

    /// The name used on the command line and in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Linear => "linear",
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "sigmoid" => Ok(Activation::Sigmoid),
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu),
            "leaky-relu" | "leakyrelu" => Ok(Activation::LeakyRelu),
            "linear" | "identity" | "none" => Ok(Activation::Linear),
            other => Err(crate::Error::invalid(format!(
                "unknown activation '{other}' (expected sigmoid, tanh, relu, leaky-relu or linear)"
            ))),
        }
    }
}

/// As a page's setting: the order the Model Studio offers them (ReLU first).
impl crate::settings::Choice for Activation {
    const ALL: &'static [Self] = &[
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ];
    fn name(self) -> &'static str {
        Activation::name(self)
    }
    fn label(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::LeakyRelu => "leaky ReLU",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_central_differences() {
        let h = 1e-6;
        for act in Activation::ALL {
            // Stay away from the kinks of relu / leaky relu at 0.
            for &z in &[-2.3, -0.7, -0.1, 0.2, 0.9, 3.1] {
                let a = act.apply(z);
                let numeric = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                let exact = act.derivative(z, a);
                let rel = (numeric - exact).abs() / exact.abs().max(1e-12);
                assert!(rel < 1e-6, "{act} at {z}: exact {exact}, numeric {numeric}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>().unwrap(), act);
        }
        assert!("swish".parse::<Activation>().is_err());
    }
}
