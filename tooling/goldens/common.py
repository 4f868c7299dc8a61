"""Shared helpers for the golden-fixture generators (run with /usr/bin/python3).

Every fixture file is JSON: {"meta": {...}, "cases": [{"name", "op", "options", "tensors"}]}.
A tensor is {"shape": [...], "data": [...]}: row-major, PyTorch layout, each value the
shortest decimal that reads back as the same float32. Inputs are drawn as float32; the
expected values are computed in float64 from those float32 inputs, then rounded to float32.
"""
import json
import math
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def meta(generator):
    import torchvision

    return {
        "generator": generator,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "note": "inputs drawn in float32; expected values computed in float64 from them, written as float32",
    }


def _value(x):
    x = np.float32(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    text = str(x)  # numpy prints the shortest decimal that round-trips as float32
    v = float(text)
    return int(v) if v.is_integer() and abs(v) < 2**53 and "e" not in text else v


def encode(t):
    """A tensor (any dtype) as {"shape", "data"} with float32 shortest decimals."""
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return {"shape": list(a.shape), "data": [_value(v) for v in a.reshape(-1)]}


def rand(gen, *shape, low=-1.0, high=1.0):
    """Uniform float32 values from a seeded torch.Generator, returned as float64 (exactly the float32 values)."""
    return (torch.rand(*shape, generator=gen, dtype=torch.float32) * (high - low) + low).double()


def write(name, generator, cases):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump({"meta": meta(generator), "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {len(cases)} cases, {os.path.getsize(path) / 1e6:.2f} MB")
