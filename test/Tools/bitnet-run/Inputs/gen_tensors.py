# Writes the tensor files of the bitnet-run tests into the directory given
# as argv[1] (run at test time; nothing binary is committed):
#
#   add_pb/     input_0.pb, input_1.pb: the fake "add" model's a, b [2, 3]
#               (raw_data), output_0.pb, output_1.pb: y = a + b, shape [2, 3]
#   add_npy/    the same as .npy files
#   add_bad/    expected outputs with y[1, 2] off by 1 (MISMATCH)
#   add_near/   expected y off by 1e-2 relative everywhere (ok only with a
#               looser --rtol)
#   add_shape/  expected y with shape [3, 2] and shape as int32
#   echo/       every dtype for the "echo" model: input_<i>.pb with the typed
#               fields (float_data, int32_data, int64_data, double_data,
#               uint64_data, not raw_data), expected output_<i>.npy
#   echo_raw/   the same inputs as .pb with raw_data
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

root = sys.argv[1]


def save(directory, name, array, tensor_name=None, raw=True):
    path = os.path.join(root, directory)
    os.makedirs(path, exist_ok=True)
    if name.endswith(".npy"):
        np.save(os.path.join(path, name), array)
        return
    if raw:
        tensor = numpy_helper.from_array(array, tensor_name)
    else:
        # make_tensor stores float16 values as bits in int32_data itself.
        dtype = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[array.dtype]
        tensor = helper.make_tensor(tensor_name or "", dtype, array.shape,
                                    array.flatten().tolist(), raw=False)
    with open(os.path.join(path, name), "wb") as f:
        f.write(tensor.SerializeToString())


a = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.25
b = np.array([[1.5, -2.0, 3.0], [4.0, 1e-3, -6.5]], dtype=np.float32)
y = a + b
shape = np.array([2, 3], dtype=np.int64)

for i, (array, tensor_name) in enumerate([(a, "a"), (b, "b")]):
    save("add_pb", "input_%d.pb" % i, array, tensor_name)
    save("add_npy", "input_%d.npy" % i, array)
save("add_pb", "output_0.pb", y, "y")
save("add_pb", "output_1.pb", shape, "shape")
save("add_npy", "output_0.npy", y)
save("add_npy", "output_1.npy", shape)

bad = y.copy()
bad[1, 2] += 1
save("add_bad", "output_0.npy", bad)
save("add_bad", "output_1.npy", shape)
save("add_near", "output_0.npy", (y * 1.01).astype(np.float32))
save("add_near", "output_1.npy", shape)
save("add_shape", "output_0.npy", y.reshape(3, 2))
save("add_shape", "output_1.npy", shape.astype(np.int32))

# One rank-1 tensor per dtype, in the echo model's input order, then a
# float64 scalar.
echo = [
    np.array([1.5, -2.25, 3e-5, np.inf], dtype=np.float32),
    np.array([0, 7, 255], dtype=np.uint8),
    np.array([-128, -1, 0, 127], dtype=np.int8),
    np.array([0, 65535, 12345], dtype=np.uint16),
    np.array([-32768, -2, 32767], dtype=np.int16),
    np.array([-2147483648, -7, 2147483647], dtype=np.int32),
    np.array([-(2 ** 63), -3, 2 ** 62 + 1], dtype=np.int64),
    np.array([True, False, True], dtype=np.bool_),
    np.array([0.5, -65504.0, 1e-7, np.nan], dtype=np.float16),
    np.array([np.pi, -1e300, 0.0], dtype=np.float64),
    np.array([0, 4294967295, 17], dtype=np.uint32),
    np.array([0, 2 ** 64 - 1, 2 ** 63 + 5], dtype=np.uint64),
    np.array(2.5, dtype=np.float64),
]
for i, array in enumerate(echo):
    save("echo", "input_%d.pb" % i, array, "t%d" % i, raw=False)
    save("echo_raw", "input_%d.pb" % i, array, "t%d" % i)
    save("echo", "output_%d.npy" % i, array)
    save("echo_raw", "output_%d.npy" % i, array)
