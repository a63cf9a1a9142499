//! The one place the tensor device is chosen: the CPU engine (Burn's `flex` with our custom
//! ops) unless a program chose a GPU with [`use_device`] before its first tensor.
//!
//! The choice is process-wide — a command line's `--device`, the server's `serve --device` —
//! because every model, batch and optimizer state of a run must live on one device, and the
//! pages, jobs and tests ask for "the device" in many places.

use std::{fmt, sync::OnceLock};

use burn::{backend::DispatchDevice, tensor::Device};

use crate::Error;

type Result<T> = std::result::Result<T, Error>;

/// Which device a program asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The CPU engine (the default).
    Cpu,
    /// A GPU through wgpu (Vulkan, Metal or DX12), or Mesa's software Vulkan when asked for
    /// by name.
    Wgpu,
    /// An NVIDIA GPU through CUDA.
    Cuda,
    /// CUDA if it opens, else a hardware wgpu adapter, else the CPU.
    Auto,
}

impl DeviceChoice {
    pub const NAMES: &'static str = "cpu, wgpu, cuda or auto";

    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "wgpu" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            "auto" => Ok(Self::Auto),
            other => Err(Error::invalid(format!(
                "unknown device '{other}' (expected {})",
                Self::NAMES
            ))),
        }
    }
}

/// The device a program runs on, as it reports itself.
#[derive(Clone, Debug)]
pub struct OpenedDevice {
    /// `cpu`, `wgpu` or `cuda`.
    pub kind: &'static str,
    /// The adapter's own name (`NVIDIA H200`, `llvmpipe (LLVM 15.0.6, 256 bits)`), or the
    /// CPU engine's.
    pub name: String,
    /// No card behind it: the CPU engine, or a software rasterizer such as lavapipe.
    pub software: bool,
}

impl fmt::Display for OpenedDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind, self.name)?;
        if self.software && self.kind != "cpu" {
            // lavapipe, llvmpipe, SwiftShader: a GPU's API computed on the CPU
            write!(
                f,
                ", a software driver with no GPU behind it: slower than --device cpu"
            )?;
        }
        Ok(())
    }
}

static CHOSEN: OnceLock<(Device, OpenedDevice)> = OnceLock::new();

/// Chooses the device for the rest of the process and opens it (a small sum runs on it, so a
/// device that cannot run is refused here with why, not at the first training step). Call it
/// once, before any tensor is made; a second call with another choice is refused.
pub fn use_device(choice: DeviceChoice) -> Result<OpenedDevice> {
    if let Some((_, opened)) = CHOSEN.get() {
        return match (choice, opened.kind) {
            (DeviceChoice::Auto, _)
            | (DeviceChoice::Cpu, "cpu")
            | (DeviceChoice::Wgpu, "wgpu")
            | (DeviceChoice::Cuda, "cuda") => Ok(opened.clone()),
            _ => Err(Error::invalid(format!(
                "the device is already {opened}; it is chosen once per process"
            ))),
        };
    }
    let (device, opened) = match choice {
        DeviceChoice::Cpu => cpu(),
        DeviceChoice::Wgpu => open_wgpu()?,
        DeviceChoice::Cuda => open_cuda()?,
        DeviceChoice::Auto => open_cuda()
            .ok()
            .or_else(|| open_wgpu().ok().filter(|(_, o)| !o.software))
            .unwrap_or_else(cpu),
    };
    let _ = CHOSEN.set((device, opened.clone()));
    Ok(opened)
}

/// The device this process runs on, as it reports itself.
pub fn current_device() -> OpenedDevice {
    CHOSEN.get().map_or_else(|| cpu().1, |(_, o)| o.clone())
}

fn cpu() -> (Device, OpenedDevice) {
    let name = format!(
        "Burn flex and Hourglass's own ops, {} threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    (
        Device::flex(),
        OpenedDevice {
            kind: "cpu",
            name,
            software: true,
        },
    )
}

/// Vulkan first, through an instance limited to it: wgpu's automatic choice also probes
/// OpenGL through EGL, which on a machine without a display prints errors of its own
/// (`XDG_RUNTIME_DIR is invalid`) before it settles on Vulkan anyway. Where Vulkan has no
/// adapter (macOS, some Windows machines), wgpu's own choice: Metal, DX12, OpenGL.
#[cfg(feature = "wgpu")]
fn open_wgpu() -> Result<(Device, OpenedDevice)> {
    use burn::backend::{WgpuBackend, WgpuDevice, WgpuDeviceKind};
    let pinned = |backend: WgpuBackend| {
        move || Device::new(WgpuDevice::new(WgpuDeviceKind::DefaultDevice).on(backend))
    };
    open("wgpu", pinned(WgpuBackend::Vulkan)).or_else(|vulkan| {
        open("wgpu", pinned(WgpuBackend::Auto))
            .map_err(|auto| Error::invalid(format!("{vulkan}; without Vulkan: {auto}")))
    })
}

#[cfg(not(feature = "wgpu"))]
fn open_wgpu() -> Result<(Device, OpenedDevice)> {
    Err(Error::invalid(
        "this build of Hourglass has no wgpu device (build it with the `wgpu` feature)",
    ))
}

#[cfg(feature = "cuda")]
fn open_cuda() -> Result<(Device, OpenedDevice)> {
    open("cuda", || Device::cuda(0usize))
}

#[cfg(not(feature = "cuda"))]
fn open_cuda() -> Result<(Device, OpenedDevice)> {
    Err(Error::invalid(
        "this build of Hourglass has no CUDA device (build it with `--features cuda`)",
    ))
}

/// Opens a GPU device and runs a small sum on it. The runtimes panic when there is no driver
/// or no adapter (cudarc when `libcuda` is missing, wgpu when no adapter answers); that panic
/// becomes the error's reason.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn open(kind: &'static str, make: impl Fn() -> Device) -> Result<(Device, OpenedDevice)> {
    use burn::tensor::Tensor;
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let tried = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let device = make();
        let sum: f32 = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device)
            .sum()
            .into_scalar();
        let identity = device.as_dispatch().identity();
        (device, sum, identity)
    }));
    std::panic::set_hook(quiet);
    let (device, sum, identity) = tried.map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no reason given");
        Error::invalid(format!("the {kind} device could not start: {why}"))
    })?;
    if sum != 6.0 {
        return Err(Error::invalid(format!(
            "the {kind} device opened but computed 1 + 2 + 3 = {sum}"
        )));
    }
    let (name, software) = identity.map_or_else(
        || ("unnamed adapter".to_owned(), false),
        |i| (i.name, i.physical.is_none()),
    );
    Ok((
        device,
        OpenedDevice {
            kind,
            name,
            software,
        },
    ))
}

/// Device for inference (no autodiff).
pub fn inference_device() -> Device {
    CHOSEN.get().map_or_else(Device::flex, |(d, _)| d.clone())
}

/// Device for training (autodiff on top of the inference device).
pub fn training_device() -> Device {
    inference_device().autodiff()
}

/// Runs `work` where the device's ops want it. On the CPU engine: on one of rayon's workers,
/// so the ops' parallel loops fork inside the pool instead of each being injected from
/// outside it (which parked and woke the calling thread around every op, ~40 a training
/// step). On a GPU: on the calling thread, as cubecl keeps one stream of work per thread,
/// and work on whichever worker is free hands every tensor across streams (wgpu's results
/// then depended on timing).
pub(super) fn on_engine_threads<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    if on_cpu_engine(&inference_device()) {
        rayon::scope(|_| work())
    } else {
        work()
    }
}

/// Whether a tensor on `device` runs on the CPU engine, where Hourglass's custom ops (dense,
/// convolution, sigmoid, the losses, fused Adam) live; on any other device every op is Burn's
/// own.
pub fn on_cpu_engine(device: &Device) -> bool {
    matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Flex(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_names_are_refused_with_the_list() {
        assert_eq!(DeviceChoice::parse("CUDA").unwrap(), DeviceChoice::Cuda);
        assert_eq!(DeviceChoice::parse("cpu").unwrap(), DeviceChoice::Cpu);
        let e = DeviceChoice::parse("tpu").unwrap_err().to_string();
        assert!(
            e.contains("'tpu'") && e.contains("cpu, wgpu, cuda or auto"),
            "{e}"
        );
    }

    #[test]
    fn the_default_device_is_the_cpu_engine() {
        assert!(on_cpu_engine(&inference_device()));
        assert!(on_cpu_engine(&training_device()));
    }
}
