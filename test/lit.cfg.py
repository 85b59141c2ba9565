# -*- Python -*-
# lit configuration of the bitnet-mlir regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "BITNET"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".py"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "Unit"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bitnet_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", ".so"))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.llvm_lib_dir, "libmlir_c_runner_utils.so")))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.llvm_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%models", config.bitnet_models_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# The host ISA, for `REQUIRES: x86_64` etc. on execution tests.
arch = config.host_arch.lower()
if arch in ("x86_64", "amd64"):
    config.available_features.add("x86_64")
elif arch in ("aarch64", "arm64"):
    config.available_features.add("aarch64")
elif arch.startswith("riscv64"):
    config.available_features.add("riscv64")
if os.path.isdir(config.bitnet_models_dir):
    config.available_features.add("shared-models")

tool_dirs = [config.bitnet_tools_dir, config.llvm_tools_dir]
tools = [
    "bitnet-opt",
    "bitnet-compile",
    "not",
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)
