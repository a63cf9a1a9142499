"""The speed workloads of `hourglass bench`, in PyTorch, one per process.

Each run prints one JSON line: workload, engine, value, unit, peak_rss_mib, data. The
shapes, batch sizes and timing windows match crates/hourglass-cli/src/commands/bench/worker.rs:

W1 dense 784-256-128-32-128-256-784 (ReLU, sigmoid out, MSE, Adam, batch 256): seconds per
   60,000-sample epoch (after a warm-up epoch of 1,280 samples on a separate model).
W2 conv AE: Conv 1→16 s2, Conv 16→32 s2, Linear →16, mirrored with ConvTranspose
   (ReLU, sigmoid out, MSE, Adam, batch 128): ms per step.
W3 the 9-6-3-6-9 glass box (sigmoid, ½Σ(y−t)², SGD lr 0.15 momentum 0.8, one update per
   pattern, 12 shuffled patterns an epoch): epochs per second.
W4 decode one 32-d code to 784 pixels with W1's decoder (no grad): median µs per call.
W5 encode the 10,000 test images in one batch with W1's encoder (no grad): median ms.
W7 the PyTorch examples' VAE (784-400-(20 μ, 20 log σ²), 20-400-784, ReLU, sigmoid out;
   BCE summed + KL; Adam 1e-3, batch 128): seconds per 60,000-sample epoch.
W8 t-SNE of the codes in --codes (.npy; the parent writes the shipped mnist-30d model's codes
   of the 10,000 test images) with scikit-learn's TSNE: perplexity 30, 750 iterations, PCA
   start, n_jobs = --threads: seconds. scikit-learn, not PyTorch (which has no t-SNE).
W9 colour conv AE on 3×64×64: Conv 3→32→64→128 (3×3, stride 2, padding 1), Linear →128,
   mirrored with ConvTranspose (ReLU, sigmoid out, MSE, Adam, batch 64; seeded random
   pixels): ms per step.

With --device cuda (W1, W2, W4, W5, W7, W9) the model and each batch go to the GPU, a batch copied
from the host every step as Hourglass does; each step still reads its loss (a sync).

Usage: python workloads.py --workload W1 [--quick] [--data-dir DIR] [--threads N] [--codes F]
       [--device cpu|cuda]
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np
import torch
from torch import nn

from train_mnist import halves, read_idx  # the reference training run's reader and model


def images(data_dir, split, n):
    """MNIST images (at most n) from data_dir, else seeded random pixels of the same shape."""
    prefix = "train" if split == "train" else "t10k"
    if data_dir:
        for name in (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-images-idx3-ubyte"):
            path = os.path.join(data_dir, "mnist", name)
            if os.path.exists(path):
                x = read_idx(path)[:n]
                if len(x) >= n:
                    return torch.from_numpy(x.reshape(n, -1).astype(np.float32) / 255.0), "mnist"
    g = torch.Generator().manual_seed(7)
    return torch.rand(n, 784, generator=g), "random"


def dense():
    return halves([784, 256, 128, 32])


def conv():
    enc = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 16))
    dec = nn.Sequential(
        nn.Linear(16, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 3, 2, 1, output_padding=1), nn.Sigmoid(),
        nn.Flatten())
    return enc, dec


def colour_conv():
    enc = nn.Sequential(
        nn.Unflatten(1, (3, 64, 64)),
        nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(128 * 8 * 8, 128))
    dec = nn.Sequential(
        nn.Linear(128, 128 * 8 * 8), nn.ReLU(), nn.Unflatten(1, (128, 8, 8)),
        nn.ConvTranspose2d(128, 64, 3, 2, 1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, 3, 3, 2, 1, output_padding=1), nn.Sigmoid(),
        nn.Flatten())
    return enc, dec


DEVICE = torch.device("cpu")


def train_seconds(make, x, batch):
    """Seconds for one epoch over x (shuffled mini-batches, MSE, Adam 1e-3)."""
    enc, dec = make()
    net = nn.Sequential(enc, dec).to(DEVICE)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    g = torch.Generator().manual_seed(1)
    start = time.perf_counter()
    perm = torch.randperm(len(x), generator=g)
    for i in range(0, len(x), batch):
        xb = x[perm[i:i + batch]].to(DEVICE)
        opt.zero_grad()
        loss = loss_fn(net(xb), xb)
        loss.backward()
        opt.step()
        loss.item()  # as Hourglass reads each step's loss
    return time.perf_counter() - start


def vae_epoch_seconds(x, batch=128):
    """Seconds for one epoch of the PyTorch examples' VAE over x."""
    fc1, fc21, fc22, fc3, fc4 = (nn.Linear(784, 400).to(DEVICE), nn.Linear(400, 20).to(DEVICE),
                                 nn.Linear(400, 20).to(DEVICE), nn.Linear(20, 400).to(DEVICE),
                                 nn.Linear(400, 784).to(DEVICE))
    params = [p for m in (fc1, fc21, fc22, fc3, fc4) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    g = torch.Generator().manual_seed(1)
    start = time.perf_counter()
    perm = torch.randperm(len(x), generator=g)
    for i in range(0, len(x), batch):
        xb = x[perm[i:i + batch]].to(DEVICE)
        h = torch.relu(fc1(xb))
        mu, logvar = fc21(h), fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        y = torch.sigmoid(fc4(torch.relu(fc3(z))))
        loss = (torch.nn.functional.binary_cross_entropy(y, xb, reduction="sum")
                - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
    return time.perf_counter() - start


def glass_epochs_per_second(window):
    torch.manual_seed(1)
    layers = []
    sizes = [9, 6, 3, 6, 9]
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.Sigmoid()]
    net = nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=0.15, momentum=0.8)
    patterns = torch.tensor([[int(c) for c in p] for p in (
        "111000000", "000111000", "000000111", "100100100", "010010010", "001001001",
        "100010001", "001010100", "111100100", "001001111", "010111010", "000010000")],
        dtype=torch.float32)
    g = torch.Generator().manual_seed(1)

    def epoch():
        for p in torch.randperm(12, generator=g).tolist():
            x = patterns[p:p + 1]
            opt.zero_grad()
            loss = 0.5 * ((net(x) - x) ** 2).sum()
            loss.backward()
            opt.step()

    for _ in range(5):
        epoch()
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < window:
        epoch()
        n += 1
    return n / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True, choices=["W1", "W2", "W3", "W4", "W5", "W7", "W8", "W9"])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--data-dir")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--codes", help="W8: the codes to map (.npy)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = p.parse_args()
    global DEVICE
    DEVICE = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    w = a.workload
    data = "random"
    if w == "W1":
        n = 2560 if a.quick else 60000
        x, data = images(a.data_dir, "train", n)
        train_seconds(dense, x[:1280], 256)
        value, unit = train_seconds(dense, x, 256) * 60000 / n, "s/epoch"
    elif w == "W2":
        steps = 2 if a.quick else 30
        x, data = images(a.data_dir, "train", 128 * steps)
        train_seconds(conv, x[:256], 128)
        value, unit = 1000 * train_seconds(conv, x, 128) / steps, "ms/step"
    elif w == "W9":
        steps = 2 if a.quick else 20
        g = torch.Generator().manual_seed(7)
        x = torch.rand(64 * steps, 3 * 64 * 64, generator=g)
        train_seconds(colour_conv, x[:128], 64)
        value, unit = 1000 * train_seconds(colour_conv, x, 64) / steps, "ms/step"
    elif w == "W3":
        value, unit, data = glass_epochs_per_second(0.05 if a.quick else 1.0), "epochs/s", "built-in"
    elif w == "W4":
        _, dec = dense()
        dec = dec.to(DEVICE)
        z = torch.randn(1, 32, device=DEVICE)
        calls = 50 if a.quick else 2000
        times = []
        with torch.no_grad():
            for _ in range(calls // 10):
                dec(z)
            for _ in range(calls):
                t = time.perf_counter()
                dec(z).cpu()  # the decoded image back on the host, as a page needs it
                times.append((time.perf_counter() - t) * 1e6)
        value, unit = statistics.median(times), "µs"
    elif w == "W8":
        # the t-SNE Python users run (PyTorch has none): scikit-learn's Barnes-Hut TSNE with
        # Hourglass's settings — perplexity 30, 750 iterations, PCA start
        import numpy as np
        from sklearn.manifold import TSNE
        codes = np.load(a.codes).astype(np.float32)
        t = time.perf_counter()
        TSNE(n_components=2, perplexity=30.0, max_iter=250 if a.quick else 750, init="pca",
             random_state=1, n_jobs=a.threads).fit_transform(codes)
        value, unit, data = time.perf_counter() - t, "s", "mnist-30d codes"
    elif w == "W7":
        n = 2560 if a.quick else 60000
        x, data = images(a.data_dir, "train", n)
        vae_epoch_seconds(x[:1280])
        value, unit = vae_epoch_seconds(x) * 60000 / n, "s/epoch"
    else:
        n = 1000 if a.quick else 10000
        x, data = images(a.data_dir, "test", n)
        enc, _ = dense()
        enc = enc.to(DEVICE)
        times = []
        with torch.no_grad():
            enc(x[:256].to(DEVICE))
            for _ in range(3):
                t = time.perf_counter()
                enc(x.to(DEVICE)).cpu()
                times.append((time.perf_counter() - t) * 1e3)
        value, unit = statistics.median(times), "ms"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(json.dumps({"workload": w, "engine": "pytorch", "value": value, "unit": unit,
                      "peak_rss_mib": rss, "data": data}))


if __name__ == "__main__":
    main()
