"""Golden fixtures for convolution (1-D, 2-D, 3-D), transposed convolution and deformable
convolution (DCN v1 and v2), forward and backward, computed with PyTorch in float64.

Writes conv.json (op 'conv'), conv-transpose.json (op 'convTranspose') and deform-conv.json
(op 'deformConv'). Each case's options are convkit's option object; the bias (and, for
deformable convolution, the offset and the mask) are tensors of the case.

How PyTorch computes what convkit means:
- padding [before, after] pairs and 'same' (TensorFlow/ONNX SAME_UPPER at any stride:
  out = ceil(in / stride), total = max((out - 1) * stride + dilation * (k - 1) + 1 - in, 0),
  floor(total / 2) before, the rest after): F.pad with zeros, then conv with padding 0;
- padding modes: F.pad(mode=reflect/replicate/circular), then conv with padding 0, exactly
  what nn.Conv*d does;
- transposed with pairs: conv_transpose with padding 0, then crop padBefore at the start and
  padAfter at the end of every spatial dim;
- deformable: torchvision.ops.deform_conv2d (bilinear sampling, zeros outside the image);
  asymmetric pairs by F.pad with zeros first, which is the same function.

Every case is checked before it is written: against a direct float64 loop in numpy (an
independent implementation of the same formula), against PyTorch's own padding argument
where it can express the case, against PyTorch in float32 (so the 1e-4 contract is
reachable), and its gradients against the adjoint identities <gradOutput, y> =
<gradInput, x> + <gradBias, b> = <gradWeight, w> + <gradBias, b> (and = <gradMask, mask> +
<gradBias, b> for DCN v2) and, for offsets, against a finite difference.
"""
import math
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

from common import encode, rand, write

GENERATOR = "tooling/goldens/gen_conv.py"
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
CONV_MODULE = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
NUMPY_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# ---------------------------------------------------------------------------------------------
# Shape arithmetic, as convGeometry in packages/tensor/src/conv-geometry.ts does it.


def per_dim(value, dims, default):
    if value is None:
        return [default] * dims
    if isinstance(value, int):
        return [value] * dims
    assert len(value) == dims, (value, dims)
    return list(value)


def resolve_padding(padding, dims, in_spatial, kernel, stride, dilation):
    """[before, after] per spatial dim."""
    if padding is None or padding == "valid":
        return [(0, 0)] * dims
    if padding == "same":
        pads = []
        for d in range(dims):
            extent = dilation[d] * (kernel[d] - 1) + 1
            out = -(-in_spatial[d] // stride[d])  # ceil(in / stride)
            total = max((out - 1) * stride[d] + extent - in_spatial[d], 0)
            pads.append((total // 2, total - total // 2))
        return pads
    if isinstance(padding, int):
        return [(padding, padding)] * dims
    assert len(padding) == dims, (padding, dims)
    if isinstance(padding[0], (list, tuple)):
        return [tuple(p) for p in padding]
    return [(p, p) for p in padding]


def conv_output_spatial(in_spatial, kernel, stride, pads, dilation):
    return [
        (in_spatial[d] + pads[d][0] + pads[d][1] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1
        for d in range(len(in_spatial))
    ]


def torch_pad_list(pads):
    """F.pad's argument: the last dim first, (before, after) each."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return flat


def symmetric(pads):
    return all(before == after for before, after in pads)


def options_json(**options):
    """The convkit option object: only what the case sets, pairs as nested lists."""
    out = {}
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = [list(v) if isinstance(v, (list, tuple)) else v for v in value]
        out[key] = value
    return out


def case_generator(name):
    """One seeded generator per case, from its name, so adding a case changes no other."""
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


# ---------------------------------------------------------------------------------------------
# The computations (PyTorch), and independent direct loops (numpy) that check them.


def torch_conv(x, w, b, stride, pads, dilation, groups, mode):
    flat = torch_pad_list(pads)
    if any(flat):
        x = F.pad(x, flat, mode="constant" if mode == "zeros" else mode)
    return CONV[w.dim() - 2](x, w, b, stride=stride, padding=0, dilation=dilation, groups=groups)


def torch_conv_transpose(x, w, b, stride, pads, output_padding, dilation, groups):
    dims = w.dim() - 2
    full = CONV_TRANSPOSE[dims](
        x, w, b, stride=stride, padding=0, output_padding=output_padding, dilation=dilation, groups=groups
    )
    crop = [slice(None), slice(None)] + [slice(pb, full.shape[2 + d] - pa) for d, (pb, pa) in enumerate(pads)]
    return full[tuple(crop)]


def torch_deform(x, offset, w, b, mask, stride, pads, dilation):
    if symmetric(pads):
        padding = tuple(p[0] for p in pads)
    else:
        x = F.pad(x, torch_pad_list(pads))
        padding = (0, 0)
    return deform_conv2d(x, offset, w, b, stride=tuple(stride), padding=padding, dilation=tuple(dilation), mask=mask)


def window(index, dilation, stride, count):
    return slice(index * dilation, index * dilation + (count - 1) * stride + 1, stride)


def naive_conv(x, w, b, stride, pads, dilation, groups, mode):
    """Direct convolution: for each kernel tap, a strided slice of the padded input."""
    xp = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads], mode=NUMPY_PAD_MODE[mode])
    n, cin = x.shape[:2]
    cout, cin_group = w.shape[:2]
    kernel = w.shape[2:]
    dims = len(kernel)
    out_spatial = [(xp.shape[2 + d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1 for d in range(dims)]
    out = np.zeros((n, cout, *out_spatial))
    cout_group = cout // groups
    np_errors = np.seterr(invalid="ignore")  # Infinity - Infinity in the special-value cases is NaN, as asked
    for g in range(groups):
        xs = xp[:, g * cin_group : (g + 1) * cin_group]
        for tap in np.ndindex(*kernel):
            patch = xs[(Ellipsis, *[window(tap[d], dilation[d], stride[d], out_spatial[d]) for d in range(dims)])]
            weight = w[(slice(g * cout_group, (g + 1) * cout_group), slice(None), *tap)]
            out[:, g * cout_group : (g + 1) * cout_group] += np.einsum("oc,nc...->no...", weight, patch)
    np.seterr(**np_errors)
    if b is not None:
        out += b.reshape(1, cout, *[1] * dims)
    return out


def naive_conv_transpose(x, w, b, stride, pads, output_padding, dilation, groups):
    """Direct transposed convolution: scatter every input value times the kernel."""
    n, cin = x.shape[:2]
    cout_group = w.shape[1]
    kernel = w.shape[2:]
    dims = len(kernel)
    in_spatial = x.shape[2:]
    cout = cout_group * groups
    cin_group = cin // groups
    full_spatial = [
        (in_spatial[d] - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1 + output_padding[d] for d in range(dims)
    ]
    full = np.zeros((n, cout, *full_spatial))
    for g in range(groups):
        xs = x[:, g * cin_group : (g + 1) * cin_group]
        for tap in np.ndindex(*kernel):
            weight = w[(slice(g * cin_group, (g + 1) * cin_group), slice(None), *tap)]
            target = (
                slice(None),
                slice(g * cout_group, (g + 1) * cout_group),
                *[window(tap[d], dilation[d], stride[d], in_spatial[d]) for d in range(dims)],
            )
            full[target] += np.einsum("co,nc...->no...", weight, xs)
    if b is not None:
        full += b.reshape(1, cout, *[1] * dims)
    crop = [slice(None), slice(None)] + [slice(pb, full_spatial[d] - pa) for d, (pb, pa) in enumerate(pads)]
    return full[tuple(crop)]


def bilinear_zero_outside(plane, y, x):
    """torchvision's bilinear_interpolate: 0 beyond one pixel outside, missing corners are 0."""
    height, width = plane.shape[-2:]
    if y <= -1 or y >= height or x <= -1 or x >= width:
        return np.zeros(plane.shape[:-2])
    y0, x0 = math.floor(y), math.floor(x)
    ly, lx = y - y0, x - x0
    total = np.zeros(plane.shape[:-2])
    for yy, wy in ((y0, 1 - ly), (y0 + 1, ly)):
        for xx, wx in ((x0, 1 - lx), (x0 + 1, lx)):
            if 0 <= yy < height and 0 <= xx < width:
                total = total + wy * wx * plane[..., yy, xx]
    return total


def naive_deform(x, offset, w, b, mask, stride, pads, dilation):
    """Direct deformable convolution (DCN v1/v2) with torchvision's offset layout."""
    n, cin, height, width = x.shape
    cout, cin_group, kh, kw = w.shape
    groups = cin // cin_group
    taps = kh * kw
    offset_groups = offset.shape[1] // (2 * taps)
    channels_per_offset_group = cin // offset_groups
    out_h, out_w = offset.shape[2:]
    cout_group = cout // groups
    out = np.zeros((n, cout, out_h, out_w))
    for batch in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                # samples[c, i, j]: the (modulated) input value that tap (i, j) reads for channel c.
                samples = np.zeros((cin, kh, kw))
                for og in range(offset_groups):
                    channels = slice(og * channels_per_offset_group, (og + 1) * channels_per_offset_group)
                    for i in range(kh):
                        for j in range(kw):
                            tap = i * kw + j
                            dy = offset[batch, og * 2 * taps + 2 * tap, oy, ox]
                            dx = offset[batch, og * 2 * taps + 2 * tap + 1, oy, ox]
                            y = oy * stride[0] - pads[0][0] + i * dilation[0] + dy
                            xx = ox * stride[1] - pads[1][0] + j * dilation[1] + dx
                            value = bilinear_zero_outside(x[batch, channels], y, xx)
                            if mask is not None:
                                value = value * mask[batch, og * taps + tap, oy, ox]
                            samples[channels, i, j] = value
                for g in range(groups):
                    ws = w[g * cout_group : (g + 1) * cout_group]
                    ss = samples[g * cin_group : (g + 1) * cin_group]
                    out[batch, g * cout_group : (g + 1) * cout_group, oy, ox] = np.einsum("ocij,cij->o", ws, ss)
    if b is not None:
        out += b.reshape(1, cout, 1, 1)
    return out


# ---------------------------------------------------------------------------------------------
# Checks every case passes before it is written.


def check_close(name, what, actual, expected, atol, rtol):
    a = actual.detach().numpy() if isinstance(actual, torch.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{name}: {what}: shape {a.shape} != {e.shape}"
    if not np.allclose(a, e, atol=atol, rtol=rtol, equal_nan=True):
        worst = np.nanmax(np.abs(a - e))
        raise AssertionError(f"{name}: {what}: max |diff| {worst} beyond atol={atol} rtol={rtol}")


def dot(a, b):
    return float((a.detach() * b.detach()).sum())


def check_identity(name, what, lhs, rhs):
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs)), f"{name}: {what}: {lhs} != {rhs}"


def check_adjoint(name, y, grad_output, pairs, bias, grad_bias):
    """y is linear in each of x, w (and mask): <gO, y> = <g, v> + <gradBias, b> for each."""
    total = dot(grad_output, y)
    bias_part = dot(grad_bias, bias) if bias is not None else 0.0
    for label, value, grad in pairs:
        check_identity(name, f"adjoint identity for {label}", total, dot(grad, value) + bias_part)
    if bias is not None:
        sums = grad_output.detach().sum(dim=[d for d in range(grad_output.dim()) if d != 1])
        check_close(name, "gradBias = sum of gradOutput", grad_bias, sums, 1e-12, 1e-12)


# ---------------------------------------------------------------------------------------------
# Case builders.


def finish(name, op, options, tensors, y, grad, leaves, gen):
    """Adds output and, when asked, gradOutput and the float64 autograd gradients."""
    tensors["output"] = y
    grads = {}
    if grad:
        grad_output = rand(gen, *y.shape)
        names = [k for k in leaves]
        values = torch.autograd.grad(y, [leaves[k] for k in names], grad_output)
        tensors["gradOutput"] = grad_output
        for key, value in zip(names, values):
            grads[key] = value
            tensors["grad" + key[0].upper() + key[1:]] = value
    case = {"name": name, "op": op, "options": options, "tensors": {k: encode(v) for k, v in tensors.items()}}
    return case, grads


def conv_case(
    name,
    *,
    cin,
    cout,
    size,
    kernel,
    n=1,
    stride=None,
    padding=None,
    dilation=None,
    groups=None,
    padding_mode=None,
    bias=True,
    grad=True,
    scale=1.0,
    poke=None,
):
    """A convolution case. `poke(x)` writes special values (NaN, Infinity) into the input."""
    dims = len(size)
    kernel = per_dim(kernel, dims, 1)
    stride_d = per_dim(stride, dims, 1)
    dilation_d = per_dim(dilation, dims, 1)
    groups_n = groups or 1
    mode = padding_mode or "zeros"
    pads = resolve_padding(padding, dims, size, kernel, stride_d, dilation_d)
    gen = case_generator(name)
    x = rand(gen, n, cin, *size) * scale
    w = rand(gen, cout, cin // groups_n, *kernel)
    b = rand(gen, cout) if bias else None
    if poke:
        poke(x)
    leaves = {"input": x, "weight": w}
    if b is not None:
        leaves["bias"] = b
    for v in leaves.values():
        v.requires_grad_(grad)
    y = torch_conv(x, w, b, stride_d, pads, dilation_d, groups_n, mode)
    assert list(y.shape[2:]) == conv_output_spatial(size, kernel, stride_d, pads, dilation_d), name

    # Independent direct loops.
    naive = naive_conv(x.detach().numpy(), w.detach().numpy(), None if b is None else b.detach().numpy(),
                       stride_d, pads, dilation_d, groups_n, mode)
    check_close(name, "direct loops", y, naive, 1e-12, 1e-12)
    # PyTorch's own padding argument, where it can say the same thing.
    with torch.no_grad():
        if symmetric(pads) and mode == "zeros":
            native = CONV[dims](x, w, b, stride=stride_d, padding=[p[0] for p in pads], dilation=dilation_d, groups=groups_n)
            check_close(name, "torch padding argument", y, native, 1e-12, 1e-12)
        if padding == "same" and all(s == 1 for s in stride_d) and mode == "zeros":
            with warnings.catch_warnings():  # even kernels: torch warns that it copies the input
                warnings.simplefilter("ignore", UserWarning)
                native = CONV[dims](x, w, b, stride=1, padding="same", dilation=dilation_d, groups=groups_n)
            check_close(name, "torch padding='same'", y, native, 1e-12, 1e-12)
        same_at_stride1 = padding == "same" and all(s == 1 for s in stride_d)
        if mode != "zeros" and (symmetric(pads) or same_at_stride1):
            module_padding = "same" if same_at_stride1 else [p[0] for p in pads]
            module = CONV_MODULE[dims](cin, cout, kernel, stride=stride_d, padding=module_padding,
                                       dilation=dilation_d, groups=groups_n, bias=bias, padding_mode=mode).double()
            module.weight.copy_(w)
            if b is not None:
                module.bias.copy_(b)
            check_close(name, f"nn.Conv{dims}d(padding_mode='{mode}')", y, module(x), 1e-12, 1e-12)
        # The float32 computation meets the 1e-4 contract.
        y32 = torch_conv(x.float(), w.float(), None if b is None else b.float(), stride_d, pads, dilation_d, groups_n, mode)
        check_close(name, "float32", y32.double(), y, 1e-4, 1e-4)

    options = options_json(stride=stride, padding=padding, dilation=dilation, groups=groups, paddingMode=padding_mode)
    tensors = {"input": x, "weight": w}
    if b is not None:
        tensors["bias"] = b
    case, grads = finish(name, "conv", options, tensors, y, grad, leaves if grad else {}, gen)
    if grad:
        check_adjoint(name, y, tensors["gradOutput"], [("input", x, grads["input"]), ("weight", w, grads["weight"])],
                      b, grads.get("bias"))
    return case


def conv_transpose_case(
    name,
    *,
    cin,
    cout,
    size,
    kernel,
    n=1,
    stride=None,
    padding=None,
    output_padding=None,
    dilation=None,
    groups=None,
    bias=True,
    grad=True,
    poke=None,
):
    dims = len(size)
    kernel = per_dim(kernel, dims, 1)
    stride_d = per_dim(stride, dims, 1)
    dilation_d = per_dim(dilation, dims, 1)
    output_padding_d = per_dim(output_padding, dims, 0)
    groups_n = groups or 1
    pads = resolve_padding(padding, dims, size, kernel, stride_d, dilation_d)
    gen = case_generator(name)
    x = rand(gen, n, cin, *size)
    w = rand(gen, cin, cout // groups_n, *kernel)
    b = rand(gen, cout) if bias else None
    if poke:
        poke(x)
    leaves = {"input": x, "weight": w}
    if b is not None:
        leaves["bias"] = b
    for v in leaves.values():
        v.requires_grad_(grad)
    y = torch_conv_transpose(x, w, b, stride_d, pads, output_padding_d, dilation_d, groups_n)
    expected_spatial = [
        (size[d] - 1) * stride_d[d] - pads[d][0] - pads[d][1] + dilation_d[d] * (kernel[d] - 1) + 1 + output_padding_d[d]
        for d in range(dims)
    ]
    assert list(y.shape[2:]) == expected_spatial, name

    naive = naive_conv_transpose(x.detach().numpy(), w.detach().numpy(), None if b is None else b.detach().numpy(),
                                 stride_d, pads, output_padding_d, dilation_d, groups_n)
    check_close(name, "direct loops", y, naive, 1e-12, 1e-12)
    with torch.no_grad():
        if symmetric(pads):
            native = CONV_TRANSPOSE[dims](x, w, b, stride=stride_d, padding=[p[0] for p in pads],
                                          output_padding=output_padding_d, dilation=dilation_d, groups=groups_n)
            check_close(name, "torch padding argument", y, native, 1e-12, 1e-12)
        y32 = torch_conv_transpose(x.float(), w.float(), None if b is None else b.float(), stride_d, pads,
                                   output_padding_d, dilation_d, groups_n)
        check_close(name, "float32", y32.double(), y, 1e-4, 1e-4)

    options = options_json(stride=stride, padding=padding, outputPadding=output_padding, dilation=dilation, groups=groups)
    tensors = {"input": x, "weight": w}
    if b is not None:
        tensors["bias"] = b
    case, grads = finish(name, "convTranspose", options, tensors, y, grad, leaves if grad else {}, gen)
    if grad:
        check_adjoint(name, y, tensors["gradOutput"], [("input", x, grads["input"]), ("weight", w, grads["weight"])],
                      b, grads.get("bias"))
    return case


def deform_offsets(gen, kind, shape, size):
    """Offsets: 'fractional' in [-2, 2), 'large' in [-4, 4), 'zero', 'far' (whole image away), 'mixed'."""
    if kind == "zero":
        return torch.zeros(*shape, dtype=torch.float64)
    if kind == "fractional":
        return rand(gen, *shape, low=-2.0, high=2.0)
    if kind == "large":
        return rand(gen, *shape, low=-4.0, high=4.0)
    far = max(size) + 2.0
    magnitude = rand(gen, *shape, low=far, high=far + 6.0)
    sign = torch.where(rand(gen, *shape) < 0, -1.0, 1.0).double()
    if kind == "far":
        return magnitude * sign
    assert kind == "mixed", kind
    near = rand(gen, *shape, low=-2.0, high=2.0)
    return torch.where(rand(gen, *shape) < 0, magnitude * sign, near)


# Sampling positions exactly on torchvision's border, for the 'border-*' offset kinds. Every
# target is a multiple of 2**-10 of magnitude < 16, and the base positions are integers, so the
# offsets (target - base) and the positions (base + offset) are exact in float32 and float64
# alike: both precisions sample exactly the same point.
BORDER_EPS = 2.0**-10


def border_targets(kind, length):
    """The special coordinates of an offset kind along an axis of `length` samples (H or W)."""
    e = BORDER_EPS
    minus_one = [-1.0]  # just outside: torchvision's bilinear_interpolate returns 0 for y <= -1
    last = [length - 1.0]  # the last row/column: the upper neighbour is missing
    size = [float(length)]  # y = H: outside (height <= y)
    integer = [float(k) for k in range(length)]  # zero fractional part: the one-sided derivative
    near = [-1.0 + e, -e, length - 1.0 + e, length - e, -1.0 - e, float(length) + e]
    halves = [k + 0.5 for k in range(-1, length)]
    kinds = {
        "border-minus-one": minus_one,
        "border-last": last,
        "border-size": size,
        "border-integer": integer,
        "border-near": near,
        "border-all": minus_one + last + size + integer + near + halves,
    }
    return kinds[kind]


def border_inner(length):
    """Non-integer coordinates well inside (multiples of 1/8), for the other coordinate of a sample."""
    return [k / 8.0 for k in range(1, 8 * (length - 1)) if k % 8]


def border_offsets(gen, kind, shape, size, kernel, stride, pads, dilation):
    """Offsets that put the sampling positions exactly on the border values of `kind`.

    For every sample (batch, offset group, tap, output position) a draw decides whether y, x
    or both take a border value of the kind; a coordinate that does not takes a multiple of
    1/8 strictly inside the image. The offset is then the target minus the tap's base
    position (out * stride - padBefore + tap * dilation), which torchvision adds back.
    """
    n, channels, out_h, out_w = shape
    taps = kernel[0] * kernel[1]
    offset_groups = channels // (2 * taps)
    grid = (n, offset_groups, kernel[0], kernel[1], out_h, out_w)
    targets = []
    for axis in range(2):
        special = torch.tensor(border_targets(kind, size[axis]), dtype=torch.float64)
        inner = torch.tensor(border_inner(size[axis]), dtype=torch.float64)
        targets.append((special, inner))
    which = torch.randint(0, 3, grid, generator=gen)  # 0: y special, 1: x special, 2: both
    coords = []
    for axis, (special, inner) in enumerate(targets):
        pick_special = special[torch.randint(0, len(special), grid, generator=gen)]
        pick_inner = inner[torch.randint(0, len(inner), grid, generator=gen)]
        coords.append(torch.where((which == axis) | (which == 2), pick_special, pick_inner))
    base_y = (torch.arange(out_h) * stride[0] - pads[0][0]).view(1, 1, 1, 1, out_h, 1) + (
        torch.arange(kernel[0]) * dilation[0]).view(1, 1, kernel[0], 1, 1, 1)
    base_x = (torch.arange(out_w) * stride[1] - pads[1][0]).view(1, 1, 1, 1, 1, out_w) + (
        torch.arange(kernel[1]) * dilation[1]).view(1, 1, 1, kernel[1], 1, 1)
    dy = coords[0] - base_y.double()
    dx = coords[1] - base_x.double()
    offset = torch.stack([dy, dx], dim=4)  # (n, og, kh, kw, 2, oh, ow): torchvision's (dy, dx) per tap
    offset = offset.reshape(n, channels, out_h, out_w)
    # Exactly representable, and the positions are the targets in float32 too.
    assert torch.equal(offset.float().double(), offset), kind
    assert torch.equal((base_y.float() + dy.float()).double(), coords[0]), kind
    assert torch.equal((base_x.float() + dx.float()).double(), coords[1]), kind
    # Every border value of the kind occurs, in y and in x.
    for axis, (special, _) in enumerate(targets):
        missing = [float(v) for v in special if not (coords[axis] == v).any()]
        assert not missing, f"{kind}: {'yx'[axis]} never samples {missing}"
    return offset


def check_offset_gradient_elementwise(name, x, offset, w, b, m, stride, pads, dilation, grad_output, grad_offset):
    """gradOffset, one element at a time, against a one-sided difference from above.

    The bilinear sample is linear along each coordinate inside a cell [k, k + 1], so a step of
    +eps from an exact position reproduces torchvision's cell choice (the cell above an integer
    position; y = -1 reads the cell [-1, 0], y = H reads nothing) up to rounding.
    """
    eps = 2.0**-24
    with torch.no_grad():
        y0 = torch_deform(x, offset, w, b, m, stride, pads, dilation)
        flat = offset.detach().clone().reshape(-1)
        for k in range(flat.numel()):
            moved = flat.clone()
            moved[k] += eps
            y1 = torch_deform(x, moved.view_as(offset), w, b, m, stride, pads, dilation)
            numeric = dot(grad_output, y1 - y0) / eps
            analytic = float(grad_offset.reshape(-1)[k])
            assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)), (
                f"{name}: gradOffset[{k}] {analytic} vs one-sided difference {numeric}")


def deform_case(
    name,
    *,
    cin,
    cout,
    size,
    kernel,
    n=1,
    stride=None,
    padding=None,
    dilation=None,
    groups=None,
    offset_groups=1,
    offsets="fractional",
    mask=False,
    mask_range=(0.0, 1.0),
    bias=True,
    grad=True,
):
    kernel = per_dim(kernel, 2, 1)
    stride_d = per_dim(stride, 2, 1)
    dilation_d = per_dim(dilation, 2, 1)
    groups_n = groups or 1
    pads = resolve_padding(padding, 2, size, kernel, stride_d, dilation_d)
    out_spatial = conv_output_spatial(size, kernel, stride_d, pads, dilation_d)
    taps = kernel[0] * kernel[1]
    gen = case_generator(name)
    x = rand(gen, n, cin, *size)
    w = rand(gen, cout, cin // groups_n, *kernel)
    b = rand(gen, cout) if bias else None
    offset_shape = (n, 2 * offset_groups * taps, *out_spatial)
    if offsets.startswith("border-"):
        assert symmetric(pads), f"{name}: border cases use torchvision's own padding argument"
        offset = border_offsets(gen, offsets, offset_shape, size, kernel, stride_d, pads, dilation_d)
    else:
        offset = deform_offsets(gen, offsets, offset_shape, size)
    m = rand(gen, n, offset_groups * taps, *out_spatial, low=mask_range[0], high=mask_range[1]) if mask else None
    leaves = {"input": x, "weight": w}
    if b is not None:
        leaves["bias"] = b
    leaves["offset"] = offset
    if m is not None:
        leaves["mask"] = m
    for v in leaves.values():
        v.requires_grad_(grad)
    y = torch_deform(x, offset, w, b, m, stride_d, pads, dilation_d)
    assert list(y.shape[2:]) == out_spatial, name

    def np_(t):
        return None if t is None else t.detach().numpy()

    naive = naive_deform(np_(x), np_(offset), np_(w), np_(b), np_(m), stride_d, pads, dilation_d)
    check_close(name, "direct loops", y, naive, 1e-12, 1e-12)
    with torch.no_grad():
        if symmetric(pads):
            padded = F.pad(x, torch_pad_list(pads))
            via_pad = deform_conv2d(padded, offset, w, b, stride=tuple(stride_d), padding=(0, 0),
                                    dilation=tuple(dilation_d), mask=m)
            check_close(name, "explicit zero padding", y, via_pad, 1e-12, 1e-12)
        if offsets == "zero" and m is None:
            plain = torch_conv(x, w, b, stride_d, pads, dilation_d, groups_n, "zeros")
            check_close(name, "zero offsets = convolution", y, plain, 1e-12, 1e-12)
        f32 = [None if t is None else t.float() for t in (x, offset, w, b, m)]
        y32 = torch_deform(f32[0], f32[1], f32[2], f32[3], f32[4], stride_d, pads, dilation_d)
        check_close(name, "float32", y32.double(), y, 1e-4, 1e-4)

    options = options_json(stride=stride, padding=padding, dilation=dilation, groups=groups)
    tensors = {"input": x, "weight": w}
    if b is not None:
        tensors["bias"] = b
    tensors["offset"] = offset
    if m is not None:
        tensors["mask"] = m
    case, grads = finish(name, "deformConv", options, tensors, y, grad, leaves if grad else {}, gen)
    if grad:
        pairs = [("input", x, grads["input"]), ("weight", w, grads["weight"])]
        if m is not None:
            pairs.append(("mask", m, grads["mask"]))
        check_adjoint(name, y, tensors["gradOutput"], pairs, b, grads.get("bias"))
        # gradOffset: a one-sided difference along a positive direction, which stays inside the
        # bilinear cell [floor, floor + 1] that torchvision differentiates, even at integer points.
        direction = rand(gen, *offset.shape, low=0.1, high=1.0)
        eps = 1e-7
        with torch.no_grad():
            moved = torch_deform(x, offset + eps * direction, w, b, m, stride_d, pads, dilation_d)
            numeric = dot(tensors["gradOutput"], moved - y) / eps
        analytic = dot(grads["offset"], direction)
        assert abs(numeric - analytic) <= 1e-5 * max(1.0, abs(analytic)), f"{name}: gradOffset {analytic} vs {numeric}"
        if offsets.startswith("border-"):
            check_offset_gradient_elementwise(name, x, offset, w, b, m, stride_d, pads, dilation_d,
                                              tensors["gradOutput"], grads["offset"])
    return case


# ---------------------------------------------------------------------------------------------
# Special values.


def poke_nan(x):
    with torch.no_grad():
        x[0, 1, 2, 2] = float("nan")


def poke_infinities(x):
    with torch.no_grad():
        x[0, 0, 1, 1] = float("inf")
        x[0, 0, 1, 3] = float("-inf")


def poke_nan_1d(x):
    with torch.no_grad():
        x[0, 0, 3] = float("nan")


def poke_nan_transposed(x):
    with torch.no_grad():
        x[0, 1, 1, 0] = float("nan")


# ---------------------------------------------------------------------------------------------
# The cases.


def conv1d_cases():
    c = conv_case
    return [
        c("conv1d/basic-k3", cin=2, cout=3, size=[8], kernel=3),
        c("conv1d/pad1", cin=2, cout=3, size=[7], kernel=3, padding=1),
        c("conv1d/pad2-k5", cin=2, cout=2, size=[6], kernel=5, padding=2, grad=False),
        c("conv1d/stride2", cin=2, cout=3, size=[9], kernel=3, stride=2),
        c("conv1d/stride3-k2", cin=2, cout=2, size=[10], kernel=2, stride=3),
        c("conv1d/dil2", cin=2, cout=3, size=[9], kernel=3, dilation=2),
        c("conv1d/dil3-pad3", cin=2, cout=2, size=[7], kernel=3, dilation=3, padding=3, grad=False),
        c("conv1d/groups2", cin=4, cout=6, size=[7], kernel=3, groups=2),
        c("conv1d/depthwise", cin=4, cout=4, size=[8], kernel=3, groups=4, padding=1),
        c("conv1d/depthwise-mult2", cin=3, cout=6, size=[7], kernel=3, groups=3),
        c("conv1d/k1", cin=5, cout=3, size=[6], kernel=1),
        c("conv1d/k1-stride2", cin=3, cout=4, size=[7], kernel=1, stride=2, grad=False),
        c("conv1d/kernel-equals-input", cin=3, cout=4, size=[5], kernel=5),
        c("conv1d/output-size1-by-stride", cin=2, cout=3, size=[6], kernel=3, stride=4),
        c("conv1d/same-k3", cin=2, cout=3, size=[7], kernel=3, padding="same"),
        c("conv1d/same-k4-stride1", cin=2, cout=3, size=[7], kernel=4, padding="same"),
        c("conv1d/same-k4-stride2", cin=2, cout=3, size=[9], kernel=4, stride=2, padding="same"),
        c("conv1d/same-k3-stride3", cin=2, cout=2, size=[10], kernel=3, stride=3, padding="same", grad=False),
        c("conv1d/same-k3-dil2", cin=2, cout=2, size=[8], kernel=3, dilation=2, padding="same"),
        c("conv1d/valid", cin=2, cout=3, size=[8], kernel=4, padding="valid", grad=False),
        c("conv1d/pairs-2-0", cin=2, cout=3, size=[7], kernel=3, padding=[[2, 0]]),
        c("conv1d/pairs-0-3", cin=2, cout=2, size=[6], kernel=3, padding=[[0, 3]], grad=False),
        c("conv1d/reflect-max", cin=2, cout=3, size=[5], kernel=3, padding=4, padding_mode="reflect"),
        c("conv1d/replicate-pad2", cin=2, cout=2, size=[6], kernel=3, padding=2, padding_mode="replicate"),
        c("conv1d/circular-pad-equals-size", cin=2, cout=2, size=[4], kernel=3, padding=4, padding_mode="circular"),
        c("conv1d/circular-pairs", cin=2, cout=2, size=[5], kernel=4, padding=[[1, 2]], padding_mode="circular",
          grad=False),
        c("conv1d/batch3", n=3, cin=2, cout=3, size=[6], kernel=3, padding=1),
        c("conv1d/no-bias", cin=3, cout=2, size=[7], kernel=3, bias=False),
        c("conv1d/stride2-dil2-groups2-pairs", cin=4, cout=4, size=[11], kernel=3, stride=2, dilation=2, groups=2,
          padding=[[3, 1]]),
        c("conv1d/text-tokens-c8-l7", n=2, cin=8, cout=4, size=[7], kernel=3),
        c("conv1d/nan-input", cin=2, cout=2, size=[8], kernel=3, padding=1, grad=False, poke=poke_nan_1d),
    ]


def conv2d_cases():
    c = conv_case
    s = [5, 5]
    return [
        c("conv2d/basic-3x3", cin=2, cout=3, size=s, kernel=3),
        c("conv2d/pad1", cin=2, cout=3, size=s, kernel=3, padding=1),
        c("conv2d/pad2", cin=2, cout=2, size=[4, 4], kernel=3, padding=2, grad=False),
        c("conv2d/stride2", cin=2, cout=3, size=[7, 7], kernel=3, stride=2),
        c("conv2d/stride-2x1", cin=2, cout=2, size=[7, 5], kernel=3, stride=[2, 1]),
        c("conv2d/stride3-k2", cin=2, cout=2, size=[8, 8], kernel=2, stride=3),
        c("conv2d/dil2", cin=2, cout=3, size=[7, 7], kernel=3, dilation=2),
        c("conv2d/dil-1x2", cin=2, cout=2, size=[5, 7], kernel=3, dilation=[1, 2], grad=False),
        c("conv2d/groups2", cin=4, cout=4, size=s, kernel=3, groups=2),
        c("conv2d/groups4", cin=4, cout=8, size=[4, 4], kernel=2, groups=4, grad=False),
        c("conv2d/depthwise", cin=3, cout=3, size=s, kernel=3, groups=3, padding=1),
        c("conv2d/depthwise-mult2", cin=3, cout=6, size=s, kernel=3, groups=3),
        c("conv2d/depthwise-mult3-stride2", cin=2, cout=6, size=[6, 6], kernel=3, groups=2, stride=2, padding=1),
        c("conv2d/pointwise-1x1", cin=6, cout=4, size=[4, 4], kernel=1),
        c("conv2d/pointwise-1x1-stride2", cin=3, cout=4, size=[5, 5], kernel=1, stride=2, grad=False),
        c("conv2d/pointwise-1x1-groups2", cin=4, cout=6, size=[4, 3], kernel=1, groups=2),
        c("conv2d/kernel-2x3", cin=2, cout=3, size=s, kernel=[2, 3]),
        c("conv2d/kernel-1x5", cin=2, cout=2, size=[4, 6], kernel=[1, 5]),
        c("conv2d/kernel-5x1-pad-2x0", cin=2, cout=2, size=[6, 4], kernel=[5, 1], padding=[2, 0], grad=False),
        c("conv2d/kernel-3x1-stride-1x2", cin=2, cout=3, size=[5, 6], kernel=[3, 1], stride=[1, 2]),
        c("conv2d/kernel-equals-input", cin=3, cout=4, size=[4, 4], kernel=4),
        c("conv2d/kernel-equals-input-2x3", cin=2, cout=3, size=[2, 3], kernel=[2, 3], grad=False),
        c("conv2d/output-size1-by-stride", cin=2, cout=2, size=[5, 5], kernel=3, stride=3),
        c("conv2d/same-k3", cin=2, cout=3, size=s, kernel=3, padding="same"),
        c("conv2d/same-k4-stride1", cin=2, cout=2, size=s, kernel=4, padding="same"),
        c("conv2d/same-k2-stride1", cin=2, cout=2, size=[4, 5], kernel=2, padding="same", grad=False),
        c("conv2d/same-k4-stride2", cin=2, cout=2, size=[7, 6], kernel=4, stride=2, padding="same"),
        c("conv2d/same-k2-stride2", cin=2, cout=2, size=[5, 6], kernel=2, stride=2, padding="same"),
        c("conv2d/same-k3-stride2", cin=2, cout=3, size=[6, 7], kernel=3, stride=2, padding="same"),
        c("conv2d/same-k5-stride3", cin=2, cout=2, size=[7, 8], kernel=5, stride=3, padding="same", grad=False),
        c("conv2d/same-k3-dil2", cin=2, cout=2, size=[6, 6], kernel=3, dilation=2, padding="same"),
        c("conv2d/same-k2x3-stride-2x1", cin=2, cout=2, size=[5, 5], kernel=[2, 3], stride=[2, 1], padding="same"),
        c("conv2d/same-groups2", cin=4, cout=4, size=[5, 4], kernel=4, groups=2, padding="same", grad=False),
        c("conv2d/same-no-padding-needed", cin=2, cout=2, size=[6, 6], kernel=2, stride=2, padding="same", grad=False),
        c("conv2d/valid", cin=2, cout=3, size=s, kernel=3, padding="valid", grad=False),
        c("conv2d/per-dim-padding-1x2", cin=2, cout=2, size=[4, 4], kernel=3, padding=[1, 2]),
        c("conv2d/per-dim-padding-0x2", cin=2, cout=3, size=[5, 4], kernel=[3, 2], padding=[0, 2], grad=False),
        c("conv2d/pairs-1-0-0-2", cin=2, cout=2, size=s, kernel=3, padding=[[1, 0], [0, 2]]),
        c("conv2d/pairs-2-1-0-0", cin=2, cout=3, size=[4, 5], kernel=3, padding=[[2, 1], [0, 0]], grad=False),
        c("conv2d/pairs-0-3-3-0", cin=1, cout=2, size=[4, 4], kernel=2, padding=[[0, 3], [3, 0]]),
        c("conv2d/reflect-pad1", cin=2, cout=2, size=s, kernel=3, padding=1, padding_mode="reflect"),
        c("conv2d/reflect-max", cin=2, cout=2, size=[4, 3], kernel=3, padding=[3, 2], padding_mode="reflect"),
        c("conv2d/reflect-pairs", cin=2, cout=2, size=[4, 5], kernel=3, padding=[[3, 0], [1, 4]],
          padding_mode="reflect"),
        c("conv2d/reflect-stride2-dil2", cin=2, cout=2, size=[6, 6], kernel=3, stride=2, dilation=2, padding=2,
          padding_mode="reflect", grad=False),
        c("conv2d/reflect-same-k4", cin=2, cout=2, size=[5, 5], kernel=4, padding="same", padding_mode="reflect"),
        c("conv2d/replicate-pad2", cin=2, cout=2, size=[4, 4], kernel=3, padding=2, padding_mode="replicate"),
        c("conv2d/replicate-pad-larger-than-input", cin=1, cout=2, size=[3, 3], kernel=3, padding=4,
          padding_mode="replicate", grad=False),
        c("conv2d/replicate-pairs", cin=2, cout=2, size=[4, 5], kernel=[2, 3], padding=[[0, 2], [3, 1]],
          padding_mode="replicate"),
        c("conv2d/circular-pad1", cin=2, cout=2, size=s, kernel=3, padding=1, padding_mode="circular"),
        c("conv2d/circular-pad-equals-size", cin=2, cout=2, size=[3, 4], kernel=3, padding=[3, 4],
          padding_mode="circular"),
        c("conv2d/circular-pairs-stride2", cin=2, cout=2, size=[5, 4], kernel=3, stride=2, padding=[[2, 0], [1, 3]],
          padding_mode="circular", grad=False),
        c("conv2d/circular-same-k4-stride2", cin=2, cout=2, size=[6, 5], kernel=4, stride=2, padding="same",
          padding_mode="circular"),
        c("conv2d/stride2-dil2", cin=2, cout=2, size=[8, 8], kernel=3, stride=2, dilation=2),
        c("conv2d/stride2-groups2", cin=4, cout=4, size=[6, 6], kernel=3, stride=2, groups=2),
        c("conv2d/dil2-groups2", cin=4, cout=2, size=[6, 6], kernel=3, dilation=2, groups=2, grad=False),
        c("conv2d/stride2-dil2-groups2", cin=4, cout=4, size=[8, 7], kernel=3, stride=2, dilation=2, groups=2),
        c("conv2d/stride2-dil2-groups2-pairs", cin=4, cout=4, size=[7, 7], kernel=3, stride=2, dilation=2, groups=2,
          padding=[[2, 1], [0, 3]]),
        c("conv2d/stride-2x3-dil-2x1-groups3", cin=3, cout=6, size=[7, 8], kernel=[2, 3], stride=[2, 3],
          dilation=[2, 1], groups=3, padding=1),
        c("conv2d/stride3-dil2-pad2", cin=2, cout=3, size=[8, 8], kernel=3, stride=3, dilation=2, padding=2,
          grad=False),
        c("conv2d/batch3", n=3, cin=2, cout=2, size=[4, 4], kernel=3, padding=1),
        c("conv2d/batch2-groups2-stride2", n=2, cin=4, cout=4, size=[5, 5], kernel=2, stride=2, groups=2),
        c("conv2d/no-bias", cin=2, cout=3, size=s, kernel=3, bias=False),
        c("conv2d/no-bias-depthwise-same", cin=3, cout=3, size=[4, 4], kernel=3, groups=3, padding="same", bias=False),
        c("conv2d/many-channels", cin=16, cout=8, size=[3, 3], kernel=3, padding=1, grad=False),
        c("conv2d/input-1x1", cin=4, cout=3, size=[1, 1], kernel=3, padding=1),
        c("conv2d/large-values", cin=3, cout=2, size=[4, 4], kernel=3, scale=1000.0, grad=False),
        c("conv2d/nan-input", cin=2, cout=2, size=[5, 5], kernel=3, padding=1, grad=False, poke=poke_nan),
        c("conv2d/infinity-input", cin=2, cout=2, size=[5, 6], kernel=3, grad=False, poke=poke_infinities),
    ]


def conv3d_cases():
    c = conv_case
    s = [4, 4, 4]
    return [
        c("conv3d/basic-3x3x3", cin=2, cout=2, size=s, kernel=3),
        c("conv3d/pad1", cin=1, cout=2, size=[3, 4, 3], kernel=3, padding=1),
        c("conv3d/stride2", cin=2, cout=2, size=[5, 5, 5], kernel=3, stride=2),
        c("conv3d/stride-1x2x3", cin=1, cout=2, size=[4, 5, 7], kernel=2, stride=[1, 2, 3], grad=False),
        c("conv3d/dil2", cin=1, cout=2, size=[5, 5, 5], kernel=2, dilation=2),
        c("conv3d/groups2", cin=4, cout=2, size=[3, 3, 3], kernel=2, groups=2),
        c("conv3d/depthwise", cin=2, cout=2, size=s, kernel=3, groups=2, padding=1, grad=False),
        c("conv3d/depthwise-mult2", cin=2, cout=4, size=[3, 4, 4], kernel=2, groups=2),
        c("conv3d/pointwise-1x1x1", cin=4, cout=3, size=[3, 3, 3], kernel=1),
        c("conv3d/kernel-1x3x2", cin=2, cout=2, size=[3, 4, 4], kernel=[1, 3, 2]),
        c("conv3d/kernel-equals-input", cin=2, cout=3, size=[3, 2, 3], kernel=[3, 2, 3]),
        c("conv3d/same-k2", cin=1, cout=2, size=[3, 4, 3], kernel=2, padding="same"),
        c("conv3d/same-k3-stride2", cin=1, cout=2, size=[4, 5, 5], kernel=3, stride=2, padding="same"),
        c("conv3d/same-k2x3x4-stride-2x1x2", cin=1, cout=2, size=[4, 3, 5], kernel=[2, 3, 4], stride=[2, 1, 2],
          padding="same", grad=False),
        c("conv3d/valid", cin=2, cout=2, size=s, kernel=2, padding="valid", grad=False),
        c("conv3d/per-dim-padding-0x1x2", cin=1, cout=2, size=[3, 3, 3], kernel=3, padding=[0, 1, 2]),
        c("conv3d/pairs", cin=1, cout=2, size=[3, 3, 4], kernel=2, padding=[[1, 0], [0, 2], [2, 1]]),
        c("conv3d/reflect-max", cin=1, cout=2, size=[3, 4, 2], kernel=2, padding=[2, 3, 1], padding_mode="reflect"),
        c("conv3d/replicate-pairs", cin=1, cout=2, size=[3, 3, 3], kernel=2, padding=[[2, 0], [0, 1], [1, 1]],
          padding_mode="replicate"),
        c("conv3d/circular-pad-equals-size", cin=1, cout=2, size=[2, 3, 2], kernel=2, padding=[2, 3, 2],
          padding_mode="circular", grad=False),
        c("conv3d/circular-pad1", cin=2, cout=2, size=[3, 3, 3], kernel=3, padding=1, padding_mode="circular"),
        c("conv3d/stride2-dil2-groups2", cin=2, cout=2, size=[5, 6, 6], kernel=2, stride=2, dilation=2, groups=2),
        c("conv3d/stride2-dil2-groups2-pairs", cin=2, cout=4, size=[5, 5, 6], kernel=2, stride=2, dilation=2,
          groups=2, padding=[[0, 1], [2, 0], [1, 2]]),
        c("conv3d/batch2", n=2, cin=2, cout=2, size=[3, 3, 3], kernel=2, padding=1),
        c("conv3d/no-bias", cin=2, cout=2, size=[3, 3, 3], kernel=2, bias=False, grad=False),
    ]


def conv_transpose_cases():
    t = conv_transpose_case
    return [
        # 1-D
        t("convTranspose1d/basic-k3", cin=2, cout=3, size=[5], kernel=3),
        t("convTranspose1d/stride2", cin=2, cout=2, size=[5], kernel=3, stride=2),
        t("convTranspose1d/stride3-k2", cin=2, cout=2, size=[4], kernel=2, stride=3),
        t("convTranspose1d/pad1", cin=2, cout=3, size=[5], kernel=3, padding=1, grad=False),
        t("convTranspose1d/stride2-outpad1", cin=2, cout=2, size=[4], kernel=3, stride=2, padding=1, output_padding=1),
        t("convTranspose1d/dil2", cin=2, cout=2, size=[5], kernel=3, dilation=2),
        t("convTranspose1d/dil2-outpad1", cin=2, cout=2, size=[4], kernel=2, dilation=2, output_padding=1,
          grad=False),
        t("convTranspose1d/groups2", cin=4, cout=6, size=[4], kernel=3, groups=2),
        t("convTranspose1d/depthwise", cin=3, cout=3, size=[5], kernel=3, groups=3, stride=2),
        t("convTranspose1d/pairs", cin=2, cout=2, size=[5], kernel=4, stride=2, padding=[[2, 1]]),
        t("convTranspose1d/k1-stride2", cin=3, cout=2, size=[4], kernel=1, stride=2, grad=False),
        t("convTranspose1d/valid", cin=2, cout=2, size=[4], kernel=3, padding="valid", grad=False),
        t("convTranspose1d/batch2", n=2, cin=2, cout=2, size=[4], kernel=3, stride=2),
        t("convTranspose1d/no-bias", cin=2, cout=3, size=[5], kernel=3, bias=False, grad=False),
        t("convTranspose1d/stride2-dil2-groups2-pairs-outpad1", cin=4, cout=4, size=[5], kernel=3, stride=2,
          dilation=2, groups=2, padding=[[1, 2]], output_padding=1),
        # 2-D
        t("convTranspose2d/basic-3x3", cin=2, cout=2, size=[4, 4], kernel=3),
        t("convTranspose2d/k2-s1-1to3-channels", cin=1, cout=3, size=[3, 3], kernel=2),
        t("convTranspose2d/k2-s2-3to3-channels", cin=3, cout=3, size=[3, 3], kernel=2, stride=2),
        t("convTranspose2d/stride2", cin=2, cout=2, size=[4, 4], kernel=3, stride=2),
        t("convTranspose2d/stride-2x1", cin=2, cout=2, size=[3, 4], kernel=3, stride=[2, 1], grad=False),
        t("convTranspose2d/stride3-k2", cin=2, cout=2, size=[3, 3], kernel=2, stride=3),
        t("convTranspose2d/pad1", cin=2, cout=2, size=[4, 4], kernel=3, padding=1),
        t("convTranspose2d/per-dim-padding", cin=2, cout=2, size=[4, 4], kernel=3, padding=[0, 2], grad=False),
        t("convTranspose2d/stride2-pad1-outpad1", cin=2, cout=2, size=[3, 4], kernel=3, stride=2, padding=1,
          output_padding=1),
        t("convTranspose2d/stride3-outpad-2x1", cin=2, cout=2, size=[3, 3], kernel=3, stride=3, output_padding=[2, 1]),
        t("convTranspose2d/dil2", cin=2, cout=2, size=[3, 3], kernel=3, dilation=2),
        t("convTranspose2d/dil3-stride2-outpad2", cin=2, cout=2, size=[3, 3], kernel=2, dilation=3, stride=2,
          output_padding=2, grad=False),
        t("convTranspose2d/groups2", cin=4, cout=4, size=[3, 3], kernel=3, groups=2),
        t("convTranspose2d/depthwise-mult2", cin=2, cout=4, size=[3, 3], kernel=3, groups=2, stride=2),
        t("convTranspose2d/kernel-2x3", cin=2, cout=2, size=[3, 4], kernel=[2, 3]),
        t("convTranspose2d/kernel-1x4-stride-1x2", cin=2, cout=2, size=[3, 3], kernel=[1, 4], stride=[1, 2],
          grad=False),
        t("convTranspose2d/k1-stride2", cin=3, cout=2, size=[3, 3], kernel=1, stride=2),
        t("convTranspose2d/input-1x1", cin=3, cout=2, size=[1, 1], kernel=3),
        t("convTranspose2d/pairs", cin=2, cout=2, size=[4, 4], kernel=3, padding=[[1, 0], [2, 1]]),
        t("convTranspose2d/pairs-stride2-outpad1", cin=2, cout=3, size=[3, 3], kernel=4, stride=2,
          padding=[[0, 2], [3, 1]], output_padding=1),
        t("convTranspose2d/stride2-dil2-groups2", cin=4, cout=4, size=[3, 3], kernel=3, stride=2, dilation=2,
          groups=2),
        t("convTranspose2d/stride2-dil2-groups2-pairs", cin=4, cout=2, size=[3, 4], kernel=3, stride=2, dilation=2,
          groups=2, padding=[[2, 1], [1, 3]], output_padding=1),
        t("convTranspose2d/batch2", n=2, cin=2, cout=2, size=[3, 3], kernel=3, stride=2, padding=1),
        t("convTranspose2d/no-bias", cin=2, cout=2, size=[3, 3], kernel=3, stride=2, bias=False),
        t("convTranspose2d/nan-input", cin=2, cout=2, size=[3, 3], kernel=2, stride=3, grad=False,
          poke=poke_nan_transposed),
        # 3-D
        t("convTranspose3d/basic-2x2x2", cin=2, cout=2, size=[2, 3, 2], kernel=2),
        t("convTranspose3d/stride2", cin=2, cout=1, size=[2, 2, 3], kernel=3, stride=2),
        t("convTranspose3d/stride-1x2x3-k2", cin=1, cout=2, size=[2, 2, 2], kernel=2, stride=[1, 2, 3]),
        t("convTranspose3d/pad1-outpad1", cin=1, cout=2, size=[2, 3, 2], kernel=3, stride=2, padding=1,
          output_padding=1),
        t("convTranspose3d/dil2", cin=1, cout=2, size=[2, 2, 2], kernel=2, dilation=2, grad=False),
        t("convTranspose3d/groups2", cin=2, cout=4, size=[2, 2, 2], kernel=2, groups=2),
        t("convTranspose3d/kernel-1x2x3", cin=2, cout=1, size=[2, 3, 3], kernel=[1, 2, 3], grad=False),
        t("convTranspose3d/pairs", cin=1, cout=2, size=[3, 2, 3], kernel=3, padding=[[1, 0], [0, 2], [2, 1]]),
        t("convTranspose3d/stride2-dil2-groups2-pairs-outpad1", cin=2, cout=2, size=[2, 2, 2], kernel=2, stride=2,
          dilation=2, groups=2, padding=[[0, 1], [1, 0], [1, 1]], output_padding=1),
        t("convTranspose3d/batch2", n=2, cin=1, cout=1, size=[2, 2, 2], kernel=2, stride=2, grad=False),
    ]


def deform_conv_cases():
    d = deform_case
    s = [5, 5]
    return [
        d("deformConv2d/v1-fractional", cin=2, cout=2, size=s, kernel=3, padding=1),
        d("deformConv2d/v2-fractional", cin=2, cout=2, size=s, kernel=3, padding=1, mask=True),
        d("deformConv2d/v1-zero-offsets", cin=2, cout=3, size=s, kernel=3, offsets="zero"),
        d("deformConv2d/v2-zero-offsets", cin=2, cout=2, size=s, kernel=3, padding=1, offsets="zero", mask=True),
        d("deformConv2d/v1-far-outside", cin=2, cout=2, size=[4, 4], kernel=3, padding=1, offsets="far"),
        d("deformConv2d/v2-far-outside", cin=2, cout=2, size=[4, 4], kernel=3, offsets="far", mask=True, grad=False),
        d("deformConv2d/v1-mixed-far-and-near", cin=2, cout=2, size=s, kernel=3, padding=1, offsets="mixed"),
        d("deformConv2d/v2-mixed-far-and-near", cin=2, cout=2, size=s, kernel=3, offsets="mixed", mask=True),
        d("deformConv2d/v1-large-offsets", cin=2, cout=2, size=s, kernel=3, offsets="large"),
        d("deformConv2d/v2-raw-mask-outside-0-1", cin=2, cout=2, size=[4, 4], kernel=3, padding=1, mask=True,
          mask_range=(-1.5, 2.0)),
        d("deformConv2d/v1-offset-groups2", cin=4, cout=2, size=[4, 4], kernel=3, padding=1, offset_groups=2),
        d("deformConv2d/v2-offset-groups2", cin=4, cout=2, size=[4, 4], kernel=3, offset_groups=2, mask=True),
        d("deformConv2d/v2-offset-groups4-per-channel", cin=4, cout=2, size=[4, 4], kernel=2, offset_groups=4,
          mask=True, grad=False),
        d("deformConv2d/v1-groups2", cin=4, cout=4, size=[4, 4], kernel=3, padding=1, groups=2),
        d("deformConv2d/v2-groups2-offset-groups2", cin=4, cout=4, size=[4, 4], kernel=3, groups=2, offset_groups=2,
          mask=True),
        d("deformConv2d/v2-groups2-offset-groups1", cin=4, cout=2, size=[4, 4], kernel=2, groups=2, mask=True),
        d("deformConv2d/v1-depthwise", cin=3, cout=3, size=[4, 4], kernel=3, padding=1, groups=3, grad=False),
        d("deformConv2d/v1-stride2", cin=2, cout=2, size=[7, 7], kernel=3, stride=2),
        d("deformConv2d/v2-stride2-pad1", cin=2, cout=2, size=[6, 6], kernel=3, stride=2, padding=1, mask=True),
        d("deformConv2d/v1-dil2", cin=2, cout=2, size=[6, 6], kernel=3, dilation=2, padding=1),
        d("deformConv2d/v2-stride2-pad2-dil2", cin=2, cout=2, size=[7, 7], kernel=3, stride=2, padding=2, dilation=2,
          mask=True),
        d("deformConv2d/v1-stride-2x1-pad-0x1-dil-1x2", cin=2, cout=2, size=[6, 5], kernel=3, stride=[2, 1],
          padding=[0, 1], dilation=[1, 2]),
        d("deformConv2d/v1-pairs", cin=2, cout=2, size=[4, 5], kernel=3, padding=[[1, 0], [2, 1]]),
        d("deformConv2d/v2-pairs-stride2", cin=2, cout=2, size=[5, 5], kernel=2, stride=2, padding=[[0, 1], [1, 0]],
          mask=True, grad=False),
        d("deformConv2d/v1-kernel-2x3", cin=2, cout=2, size=[4, 5], kernel=[2, 3], padding=[1, 1]),
        d("deformConv2d/v2-kernel-1x1", cin=3, cout=2, size=[4, 4], kernel=1, mask=True),
        d("deformConv2d/v1-kernel-equals-input", cin=2, cout=2, size=[3, 3], kernel=3),
        d("deformConv2d/v2-batch2", n=2, cin=2, cout=2, size=[4, 4], kernel=3, padding=1, mask=True),
        d("deformConv2d/v1-no-bias", cin=2, cout=2, size=[4, 4], kernel=3, bias=False),
        d("deformConv2d/v2-no-bias-offset-groups2-stride2", cin=4, cout=2, size=[5, 5], kernel=2, stride=2,
          offset_groups=2, mask=True, bias=False),
        # Sampling positions exactly on torchvision's border (see border_targets), on a non-square
        # input so that H and W cannot be swapped unnoticed.
        d("deformConv2d/v1-border-minus-one", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-minus-one"),
        d("deformConv2d/v2-border-minus-one", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-minus-one", mask=True),
        d("deformConv2d/v1-border-last-row-col", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-last"),
        d("deformConv2d/v2-border-last-row-col", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-last", mask=True),
        d("deformConv2d/v1-border-at-size", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-size"),
        d("deformConv2d/v2-border-at-size", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-size", mask=True),
        d("deformConv2d/v1-border-integer-positions", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-integer"),
        d("deformConv2d/v2-border-integer-positions", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-integer", mask=True),
        d("deformConv2d/v1-border-just-inside-and-outside", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-near"),
        d("deformConv2d/v2-border-just-inside-and-outside", cin=2, cout=2, size=[4, 5], kernel=3, padding=1,
          offsets="border-near", mask=True),
        d("deformConv2d/v1-border-all-offset-groups2", cin=4, cout=2, size=[4, 5], kernel=3, padding=1,
          offset_groups=2, offsets="border-all"),
        d("deformConv2d/v2-border-all-offset-groups2", cin=4, cout=2, size=[4, 5], kernel=3, padding=1,
          offset_groups=2, offsets="border-all", mask=True),
        d("deformConv2d/v2-border-all-stride2-dil2-groups2-batch2", n=2, cin=4, cout=4, size=[5, 6], kernel=3,
          stride=2, padding=2, dilation=2, groups=2, offset_groups=2, offsets="border-all", mask=True),
    ]


def summarize(groups):
    print(f"{'op':<18}{'cases':>7}{'with grads':>12}")
    total = total_grads = 0
    for label, cases in groups:
        with_grads = sum(1 for case in cases if "gradOutput" in case["tensors"])
        total += len(cases)
        total_grads += with_grads
        print(f"{label:<18}{len(cases):>7}{with_grads:>12}")
    print(f"{'total':<18}{total:>7}{total_grads:>12}")


def main():
    conv1d, conv2d, conv3d = conv1d_cases(), conv2d_cases(), conv3d_cases()
    transposed = conv_transpose_cases()
    deform = deform_conv_cases()
    every = conv1d + conv2d + conv3d + transposed + deform
    names = [case["name"] for case in every]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"duplicate case names: {duplicates}"

    write("conv.json", GENERATOR, conv1d + conv2d + conv3d)
    write("conv-transpose.json", GENERATOR, transposed)
    write("deform-conv.json", GENERATOR, deform)
    by_prefix = {}
    for case in every:
        by_prefix.setdefault(case["name"].split("/")[0], []).append(case)
    summarize(list(by_prefix.items()))


if __name__ == "__main__":
    main()
