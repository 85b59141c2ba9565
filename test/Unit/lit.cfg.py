# -*- Python -*-
# Runs the GoogleTest binaries of unittests/ under lit (as CIRCT does), so a
# single `check-bitnet` / ctest run reports every test.

import os

import lit.formats

config.name = "BITNET-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.bitnet_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")

# Sanitizer builds: the same defaults as test/lit.cfg.py (see there).
# (getattr: a site config generated before these settings existed.)
sanitizers = [s for s in getattr(config, "bitnet_sanitizers", "").split(";")
              if s]
if "address" in sanitizers:
    config.environment.setdefault("ASAN_OPTIONS",
                                  "detect_leaks=0:allow_user_poisoning=0")
    config.environment.setdefault(
        "ASAN_SYMBOLIZER_PATH",
        os.path.join(config.llvm_tools_dir, "llvm-symbolizer"))
if "undefined" in sanitizers:
    config.environment.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
