"""PyTorch reference runs of the autoencoder variants, on the same machine as `hourglass
train --variant …` (see bench/variants, which runs both and prints the comparison).

  vae        the PyTorch examples' VAE: encoder 784-400-(20 μ, 20 log σ²) ReLU, decoder
             20-400-784 sigmoid; BCE summed over pixels + KL; Adam 1e-3, batch 128.
             Reports the test loss per image (nats) and seconds per epoch.
  denoising  dense 784-256-128-32 ReLU, sigmoid out, MSE, Gaussian noise σ 0.5 clipped to
             [0, 1], fresh every batch; reports the mean per-image PSNR of the noisy test
             inputs and of their reconstructions, against the clean images.
  sparse     the Keras tutorial's 784-32 with a ReLU code and an L1 activity penalty
             (weight · Σ|z| per image, --l1 0 for the plain model); BCE; reports the mean
             code activation and the test loss.

Usage: python variants.py KIND --data-dir DIR [--epochs N] [--threads N] [--seed S]
"""
import argparse
import json
import os
import time

import torch
from torch import nn
import torch.nn.functional as F

from train_mnist import halves as dense, load


def psnr_per_image(y, x):
    mse = ((y - x) ** 2).mean(dim=1)
    return (10 * torch.log10(1.0 / mse[mse > 0])).mean().item()


def run_epochs(args, train, step):
    times = []
    g = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(train), generator=g)
        total = 0.0
        for i in range(0, len(train), args.batch):
            total += step(train[perm[i:i + args.batch]])
        times.append(time.perf_counter() - t0)
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train), "seconds": times[-1]}),
              flush=True)
    return times


def vae(args, train, test):
    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def forward(self, x):
            h = F.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    def loss_fn(recon, x, mu, logvar):
        bce = F.binary_cross_entropy(recon, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return bce, kld

    net = VAE()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(xb):
        recon, mu, logvar = net(xb)
        bce, kld = loss_fn(recon, xb, mu, logvar)
        loss = bce + kld
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    times = run_epochs(args, train, step)
    with torch.no_grad():
        recon, mu, logvar = net(test)
        bce, kld = loss_fn(recon, test, mu, logvar)
    n = len(test)
    return {"test_loss": (bce + kld).item() / n, "reconstruction": bce.item() / n,
            "kl": kld.item() / n, "epoch_seconds": sorted(times)[len(times) // 2]}


def denoising(args, train, test):
    enc, dec = dense([784, 256, 128, 32])
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)

    def corrupt(x):
        return (x + args.sigma * torch.randn_like(x)).clamp(0, 1)

    def step(xb):
        loss = F.mse_loss(dec(enc(corrupt(xb))), xb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item() * len(xb)

    times = run_epochs(args, train, step)
    with torch.no_grad():
        noisy = corrupt(test)
        out = dec(enc(noisy))
    return {"noisy_psnr": psnr_per_image(noisy, test), "denoised_psnr": psnr_per_image(out, test),
            "test_mse": F.mse_loss(out, test).item(), "epoch_seconds": sorted(times)[len(times) // 2]}


def sparse(args, train, test):
    enc, dec = dense([784, 32], code_relu=True)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)

    def losses(xb):
        z = enc(xb)
        rec = F.binary_cross_entropy(dec(z), xb)
        pen = args.l1 * z.abs().sum() / len(xb)
        return rec, pen, z

    def step(xb):
        rec, pen, _ = losses(xb)
        loss = rec + pen
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item() * len(xb)

    times = run_epochs(args, train, step)
    with torch.no_grad():
        rec, pen, z = losses(test)
    return {"test_loss": (rec + pen).item(), "reconstruction": rec.item(),
            "mean_code": z.mean().item(), "epoch_seconds": sorted(times)[len(times) // 2]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["vae", "denoising", "sparse"])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--sigma", type=float, default=0.5)
    p.add_argument("--l1", type=float, default=1e-4)
    args = p.parse_args()
    args.batch = args.batch or (128 if args.kind == "vae" else 256)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, test = load(args.data_dir, "train"), load(args.data_dir, "test")
    result = {"vae": vae, "denoising": denoising, "sparse": sparse}[args.kind](args, train, test)
    result.update({"summary": True, "kind": args.kind, "epochs": args.epochs,
                   "threads": torch.get_num_threads(), "torch": torch.__version__})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
