#!/usr/bin/python3
"""make-models.py - small PyTorch networks exported with torch.onnx.export,
with an input batch and PyTorch's own outputs, for tests/test-nn-torch.c.

Run with Debian's interpreter and packages (python3-torch 1.13, python3-onnx):

    /usr/bin/python3 tests/data/torch/make-models.py [OUT_DIR]

OUT_DIR defaults to this script's directory.  For every network NAME it writes

    NAME-opset9.onnx, NAME-opset13.onnx, NAME-opset17.onnx
        the network exported by torch.onnx.export at that opset (eval mode,
        constant folding on, batch dimension dynamic: dim_param "N");
    NAME-input.pb
        the input batch, one ONNX TensorProto (float32, raw_data);
    NAME-output_K.pb
        PyTorch's output number K for that batch (the same for every opset:
        it is the module's output, not an ONNX runtime's).

The first three networks avoid the export patterns that need shape folding
or extra ops (torch.flatten rather than view(x.size(0), -1), which exports as
a Shape/Gather/Unsqueeze/Concat chain; AvgPool2d with count_include_pad=False,
since the default count_include_pad exports as Pad + AveragePool); the fourth,
patterns, uses exactly those.  Together they cover the ops the engine runs:

    mlp     1x28x28: Flatten, Linear->Gemm, ReLU, Dropout (gone in eval),
            BatchNorm1d after Gemm (kept as BatchNormalization), ReLU6->Clip,
            hardtanh->Clip, MatMul with a weight matrix, Softmax (2 outputs)
    cnn     1x28x28: Conv+BatchNorm2d (the exporter folds the BN into the Conv),
            ReLU, MaxPool, grouped Conv stride 2 without bias, ReLU6,
            depthwise dilated Conv, MaxPool with padding, MaxPool ceil_mode,
            AveragePool, Flatten, Gemm
    resnet  3x32x32: strided stem, basic residual block (Add), pre-activation
            block (BatchNormalization after an Add), an Inception-style branch
            (1x1, 3x3, MaxPool 3/1/1 then 1x1) joined by Concat, a strided
            block with a 1x1 strided shortcut, padded AveragePool,
            AdaptiveAvgPool2d(1)->GlobalAveragePool, Flatten, Gemm
    patterns 1x12x12: Conv, ReLU, AvgPool2d(3, 2, padding=1) with the default
            count_include_pad=True (Pad + AveragePool), (x * 2 - 0.5) / 3
            (Mul, Sub, Div with Constant scalars), x.view(x.size(0), -1)
            (Shape, Gather, Unsqueeze, Concat, Reshape), Gemm

Everything is deterministic: fixed seeds for the weights, the BatchNorm
statistics (set to non-trivial values, not the identity of a fresh module)
and the inputs; one thread.  The files are small (well under 1 MB in all).
"""

import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSETS = (9, 13, 17)
# The last layer's weights are scaled up so the logits span several units (a
# freshly initialised network gives logits of about ±0.3, which would make a
# 1e-4 bound a weak check).
LOGIT_GAIN = 12.0


def randomize_bn(bn, gen):
    """Non-trivial inference statistics and affine parameters."""
    c = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(c, generator=gen) * 0.3)
        bn.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
        bn.weight.copy_(torch.rand(c, generator=gen) + 0.5)
        bn.bias.copy_(torch.randn(c, generator=gen) * 0.2)


class Mlp(nn.Module):
    """Flatten -> Gemm -> Relu -> (Dropout) -> Gemm -> BatchNormalization ->
    Clip(0, 6) -> Gemm -> Clip(-1, 1) -> MatMul; outputs the logits and
    their Softmax."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 16)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(16, 16)
        self.bn = nn.BatchNorm1d(16)
        self.fc3 = nn.Linear(16, 12, bias=False)
        self.proj = nn.Parameter(torch.randn(12, 10) * 2.0)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        x = F.relu6(self.bn(self.fc2(x)))
        x = F.hardtanh(self.fc3(x))
        logits = torch.matmul(x, self.proj)
        return logits, F.softmax(logits, dim=1)


class Cnn(nn.Module):
    """A LeNet-sized CNN over 1x28x28."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2, bias=False)
        self.dw = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16)
        self.fc = nn.Linear(16 * 2 * 2, 10)
        with torch.no_grad():
            self.fc.weight.mul_(LOGIT_GAIN)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)          # 8x14x14
        x = F.relu6(self.conv2(x))                                      # 16x7x7
        x = F.relu(self.dw(x))                                          # 16x7x7
        x = F.max_pool2d(x, 3, stride=2, padding=1)                     # 16x4x4
        x = F.max_pool2d(x, 3, stride=2, ceil_mode=True) + \
            F.avg_pool2d(x, 2, count_include_pad=False)                 # 16x2x2
        return self.fc(torch.flatten(x, 1))


class Basic(nn.Module):
    """conv-bn-relu-conv-bn + shortcut, relu (the ResNet basic block)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                       nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class PreAct(nn.Module):
    """x + conv(relu(conv(x))), then BN and ReLU6: the BN reads an Add, so
    the exporter keeps it as BatchNormalization."""

    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.c2 = nn.Conv2d(c, c, 1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu6(self.bn(x + self.c2(F.relu(self.c1(x)))))


class Inception(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.a = nn.Conv2d(cin, c, 1)
        self.b = nn.Conv2d(cin, c, 3, padding=1)
        self.p = nn.Conv2d(cin, c, 1)

    def forward(self, x):
        pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        return torch.cat([F.relu(self.a(x)), F.relu(self.b(x)), F.relu(self.p(pooled))], 1)


class ResNet(nn.Module):
    """A small residual network over 3x32x32."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.block1 = Basic(8, 8, 1)
        self.pre = PreAct(8)
        self.inc = Inception(8, 4)
        self.block2 = Basic(12, 16, 2)
        self.fc = nn.Linear(16, 10)
        with torch.no_grad():
            self.fc.weight.mul_(LOGIT_GAIN)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))                               # 8x16x16
        x = self.block1(x)
        x = self.pre(x)
        x = self.inc(x)                                                 # 12x16x16
        x = self.block2(x)                                              # 16x8x8
        x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)   # 16x4x4
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class Patterns(nn.Module):
    """The three export patterns that need more than the ops above:
    AvgPool2d with padding and its default count_include_pad=True (Pad +
    AveragePool), arithmetic with Python scalars (Mul, Sub, Div with a
    constant) and x.view(x.size(0), -1) with a dynamic batch (Shape ->
    Gather -> Unsqueeze -> Concat -> Reshape)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 10)
        with torch.no_grad():
            self.fc.weight.mul_(LOGIT_GAIN)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))                             # 4x6x6
        x = (x * 2 - 0.5) / 3
        return self.fc(x.view(x.size(0), -1))


# name, module class, input shape (C, H, W), batch, seed, output names
NETWORKS = (
    ("mlp", Mlp, (1, 28, 28), 8, 101, ("logits", "probs")),
    ("cnn", Cnn, (1, 28, 28), 8, 102, ("logits",)),
    ("resnet", ResNet, (3, 32, 32), 4, 103, ("logits",)),
    ("patterns", Patterns, (1, 12, 12), 6, 104, ("logits",)),
)


def save_tensor(path, array, name):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def build(name, cls, chw, batch, seed, outputs, out_dir):
    torch.manual_seed(seed)
    model = cls()
    gen = torch.Generator().manual_seed(seed + 1000)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            randomize_bn(m, gen)
    model.eval()
    x = torch.randn((batch,) + chw, generator=gen)
    with torch.inference_mode():
        y = model(x)
    if isinstance(y, torch.Tensor):
        y = (y,)
    save_tensor(os.path.join(out_dir, f"{name}-input.pb"), x.numpy(), "input")
    for k, (t, oname) in enumerate(zip(y, outputs)):
        save_tensor(os.path.join(out_dir, f"{name}-output_{k}.pb"), t.numpy(), oname)
    dyn = {"input": {0: "N"}}
    for oname in outputs:
        dyn[oname] = {0: "N"}
    for opset in OPSETS:
        path = os.path.join(out_dir, f"{name}-opset{opset}.onnx")
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                          output_names=list(outputs), dynamic_axes=dyn,
                          do_constant_folding=True)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        ops = sorted({n.op_type for n in m.graph.node})
        print(f"{path}: {os.path.getsize(path)} bytes, ops {' '.join(ops)}")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for net in NETWORKS:
        build(*net, out_dir)


if __name__ == "__main__":
    main()
