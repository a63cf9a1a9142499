"""A conv autoencoder checkpoint run as PyTorch would run it, written in NumPy.

Reads the safetensors file and its configuration, builds the forward pass with PyTorch's
conventions (Conv2d weights [out, in, k, k], ConvTranspose2d [in, out, k, k], output_padding
to restore each encoder shape, ReLU between layers, sigmoid out), reconstructs the images of
an .npy file of (samples, height, width, channels) and prints the shapes and outputs as JSON.
Used by tests/colour.rs: the test venv has NumPy and safetensors, not PyTorch itself.
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def conv2d(x, w, b, stride, pad):
    """torch.nn.functional.conv2d for one image x (C, H, W)."""
    c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - k) // stride + 1
    ow = (wd + 2 * pad - k) // stride + 1
    out = np.zeros((o, oh, ow), dtype=np.float64)
    for i in range(k):
        for j in range(k):
            patch = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], patch)
    return out + b[:, None, None]


def conv_transpose2d(x, w, b, stride, pad, out_pad):
    """torch.nn.functional.conv_transpose2d for one image x (C_in, H, W)."""
    ci, h, wd = x.shape
    _, co, k, _ = w.shape
    full_h = (h - 1) * stride + k + out_pad
    full_w = (wd - 1) * stride + k + out_pad
    full = np.zeros((co, full_h + 2 * pad, full_w + 2 * pad), dtype=np.float64)
    for i in range(k):
        for j in range(k):
            contrib = np.einsum("co,chw->ohw", w[:, :, i, j], x)
            full[:, i:i + stride * h:stride, j:j + stride * wd:stride] += contrib
    oh = (h - 1) * stride - 2 * pad + k + out_pad
    ow = (wd - 1) * stride - 2 * pad + k + out_pad
    return full[:, pad:pad + oh, pad:pad + ow] + b[:, None, None]


def relu(x):
    return np.maximum(x, 0.0)


def main():
    path, data = sys.argv[1], sys.argv[2]
    t = {k: v.astype(np.float64) for k, v in load_file(path).items()}
    with safe_open(path, framework="numpy") as f:
        config = json.loads(f.metadata()["hourglass"])
    arch = config["architecture"]
    assert arch["kind"] == "conv", arch["kind"]
    convs = arch["convs"]
    images = np.load(data).astype(np.float64)  # (N, H, W, C)
    x_all = images.transpose(0, 3, 1, 2)  # PyTorch's (N, C, H, W)
    outputs = []
    for x in x_all:
        shapes = [x.shape]
        for i, c in enumerate(convs):
            x = relu(conv2d(x, t[f"encoder.conv.{i}.weight"], t[f"encoder.conv.{i}.bias"],
                            c["stride"], c["padding"]))
            shapes.append(x.shape)
        z = t["encoder.fc.weight"] @ x.reshape(-1) + t["encoder.fc.bias"]
        y = relu(t["decoder.fc.weight"] @ z + t["decoder.fc.bias"]).reshape(shapes[-1])
        for j, c in enumerate(reversed(convs)):
            target = shapes[len(convs) - 1 - j]
            k, s, p = c["kernel"], c["stride"], c["padding"]
            out_pad = target[1] - ((y.shape[1] - 1) * s - 2 * p + k)
            y = conv_transpose2d(y, t[f"decoder.deconv.{j}.weight"],
                                 t[f"decoder.deconv.{j}.bias"], s, p, out_pad)
            y = relu(y) if j < len(convs) - 1 else 1.0 / (1.0 + np.exp(-y))
        outputs.append(y.reshape(-1))
    print(json.dumps({
        "shapes": {k: list(v.shape) for k, v in t.items()},
        "input": arch["input"],
        "output": np.concatenate(outputs).tolist(),
    }))


main()
