"""Records scikit-learn's linear-probe accuracies that tests/probe.rs checks `hourglass probe` against.

Run (from the repository root, with MNIST in ../shared/datasets and a release build):
    ~/.cache/hourglass/bench-venv/bin/python crates/hourglass-cli/tests/probe_reference.py
scikit-learn 1.9.1: StandardScaler on the labelled set, then LogisticRegression with its
defaults (C=1, L2, multinomial, lbfgs) solved to convergence (max_iter 10,000, tol 1e-6);
scored on the 10,000 test images. Labelled sets: the first N training images of each class.
Features: pixels/255; PCA with 30 components fitted on all 60,000 training images; the codes
of the shipped mnist-30d model (`hourglass encode --model mnist-30d`, both splits).
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

DATA = os.environ.get("HOURGLASS_TEST_DATA", "../shared/datasets")
BIN = os.environ.get("HOURGLASS_BIN", os.path.expanduser("~/.cache/hourglass/target/release/hourglass"))


def idx(name):
    with gzip.open(os.path.join(DATA, "mnist", name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def first_per_class(labels, n):
    taken, out = {}, []
    for i, l in enumerate(labels):
        if taken.get(l, 0) < n:
            taken[l] = taken.get(l, 0) + 1
            out.append(i)
    return np.array(out)


def codes(split):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "codes.npy")
        subprocess.run([BIN, "encode", "--model", "mnist-30d", "--dataset", "mnist", "--data-dir", DATA,
                        "--split", split, "--out", out], check=True, capture_output=True)
        return np.load(out)[:, :-1].astype(np.float32)  # the last column is the label


def probe(xtr, ytr, xte, yte, n):
    i = first_per_class(ytr, n)
    scaler = StandardScaler().fit(xtr[i])
    clf = LogisticRegression(C=1.0, max_iter=10_000, tol=1e-6).fit(scaler.transform(xtr[i]), ytr[i])
    return float((clf.predict(scaler.transform(xte)) == yte).mean())


xtr = idx("train-images-idx3-ubyte.gz").reshape(60000, -1).astype(np.float32) / 255
ytr = idx("train-labels-idx1-ubyte.gz")
xte = idx("t10k-images-idx3-ubyte.gz").reshape(10000, -1).astype(np.float32) / 255
yte = idx("t10k-labels-idx1-ubyte.gz")
pca = PCA(30, random_state=0).fit(xtr)
features = {"pixels": (xtr, xte), "pca": (pca.transform(xtr), pca.transform(xte)),
            "codes": (codes("train"), codes("test"))}
out = {"sklearn": sklearn.__version__}
for name, (a, b) in features.items():
    out[name] = {str(n): probe(a, ytr, b, yte, n) for n in (10, 100, 1000)}
    print(name, out[name], file=sys.stderr)
print(json.dumps(out, indent=1))
