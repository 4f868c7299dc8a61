"""The PyTorch side of the Fashion-MNIST comparison (run with /usr/bin/python3: Debian's torch 1.13).

Same data (the gzipped IDX files), normalisation, model (apps/train/src/model.ts, same
state-dict keys), optimizer (Adam), batch size and epochs as `pnpm --filter @convkit/train train`,
on a fixed number of threads; prints the training time per epoch and the test accuracy.

    /usr/bin/python3 apps/train/pytorch/train_fashion_mnist.py --threads 1 --epochs 3
    /usr/bin/python3 apps/train/pytorch/train_fashion_mnist.py --threads 2 --epochs 3
    # evaluate a checkpoint convkit trained (loads with strict keys):
    /usr/bin/python3 apps/train/pytorch/train_fashion_mnist.py --evaluate train-output/checkpoint.safetensors
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.286, 0.353
FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def read_idx(path):
    raw = gzip.open(path).read()
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4 : 4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data_dir, limit):
    missing = [f for f in FILES if not os.path.exists(os.path.join(data_dir, f))]
    if missing:
        sys.exit(f"Fashion-MNIST not found in {data_dir}: sudo apt-get install -y dataset-fashion-mnist, or pass --data DIR")
    arrays = [read_idx(os.path.join(data_dir, f))[:limit] for f in FILES]
    images = [torch.from_numpy(((a.astype(np.float32) / 255 - MEAN) / STD)[:, None]) for a in (arrays[0], arrays[2])]
    labels = [torch.from_numpy(a.astype(np.int64)) for a in (arrays[1], arrays[3])]
    return images[0], labels[0], images[1], labels[1]


def fashion_cnn(width=1.0):
    c1, c2, hidden = round(32 * width), round(64 * width), round(128 * width)
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, 10),
    )


def load_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    kinds = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8"}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + b : 8 + n + end], dtype=kinds[e["dtype"]]).copy()).reshape(e["shape"])
    return out


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x[i : i + 500]) for i in range(0, len(x), 500)])
    model.train()
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--evaluate", help="a safetensors checkpoint (e.g. convkit's) to test instead of training")
    p.add_argument("--json", help="also write the run's numbers to this file")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr, xte, yte = load(args.data, args.limit)
    model = fashion_cnn(args.width)
    if args.evaluate:
        model.load_state_dict(load_safetensors(args.evaluate), strict=True)
        loss, acc = evaluate(model, xte, yte)
        print(f"{args.evaluate}: test loss {loss:.4f}, accuracy {100 * acc:.2f}% ({len(xte)} images)")
        return
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s); {len(xtr)} train / {len(xte)} test images; width {args.width}; Adam lr {args.lr}, batch {args.batch_size}")
    times, epochs = [], []
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(xtr))
        start = time.perf_counter()
        total, hits = 0.0, 0
        for i in range(0, len(xtr), args.batch_size):
            idx = order[i : i + args.batch_size]
            opt.zero_grad()
            logits = model(xtr[idx])
            loss = F.cross_entropy(logits, ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            hits += (logits.argmax(1) == ytr[idx]).sum().item()
        seconds = time.perf_counter() - start
        times.append(seconds)
        test_loss, test_acc = evaluate(model, xte, yte)
        epochs.append({"epoch": epoch, "trainLoss": total / len(xtr), "trainAccuracy": hits / len(xtr), "testLoss": test_loss, "testAccuracy": test_acc, "seconds": seconds, "imagesPerSecond": len(xtr) / seconds})
        print(f"epoch {epoch}/{args.epochs}: loss {total / len(xtr):.4f} acc {100 * hits / len(xtr):.1f}% | test loss {test_loss:.4f} acc {100 * test_acc:.2f}% | {seconds:.1f} s, {len(xtr) / seconds:.0f} img/s")
    print(f"test accuracy {100 * test_acc:.2f}%; {sum(times) / len(times):.1f} s per epoch (training only)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"engine": f"PyTorch {torch.__version__}", "threads": torch.get_num_threads(), "epochs": epochs}, f, indent=2)


if __name__ == "__main__":
    main()
