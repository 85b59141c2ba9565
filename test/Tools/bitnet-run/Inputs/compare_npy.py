# compare_npy.py GOT_DIR EXPECTED_DIR N: checks that output_<i>.npy, i < N,
# in GOT_DIR equal EXPECTED_DIR's exactly (dtype, shape, values; NaN == NaN)
# and prints one line per file.
import os
import sys

import numpy as np

got_dir, expected_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
ok = True
for i in range(count):
    name = "output_%d.npy" % i
    got = np.load(os.path.join(got_dir, name))
    expected = np.load(os.path.join(expected_dir, name))
    same = (got.dtype == expected.dtype and got.shape == expected.shape and
            np.array_equal(got, expected,
                           equal_nan=got.dtype.kind == "f"))
    ok = ok and same
    print("%s: %s %s %s" % (name, got.dtype, got.shape,
                            "equal" if same else "DIFFERENT"))
sys.exit(0 if ok else 1)
