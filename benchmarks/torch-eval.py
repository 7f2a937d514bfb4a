#!/usr/bin/python3
"""torch-eval.py - PyTorch's images/s on the same networks as bench-eval, the
baseline benchmarks/run sets Bitscape's evaluator beside.

    /usr/bin/python3 benchmarks/torch-eval.py [--threads 2] [--batch 64,256]
        [--limit 0] [--repeat 1] [--dataset /usr/share/datasets/fashion-mnist]
        [--modes eager,frozen] [--expect-correct K[,K...]] MODEL.onnx [...]

For each model the ONNX graph is read with the `onnx` package and turned into
a PyTorch function: each node becomes the torch.nn.functional call it means
(Conv -> F.conv2d, Gemm -> F.linear, MaxPool -> F.max_pool2d, ...).  As in
Bitscape's evaluator, a BatchNormalization that is the only reader of a Conv
or Gemm output is folded into that layer's weights beforehand (the usual
inference rewrite, which Bitscape's evaluator also makes).

The 10 000 Fashion-MNIST test images are read from the idx files (gzip'd) and
normalised as the model records it (metadata_props "bitscape.normalize" =
"MEAN,STD" on pixels / 255; pixels / 255 alone without it), before timing.
Then, with torch.set_num_threads(N) and under torch.inference_mode(), the
images are run in batches and top-1 is counted, in two modes:

    eager   the function above, op by op (as a PyTorch model's forward runs)
    frozen  the same function traced with torch.jit.trace, frozen and passed
            through torch.jit.optimize_for_inference: PyTorch's own inference
            path (oneDNN convolutions in blocked layouts, fused ReLUs); on
            the development machine about twice as fast as eager

Each mode runs at every batch size of --batch (which suits PyTorch best
depends on the model and the machine's load).  One untimed warm-up batch
first (tracing and freezing are not timed); the fastest of --repeat passes
is reported, with the process's CPU time in that pass (OpenMP workers that
spin while waiting count in it), one line per model, mode and batch size:

    fmnist-cnn torch-frozen images/s=12345.6 top1=92.48 correct=9248 seconds=0.810 cpu-seconds=1.620 batch=256

--expect-correct gives Bitscape's fp32 count of correct images per model;
the script fails (exit 1) when PyTorch's count differs by more than 2 images
(float summation order may flip an image whose two best logits tie closely).
Bad arguments or files: one line on stderr, exit 2.
"""

import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np

try:
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn.functional as F
except ImportError as e:  # benchmarks/run checks first; this is for direct use
    print(f"torch-eval.py: {e} (install python3-torch and python3-onnx)", file=sys.stderr)
    sys.exit(2)


class BadInput(Exception):
    pass


def read_idx(path):
    """An idx file (gzip'd or plain) as a numpy array."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}")
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise BadInput(f"{path}: not an idx file of unsigned bytes")
    rank = data[3]
    if len(data) < 4 + 4 * rank:
        raise BadInput(f"{path}: truncated header")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    n = int(np.prod(dims))
    if len(data) < 4 + 4 * rank + n:
        raise BadInput(f"{path}: truncated: {len(data) - 4 - 4 * rank} of {n} bytes")
    return np.frombuffer(data, np.uint8, n, 4 + 4 * rank).reshape(dims)


def find(dirname, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(dirname, name)
        if os.path.exists(p):
            return p
    raise BadInput(f"{os.path.join(dirname, stem)}.gz: not found")


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads_2d(a, nsp):
    """ONNX pads [x1_begin, x2_begin, ..., x1_end, ...] as (top, left, bottom, right)."""
    p = list(a.get("pads", [0] * (2 * nsp)))
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        raise BadInput("auto_pad SAME_* is not handled by this script")
    if nsp == 1:
        return (0, p[0], 0, p[1])
    return (p[0], p[1], p[2], p[3])


class Net:
    """An ONNX graph as a sequence of torch calls."""

    def __init__(self, model, label):
        g = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.consts = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy())
                       for t in g.initializer}
        inits = set(self.consts)
        ins = [i.name for i in g.input if i.name not in inits]
        if len(ins) != 1:
            raise BadInput(f"{label}: needs exactly one runtime input (has {len(ins)})")
        self.input = ins[0]
        self.output = g.output[0].name
        nodes = list(g.node)
        readers = {}
        for n in nodes:
            for i in n.input:
                readers[i] = readers.get(i, 0) + 1
        outputs = {o.name for o in g.output}
        self.steps = []
        folded = set()
        for k, n in enumerate(nodes):
            if k in folded:
                continue
            if n.op_type == "Constant":
                self.consts[n.output[0]] = torch.from_numpy(
                    onnx.numpy_helper.to_array(attrs(n)["value"]).copy())
                continue
            # a BatchNormalization reading only this layer's output: fold it
            bn = None
            if n.op_type in ("Conv", "Gemm") and readers.get(n.output[0], 0) == 1 \
                    and n.output[0] not in outputs:
                nxt = next((j for j in range(k + 1, len(nodes)) if n.output[0] in nodes[j].input), None)
                if nxt is not None and nodes[nxt].op_type == "BatchNormalization" \
                        and nodes[nxt].input[0] == n.output[0] \
                        and all(i in self.consts for i in nodes[nxt].input[1:5]):
                    bn = nodes[nxt]
                    folded.add(nxt)
            self.steps.append(self.compile(n, bn, label))

    def const(self, name, label):
        if name not in self.consts:
            raise BadInput(f"{label}: '{name}' must be a constant")
        return self.consts[name]

    def compile(self, n, bn, label):
        a = attrs(n)
        op = n.op_type
        ins = list(n.input)
        out = (bn.output[0] if bn is not None else n.output[0])

        def bn_fold(w, b, channel_axis0):
            """w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps)."""
            if bn is None:
                return w, b
            gamma, beta, mean, var = (self.const(i, label).double() for i in bn.input[1:5])
            s = gamma / torch.sqrt(var + attrs(bn).get("epsilon", 1e-5))
            shape = [-1] + [1] * (w.dim() - 1) if channel_axis0 else [1, -1]
            w = (w.double() * s.reshape(shape)).float()
            b0 = b.double() if b is not None else torch.zeros_like(mean)
            return w, ((b0 - mean) * s + beta).float()

        if op == "Conv":
            w = self.const(ins[1], label)
            b = self.const(ins[2], label) if len(ins) > 2 and ins[2] else None
            w, b = bn_fold(w, b, True)
            nsp = w.dim() - 2
            if nsp != 2:
                raise BadInput(f"{label}: only 2-D Conv is handled")
            t, l, bo, r = pads_2d(a, nsp)
            stride = tuple(a.get("strides", [1, 1]))
            dil = tuple(a.get("dilations", [1, 1]))
            groups = a.get("group", 1)
            w = w.contiguous()
            if (t, l) == (bo, r):
                return lambda env: env.__setitem__(out, F.conv2d(env[ins[0]], w, b, stride, (t, l), dil, groups))
            return lambda env: env.__setitem__(out, F.conv2d(F.pad(env[ins[0]], (l, r, t, bo)), w, b,
                                                             stride, 0, dil, groups))
        if op == "Gemm":
            w = self.const(ins[1], label)
            b = self.const(ins[2], label) if len(ins) > 2 and ins[2] else None
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                raise BadInput(f"{label}: Gemm with transA, alpha or beta is not handled")
            if not a.get("transB", 0):
                w = w.t()
            w, b = bn_fold(w.contiguous(), b, True)
            w = w.contiguous()
            return lambda env: env.__setitem__(out, F.linear(env[ins[0]], w, b))
        if op == "MatMul":
            if ins[1] in self.consts:
                w = self.const(ins[1], label).contiguous()
                return lambda env: env.__setitem__(out, torch.matmul(env[ins[0]], w))
            return lambda env: env.__setitem__(out, torch.matmul(env[ins[0]], env[ins[1]]))
        if op == "BatchNormalization":
            gamma, beta, mean, var = (self.const(i, label) for i in ins[1:5])
            eps = a.get("epsilon", 1e-5)
            return lambda env: env.__setitem__(out, F.batch_norm(env[ins[0]], mean, var, gamma, beta,
                                                                 False, 0.0, eps))
        if op == "Relu":
            return lambda env: env.__setitem__(out, F.relu(env[ins[0]]))
        if op == "Clip":
            lo = a.get("min", None)
            hi = a.get("max", None)
            if len(ins) > 1 and ins[1]:
                lo = float(self.const(ins[1], label))
            if len(ins) > 2 and ins[2]:
                hi = float(self.const(ins[2], label))
            return lambda env: env.__setitem__(out, torch.clamp(env[ins[0]], lo, hi))
        if op in ("MaxPool", "AveragePool"):
            k = tuple(a["kernel_shape"])
            if len(k) != 2:
                raise BadInput(f"{label}: only 2-D pools are handled")
            t, l, bo, r = pads_2d(a, 2)
            stride = tuple(a.get("strides", [1, 1]))
            ceil = bool(a.get("ceil_mode", 0))
            if op == "MaxPool":
                dil = tuple(a.get("dilations", [1, 1]))
                if (t, l) == (bo, r):
                    return lambda env: env.__setitem__(out, F.max_pool2d(env[ins[0]], k, stride, (t, l),
                                                                         dil, ceil))
                return lambda env: env.__setitem__(out, F.max_pool2d(
                    F.pad(env[ins[0]], (l, r, t, bo), value=-float("inf")), k, stride, 0, dil, ceil))
            cip = bool(a.get("count_include_pad", 0))
            if (t, l) != (bo, r):
                raise BadInput(f"{label}: asymmetric AveragePool padding is not handled")
            return lambda env: env.__setitem__(out, F.avg_pool2d(env[ins[0]], k, stride, (t, l), ceil, cip))
        if op == "GlobalAveragePool":
            return lambda env: env.__setitem__(out, F.adaptive_avg_pool2d(env[ins[0]], 1))
        if op == "Flatten":
            axis = a.get("axis", 1)

            def flatten(env):
                x = env[ins[0]]
                ax = axis if axis >= 0 else axis + x.dim()
                env[out] = x.reshape(1, -1) if ax == 0 else x.flatten(0, ax - 1).flatten(1)
            return flatten
        if op == "Reshape":
            shape = [int(v) for v in self.const(ins[1], label)]
            allowzero = a.get("allowzero", 0)

            def reshape(env):
                x = env[ins[0]]
                s = [x.shape[i] if v == 0 and not allowzero else v for i, v in enumerate(shape)]
                env[out] = x.reshape(s)
            return reshape
        if op == "Add":
            if ins[1] in self.consts:
                c = self.const(ins[1], label)
                return lambda env: env.__setitem__(out, env[ins[0]] + c)
            return lambda env: env.__setitem__(out, env[ins[0]] + env[ins[1]])
        if op == "Concat":
            axis = a["axis"]
            return lambda env: env.__setitem__(out, torch.cat([env[i] for i in ins], axis))
        if op == "Softmax":
            axis = a.get("axis", -1 if self.opset >= 13 else 1)
            if self.opset >= 13:
                return lambda env: env.__setitem__(out, F.softmax(env[ins[0]], axis))

            def softmax_old(env):
                x = env[ins[0]]
                ax = axis if axis >= 0 else axis + x.dim()
                y = F.softmax(x.reshape(1, -1) if ax == 0 else x.flatten(0, ax - 1).flatten(1), 1)
                env[out] = y.reshape(x.shape)
            return softmax_old
        if op in ("Identity", "Dropout"):
            return lambda env: env.__setitem__(out, env[ins[0]])
        raise BadInput(f"{label}: op {op} is not handled by this script")

    def __call__(self, x):
        env = dict(self.consts)
        env[self.input] = x
        for step in self.steps:
            step(env)
        return env[self.output]


def frozen(net, example):
    """PyTorch's own inference path for the same function: traced to
    TorchScript, frozen (weights become constants) and passed through
    torch.jit.optimize_for_inference (oneDNN convolutions, fused ops)."""
    class Wrapper(torch.nn.Module):
        def forward(self, x):
            return net(x)
    with torch.no_grad():
        traced = torch.jit.trace(Wrapper().eval(), example, check_trace=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


def normalisation(model, label):
    meta = {p.key: p.value for p in model.metadata_props}
    text = meta.get("bitscape.normalize")
    if text is None:
        return 0.0, 1.0
    try:
        mean, std = (float(v) for v in text.split(","))
    except ValueError:
        raise BadInput(f"{label}: bitscape.normalize '{text}' is not MEAN,STD")
    if not std > 0:
        raise BadInput(f"{label}: bitscape.normalize '{text}': STD must be > 0")
    return mean, std


def main():
    ap = argparse.ArgumentParser(description="PyTorch evaluation throughput of ONNX models")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", default="64,256")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--dataset", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--expect-correct", default=None)
    ap.add_argument("--modes", default="eager,frozen")
    args = ap.parse_args()
    try:
        batches = [int(b) for b in args.batch.split(",")]
    except ValueError:
        raise BadInput(f"--batch: comma-separated sizes (got '{args.batch}')")
    if args.threads < 1 or min(batches) < 1 or args.limit < 0 or args.repeat < 1:
        raise BadInput("--threads, --batch and --repeat must be ≥ 1, --limit ≥ 0")
    modes = args.modes.split(",")
    if any(m not in ("eager", "frozen") for m in modes):
        raise BadInput(f"--modes: eager and/or frozen (got '{args.modes}')")
    expect = None
    if args.expect_correct:
        try:
            expect = [int(v) for v in args.expect_correct.split(",")]
        except ValueError:
            raise BadInput(f"--expect-correct: comma-separated counts (got '{args.expect_correct}')")
        if len(expect) != len(args.models):
            raise BadInput("--expect-correct needs one count per model")

    images = read_idx(find(args.dataset, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(args.dataset, "t10k-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise BadInput(f"{args.dataset}: test images {images.shape} and labels {labels.shape} do not match")
    n = images.shape[0] if args.limit == 0 else min(args.limit, images.shape[0])
    pixels = torch.from_numpy(images[:n].astype(np.float32) / 255.0).unsqueeze(1)
    labels = torch.from_numpy(labels[:n].astype(np.int64))

    torch.set_num_threads(args.threads)
    print(f"# torch-eval: PyTorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"batches {args.batch}, {n} images, load average {os.getloadavg()[0]:.2f} at start, "
          f"best of {args.repeat}", flush=True)
    failed = False
    for m, path in enumerate(args.models):
        label = path
        try:
            model = onnx.load(path)
        except Exception as e:  # a protobuf error or a missing file
            raise BadInput(f"{path}: cannot read the model ({e})")
        name = os.path.basename(path)
        name = name[:-5] if name.endswith(".onnx") else name
        mean, std = normalisation(model, label)
        net = Net(model, label)
        x = ((pixels - mean) / std).contiguous()
        for mode in modes:
            for batch in batches:
                with torch.inference_mode():
                    f = net if mode == "eager" else frozen(net, x[:batch])
                    f(x[:batch])                          # warm-up
                    best = float("inf")
                    for _ in range(args.repeat):
                        correct = 0
                        t0, c0 = time.perf_counter(), time.process_time()
                        for first in range(0, n, batch):
                            logits = f(x[first:first + batch])
                            correct += int((logits.argmax(1) == labels[first:first + batch]).sum())
                        if time.perf_counter() - t0 < best:
                            best = time.perf_counter() - t0
                            best_cpu = time.process_time() - c0
                print(f"{name} torch-{mode} images/s={n / best:.1f} top1={100.0 * correct / n:.2f} "
                      f"correct={correct} seconds={best:.3f} cpu-seconds={best_cpu:.3f} batch={batch}",
                      flush=True)
                if expect is not None and abs(correct - expect[m]) > 2:
                    print(f"torch-eval.py: {name}: PyTorch ({mode}) gets {correct} images right, "
                          f"Bitscape's fp32 evaluation {expect[m]} (more than 2 apart)", file=sys.stderr)
                    failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BadInput as e:
        print(f"torch-eval.py: {e}", file=sys.stderr)
        sys.exit(2)
