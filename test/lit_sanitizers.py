# ===- lit_sanitizers.py - Sanitizer settings shared by the lit configs -===#
#
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# ===----------------------------------------------------------------------===#
"""The sanitizer runtime defaults of test/lit.cfg.py and test/Unit/lit.cfg.py
for a BITNET_ENABLE_SANITIZERS build, unless the caller sets its own:
allow_user_poisoning=0 because LLVM's allocators poison memory from inline
code in our instrumented objects that the uninstrumented libMLIR.so never
unpoisons, and detect_leaks=0 because exit-time leak checks only see
libMLIR's process-lifetime caches."""

import os


def apply_sanitizer_defaults(config):
    """Sets the options of the build's sanitizers in config.environment and
    returns their names ("address", "undefined", "thread")."""
    # getattr: a site config generated before these settings existed.
    sanitizers = [s for s in getattr(config, "bitnet_sanitizers", "").split(";")
                  if s]
    if "address" in sanitizers:
        config.environment.setdefault("ASAN_OPTIONS",
                                      "detect_leaks=0:allow_user_poisoning=0")
        # LLVM 22's symbolizer for the reports (PATH may hold another or none).
        config.environment.setdefault(
            "ASAN_SYMBOLIZER_PATH",
            os.path.join(config.llvm_tools_dir, "llvm-symbolizer"))
    if "undefined" in sanitizers:
        config.environment.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return sanitizers
