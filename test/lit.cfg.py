# -*- Python -*-
# lit configuration of the bitnet-mlir regression tests.

import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "BITNET"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".py"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "lit_sanitizers.py", "Unit"]
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

# Sanitizer builds (-DBITNET_ENABLE_SANITIZERS, docs/Testing.md): features
# asan / ubsan / tsan, and the runtime options of lit_sanitizers.py.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lit_sanitizers import apply_sanitizer_defaults  # noqa: E402

sanitizers = apply_sanitizer_defaults(config)
for sanitizer, feature in (("address", "asan"), ("undefined", "ubsan"),
                           ("thread", "tsan")):
    if sanitizer in sanitizers:
        config.available_features.add(feature)

tool_dirs = [config.bitnet_tools_dir, config.llvm_tools_dir]
tools = [
    "bitnet-opt",
    "bitnet-compile",
    "not",
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The model runtime and bitnet-run. A fake model (test/Runtime/Inputs) is
# linked with lib/bitnet/<arch>/bitnet_runtime.o at test time by
# `%cc_<arch> -shared ... %bitnet_runtime_<arch>` (or %cc_host and
# %bitnet_runtime_host). Features: runtime-<arch> (and runtime-host) when
# that object exists; qemu-<arch> when a foreign <arch> library can run
# (qemu-user, the cross runner and the cross libc), and on the host ISA when
# qemu-<host> exists to emulate other CPUs; python-onnx for .pb fixtures.
import shutil
import subprocess

llvm_config.add_tool_substitutions(
    ["bitnet-run", ToolSubst("llvm-nm", unresolved="ignore"),
     ToolSubst("llvm-objdump", unresolved="ignore"),
     ToolSubst("llvm-readelf", unresolved="ignore")], tool_dirs)
bitnet_lib_dir = os.path.join(config.bitnet_obj_root, "lib", "bitnet")
bitnet_arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)
for isa in ("x86_64", "aarch64", "riscv64"):
    runtime_obj = os.path.join(bitnet_lib_dir, isa, "bitnet_runtime.o")
    if (config.bitnet_clang and not config.bitnet_clang.endswith("NOTFOUND")
            and os.path.exists(runtime_obj)):
        config.available_features.add("runtime-" + isa)
        cc = "%s --target=%s-linux-gnu -fuse-ld=lld -fPIC -O1 -I%s" % (
            config.bitnet_clang, isa,
            os.path.join(config.bitnet_src_root, "include"))
        config.substitutions.append(("%cc_" + isa, cc))
        config.substitutions.append(("%bitnet_runtime_" + isa, runtime_obj))
        if isa == bitnet_arch:
            config.available_features.add("runtime-host")
            config.substitutions.append(("%cc_host", cc))
            config.substitutions.append(("%bitnet_runtime_host", runtime_obj))
    qemu = shutil.which("qemu-" + isa)
    if not qemu:
        continue
    config.substitutions.append(("%qemu_" + isa, qemu))
    runner = os.path.join(bitnet_lib_dir, isa, "bitnet-run")
    # On the host ISA qemu runs the host tools, which qemu-user cannot start
    # when they are instrumented (it cannot map the sanitizer's shadow
    # memory); the foreign runners are never instrumented.
    if isa == bitnet_arch:
        if not sanitizers:
            config.available_features.add("qemu-" + isa)
    elif os.path.exists(runner) and os.path.isdir("/usr/%s-linux-gnu" % isa):
        config.available_features.add("qemu-" + isa)
if subprocess.call([config.python_executable, "-c", "import onnx, numpy"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("python-onnx")

# The libFuzzer targets (-DBITNET_ENABLE_FUZZERS=ON): test/Fuzz replays their
# seeds and kept inputs.
fuzzers = getattr(config, "bitnet_fuzzers", "")
if fuzzers.upper() in ("ON", "1", "TRUE", "YES", "Y"):
    config.available_features.add("fuzzers")
    llvm_config.add_tool_substitutions(
        ["bitnet-onnx-import-fuzzer", "bitnet-ir-fuzzer",
         "bitnet-runtime-input-fuzzer"], [config.bitnet_tools_dir])
