#!/usr/bin/env python3
"""PyTorch side of bench-floor: trains the network scratchnet describes, the same way.

bench-floor (dist/scripts/bench-floor.js) runs this with the network's scratchnet description
(Sequential.toConfig() plus every layer's inferred output shape and the parameter count), the
MNIST idx files scratchnet reads, and OPENBLAS_NUM_THREADS=1 in the environment. The network is
built layer by layer from that description, so the two cannot drift apart; the script checks
each layer's output shape and the parameter count against scratchnet's and refuses to time a
network that differs.

Training matches scratchnet's bench: batch 100, Adam (lr 0.001, betas 0.9/0.999, eps 1e-7 as the
book's), a fresh permutation per epoch, the trainSize mod 100 leftover samples skipped, weights
drawn as scratchnet draws them (a fixed standard deviation, or He/Xavier by fan-in), biases zero.
Each epoch is timed whole (sampling, forward, backward, update); reading and converting the
data is not timed. One JSON object is printed on stdout.

Differences that do not change the work: torch's Dropout is inverted (scales at training time),
the book's scales at inference.
"""
import argparse
import gzip
import json
import math
import struct
import sys
import time


def fail(message):
    print(f"bench-floor-torch: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import torch
    from torch import nn
except ImportError as e:  # bench-floor checks first; this is for running the script by hand
    fail(f"PyTorch is not importable ({e}). Fix: apt-get install python3-torch, or run with a Python that has torch.")


def read_idx(path):
    """An idx file (raw or .gz) as a uint8 tensor of its dimensions."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        fail(f"{path} is not an unsigned-byte idx file (magic {raw[:4].hex()}).")
    dims = struct.unpack(">" + "I" * ndims, raw[4:4 + 4 * ndims])
    data = torch.frombuffer(bytearray(raw[4 + 4 * ndims:]), dtype=torch.uint8)
    if data.numel() != math.prod(dims):
        fail(f"{path}: header says {dims} but holds {data.numel()} values.")
    return data.reshape(dims)


def init_std(weight_init, fan_in):
    """scratchnet's initStd: a number is the standard deviation; 'he'/'relu' √(2/n), 'xavier'/'sigmoid' √(1/n)."""
    if isinstance(weight_init, (int, float)):
        return float(weight_init)
    if weight_init in ("he", "relu"):
        return math.sqrt(2.0 / fan_in)
    if weight_init in ("xavier", "sigmoid"):
        return math.sqrt(1.0 / fan_in)
    fail(f"unknown weightInit {weight_init!r} in the model description.")


def build(spec, generator):
    """torch modules for scratchnet's layer descriptions; each one's output shape is checked."""
    shape = list(spec["inputShape"])
    modules = []
    for i, layer in enumerate(spec["layers"]):
        kind = layer["type"]
        where = f"layers[{i}] {kind}"
        if kind == "Convolution":
            k = layer["kernelSize"]
            kh, kw = (k, k) if isinstance(k, int) else k
            m = nn.Conv2d(shape[0], layer["filters"], (kh, kw), stride=layer["stride"], padding=layer["pad"])
            std = init_std(layer["weightInit"], shape[0] * kh * kw)
        elif kind == "Affine":
            if len(shape) > 1:
                modules.append(nn.Flatten())
                shape = [math.prod(shape)]
            m = nn.Linear(shape[0], layer["units"])
            std = init_std(layer["weightInit"], shape[0])
        elif kind == "Relu":
            m = nn.ReLU()
        elif kind == "Sigmoid":
            m = nn.Sigmoid()
        elif kind == "Pooling":
            m = nn.MaxPool2d((layer["poolH"], layer["poolW"]), stride=layer["stride"], padding=layer["pad"])
        elif kind == "Dropout":
            m = nn.Dropout(layer["ratio"])
        elif kind == "Flatten":
            m = nn.Flatten()
        else:
            fail(f"{where}: no PyTorch counterpart in this script; bench-floor compares the book's presets only.")
        if kind in ("Convolution", "Affine"):
            with torch.no_grad():
                m.weight.normal_(0.0, std, generator=generator)
                m.bias.zero_()
        modules.append(m)
        with torch.no_grad():
            shape = list(nn.Sequential(*modules)(torch.zeros([1] + list(spec["inputShape"]))).shape[1:])
        if shape != layer["outputShape"]:
            fail(f"{where}: PyTorch's output shape {shape} differs from scratchnet's {layer['outputShape']}.")
    return nn.Sequential(*modules)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--spec", required=True, help="JSON: {inputShape, layers: [{type, ..., outputShape}], params}")
    p.add_argument("--train-images", required=True)
    p.add_argument("--train-labels", required=True)
    p.add_argument("--test-images", required=True)
    p.add_argument("--test-labels", required=True)
    p.add_argument("--train-size", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=100)
    a = p.parse_args()
    spec = json.loads(a.spec)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    model = build(spec, g)
    params = sum(q.numel() for q in model.parameters())
    if params != spec["params"]:
        fail(f"the PyTorch model has {params} parameters, scratchnet's {spec['params']}: not the same network.")

    x_train = read_idx(a.train_images)[: a.train_size].reshape([-1] + spec["inputShape"]).float().div_(255.0)
    t_train = read_idx(a.train_labels)[: a.train_size].long()
    x_test = read_idx(a.test_images).reshape([-1] + spec["inputShape"]).float().div_(255.0)
    t_test = read_idx(a.test_labels).long()
    n = x_train.shape[0]
    b = min(a.batch_size, n)
    steps = n // b

    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    epoch_seconds = []
    for _ in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        for s in range(steps):
            idx = perm[s * b:(s + 1) * b]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), t_train[idx])
            loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t0)

    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, x_test.shape[0], 1000):
            correct += (model(x_test[s:s + 1000]).argmax(1) == t_test[s:s + 1000]).sum().item()
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "params": params,
        "imagesPerEpoch": steps * b, "epochSeconds": epoch_seconds,
        "testAccuracy": correct / x_test.shape[0], "model": str(model),
    }))


if __name__ == "__main__":
    main()
