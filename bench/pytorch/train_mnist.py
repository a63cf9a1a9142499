"""The reference run for `hourglass train`, in PyTorch on the same machine.

Same configuration as
  hourglass train --dataset mnist --layers 784,256,128,32 --activation relu --output sigmoid \
      --loss mse --optimizer adam --lr 0.001 --batch 256 --epochs 20 --seed 1 --val-split 0.1
Dense 784-256-128-32 with ReLU hidden layers and a linear code, mirrored decoder with a
sigmoid output; MSE; Adam (PyTorch defaults, eps 1e-8); a random 10% of the training set
held out for validation; reshuffled every epoch. Prints one JSON object per epoch and a
summary with the test MSE (mean over every pixel of the 10,000 test images) and wall time.

Usage: python train_mnist.py --data-dir ../../../shared/datasets [--epochs 20] [--threads N]
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, "mnist", f"{prefix}-images-idx3-ubyte.gz"))
    return torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)


def halves(sizes, code_relu=False):
    """The encoder and the mirrored decoder, as two Sequentials (a ReLU on the code too with
    code_relu)."""
    enc, dec = [], []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        enc.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or code_relu:
            enc.append(nn.ReLU())
    rev = sizes[::-1]
    for i, (a, b) in enumerate(zip(rev, rev[1:])):
        dec.append(nn.Linear(a, b))
        dec.append(nn.ReLU() if i < len(rev) - 2 else nn.Sigmoid())
    return nn.Sequential(*enc), nn.Sequential(*dec)


def model(sizes):
    enc, dec = halves(sizes)
    return nn.Sequential(*enc, *dec)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--layers", default="784,256,128,32")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)

    x = load(args.data_dir, "train")
    test = load(args.data_dir, "test")
    order = torch.randperm(len(x), generator=g)
    n_val = round(len(x) * 0.1)
    val, train = x[order[:n_val]], x[order[n_val:]]

    net = model([int(s) for s in args.layers.split(",")])
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(train), generator=g)
        total = 0.0
        for i in range(0, len(train), args.batch):
            xb = train[perm[i:i + args.batch]]
            loss = loss_fn(net(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        with torch.no_grad():
            val_loss = loss_fn(net(val), val).item()
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train), "val_loss": val_loss,
                          "seconds": time.perf_counter() - t0}), flush=True)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        test_mse = loss_fn(net(test), test).item()
    print(json.dumps({"summary": True, "test_mse": test_mse, "seconds": seconds,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
