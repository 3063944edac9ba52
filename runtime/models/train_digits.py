#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train the 64-32-10 digits MLP for tnpu-digits and write its files.

    /usr/bin/python3 train_digits.py [--out DIR]     write DIR/digits-mlp.tnm, digits-test.tnd
    /usr/bin/python3 train_digits.py --check [--out DIR]
        retrain into a temporary directory and compare byte-for-byte with DIR

Needs Debian's python3-numpy and python3-sklearn (hence /usr/bin/python3).
File formats: runtime/README.md.  Everything is seeded and BLAS runs on one
thread, so the output is reproducible byte-for-byte on this platform.
"""
import os

# Before numpy loads: multi-threaded BLAS may reorder float sums.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import filecmp  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

SEED = 0
TEST_FRACTION = 0.3
HIDDEN = 32
MODEL_NAME = "digits-mlp.tnm"
DATA_NAME = "digits-test.tnd"

ACT_NONE, ACT_RELU = 0, 1


def write_model(path, layers):
    """layers: list of (weights [out][in] float32, bias [out] float32, activation)."""
    out = bytearray(b"TNMM")
    out += struct.pack("<III", 1, len(layers), 0)
    for w, b, act in layers:
        out += struct.pack("<IIII", w.shape[1], w.shape[0], act, 0)
    for w, b, act in layers:
        out += np.ascontiguousarray(w, dtype="<f4").tobytes()
        out += np.ascontiguousarray(b, dtype="<f4").tobytes()
    with open(path, "wb") as f:
        f.write(out)


def write_dataset(path, x, y, num_classes):
    out = bytearray(b"TNDS")
    out += struct.pack("<IIIII", 1, x.shape[0], x.shape[1], num_classes, 0)
    out += np.ascontiguousarray(x, dtype="<f4").tobytes()
    out += np.asarray(y, dtype=np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(out)


def forward_f32(layers, x):
    """The device's math in float32 (what the CPU reference in libtnpu does)."""
    h = x.astype(np.float32)
    for w, b, act in layers:
        h = h @ w.T + b
        if act == ACT_RELU:
            h = np.maximum(h, np.float32(0))
    return h


def train(outdir):
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixels 0..16 -> 0..1
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SEED, stratify=y)

    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="adam",
                        alpha=1e-4, learning_rate_init=1e-3, max_iter=600,
                        random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_tr, y_tr)

    # sklearn keeps coefs as [in][out]; the file stores [out][in] (TRANS_B on the device).
    layers = []
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        act = ACT_RELU if i < len(clf.coefs_) - 1 else ACT_NONE
        layers.append((w.T.astype(np.float32), b.astype(np.float32), act))

    os.makedirs(outdir, exist_ok=True)
    write_model(os.path.join(outdir, MODEL_NAME), layers)
    write_dataset(os.path.join(outdir, DATA_NAME), x_te, y_te, 10)

    acc_tr = clf.score(x_tr, y_tr)
    acc_te = clf.score(x_te, y_te)
    acc_f32 = float(np.mean(np.argmax(forward_f32(layers, x_te), axis=1) == y_te))
    print(f"train: {len(y_tr)} samples, accuracy {acc_tr:.4f}")
    print(f"test:  {len(y_te)} samples, accuracy {acc_te:.4f} (float32 export {acc_f32:.4f})")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=here, help="directory of the model files")
    ap.add_argument("--check", action="store_true",
                    help="retrain into a temp dir and compare with --out")
    args = ap.parse_args()

    if not args.check:
        train(args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        train(tmp)
        bad = [n for n in (MODEL_NAME, DATA_NAME)
               if not os.path.exists(os.path.join(args.out, n)) or
               not filecmp.cmp(os.path.join(tmp, n), os.path.join(args.out, n), shallow=False)]
    if bad:
        print("check: FAILED, differs from the shipped files: " + ", ".join(bad))
        return 1
    print("check: ok, retrained files are identical to the shipped ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
