"""Golden fixtures for @convkit/im2col: tooling/goldens/im2col.json.

op 'im2col' is torch.nn.functional.unfold generalised to 1-3-D, every padding form and the
Conv*d padding modes; op 'col2im' is torch.nn.functional.fold generalised the same way.
torch's unfold/fold are 2-D only, so the expected values come from an explicit N-d unfold
(F.pad with the padding mode, then one strided slice per kernel tap, taps in C order), and
col2im from its adjoint by autograd. Both are checked against F.unfold / F.fold wherever
those apply (2-D, and 1-D as H = 1), so the N-d code is tied to torch itself.

Case: {name, op, options (convkit JSON), tensors: {input, output}}; for col2im `input` holds
the columns [N, C * prod(k), L]. Run with /usr/bin/python3 (torch 1.13).
"""
import itertools
import math
import zlib

import torch
import torch.nn.functional as F

from common import encode, rand, write

GENERATOR = "tooling/goldens/gen_im2col.py"
TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def per_dim(value, dims):
    return [value] * dims if isinstance(value, int) else list(value)


def pad_pairs(padding, spatial, kernel, stride, dilation):
    """[before, after] per dim, for every padding form of convGeometry ('same' = SAME_UPPER)."""
    dims = len(spatial)
    if padding == "valid":
        return [[0, 0]] * dims
    if padding == "same":
        pairs = []
        for d in range(dims):
            extent = dilation[d] * (kernel[d] - 1) + 1
            out = math.ceil(spatial[d] / stride[d])
            total = max((out - 1) * stride[d] + extent - spatial[d], 0)
            pairs.append([total // 2, total - total // 2])
        return pairs
    if isinstance(padding, int):
        return [[padding, padding]] * dims
    if isinstance(padding[0], (list, tuple)):
        return [list(p) for p in padding]
    return [[p, p] for p in padding]


def unfold_nd(x, kernel, stride, pairs, dilation, mode):
    """[N, C, *spatial] -> [N, C * prod(k), L]: pad, then one strided slice per tap (C order)."""
    dims = x.dim() - 2
    flat = []
    for before, after in reversed(pairs):
        flat += [before, after]
    if any(flat):
        x = F.pad(x, flat, mode=TORCH_MODE[mode]) if mode != "zeros" else F.pad(x, flat)
    padded = x.shape[2:]
    out = [(padded[d] - (dilation[d] * (kernel[d] - 1) + 1)) // stride[d] + 1 for d in range(dims)]
    taps = []
    for tap in itertools.product(*[range(k) for k in kernel]):
        index = [slice(None), slice(None)]
        for d in range(dims):
            start = tap[d] * dilation[d]
            index.append(slice(start, start + stride[d] * (out[d] - 1) + 1, stride[d]))
        taps.append(x[tuple(index)])
    cols = torch.stack(taps, dim=2)  # [N, C, K, *out]
    n, c = cols.shape[:2]
    return cols.reshape(n, c * len(taps), -1)


def onehot_conv_unfold(x, kernel, stride, pairs, dilation, mode):
    """unfold as conv{1,2,3}d of each channel with prod(k) one-hot kernels."""
    n, c = x.shape[:2]
    flat = []
    for before, after in reversed(pairs):
        flat += [before, after]
    xp = F.pad(x, flat, mode=TORCH_MODE[mode]) if mode != "zeros" else F.pad(x, flat)
    taps = math.prod(kernel)
    weight = torch.eye(taps, dtype=x.dtype).reshape(taps, 1, *kernel)
    conv = [None, F.conv1d, F.conv2d, F.conv3d][len(kernel)]
    out = conv(xp.reshape(n * c, 1, *xp.shape[2:]), weight, stride=stride, dilation=dilation)
    return out.reshape(n, c * taps, -1)


def resolve(options, spatial):
    dims = len(spatial)
    kernel = per_dim(options["kernelSize"], dims)
    stride = per_dim(options.get("stride", 1), dims)
    dilation = per_dim(options.get("dilation", 1), dims)
    pairs = pad_pairs(options.get("padding", 0), spatial, kernel, stride, dilation)
    return kernel, stride, dilation, pairs, options.get("paddingMode", "zeros")


def generator(name):
    """A generator seeded by the case name, so adding a case changes no other case."""
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def im2col_case(name, shape, options):
    x = rand(generator(name), *shape)
    kernel, stride, dilation, pairs, mode = resolve(options, shape[2:])
    cols = unfold_nd(x, kernel, stride, pairs, dilation, mode)
    # Tie the N-d slicing to torch's own unfold where torch has one.
    dims = len(shape) - 2
    if dims in (1, 2):
        x2 = x if dims == 2 else x.unsqueeze(2)
        lift = (lambda v: v) if dims == 2 else (lambda v: [1] + v)
        flat = []
        for before, after in reversed(pairs):
            flat += [before, after]
        if mode == "zeros":
            xp = F.pad(x2, flat + ([0, 0] if dims == 1 else []))
        else:
            xp = F.pad(x2 if dims == 2 else x, flat, mode=TORCH_MODE[mode])
            xp = xp if dims == 2 else xp.unsqueeze(2)
        ref = F.unfold(xp, lift(kernel), dilation=lift(dilation), padding=0, stride=lift(stride))
        assert torch.equal(ref, cols), name
    # And, in every rank, to torch's convolution with one one-hot kernel per tap.
    assert torch.equal(onehot_conv_unfold(x, kernel, stride, pairs, dilation, mode), cols), name
    return {"name": name, "op": "im2col", "options": options, "tensors": {"input": encode(x), "output": encode(cols)}}


def col2im_case(name, batch, channels, output_size, options):
    kernel, stride, dilation, pairs, mode = resolve(options, output_size)
    probe = torch.zeros(batch, channels, *output_size, dtype=torch.float64, requires_grad=True)
    cols_of_probe = unfold_nd(probe, kernel, stride, pairs, dilation, mode)
    columns = rand(generator(name), *cols_of_probe.shape)
    # fold is the adjoint of unfold: its value is the vector-Jacobian product of unfold.
    (folded,) = torch.autograd.grad(cols_of_probe, probe, grad_outputs=columns)
    dims = len(output_size)
    if mode == "zeros" and dims in (1, 2) and all(b == a for b, a in pairs):
        lift = (lambda v: v) if dims == 2 else (lambda v: [1] + v)
        ref = F.fold(
            columns,
            lift(list(output_size)),
            lift(kernel),
            dilation=lift(dilation),
            padding=lift([b for b, _ in pairs]) if dims == 2 else [0, pairs[0][0]],
            stride=lift(stride),
        )
        ref = ref if dims == 2 else ref.squeeze(2)
        assert torch.allclose(ref, folded, atol=1e-12), name
    options = {"outputSize": list(output_size), **options}
    return {"name": name, "op": "col2im", "options": options, "tensors": {"input": encode(columns), "output": encode(folded)}}


def main():
    cases = []
    im2col = [
        ("im2col2d/basic", [2, 3, 5, 6], {"kernelSize": 3}),
        ("im2col2d/stride2", [1, 2, 7, 8], {"kernelSize": 3, "stride": 2}),
        ("im2col2d/padding1", [2, 2, 4, 5], {"kernelSize": 3, "padding": 1}),
        ("im2col2d/dilation2-padding2", [1, 2, 7, 6], {"kernelSize": 3, "dilation": 2, "padding": 2}),
        ("im2col2d/per-dim", [2, 3, 6, 7], {"kernelSize": [2, 3], "stride": [1, 2], "padding": [1, 0], "dilation": [2, 1]}),
        ("im2col2d/pairs", [1, 2, 5, 5], {"kernelSize": [3, 2], "padding": [[1, 0], [2, 1]], "stride": [2, 1]}),
        ("im2col2d/same-k4", [1, 2, 5, 6], {"kernelSize": 4, "padding": "same"}),
        ("im2col2d/same-stride2", [2, 1, 7, 6], {"kernelSize": 3, "stride": 2, "padding": "same"}),
        ("im2col2d/valid", [1, 3, 4, 4], {"kernelSize": 2, "padding": "valid"}),
        ("im2col2d/1x1-stride2", [2, 4, 5, 5], {"kernelSize": 1, "stride": 2}),
        ("im2col2d/kernel-covers-input", [2, 2, 3, 4], {"kernelSize": [3, 4]}),
        ("im2col2d/reflect", [2, 2, 5, 6], {"kernelSize": 3, "padding": 2, "paddingMode": "reflect"}),
        ("im2col2d/replicate", [1, 3, 4, 5], {"kernelSize": 3, "padding": [2, 1], "stride": 2, "paddingMode": "replicate"}),
        ("im2col2d/circular", [1, 2, 4, 5], {"kernelSize": 3, "padding": [[2, 1], [0, 3]], "paddingMode": "circular"}),
        ("im2col2d/reflect-same-dilated", [1, 2, 6, 7], {"kernelSize": 3, "dilation": 2, "padding": "same", "paddingMode": "reflect"}),
        ("im2col1d/basic", [2, 3, 9], {"kernelSize": 3}),
        ("im2col1d/stride-dilation-padding", [2, 2, 11], {"kernelSize": 3, "stride": 2, "dilation": 2, "padding": 3}),
        ("im2col1d/reflect", [1, 2, 7], {"kernelSize": 5, "padding": 3, "paddingMode": "reflect"}),
        ("im2col1d/circular-pairs", [2, 2, 6], {"kernelSize": 4, "padding": [[3, 2]], "paddingMode": "circular"}),
        ("im2col1d/replicate-same", [1, 3, 8], {"kernelSize": 4, "stride": 3, "padding": "same", "paddingMode": "replicate"}),
        ("im2col3d/basic", [2, 2, 3, 4, 5], {"kernelSize": 2}),
        ("im2col3d/stride-padding-dilation", [1, 2, 5, 6, 5], {"kernelSize": [2, 3, 2], "stride": [2, 1, 2], "padding": [1, 1, 0], "dilation": [1, 2, 2]}),
        ("im2col3d/replicate", [1, 2, 3, 4, 4], {"kernelSize": 3, "padding": [1, 2, 1], "paddingMode": "replicate"}),
        ("im2col3d/reflect", [2, 1, 4, 4, 5], {"kernelSize": 3, "padding": [[1, 2], [2, 0], [1, 1]], "paddingMode": "reflect"}),
        ("im2col3d/circular", [1, 2, 3, 4, 3], {"kernelSize": 2, "stride": 2, "padding": [1, 2, 3], "paddingMode": "circular"}),
        ("im2col3d/same", [1, 2, 4, 5, 3], {"kernelSize": [2, 3, 3], "padding": "same"}),
    ]
    for name, shape, options in im2col:
        cases.append(im2col_case(name, shape, options))
    col2im = [
        ("col2im2d/basic", 2, 3, [5, 6], {"kernelSize": 3}),
        ("col2im2d/stride2-padding1", 1, 2, [7, 8], {"kernelSize": 3, "stride": 2, "padding": 1}),
        ("col2im2d/dilation2", 2, 2, [7, 6], {"kernelSize": [3, 2], "dilation": [2, 3], "padding": [2, 1]}),
        ("col2im2d/stride-gaps", 1, 2, [8, 9], {"kernelSize": 2, "stride": 3}),
        ("col2im2d/pairs", 1, 2, [5, 5], {"kernelSize": 3, "padding": [[1, 0], [2, 1]], "stride": 2}),
        ("col2im2d/reflect", 2, 2, [5, 6], {"kernelSize": 3, "padding": 2, "paddingMode": "reflect"}),
        ("col2im2d/replicate", 1, 3, [4, 5], {"kernelSize": 3, "padding": [2, 1], "paddingMode": "replicate"}),
        ("col2im2d/circular", 1, 2, [4, 5], {"kernelSize": 3, "padding": [[2, 1], [0, 3]], "paddingMode": "circular"}),
        ("col2im1d/basic", 2, 3, [9], {"kernelSize": 3}),
        ("col2im1d/stride-padding-dilation", 2, 2, [11], {"kernelSize": 3, "stride": 2, "padding": 2, "dilation": 2}),
        ("col2im1d/reflect", 1, 2, [7], {"kernelSize": 5, "padding": 3, "paddingMode": "reflect"}),
        ("col2im3d/basic", 2, 2, [3, 4, 5], {"kernelSize": 2}),
        ("col2im3d/stride-padding-dilation", 1, 2, [5, 6, 5], {"kernelSize": [2, 3, 2], "stride": [2, 1, 2], "padding": [1, 1, 0], "dilation": [1, 2, 2]}),
        ("col2im3d/replicate", 1, 2, [3, 4, 4], {"kernelSize": 3, "padding": [1, 2, 1], "paddingMode": "replicate"}),
        ("col2im3d/circular-same", 1, 2, [3, 4, 3], {"kernelSize": 2, "padding": "same", "paddingMode": "circular"}),
    ]
    for name, batch, channels, size, options in col2im:
        cases.append(col2im_case(name, batch, channels, size, options))
    write("im2col.json", GENERATOR, cases)


if __name__ == "__main__":
    main()
