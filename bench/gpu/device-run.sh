#!/usr/bin/env bash
# The GPU figures (issue 31) on a lent accelerator machine, as one short script: Hourglass on
# wgpu (Vulkan) against PyTorch on CUDA, W1, W2, W9 (colour 64×64), W5, W7 and W4, then both on that machine's CPU.
#
# That machine has no Rust and no network, so everything travels from here, in two folders
# ignored by git (.git/info/exclude: /.gl/ and /.gpu/):
#   .gl/   the Vulkan loader and glvnd, Debian's .debs (the device README's apt-get download line)
#   .gpu/  hourglass.xz (the release binary, stripped, xz'd to fit the 64 MiB carry),
#          datasets/mnist/*.gz, workloads.py and train_mnist.py from bench/pytorch/,
#          and this script
# and the call is: run(command="bash .gpu/device-run.sh", carry=[".gl", ".gpu"]).
# A CUDA build of Hourglass could not be made here: cubecl-cuda's build script downloads LLVM.
cd "$(dirname "$0")/.."
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
nvidia-smi -L
ldconfig -p | grep -E "libvulkan" | head -2
# The NVIDIA Vulkan ICD needs glvnd's libraries (libGLX, libGLdispatch, libEGL): .gl carries
# libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 (the device README's list).
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
  [ -f $icd ] && export VK_DRIVER_FILES=$icd && cat $icd && break
done
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f $egl ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
ldconfig -p | grep -i -E "nvidia|GLX|GLdispatch" | head -8
xz -dc .gpu/hourglass.xz > /tmp/hourglass && chmod +x /tmp/hourglass
H=/tmp/hourglass
D=.gpu/datasets
log() { echo "== $*"; }
log "wgpu sanity: a small dense model, 2 epochs, cpu then wgpu"
timeout 60 $H train --dataset mnist --data-dir $D --limit 1024 --layers 784,64,16 --epochs 2 --seed 3 --json --out /tmp/c.safetensors
timeout 120 $H train --device wgpu --dataset mnist --data-dir $D --limit 1024 --layers 784,64,16 --epochs 2 --seed 3 --json --out /tmp/w.safetensors 2>&1 | tail -4
log "bench: Hourglass on wgpu (Vulkan), PyTorch on CUDA"
timeout ${BT:-330} $H bench --device wgpu --python python3 --script .gpu/workloads.py --only ${ONLY:-W1,W2,W9,W5,W7,W4} --reps ${REPS:-3} --data-dir $D --json-out $OUT/bench-gpu.json 2>&1 | tail -40
log "bench: both on the CPU of this machine, for scale"
timeout 120 $H bench --python python3 --script .gpu/workloads.py --only ${CPU_ONLY:-W9,W2} --reps 1 --data-dir $D 2>&1 | tail -12
nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv
