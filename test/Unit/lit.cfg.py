# -*- Python -*-
# Runs the GoogleTest binaries of unittests/ under lit (as CIRCT does), so a
# single `check-bitnet` / ctest run reports every test.

import os
import sys

import lit.formats

config.name = "BITNET-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.bitnet_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")

# Sanitizer builds: the runtime options of test/lit_sanitizers.py.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lit_sanitizers import apply_sanitizer_defaults  # noqa: E402

apply_sanitizer_defaults(config)
