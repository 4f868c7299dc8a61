"""Golden fixtures for @convkit/layers (run with /usr/bin/python3; torch 1.13, torchvision 0.14).

Writes
  layers.json                       12 models: input, target, eval and train outputs, loss, every
                                    parameter's gradient, running statistics after the train
                                    step, and the parameters after 3 steps of SGD (momentum) and
                                    of AdamW; optimizer-by-step and learning-rate-schedule cases.
  layers/<model>.safetensors        each model's initial state dict, saved from PyTorch (F32,
                                    num_batches_tracked I64) by the small writer below
                                    (Debian has no python3-safetensors).
and checks the other direction: layers/convkit-plain-cnn.safetensors, written by convkit
(packages/layers/scripts/save-convkit-checkpoint.ts), must load into the PyTorch plain CNN with
strict=True and give the outputs convkit recorded beside it (layers/convkit-plain-cnn.json).

Models are built in float32 with a generator seeded by the CRC-32 of their name; the expected
values are computed in float64 from those float32 values (model.double()).
"""
import copy
import json
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.models.resnet import BasicBlock
from torchvision.ops import DeformConv2d

from common import HERE, encode, meta

OUT_DIR = os.path.join(HERE, "layers")

# ---------------------------------------------------------------- safetensors (format by hand)

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
NP_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def save_safetensors(tensors, path):
    """safetensors layout: u64 LE header length, JSON header, raw LE data (sorted as the library does)."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, blobs, offset = {}, [], 0
    for name, t in items:
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(NP_DTYPES[DTYPES[t.dtype]]).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        if e["dtype"] == "BF16":
            a = np.frombuffer(data[base + begin : base + end], dtype="<i2").copy()
            t = torch.from_numpy(a).view(torch.bfloat16).float()
        else:
            a = np.frombuffer(data[base + begin : base + end], dtype=NP_DTYPES[e["dtype"]]).copy()
            t = torch.from_numpy(a)
        out[name] = t.reshape(e["shape"])
    return out


# ---------------------------------------------------------------- the 12 models


class SeparableConv2d(nn.Module):
    """Depthwise then pointwise, the child names convkit's SeparableConv2d uses."""

    def __init__(self, cin, cout, k, stride=1, padding=0):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, k, stride=stride, padding=padding, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=True)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class ResNeXtBlock(nn.Module):
    def __init__(self, channels, width, groups):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + x)


class UNetDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.block = nn.Sequential(nn.Conv2d(8, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU())
        self.up2 = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)
        self.smooth = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.head = nn.Conv2d(3, 1, 1)

    def forward(self, x, skip):
        y = self.up1(x)
        y = self.block(torch.cat([y, skip], 1))
        y = self.up2(y, output_size=[16, 16])
        return self.head(self.smooth(y))


class DCNv2Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.offset = nn.Conv2d(cin, 27, 3, padding=1)
        self.dcn = DeformConv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        o = self.offset(x)
        offset, mask = torch.split(o, [18, 9], dim=1)
        return F.relu(self.bn(self.dcn(x, offset, torch.sigmoid(mask))))


class TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 8)
        self.convs = nn.ModuleList([nn.Conv1d(8, 6, 3), nn.Conv1d(8, 6, 5)])
        self.norm = nn.LayerNorm(12)
        self.fc = nn.Linear(12, 4)

    def forward(self, ids):
        x = self.embedding(ids).permute(0, 2, 1)
        pooled = [F.max_pool1d(F.relu(conv(x)), x.shape[2] - conv.kernel_size[0] + 1).flatten(1) for conv in self.convs]
        return F.log_softmax(self.fc(self.norm(torch.cat(pooled, 1))), dim=1)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.Tanh()
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU6(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(4, 4, 3, padding=1),
            nn.AvgPool2d(2),
            nn.PixelShuffle(2),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def plain_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )


def resnet_block():
    down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
    return nn.Sequential(BasicBlock(8, 16, stride=2, downsample=down), BasicBlock(16, 16))


def mobilenet_v1():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        SeparableConv2d(16, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5),
    )


def mobilenet_v2():
    return nn.Sequential(InvertedResidual(8, 8, 1, 6), InvertedResidual(8, 12, 2, 1), InvertedResidual(12, 12, 1, 4))


def dilated_context():
    return nn.Sequential(
        nn.Conv2d(4, 8, 3, padding=1, dilation=1), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=5, dilation=5), nn.ReLU(),
        nn.Conv2d(8, 4, 1),
    )


def temporal_cnn():
    return nn.Sequential(
        nn.Conv1d(4, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.GELU(),
        nn.Conv1d(8, 8, 3, padding=2, dilation=2, bias=False), nn.BatchNorm1d(8), nn.SiLU(),
        nn.Conv1d(8, 8, 3, padding=4, dilation=4), nn.ReLU(),
        nn.AvgPool1d(2), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(32, 3),
    )


def conv3d_block():
    return nn.Sequential(
        nn.Conv3d(2, 4, 3, padding=1, bias=False), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(4, 6, (1, 3, 3), padding=(0, 1, 1)), nn.LeakyReLU(0.1),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(6, 3),
    )


def resnext_block():
    return nn.Sequential(ResNeXtBlock(16, 16, 4))


# name: (constructor, inputs (name, shape, kind), target (shape, kind), loss)
MODELS = {
    "plain-cnn": (plain_cnn, [("x", [4, 3, 12, 12], "normal")], ([4], "class10"), "crossEntropySmooth"),
    "resnet-basic-block": (resnet_block, [("x", [2, 8, 8, 8], "normal")], ([2, 16, 4, 4], "normal"), "mse"),
    "mobilenet-v1": (mobilenet_v1, [("x", [3, 3, 12, 12], "normal")], ([3], "class5"), "crossEntropy"),
    "mobilenet-v2": (mobilenet_v2, [("x", [2, 8, 8, 8], "normal")], ([2, 12, 4, 4], "normal"), "mse"),
    "resnext-block": (resnext_block, [("x", [2, 16, 6, 6], "normal")], ([2, 16, 6, 6], "normal"), "mse"),
    "dilated-context": (dilated_context, [("x", [2, 4, 12, 12], "normal")], ([2, 4, 12, 12], "normal"), "l1"),
    "temporal-cnn": (temporal_cnn, [("x", [3, 4, 16], "normal")], ([3], "class3"), "crossEntropy"),
    "conv3d-block": (conv3d_block, [("x", [2, 2, 6, 6, 6], "normal")], ([2], "class3"), "crossEntropy"),
    "unet-decoder": (UNetDecoder, [("x", [2, 8, 4, 4], "normal"), ("skip", [2, 4, 8, 8], "normal")], ([2, 1, 32, 32], "unit"), "bce"),
    "dcn-v2-block": (lambda: DCNv2Block(4, 8), [("x", [2, 4, 6, 6], "normal")], ([2, 8, 6, 6], "normal"), "mse"),
    "text-cnn": (TextCNN, [("ids", [3, 10], "ids20")], ([3], "class4"), "nll"),
    "autoencoder": (AutoEncoder, [("x", [2, 1, 16, 16], "unit")], ([2, 1, 16, 16], "unit"), "l1"),
}

SGD_OPTIONS = {"lr": 0.05, "momentum": 0.9, "weightDecay": 1e-3}
ADAMW_OPTIONS = {"lr": 1e-3, "weightDecay": 1e-2}


def draw(gen, shape, kind):
    if kind == "normal":
        return torch.randn(*shape, generator=gen, dtype=torch.float32)
    if kind == "unit":
        return torch.rand(*shape, generator=gen, dtype=torch.float32)
    if kind.startswith("class") or kind.startswith("ids"):
        high = int(kind.lstrip("clasid"))
        return torch.randint(0, high, shape, generator=gen).float()
    raise ValueError(kind)


def loss_of(kind, out, target):
    if kind == "crossEntropySmooth":
        return F.cross_entropy(out, target.long(), label_smoothing=0.1)
    if kind == "crossEntropy":
        return F.cross_entropy(out, target.long())
    if kind == "nll":
        return F.nll_loss(out, target.long())
    if kind == "mse":
        return F.mse_loss(out, target)
    if kind == "l1":
        return F.l1_loss(out, target)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(out, target)
    raise ValueError(kind)


def model_inputs(inputs, values, double):
    out = []
    for (name, _, kind), v in zip(inputs, values):
        out.append(v.long() if kind.startswith("ids") else (v.double() if double else v))
    return out


def randomize_state(model, gen):
    """Non-trivial BN affine parameters and running statistics (the defaults 1, 0, 0, 1 hide bugs)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
                m.num_batches_tracked.fill_(3)
            if isinstance(m, (nn.GroupNorm, nn.LayerNorm)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)


def train_steps(model, optimizer, inputs, target, loss_kind, steps=3):
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(loss_kind, model(*inputs), target).backward()
        optimizer.step()
    return {k: encode(v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def model_case(name):
    build, inputs, (target_shape, target_kind), loss_kind = MODELS[name]
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    torch.manual_seed(zlib.crc32(name.encode()))
    model = build().float()
    randomize_state(model, gen)
    values = [draw(gen, shape, kind) for _, shape, kind in inputs]
    target = draw(gen, target_shape, target_kind)
    save_safetensors(model.state_dict(), os.path.join(OUT_DIR, f"{name}.safetensors"))
    initial = copy.deepcopy(model.state_dict())

    ref = copy.deepcopy(model).double()
    ref.eval()
    with torch.no_grad():
        out_eval = ref(*model_inputs(inputs, values, True))
    ref.train()
    out = ref(*model_inputs(inputs, values, True))
    loss = loss_of(loss_kind, out, target.double())
    loss.backward()
    grads = {k: encode(p.grad) for k, p in ref.named_parameters()}
    for k, p in ref.named_parameters():
        # A gradient that is zero in exact arithmetic (a bias right before a batch norm) is
        # rounding noise in float32, which Adam's normalised step would turn into a real update.
        assert p.grad.abs().max().item() > 1e-6, f"{name}: {k} has a (mathematically) zero gradient"
    buffers = {k: encode(b) for k, b in ref.named_buffers() if not k.endswith("num_batches_tracked")}

    # A float32 PyTorch run must agree too, or 1e-4 would be out of reach.
    check = copy.deepcopy(model)
    check.train()
    out32 = check(*model_inputs(inputs, values, False))
    assert torch.allclose(out32.double(), out, atol=1e-4, rtol=1e-4), f"{name}: float32 forward differs"

    def fresh():
        m = copy.deepcopy(model).double()
        m.load_state_dict(initial)
        return m.double().train()

    m = fresh()
    sgd = torch.optim.SGD(m.parameters(), lr=SGD_OPTIONS["lr"], momentum=SGD_OPTIONS["momentum"], weight_decay=SGD_OPTIONS["weightDecay"])
    after_sgd = train_steps(m, sgd, model_inputs(inputs, values, True), target.double(), loss_kind)
    m = fresh()
    adamw = torch.optim.AdamW(m.parameters(), lr=ADAMW_OPTIONS["lr"], weight_decay=ADAMW_OPTIONS["weightDecay"])
    after_adamw = train_steps(m, adamw, model_inputs(inputs, values, True), target.double(), loss_kind)

    return {
        "name": name,
        "op": "model",
        "options": {"loss": loss_kind, "inputs": [n for n, _, _ in inputs], "sgd": SGD_OPTIONS, "adamw": ADAMW_OPTIONS},
        "tensors": {
            **{f"input.{n}": encode(v) for (n, _, _), v in zip(inputs, values)},
            "target": encode(target),
            "outputEval": encode(out_eval),
            "output": encode(out),
            "loss": encode(loss.detach().reshape(1)),
            **{f"grad.{k}": v for k, v in grads.items()},
            **{f"buffer.{k}": v for k, v in buffers.items()},
            **{f"sgd.{k}": v for k, v in after_sgd.items()},
            **{f"adamw.{k}": v for k, v in after_adamw.items()},
        },
    }


# ---------------------------------------------------------------- optimizers and schedules by step

OPTIMIZER_CASES = {
    "sgd": (torch.optim.SGD, {"lr": 0.1}, {"lr": 0.1}),
    "sgd-momentum-dampening": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    "sgd-nesterov-decay": (torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weightDecay": 0.01}),
    "adam": (torch.optim.Adam, {"lr": 0.01}, {"lr": 0.01}),
    "adam-decay-amsgrad": (torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}, {"lr": 0.01, "betas": [0.8, 0.99], "weightDecay": 0.1, "amsgrad": True}),
    "adamw": (torch.optim.AdamW, {"lr": 0.01}, {"lr": 0.01}),
    "adamw-amsgrad": (torch.optim.AdamW, {"lr": 0.02, "weight_decay": 0.05, "eps": 1e-6, "amsgrad": True}, {"lr": 0.02, "weightDecay": 0.05, "eps": 1e-6, "amsgrad": True}),
}


def optimizer_case(name):
    cls, torch_options, convkit_options = OPTIMIZER_CASES[name]
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    start = torch.randn(2, 3, generator=gen, dtype=torch.float32)
    grads = [torch.randn(2, 3, generator=gen, dtype=torch.float32) for _ in range(5)]
    p = nn.Parameter(start.double().clone())
    opt = cls([p], **torch_options)
    after = []
    for g in grads:
        p.grad = g.double().clone()
        opt.step()
        after.append(p.detach().clone())
    return {
        "name": f"optimizer/{name}",
        "op": "optimizer",
        "options": {"optimizer": cls.__name__, **convkit_options},
        "tensors": {"start": encode(start), "grads": encode(torch.stack(grads)), "params": encode(torch.stack(after))},
    }


SCHEDULE_CASES = {
    "step-lr": (lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), {"scheduler": "StepLR", "stepSize": 3, "gamma": 0.5}, "SGD"),
    "cosine-annealing": (lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001), {"scheduler": "CosineAnnealingLR", "tMax": 7, "etaMin": 0.001}, "SGD"),
    "one-cycle-cos": (lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=12), {"scheduler": "OneCycleLR", "maxLr": 0.5, "totalSteps": 12}, "SGD"),
    "one-cycle-linear-three-phase": (lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=15, pct_start=0.4, anneal_strategy="linear", three_phase=True, div_factor=10, final_div_factor=100), {"scheduler": "OneCycleLR", "maxLr": 0.2, "totalSteps": 15, "pctStart": 0.4, "annealStrategy": "linear", "threePhase": True, "divFactor": 10, "finalDivFactor": 100}, "SGD"),
    "one-cycle-adam": (lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, total_steps=10), {"scheduler": "OneCycleLR", "maxLr": 0.01, "totalSteps": 10}, "Adam"),
}


def schedule_case(name):
    make, options, optimizer = SCHEDULE_CASES[name]
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9) if optimizer == "SGD" else torch.optim.Adam([p], lr=0.1)
    sched = make(opt)
    steps = 12 if options.get("totalSteps") is None else options["totalSteps"] - 1
    lrs, momenta = [], []
    for _ in range(steps):
        group = opt.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
        opt.step()
        sched.step()
    return {
        "name": f"schedule/{name}",
        "op": "schedule",
        "options": {**options, "optimizer": optimizer, "lr": 0.1},
        "tensors": {"lr": encode(torch.tensor(lrs, dtype=torch.float64)), "momentum": encode(torch.tensor(momenta, dtype=torch.float64))},
    }


# ---------------------------------------------------------------- single ops, forward and backward

# (name, fn (convkit's functional name), options (convkit's, as JSON), input shapes, PyTorch callable)
OP_CASES = [
    ("maxPool2d/ceil-pad-dilation", "maxPool", {"dims": 2, "kernelSize": 3, "stride": 2, "padding": 1, "dilation": 1, "ceilMode": True}, [[1, 2, 6, 7]], lambda x: F.max_pool2d(x, 3, 2, 1, 1, ceil_mode=True)),
    ("maxPool2d/dilation2", "maxPool", {"dims": 2, "kernelSize": 2, "stride": 1, "dilation": 2}, [[1, 2, 5, 5]], lambda x: F.max_pool2d(x, 2, 1, 0, 2)),
    ("maxPool1d/overlap", "maxPool", {"dims": 1, "kernelSize": 3, "stride": 1, "padding": 1}, [[2, 2, 7]], lambda x: F.max_pool1d(x, 3, 1, 1)),
    ("maxPool3d/ceil", "maxPool", {"dims": 3, "kernelSize": 2, "ceilMode": True}, [[1, 1, 3, 5, 4]], lambda x: F.max_pool3d(x, 2, ceil_mode=True)),
    ("avgPool2d/pad-ceil-include", "avgPool", {"dims": 2, "kernelSize": 3, "stride": 2, "padding": 1, "ceilMode": True}, [[1, 2, 6, 6]], lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("avgPool2d/pad-exclude", "avgPool", {"dims": 2, "kernelSize": 3, "stride": 2, "padding": 1, "countIncludePad": False}, [[1, 2, 5, 6]], lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
    ("avgPool2d/ceil-exclude", "avgPool", {"dims": 2, "kernelSize": 2, "stride": 2, "ceilMode": True, "countIncludePad": False}, [[1, 1, 5, 5]], lambda x: F.avg_pool2d(x, 2, 2, ceil_mode=True, count_include_pad=False)),
    ("avgPool1d/divisor", "avgPool", {"dims": 1, "kernelSize": 3, "stride": 2, "padding": 1, "divisorOverride": 2}, [[2, 2, 7]], lambda x: F.avg_pool2d(x.unsqueeze(2), (1, 3), (1, 2), (0, 1), divisor_override=2).squeeze(2)),
    ("avgPool3d/pad", "avgPool", {"dims": 3, "kernelSize": [1, 2, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]}, [[1, 2, 2, 4, 5]], lambda x: F.avg_pool3d(x, (1, 2, 3), (1, 2, 2), (0, 1, 1))),
    ("adaptiveAvgPool1d/5-to-3", "adaptiveAvgPool", {"dims": 1, "outputSize": 3}, [[2, 2, 5]], lambda x: F.adaptive_avg_pool1d(x, 3)),
    ("adaptiveAvgPool2d/7x5-to-3x2", "adaptiveAvgPool", {"dims": 2, "outputSize": [3, 2]}, [[1, 2, 7, 5]], lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    ("adaptiveAvgPool3d/to-2-keep-1", "adaptiveAvgPool", {"dims": 3, "outputSize": [2, None, 1]}, [[1, 1, 5, 3, 4]], lambda x: F.adaptive_avg_pool3d(x, (2, None, 1))),
    ("interpolate/nearest-size-3-to-7", "interpolate", {"size": [7, 5]}, [[1, 2, 3, 4]], lambda x: F.interpolate(x, size=(7, 5), mode="nearest")),
    ("interpolate/nearest-scale-2-1d", "interpolate", {"scaleFactor": 2}, [[1, 2, 5]], lambda x: F.interpolate(x, scale_factor=2, mode="nearest")),
    ("interpolate/nearest-scale-3d", "interpolate", {"scaleFactor": [1, 2, 3]}, [[1, 1, 2, 2, 2]], lambda x: F.interpolate(x, scale_factor=(1, 2, 3), mode="nearest")),
    ("interpolate/bilinear-size", "interpolate", {"size": [7, 5], "mode": "bilinear"}, [[1, 2, 3, 4]], lambda x: F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=False)),
    ("interpolate/bilinear-corners", "interpolate", {"size": [5, 7], "mode": "bilinear", "alignCorners": True}, [[1, 2, 3, 4]], lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True)),
    ("interpolate/bilinear-scale-2", "interpolate", {"scaleFactor": 2, "mode": "bilinear"}, [[1, 1, 3, 3]], lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)),
    ("interpolate/bilinear-downscale", "interpolate", {"size": [2, 3], "mode": "bilinear"}, [[1, 1, 5, 7]], lambda x: F.interpolate(x, size=(2, 3), mode="bilinear", align_corners=False)),
    ("softmax/dim1", "softmax", {"dim": 1}, [[2, 4, 3]], lambda x: F.softmax(x, 1)),
    ("logSoftmax/dim-1", "logSoftmax", {"dim": -1}, [[3, 5]], lambda x: F.log_softmax(x, -1)),
    ("gelu/erf", "gelu", {}, [[3, 4]], lambda x: F.gelu(x)),
    ("gelu/tanh", "gelu", {"approximate": "tanh"}, [[3, 4]], lambda x: F.gelu(x, approximate="tanh")),
    ("silu", "silu", {}, [[3, 4]], F.silu),
    ("leakyRelu/0.2", "leakyRelu", {"negativeSlope": 0.2}, [[3, 4]], lambda x: F.leaky_relu(x, 0.2)),
    ("groupNorm/3-groups", "groupNorm", {"numGroups": 3}, [[2, 6, 4], [6], [6]], lambda x, w, b: F.group_norm(x, 3, w, b)),
    ("layerNorm/last-two", "layerNorm", {"normalizedShape": [3, 4]}, [[2, 3, 4], [3, 4], [3, 4]], lambda x, w, b: F.layer_norm(x, (3, 4), w, b)),
    ("batchNorm/train-3d", "batchNorm", {"training": True}, [[3, 2, 4], [2], [2]], lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    ("pixelShuffle/3", "pixelShuffle", {"upscaleFactor": 3}, [[1, 18, 2, 2]], lambda x: F.pixel_shuffle(x, 3)),
    ("pad/constant-crop", "pad", {"amounts": [2, -1, 1, 0], "value": 0.5}, [[1, 2, 3, 4]], lambda x: F.pad(x, (2, -1, 1, 0), value=0.5)),
    ("convTranspose1d/groups-dilation", "convTranspose", {"stride": 2, "padding": 1, "outputPadding": 1, "groups": 2, "dilation": 2}, [[1, 4, 5], [4, 1, 3], [2]], lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2, 2)),
    ("convTranspose3d/stride", "convTranspose", {"stride": [1, 2, 2], "padding": [0, 1, 0]}, [[1, 2, 2, 3, 3], [2, 3, 2, 3, 2], [3]], lambda x, w, b: F.conv_transpose3d(x, w, b, (1, 2, 2), (0, 1, 0))),
    ("conv2d/circular", "conv", {"padding": 1, "paddingMode": "circular"}, [[1, 2, 4, 5], [3, 2, 3, 3], [3]], lambda x, w, b: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), w, b)),
    ("linear/3-d-input", "linear", {}, [[2, 3, 5], [4, 5], [4]], F.linear),
    ("crossEntropy/spatial-smoothing-ignore", "crossEntropy", {"labelSmoothing": 0.15, "ignoreIndex": 1}, [[2, 4, 3]], None),
    ("bceWithLogits/sum", "bceWithLogits", {"reduction": "sum"}, [[3, 4]], None),
]


def op_case(name, fn, options, shapes, torch_fn):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    inputs = [torch.rand(*s, generator=gen, dtype=torch.float32) * 2 - 1 for s in shapes]
    if fn == "maxPool":
        # Distinct values at least 1e-2 apart: no near-ties, whose argmax a float32 rounding could flip.
        n = inputs[0].numel()
        inputs[0] = (torch.randperm(n, generator=gen).float() * 0.013 - n * 0.0065).reshape(shapes[0])
    tensors = {}
    xs = [x.double().requires_grad_() for x in inputs]
    if fn == "crossEntropy":
        target = torch.randint(0, 4, (2, 3), generator=gen)
        target[0, 1] = 1
        out = F.cross_entropy(xs[0], target, label_smoothing=0.15, ignore_index=1)
        tensors["target"] = encode(target.float())
    elif fn == "bceWithLogits":
        target = torch.rand(*shapes[0], generator=gen, dtype=torch.float32)
        out = F.binary_cross_entropy_with_logits(xs[0], target.double(), reduction="sum")
        tensors["target"] = encode(target)
    else:
        out = torch_fn(*xs)
    grad_out = torch.rand(tuple(out.shape), generator=gen, dtype=torch.float32) * 2 - 1
    out.backward(grad_out.double())
    for i, x in enumerate(inputs):
        tensors[f"input{i}"] = encode(x)
        tensors[f"grad{i}"] = encode(xs[i].grad)
    tensors["output"] = encode(out.detach().reshape(out.shape))
    tensors["gradOutput"] = encode(grad_out)
    return {"name": f"op/{name}", "op": "functional", "options": {"fn": fn, **options}, "tensors": tensors}


# ---------------------------------------------------------------- convkit -> PyTorch


def verify_convkit_checkpoint():
    path = os.path.join(OUT_DIR, "convkit-plain-cnn.safetensors")
    expected_path = os.path.join(OUT_DIR, "convkit-plain-cnn.json")
    if not os.path.exists(path):
        print("  convkit-plain-cnn.safetensors missing: run packages/layers/scripts/save-convkit-checkpoint.ts, then this again")
        return
    state = load_safetensors(path)
    model = plain_cnn()
    result = model.load_state_dict({k: v for k, v in state.items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert state["1.num_batches_tracked"].dtype == torch.int64, "num_batches_tracked must be saved as I64"
    with open(expected_path) as f:
        expected = json.load(f)
    x = torch.tensor(expected["input"]["data"], dtype=torch.float32).reshape(expected["input"]["shape"])
    y = torch.tensor(expected["output"]["data"], dtype=torch.float64).reshape(expected["output"]["shape"])
    model.double().eval()
    with torch.no_grad():
        out = model(x.double())
    err = ((out - y).abs() - 1e-4 * y.abs()).max().item()
    assert err <= 1e-4, f"convkit checkpoint: PyTorch output differs by {err}"
    print(f"  convkit-plain-cnn.safetensors loads in PyTorch (strict) and matches convkit's outputs (worst excess {err:.2e})")


def dtype_case():
    """A file of every dtype convkit reads, saved from PyTorch tensors, and the values expected."""
    gen = torch.Generator().manual_seed(zlib.crc32(b"dtypes"))
    base = torch.randn(2, 3, generator=gen) * 100
    tensors = {
        "f32": base.float(),
        "f64": base.double() / 3,
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "i64": torch.tensor([[-3, 0, 7], [2**40, -(2**20), 1]], dtype=torch.int64),
        "scalar": torch.tensor(5, dtype=torch.int64),
    }
    save_safetensors(tensors, os.path.join(OUT_DIR, "dtypes.safetensors"))
    return {
        "name": "safetensors/dtypes",
        "op": "safetensors",
        "options": {"file": "dtypes.safetensors"},
        "tensors": {k: encode(v.double()) for k, v in tensors.items()},
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)
    cases = [model_case(name) for name in MODELS]
    cases += [optimizer_case(name) for name in OPTIMIZER_CASES]
    cases += [schedule_case(name) for name in SCHEDULE_CASES]
    cases += [op_case(*c) for c in OP_CASES]
    cases.append(dtype_case())
    path = os.path.join(HERE, "layers.json")
    with open(path, "w") as f:
        json.dump({"meta": meta("gen_layers.py"), "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    size = os.path.getsize(path) + sum(os.path.getsize(os.path.join(OUT_DIR, n)) for n in os.listdir(OUT_DIR))
    print(f"layers.json: {len(cases)} cases; with layers/: {size / 1e6:.2f} MB")
    # Round trip of the writer and reader above.
    for name in MODELS:
        loaded = load_safetensors(os.path.join(OUT_DIR, f"{name}.safetensors"))
        assert set(loaded) == set(MODELS[name][0]().state_dict()), name
    verify_convkit_checkpoint()


if __name__ == "__main__":
    main()
