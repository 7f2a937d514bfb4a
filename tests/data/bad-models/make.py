#!/usr/bin/python3
"""Write the malformed ONNX models of tests/cli/test-cli-model.sh.

Each file is a small, well-formed protobuf whose graph is wrong in one way a
user's exported model can be wrong.  Run with Debian's python3-onnx:
    /usr/bin/python3 tests/data/bad-models/make.py tests/data/bad-models
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def save(name, nodes, inits, in_shape, out_shape, opset=13):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(a, n) for n, a in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="bitscape-tests")
    onnx.save(model, os.path.join(out, name + ".onnx"))


w = lambda *s: rng.standard_normal(s).astype(np.float32)

# Conv whose weight has 3 input channels for a 1-channel input
save("conv-channels", [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])],
     {"w": w(4, 3, 3, 3)}, [1, 1, 8, 8], [1, 4, 6, 6])
# Gemm: 16 features in, a weight for 10
save("gemm-shapes", [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
     {"w": w(4, 10), "b": w(4)}, [1, 16], [1, 4])
# an op the engine does not run
save("unknown-op", [helper.make_node("Erf", ["x"], ["y"])], {}, [1, 4], [1, 4])
# a node reading a tensor nothing produces
save("dangling-input", [helper.make_node("Add", ["x", "nowhere"], ["y"])], {}, [1, 4], [1, 4])
# Reshape to a shape with the wrong number of elements
save("reshape-count", [helper.make_node("Reshape", ["x", "s"], ["y"])],
     {"s": np.array([1, 5], dtype=np.int64)}, [1, 4], [1, 5])
