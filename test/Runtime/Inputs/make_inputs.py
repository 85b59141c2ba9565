# Writes .npy input sets for the fake "add" model (a, b: float32
# [2, ?sequence]) into subdirectories of argv[1], one per validation case.
import os
import sys

import numpy as np

root = sys.argv[1]
f32 = np.float32
cases = {
    "ok": [np.ones((2, 3), f32), np.full((2, 3), 2, f32)],
    "count": [np.ones((2, 3), f32), np.ones((2, 3), f32),
              np.ones((2, 3), f32)],
    "dtype": [np.ones((2, 3), np.float64), np.ones((2, 3), f32)],
    "rank": [np.ones((2, 3), f32), np.ones((2, 3, 1), f32)],
    "static": [np.ones((3, 3), f32), np.ones((3, 3), f32)],
    "named": [np.ones((2, 300), f32), np.ones((2, 299), f32)],
    "empty": [np.ones((2, 0), f32), np.ones((2, 0), f32)],
}
for name, arrays in cases.items():
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for i, array in enumerate(arrays):
        np.save(os.path.join(root, name, "input_%d.npy" % i), array)
