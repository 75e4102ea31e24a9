"""Loads a scratchnet PyTorch export the way its docstring tells a user to, runs it on images
scratchnet also ran, and prints one JSON line for test/export/pytorch.test.ts to judge: the
largest logit difference, the state-dict keys, and how the book's dropout behaves."""
import argparse
import importlib.util
import json
import os

import torch


def read_float32(path):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True, help="the export directory")
    p.add_argument("--module", default="model.py")
    p.add_argument("--images", required=True, help="raw little-endian float32 images")
    p.add_argument("--logits", required=True, help="scratchnet's raw little-endian float32 logits for them")
    p.add_argument("--shape", required=True, help="one image's shape, JSON")
    a = p.parse_args()

    spec = importlib.util.spec_from_file_location("exported_model", os.path.join(a.dir, a.module))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.load()  # load_state_dict is strict: a missing, extra or misshapen key raises

    x = read_float32(a.images).reshape([-1] + json.loads(a.shape))
    with torch.no_grad():
        out = model(x)
    want = read_float32(a.logits).reshape(out.shape)
    report = {
        "torch": torch.__version__,
        "outShape": list(out.shape),
        "maxAbs": float((out - want).abs().max()),
        "agree": int((out.argmax(1) == want.argmax(1)).sum()),
        "training": model.training,
        "keys": sorted(k for k in model.state_dict() if not k.endswith("num_batches_tracked")),
        "floatValues": sum(t.numel() for t in model.state_dict().values() if t.is_floating_point()),
    }
    drops = [m for m in model.modules() if type(m).__name__ == "BookDropout"]
    if drops:
        d = drops[0]
        d.train()
        y = d(torch.ones(20000))
        report["dropout"] = {
            "ratio": d.ratio,
            "trainValues": sorted(set(y.tolist())),
            "trainKept": float(y.mean()),
            "evalValue": float(d.eval()(torch.ones(1))[0]),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
