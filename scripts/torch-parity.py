#!/usr/bin/env python3
"""PyTorch side of torch-parity: the loss and every parameter gradient of scratchnet's stacks.

scripts/torch-parity.ts (dist/scripts/torch-parity.js) writes the stacks as JSON: each has
scratchnet's layer descriptions, the pad each Convolution and Pooling resolved, the output shape
of every layer, the weights, one input batch and its labels. This script builds each stack from
torch.nn modules in float64 (the reference against which scratchnet's float32 is measured), refuses
a stack whose layer output shapes differ from scratchnet's, and prints one JSON object:
{"torch": version, "answers": [{"id", "loss", "grads", "loss32", "grads32", "tieWindows",
"tieWindowsNonzero", "kinkValues"}]}. Each stack also runs in float32: how far PyTorch's own float32
answer is from its float64 one is the yardstick where a stack is ill-conditioned (batch
normalisation of two samples, whose true input gradient is 0, leaves only rounding noise).

The mapping, layer by layer:
  Convolution         nn.Conv2d(padding=pad); W (f, c, kh, kw) is the same array
  Affine              nn.Linear after nn.Flatten when its input is an image; W (d, m) is weightᵀ
  Pooling             nn.MaxPool2d(padding=pad): padded cells never win, as in scratchnet
  Relu, Sigmoid       nn.ReLU, nn.Sigmoid
  BatchNormalization  nn.BatchNorm2d per channel on images, nn.BatchNorm1d on vectors, training
                      mode (batch statistics, biased variance), eps as scratchnet's (1e-6)
  Dropout             in inference mode, the book's x·(1 − ratio) (torch's own is inverted)
  SoftmaxWithLoss     the loss reported is the book's mean −log(softmax + 1e-7) at the label; the
                      gradient is that of mean cross-entropy, (softmax − onehot) / n, which the
                      book's backward computes (its 1e-7 is not differentiated).

Ties: a max-pooling window whose two largest values are equal (or within 2^-20 of each other,
where float32 rounding may order them either way) may send its gradient to another cell, a valid
subgradient too. Such windows are counted, in all and those whose maximum is not 0 (a tie at 0
after a Relu sends no gradient either way). Relu inputs within 1e-6 of the layer's scale of 0 are
counted too (a kink, where float32 and float64 may take different sides).
"""
import json
import math
import sys


def fail(message):
    print(f"torch-parity: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:
    fail(f"PyTorch is not importable ({e}). Fix: apt-get install python3-torch, or run with a Python that has torch.")

torch.set_grad_enabled(True)
DT = torch.float64


def tensor(values, shape=None):
    t = torch.tensor(values, dtype=DT)
    return t.reshape(shape) if shape is not None else t


class Scale(nn.Module):
    """The book's Dropout at inference: x · (1 − ratio)."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def build(stack):
    """(kind, module, parameter names → torch tensors) per scratchnet layer."""
    shape = list(stack["inputShape"])
    out = []
    for i, layer in enumerate(stack["layers"]):
        kind = layer["type"]
        p = stack["params"][i]
        params = {}
        flatten = False
        if kind == "Convolution":
            k = layer["kernelSize"]
            kh, kw = (k, k) if isinstance(k, int) else k
            m = nn.Conv2d(shape[0], layer["filters"], (kh, kw), stride=layer["stride"], padding=stack["pads"][i]).to(DT)
            with torch.no_grad():
                m.weight.copy_(tensor(p["W"], m.weight.shape))
                m.bias.copy_(tensor(p["b"]))
            params = {"W": (m.weight, False), "b": (m.bias, False)}
        elif kind == "Affine":
            d = math.prod(shape)
            flatten = len(shape) > 1
            m = nn.Linear(d, layer["units"]).to(DT)
            with torch.no_grad():
                m.weight.copy_(tensor(p["W"], (d, layer["units"])).t())
                m.bias.copy_(tensor(p["b"]))
            params = {"W": (m.weight, True), "b": (m.bias, False)}
        elif kind == "Relu":
            m = nn.ReLU()
        elif kind == "Sigmoid":
            m = nn.Sigmoid()
        elif kind == "Pooling":
            m = nn.MaxPool2d((layer["poolH"], layer["poolW"]), stride=layer["stride"], padding=stack["pads"][i])
        elif kind == "Dropout":
            m = Scale(1.0 - layer.get("ratio", 0.5))
        elif kind == "BatchNormalization":
            eps = layer.get("eps", 1e-6)
            bn = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            if len(shape) not in (1, 3):
                fail(f"stack {stack['id']} layers[{i}]: batch normalisation of a shape {shape} is not mapped.")
            m = bn(shape[0], eps=eps).to(DT)
            m.train()
            with torch.no_grad():
                m.weight.copy_(tensor(p["gamma"]))
                m.bias.copy_(tensor(p["beta"]))
            params = {"gamma": (m.weight, False), "beta": (m.bias, False)}
        elif kind == "Flatten":
            m = nn.Flatten()
        else:
            fail(f"stack {stack['id']} layers[{i}]: no PyTorch counterpart for {kind}.")
        out.append((kind, m, params, flatten, layer))
        shape = stack["outputShapes"][i]
    return out


def pool_ties(h, layer, pad):
    """Windows whose two largest real values are within 2^-20 (relative) of each other: (all, max ≠ 0)."""
    ph, pw, s = layer["poolH"], layer["poolW"], layer["stride"]
    hp = F.pad(h.detach(), (pad, pad, pad, pad), value=-math.inf)
    win = hp.unfold(2, ph, s).unfold(3, pw, s)
    win = win.reshape(*win.shape[:4], ph * pw)
    if ph * pw < 2:
        return 0, 0
    top = win.topk(2, dim=-1).values
    first, second = top[..., 0], top[..., 1]
    close = (first - second) <= first.abs() * 2.0 ** -20
    close &= torch.isfinite(second)
    return int(close.sum()), int((close & (first != 0)).sum())


def run(stack, dtype):
    global DT
    DT = dtype
    mods = build(stack)
    batch = stack["batch"]
    h = tensor(stack["x"], [batch] + list(stack["inputShape"]))
    ties = ties_nonzero = kinks = 0
    for i, (kind, m, _, flatten, layer) in enumerate(mods):
        if flatten:
            h = h.flatten(1)
        if kind == "Pooling":
            a, b = pool_ties(h, layer, stack["pads"][i])
            ties += a
            ties_nonzero += b
        if kind == "Relu":
            scale = max(float(h.detach().abs().max()), 1e-30)
            kinks += int((h.detach().abs() < 1e-6 * scale).sum())
        h = m(h)
        if list(h.shape[1:]) != list(stack["outputShapes"][i]):
            fail(f"stack {stack['id']} layers[{i}] {kind}: PyTorch's output shape {list(h.shape[1:])} differs from "
                 f"scratchnet's {stack['outputShapes'][i]}.")
    labels = torch.tensor(stack["labels"], dtype=torch.long)
    probs = torch.softmax(h.detach(), dim=1)
    loss = float(-(torch.log(probs[torch.arange(batch), labels] + 1e-7)).mean())
    F.cross_entropy(h, labels).backward()
    grads = []
    for kind, m, params, _, _ in mods:
        g = {}
        for name, (param, transposed) in params.items():
            grad = param.grad.t() if transposed else param.grad
            g[name] = grad.contiguous().reshape(-1).tolist()
        grads.append(g)
    return {"id": stack["id"], "loss": loss, "grads": grads, "tieWindows": ties,
            "tieWindowsNonzero": ties_nonzero, "kinkValues": kinks}


def answer(stack):
    """float64 (the reference) and float32 (PyTorch's own float32 error, the yardstick for ill-conditioned stacks)."""
    a = run(stack, torch.float64)
    b = run(stack, torch.float32)
    a["loss32"] = b["loss"]
    a["grads32"] = b["grads"]
    return a


def main():
    if len(sys.argv) != 2:
        fail("usage: torch-parity.py <stacks.json>")
    with open(sys.argv[1]) as f:
        stacks = json.load(f)
    torch.set_num_threads(1)
    answers = [answer(s) for s in stacks]
    print(json.dumps({"torch": torch.__version__, "answers": answers}))


if __name__ == "__main__":
    main()
