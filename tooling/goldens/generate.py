"""Regenerates every golden fixture in this folder (run with /usr/bin/python3, which has
torch and torchvision): runs the main() of each gen_*.py module here, in name order, then
prints how many cases each fixture file holds per op, and how many carry gradients.

    /usr/bin/python3 tooling/goldens/generate.py            # every generator
    /usr/bin/python3 tooling/goldens/generate.py conv       # only gen_conv.py
"""
import glob
import importlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def generators(only):
    for path in sorted(glob.glob(os.path.join(HERE, "gen_*.py"))):
        module = os.path.splitext(os.path.basename(path))[0]
        if only and module[len("gen_"):] not in only:
            continue
        yield module


def summary():
    print(f"\n{'file':<24}{'op':<16}{'cases':>7}{'with grads':>12}")
    for path in sorted(glob.glob(os.path.join(HERE, "*.json"))):
        try:
            with open(path) as f:
                cases = json.load(f)["cases"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        per_op = {}
        for case in cases:
            counts = per_op.setdefault(case.get("op", "?"), [0, 0])
            counts[0] += 1
            counts[1] += any(name.startswith("grad") for name in case.get("tensors", {}))
        for op, (count, with_grads) in sorted(per_op.items()):
            print(f"{os.path.basename(path):<24}{op:<16}{count:>7}{with_grads:>12}")


def main(argv):
    only = set(argv)
    ran = []
    for module in generators(only):
        print(f"== {module}.py")
        importlib.import_module(module).main()
        ran.append(module)
    if only and len(ran) != len(only):
        known = [m[len("gen_"):] for m in generators(set())]
        raise SystemExit(f"unknown generator in {sorted(only)}; known: {known}")
    summary()


if __name__ == "__main__":
    main(sys.argv[1:])
