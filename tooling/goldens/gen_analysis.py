"""Golden fixtures for @convkit/analysis: small networks written as convkit layer specs, built
as PyTorch modules from those same specs, and measured by running them.

Writes analysis.json (op 'analyzeModel'). Each case is one model:
- "specs" and "inputShape": what analyzeModel receives (PyTorch layer names, camelCase fields);
- "modules": every module of the PyTorch model in named_modules() order (the root excepted),
  with its state-dict path, the input and output shapes seen by forward hooks, its parameter
  count sum(p.numel() for p in m.parameters()) and buffer count; for convolutions, transposed
  convolutions and Linear also "macs" from the real tensors: weight.numel() times the output
  volume (convolution), the input volume (transposed convolution) or the rows (Linear);
- "receptiveField" (models whose every layer has a local footprint): for chosen units of
  every module whose output is spatial, the input positions with a non-zero gradient, from
  autograd, as run-length pairs [start, length] over the row-major input spatial grid.

How the receptive fields are measured: a float64 copy of the model with every weight and bias
positive (weights uniform in [0.5, 1] divided by the fan-in, so that no ReLU6 saturates and
no sum overflows), BatchNorm in eval mode with running mean 0 and variance 1, and a positive
input. Then every path from an input position to an output unit carries a positive product,
nothing cancels, and d unit / d input is non-zero exactly where the input feeds the unit.
Max pooling routes its gradient to one input per window, so for this measurement every
MaxPool (AdaptiveMaxPool) is replaced by the AvgPool (AdaptiveAvgPool) with the same window,
which reads the same inputs.

Models: a MobileNet v1 stack (depthwise + pointwise blocks and a separable conv) with its
classifier, a MobileNet v2 inverted residual, a ResNet basic-block stack with a downsampling
shortcut, a ResNeXt grouped bottleneck and an AlexNet-style grouped conv, a transposed-conv
decoder (with outputPadding, dilation, groups, nearest and bilinear Upsample), Upsample by
size and adaptive pooling with uneven windows, three dilated stacks (rates 1-2-5, 2-4-8,
2-2-2), a 1-D stack (reflect, replicate, ceil-mode pooling, transposed), a circular-padding
1-D stack, a 3-D block, deformable convolutions (v1, v2, without the offset conv), and a stack
of the remaining layer kinds (GroupNorm, LayerNorm, PReLU, activations, Linear on a spatial
tensor, Softmax...).
"""
import collections
import copy
import math
import re

import torch
import torch.nn as nn
from torchvision.ops import DeformConv2d

from common import write

GENERATOR = "tooling/goldens/gen_analysis.py"

# Spec fields that are convkit's, not constructor arguments of the PyTorch class.
NOT_TORCH_ARGS = {"type", "name", "layers", "body", "shortcut", "bodyName", "shortcutName"}


def snake(name):
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def torch_args(spec, drop=()):
    args = {}
    for key, value in spec.items():
        if key in NOT_TORCH_ARGS or key in drop:
            continue
        args[snake(key)] = tuple(value) if isinstance(value, list) else value
    return args


# ---------------------------------------------------------------------------------------------
# Specs -> PyTorch modules.


class Residual(nn.Module):
    """y = body(x) + shortcut(x); the body's modules hang under body_name ('' = on the block)."""

    def __init__(self, body, shortcut, body_name, shortcut_name):
        super().__init__()
        if body_name:
            self.add_module(body_name, nn.Sequential(collections.OrderedDict(body)))
            self.body_names = [body_name]
        else:
            for name, module in body:
                self.add_module(name, module)
            self.body_names = [name for name, _ in body]
        self.shortcut_name = None
        if shortcut:
            self.add_module(shortcut_name, nn.Sequential(collections.OrderedDict(shortcut)))
            self.shortcut_name = shortcut_name

    def forward(self, x):
        y = x
        for name in self.body_names:
            y = getattr(self, name)(y)
        return y + (getattr(self, self.shortcut_name)(x) if self.shortcut_name else x)


class Separable(nn.Module):
    """Depthwise conv (groups = in_channels) then a 1x1 pointwise conv."""

    def __init__(self, dims, spec):
        super().__init__()
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
        c = spec["inChannels"]
        mid = c * spec.get("depthMultiplier", 1)
        self.depthwise = conv(
            c, mid, tuple_of(spec["kernelSize"]), stride=tuple_of(spec.get("stride", 1)),
            padding=tuple_of(spec.get("padding", 0)), dilation=tuple_of(spec.get("dilation", 1)), groups=c,
            bias=spec.get("depthwiseBias", False), padding_mode=spec.get("paddingMode", "zeros"),
        )
        self.pointwise = conv(mid, spec["outChannels"], 1, bias=spec.get("bias", True))

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class DeformBlock(nn.Module):
    """torchvision's DeformConv2d fed by its offset conv (and mask conv for v2): both regular
    convs with the deformable conv's kernel, stride, padding and dilation, with bias."""

    def __init__(self, spec):
        super().__init__()
        k = spec["kernelSize"]
        kh, kw = (k, k) if isinstance(k, int) else k
        groups = spec.get("offsetGroups", 1)
        common = dict(
            kernel_size=(kh, kw), stride=tuple_of(spec.get("stride", 1)), padding=tuple_of(spec.get("padding", 0)),
            dilation=tuple_of(spec.get("dilation", 1)),
        )
        self.taps = kh * kw
        self.groups = groups
        self.use_mask = spec.get("mask", False)
        self.own_offsets = spec.get("offsetConv", True)
        if self.own_offsets:
            self.offset = nn.Conv2d(spec["inChannels"], 2 * groups * kh * kw, **common)
            if self.use_mask:
                self.mask = nn.Conv2d(spec["inChannels"], groups * kh * kw, **common)
        self.deform = DeformConv2d(
            spec["inChannels"], spec["outChannels"], groups=spec.get("groups", 1), bias=spec.get("bias", True), **common
        )
        self.common = common

    def forward(self, x):
        if self.own_offsets:
            offset = self.offset(x)
            mask = torch.sigmoid(self.mask(x)) if self.use_mask else None
        else:
            # No offset conv: zero offsets of the right shape (a regular grid), no parameters.
            probe = nn.functional.conv2d(x[:, :1], x.new_ones(1, 1, *self.common["kernel_size"]),
                                         stride=self.common["stride"], padding=self.common["padding"],
                                         dilation=self.common["dilation"])
            offset = x.new_zeros(x.shape[0], 2 * self.groups * self.taps, *probe.shape[2:])
            mask = x.new_ones(x.shape[0], self.groups * self.taps, *probe.shape[2:]) if self.use_mask else None
        return self.deform(x, offset, mask)


def tuple_of(value):
    return tuple(value) if isinstance(value, list) else value


def build(spec):
    kind = spec["type"]
    dims = int(kind[-2]) if re.search(r"[123]d$", kind) else None
    if kind == "Sequential":
        return nn.Sequential(collections.OrderedDict(children(spec["layers"])))
    if kind == "Residual":
        return Residual(children(spec["body"]), children(spec.get("shortcut", [])), spec.get("bodyName", "body"),
                        spec.get("shortcutName", "shortcut"))
    if kind.startswith("SeparableConv"):
        return Separable(dims, spec)
    if kind == "DeformConv2d":
        return DeformBlock(spec)
    cls = getattr(nn, kind)
    args = torch_args(spec)
    if kind.startswith("Adaptive"):
        size = spec["outputSize"]
        args["output_size"] = tuple(size) if isinstance(size, list) else size
    return cls(**args)


def children(specs):
    return [(spec.get("name", str(i)), build(spec)) for i, spec in enumerate(specs)]


def model_of(specs):
    return nn.Sequential(collections.OrderedDict(children(specs)))


# ---------------------------------------------------------------------------------------------
# Measurements.


def weight_macs(module, input_shape, output_shape):
    """MACs per sample from the real weight tensor (None for modules without this count)."""
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d, DeformConv2d)):
        return module.weight.numel() * math.prod(output_shape[2:])
    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        return module.weight.numel() * math.prod(input_shape[2:])
    if isinstance(module, nn.Linear):
        return module.weight.numel() * math.prod(input_shape[1:-1])
    return None


def measure_modules(model, input_shape):
    seen = {}
    hooks = []
    for path, module in model.named_modules():
        if not path:
            continue

        def hook(mod, inputs, output, path=path):
            seen[path] = (list(inputs[0].shape), list(output.shape))

        hooks.append(module.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(*input_shape, generator=torch.Generator().manual_seed(0)))
    for h in hooks:
        h.remove()
    rows = []
    for path, module in model.named_modules():
        if not path:
            continue
        in_shape, out_shape = seen[path]
        row = {
            "path": path,
            "class": type(module).__name__,
            "inputShape": in_shape,
            "outputShape": out_shape,
            "params": sum(p.numel() for p in module.parameters()),
            "buffers": sum(b.numel() for b in module.buffers()),
        }
        macs = weight_macs(module, in_shape, out_shape)
        if macs is not None:
            row["macs"] = macs
        rows.append(row)
    return rows, list(out.shape)


def positive_copy(model):
    """A float64 copy with positive weights and BatchNorm statistics that keep signs, and with
    max pooling replaced by average pooling over the same windows."""
    model = copy.deepcopy(model).double()
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            values = torch.rand(p.shape, generator=gen, dtype=torch.float64) * 0.5 + 0.5
            if name == "weight" and p.dim() > 1:
                values /= p[0].numel()
            elif name == "bias":
                values *= 0.02
            p.data.copy_(values)
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
            module.running_mean.zero_()
            module.running_var.fill_(1.0)
    swap_max_pools(model)
    return model.eval()


def swap_max_pools(module):
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
            assert child.dilation in (1, (1,), (1, 1), (1, 1, 1)), "dilated max pooling has no AvgPool twin"
            avg = {nn.MaxPool1d: nn.AvgPool1d, nn.MaxPool2d: nn.AvgPool2d, nn.MaxPool3d: nn.AvgPool3d}[type(child)]
            setattr(module, name, avg(child.kernel_size, child.stride, child.padding, ceil_mode=child.ceil_mode,
                                      count_include_pad=False))
        elif isinstance(child, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
            avg = {nn.AdaptiveMaxPool1d: nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool2d: nn.AdaptiveAvgPool2d,
                   nn.AdaptiveMaxPool3d: nn.AdaptiveAvgPool3d}[type(child)]
            setattr(module, name, avg(child.output_size))
        else:
            swap_max_pools(child)


def runs(mask):
    """Run-length pairs [start, length] of the true entries of a flat boolean tensor."""
    flat = mask.reshape(-1).tolist()
    out = []
    start = None
    for i, v in enumerate(flat + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append([start, i - start])
            start = None
    return out


def units_of(spatial):
    """The first unit, the centre, the one after the centre (another phase of a transposed
    layer) and the last unit; duplicates dropped."""
    centre = [(n - 1) // 2 for n in spatial]
    after = [min(c + 1, n - 1) for c, n in zip(centre, spatial)]
    last = [n - 1 for n in spatial]
    out = []
    for unit in ([0] * len(spatial), centre, after, last):
        if unit not in out:
            out.append(unit)
    return out


def measure_receptive_fields(model, input_shape):
    model = positive_copy(model)
    outputs = {}
    hooks = []
    for path, module in model.named_modules():
        if path:
            hooks.append(module.register_forward_hook(lambda m, i, o, path=path: outputs.__setitem__(path, o)))
    gen = torch.Generator().manual_seed(2)
    x = (torch.rand(*input_shape, generator=gen, dtype=torch.float64) * 0.5 + 0.5).requires_grad_(True)
    model(x)
    for h in hooks:
        h.remove()
    fields = []
    for path, _ in model.named_modules():
        if not path or outputs[path].dim() != x.dim():
            continue
        out = outputs[path]
        for unit in units_of(list(out.shape[2:])):
            (grad,) = torch.autograd.grad(out[(0, 0, *unit)], x, retain_graph=True)
            assert torch.isfinite(grad).all(), (path, unit)
            covered = (grad[0].abs().sum(dim=0) > 0)
            fields.append({"path": path, "unit": unit, "runs": runs(covered), "count": int(covered.sum())})
    return fields


# ---------------------------------------------------------------------------------------------
# The models.


def conv(dims, cin, cout, k, **kw):
    return {"type": f"Conv{dims}d", "inChannels": cin, "outChannels": cout, "kernelSize": k, **kw}


def bn(dims, c, **kw):
    return {"type": f"BatchNorm{dims}d", "numFeatures": c, **kw}


def act(kind, **kw):
    return {"type": kind, **kw}


def named(name, spec):
    return {"name": name, **spec}


def dilated_stack(rates):
    layers = []
    for i, r in enumerate(rates):
        layers.append(conv(2, 1 if i == 0 else 2, 2, 3, padding=r, dilation=r))
        if i + 1 < len(rates):
            layers.append(act("ReLU"))
    return layers


MODELS = [
    {
        "name": "mobilenet_v1",
        "about": "MobileNet v1: a strided stem, two depthwise + pointwise blocks (one strided), a Keras-style separable conv with a depth multiplier, and the classifier head",
        "inputShape": [2, 3, 32, 32],
        "affine": "exact",
        "specs": [
            {"type": "Sequential", "name": "features", "layers": [
                conv(2, 3, 16, 3, stride=2, padding=1, bias=False), bn(2, 16), act("ReLU6"),
                conv(2, 16, 16, 3, padding=1, groups=16, bias=False), bn(2, 16), act("ReLU6"),
                conv(2, 16, 32, 1, bias=False), bn(2, 32), act("ReLU6"),
                conv(2, 32, 32, 3, stride=2, padding=1, groups=32, bias=False), bn(2, 32), act("ReLU6"),
                conv(2, 32, 64, 1, bias=False), bn(2, 64), act("ReLU6"),
                {"type": "SeparableConv2d", "inChannels": 64, "outChannels": 64, "kernelSize": 3, "padding": 1,
                 "depthMultiplier": 2},
            ]},
            {"type": "AdaptiveAvgPool2d", "name": "pool", "outputSize": 1},
            {"type": "Flatten", "name": "flatten"},
            {"type": "Sequential", "name": "classifier", "layers": [
                {"type": "Dropout", "p": 0.2}, {"type": "Linear", "inFeatures": 64, "outFeatures": 10},
            ]},
        ],
    },
    {
        "name": "mobilenet_v2_block",
        "about": "MobileNet v2: an inverted residual (expand 1x1, depthwise 3x3, project 1x1, identity shortcut) and a strided one without shortcut",
        "inputShape": [1, 16, 16, 16],
        "affine": "exact",
        "specs": [
            {"type": "Residual", "bodyName": "conv", "body": [
                conv(2, 16, 96, 1, bias=False), bn(2, 96), act("ReLU6"),
                conv(2, 96, 96, 3, padding=1, groups=96, bias=False), bn(2, 96), act("ReLU6"),
                conv(2, 96, 16, 1, bias=False), bn(2, 16),
            ]},
            {"type": "Sequential", "name": "down", "layers": [
                conv(2, 16, 96, 1, bias=False), bn(2, 96), act("ReLU6"),
                conv(2, 96, 96, 3, stride=2, padding=1, groups=96, bias=False), bn(2, 96), act("ReLU6"),
                conv(2, 96, 24, 1, bias=False), bn(2, 24),
            ]},
        ],
    },
    {
        "name": "resnet_basic",
        "about": "ResNet: 7x7/2 stem, 3x3/2 max pool, a basic block with identity shortcut and one with a strided 1x1 downsample shortcut, global pool and fc",
        "inputShape": [1, 3, 32, 32],
        "affine": "exact",
        "specs": [
            named("conv1", conv(2, 3, 16, 7, stride=2, padding=3, bias=False)),
            named("bn1", bn(2, 16)),
            named("relu", act("ReLU")),
            named("maxpool", {"type": "MaxPool2d", "kernelSize": 3, "stride": 2, "padding": 1}),
            {"type": "Sequential", "name": "layer1", "layers": [
                {"type": "Residual", "bodyName": "", "body": [
                    named("conv1", conv(2, 16, 16, 3, padding=1, bias=False)), named("bn1", bn(2, 16)),
                    named("relu", act("ReLU", inplace=True)),
                    named("conv2", conv(2, 16, 16, 3, padding=1, bias=False)), named("bn2", bn(2, 16)),
                ]},
                act("ReLU"),
            ]},
            {"type": "Sequential", "name": "layer2", "layers": [
                {"type": "Residual", "bodyName": "", "shortcutName": "downsample", "body": [
                    named("conv1", conv(2, 16, 32, 3, stride=2, padding=1, bias=False)), named("bn1", bn(2, 32)),
                    named("relu", act("ReLU")),
                    named("conv2", conv(2, 32, 32, 3, padding=1, bias=False)), named("bn2", bn(2, 32)),
                ], "shortcut": [conv(2, 16, 32, 1, stride=2, bias=False), bn(2, 32)]},
                act("ReLU"),
            ]},
            named("avgpool", {"type": "AdaptiveAvgPool2d", "outputSize": [1, 1]}),
            named("flatten", {"type": "Flatten"}),
            named("fc", {"type": "Linear", "inFeatures": 32, "outFeatures": 10}),
        ],
    },
    {
        "name": "grouped",
        "about": "ResNeXt bottleneck (1x1, 3x3 with 32 groups, 1x1, projection shortcut) then an AlexNet-style 5x5 conv in 2 groups and an overlapping 3x3/2 max pool",
        "inputShape": [1, 64, 16, 16],
        "affine": "exact",
        "specs": [
            {"type": "Residual", "bodyName": "", "shortcutName": "downsample", "body": [
                named("conv1", conv(2, 64, 128, 1, bias=False)), named("bn1", bn(2, 128)), named("relu1", act("ReLU")),
                named("conv2", conv(2, 128, 128, 3, padding=1, groups=32, bias=False)), named("bn2", bn(2, 128)),
                named("relu2", act("ReLU")),
                named("conv3", conv(2, 128, 256, 1, bias=False)), named("bn3", bn(2, 256)),
            ], "shortcut": [conv(2, 64, 256, 1, bias=False), bn(2, 256)]},
            act("ReLU"),
            conv(2, 256, 64, 5, padding=2, groups=2),
            act("ReLU"),
            {"type": "MaxPool2d", "kernelSize": 3, "stride": 2},
        ],
    },
    {
        "name": "decoder",
        "about": "Transposed-conv decoder: 4/2 and 3/2 (outputPadding 1) transposed convs, nearest and bilinear 2x upsampling, and a grouped, dilated transposed conv with outputPadding",
        "inputShape": [1, 16, 6, 6],
        "affine": "bound",
        "specs": [
            {"type": "ConvTranspose2d", "inChannels": 16, "outChannels": 16, "kernelSize": 4, "stride": 2, "padding": 1},
            bn(2, 16), act("ReLU"),
            {"type": "ConvTranspose2d", "inChannels": 16, "outChannels": 8, "kernelSize": 3, "stride": 2, "padding": 1,
             "outputPadding": 1},
            bn(2, 8), act("ReLU"),
            {"type": "Upsample", "scaleFactor": 2, "mode": "nearest"},
            conv(2, 8, 8, 3, padding=1), act("ReLU"),
            {"type": "Upsample", "scaleFactor": 2, "mode": "bilinear", "alignCorners": False},
            {"type": "ConvTranspose2d", "inChannels": 8, "outChannels": 4, "kernelSize": 3, "stride": 2, "padding": 2,
             "dilation": 2, "outputPadding": 1, "groups": 2},
            act("Sigmoid"),
        ],
    },
    {
        "name": "upsample_sizes",
        "about": "Upsample to a given size (nearest, and bilinear with alignCorners) and adaptive pooling with uneven windows",
        "inputShape": [1, 2, 6, 7],
        "affine": "none",
        "specs": [
            {"type": "Upsample", "size": [10, 9], "mode": "nearest"},
            {"type": "Upsample", "size": [20, 19], "mode": "bilinear", "alignCorners": True},
            {"type": "AdaptiveAvgPool2d", "outputSize": [7, 5]},
            {"type": "Upsample", "scaleFactor": [1.5, 2], "mode": "bilinear"},
            {"type": "AdaptiveMaxPool2d", "outputSize": [4, None]},
        ],
    },
    {"name": "dilated_1_2_5", "about": "Hybrid dilated stack: 3x3 convs with rates 1, 2, 5 (no gridding)",
     "inputShape": [1, 1, 41, 41], "affine": "exact", "specs": dilated_stack([1, 2, 5])},
    {"name": "dilated_2_4_8", "about": "Dilated stack with rates 2, 4, 8 (common factor 2: gridding)",
     "inputShape": [1, 1, 41, 41], "affine": "exact", "specs": dilated_stack([2, 4, 8])},
    {"name": "dilated_2_2_2", "about": "Three 3x3 convs at rate 2 (the classic gridding example)",
     "inputShape": [1, 1, 41, 41], "affine": "exact", "specs": dilated_stack([2, 2, 2])},
    {
        "name": "conv1d_stack",
        "about": "1-D: the Conv1d(256 -> 128, k=3) example on (32, 256, 15), ceil-mode max pool, a dilated reflect-padded conv, a transposed conv, a grouped replicate 'same' conv, avg pool and a head",
        "inputShape": [32, 256, 15],
        "affine": "bound",
        "specs": [
            conv(1, 256, 128, 3), bn(1, 128), act("ReLU"),
            {"type": "MaxPool1d", "kernelSize": 2, "ceilMode": True},
            conv(1, 128, 64, 3, padding=2, dilation=2, paddingMode="reflect"), act("ELU"),
            {"type": "ConvTranspose1d", "inChannels": 64, "outChannels": 32, "kernelSize": 4, "stride": 2, "padding": 1},
            act("GELU"),
            conv(1, 32, 32, 5, padding="same", groups=4, paddingMode="replicate"),
            {"type": "AvgPool1d", "kernelSize": 3, "stride": 2, "padding": 1},
            {"type": "AdaptiveAvgPool1d", "outputSize": 1},
            {"type": "Flatten"},
            {"type": "Linear", "inFeatures": 32, "outFeatures": 5},
        ],
    },
    {
        "name": "circular_1d",
        "about": "1-D circular padding: a dilated and a plain conv whose windows wrap around",
        "inputShape": [1, 2, 8],
        "affine": "none",
        "specs": [
            conv(1, 2, 2, 3, padding=2, dilation=2, paddingMode="circular"), act("ReLU"),
            conv(1, 2, 2, 3, padding=1, paddingMode="circular"),
        ],
    },
    {
        "name": "conv3d_block",
        "about": "3-D: conv, BN, max pool, an anisotropic strided grouped conv, a transposed conv, avg pool with per-dim stride, a separable conv and adaptive pooling",
        "inputShape": [1, 2, 8, 12, 12],
        "affine": "bound",
        "specs": [
            conv(3, 2, 8, 3, padding=1), bn(3, 8), act("ReLU"),
            {"type": "MaxPool3d", "kernelSize": 2},
            conv(3, 8, 8, [1, 3, 3], stride=[1, 2, 2], padding=[0, 1, 1], groups=2),
            {"type": "ConvTranspose3d", "inChannels": 8, "outChannels": 4, "kernelSize": 2, "stride": 2},
            act("LeakyReLU", negativeSlope=0.1),
            {"type": "AvgPool3d", "kernelSize": 2, "stride": [2, 1, 1]},
            {"type": "SeparableConv3d", "inChannels": 4, "outChannels": 6, "kernelSize": 3, "padding": 1},
            {"type": "AdaptiveAvgPool3d", "outputSize": [2, 1, 5]},
        ],
    },
    {
        "name": "deform",
        "about": "Deformable convolutions: DCN v1 with 2 offset groups, DCN v2 (mask conv) strided with 2 groups, and one without its offset conv",
        "inputShape": [1, 3, 12, 12],
        "affine": "none",
        "rf": False,
        "specs": [
            conv(2, 3, 8, 3, padding=1), act("ReLU"),
            {"type": "DeformConv2d", "name": "dcn1", "inChannels": 8, "outChannels": 16, "kernelSize": 3, "padding": 1,
             "offsetGroups": 2},
            act("ReLU"),
            {"type": "DeformConv2d", "name": "dcn2", "inChannels": 16, "outChannels": 16, "kernelSize": 3, "stride": 2,
             "padding": 1, "groups": 2, "mask": True},
            {"type": "DeformConv2d", "name": "dcn3", "inChannels": 16, "outChannels": 8, "kernelSize": [3, 3],
             "padding": 2, "dilation": 2, "bias": False, "offsetConv": False},
        ],
    },
    {
        "name": "misc",
        "about": "The remaining kinds: GroupNorm, PReLU per channel, activations, a 'valid' conv, LayerNorm over H and W, dilated ceil-mode max pool, adaptive max pool with a kept dim, avg pool without padding count, Linear on a spatial tensor, dropout, Softmax",
        "inputShape": [2, 8, 10, 10],
        "affine": "none",
        "rf": False,
        "specs": [
            {"type": "GroupNorm", "numGroups": 2, "numChannels": 8},
            {"type": "PReLU", "numParameters": 8},
            act("LeakyReLU"), act("Hardswish"),
            conv(2, 8, 8, 3, padding="valid"),
            {"type": "LayerNorm", "normalizedShape": [8, 8]},
            {"type": "MaxPool2d", "kernelSize": 3, "stride": 2, "padding": 1, "dilation": 2, "ceilMode": True},
            {"type": "AdaptiveMaxPool2d", "outputSize": [3, None]},
            {"type": "AvgPool2d", "kernelSize": 2, "stride": 1, "ceilMode": True, "countIncludePad": False},
            {"type": "Dropout2d", "p": 0.1},
            act("SiLU"), act("Mish"), act("Hardsigmoid"), act("Softplus"), act("Tanh"), act("ELU", alpha=0.5),
            {"type": "Linear", "inFeatures": 3, "outFeatures": 6},
            act("GELU", approximate="tanh"),
            {"type": "Flatten", "startDim": 2},
            {"type": "Identity"},
            {"type": "Flatten"},
            {"type": "LayerNorm", "normalizedShape": 96, "elementwiseAffine": False},
            {"type": "Linear", "inFeatures": 96, "outFeatures": 12, "bias": False},
            {"type": "BatchNorm1d", "numFeatures": 12, "affine": False},
            {"type": "AlphaDropout", "p": 0.5},
            act("Softmax", dim=1),
        ],
    },
]


def main():
    torch.manual_seed(0)
    cases = []
    for m in MODELS:
        model = model_of(m["specs"])
        modules, output_shape = measure_modules(model, m["inputShape"])
        case = {
            "name": m["name"],
            "op": "analyzeModel",
            "about": m["about"],
            "inputShape": m["inputShape"],
            "specs": m["specs"],
            "outputShape": output_shape,
            "totalParams": sum(p.numel() for p in model.parameters()),
            "totalBuffers": sum(b.numel() for b in model.buffers()),
            "modules": modules,
            "affine": m["affine"],
        }
        if m.get("rf", True):
            case["receptiveField"] = measure_receptive_fields(model, m["inputShape"])
        cases.append(case)
    write("analysis.json", GENERATOR, cases)


if __name__ == "__main__":
    main()
