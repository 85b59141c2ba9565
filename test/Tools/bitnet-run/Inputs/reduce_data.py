# Writes input_0.pb and the NumPy reference outputs output_<i>.npy of
# test/Import/ONNX/Inputs/reduce.onnx (x: float32 [2, ?seq, 8] -> mean over
# the last axis, max over axis 1, softmax over the last axis) into argv[1].
import os
import sys

import numpy as np
from onnx import numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = np.random.RandomState(0).randn(2, 5, 8).astype(np.float32)
with open(os.path.join(out, "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "x").SerializeToString())
e = np.exp(x - x.max(-1, keepdims=True))
np.save(os.path.join(out, "output_0.npy"), x.mean(-1, keepdims=True))
np.save(os.path.join(out, "output_1.npy"), x.max(1))
np.save(os.path.join(out, "output_2.npy"), e / e.sum(-1, keepdims=True))
