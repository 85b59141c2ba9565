//===- BitNetEnums.td - BitNet enumerations -----------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETENUMS_TD
#define BITNET_DIALECT_BITNET_IR_BITNETENUMS_TD

include "mlir/IR/EnumAttr.td"

def BitNet_QuantMethod : I32EnumAttr<"QuantMethod",
    "statistic that sets an activation scale", [
      I32EnumAttrCase<"absmax", 0>,
      I32EnumAttrCase<"absmean", 1>
    ]> {
  let cppNamespace = "::mlir::bitnet";
  let genSpecializedAttr = 0;
}

def BitNet_Granularity : I32EnumAttr<"Granularity",
    "which elements share one activation scale", [
      I32EnumAttrCase<"per_token", 0>,
      I32EnumAttrCase<"per_tensor", 1>,
      I32EnumAttrCase<"per_group", 2>
    ]> {
  let cppNamespace = "::mlir::bitnet";
  let genSpecializedAttr = 0;
}

def BitNet_TernaryLayout : I32EnumAttr<"TernaryLayout",
    "how ternary (or 8-bit) weights are packed into bytes", [
      // 2-bit codes c = w + 1, row-major [N, K], four per byte from the least
      // significant bits up; each row starts on a byte boundary.
      I32EnumAttrCase<"plain", 0>,
      // int2 kernel tiles (bitnet.cpp I2_S style); produced by the packer.
      I32EnumAttrCase<"i2", 1>,
      // LUT kernel groups (T-MAC / TL style); produced by the packer.
      I32EnumAttrCase<"lut", 2>,
      // Not ternary: 8-bit weights (a W8A8 layer such as an LM head), one
      // signed byte per weight, row-major [N, K].
      I32EnumAttrCase<"int8", 3>,
      // int8 kernel tiles (bitnet/Kernels/I8Layout.h); produced by the packer.
      I32EnumAttrCase<"i8", 4>
    ]> {
  let cppNamespace = "::mlir::bitnet";
  let genSpecializedAttr = 0;
}

def BitNet_SparsifyMode : I32EnumAttr<"SparsifyMode",
    "how bitnet.sparsify chooses the entries it keeps", [
      I32EnumAttrCase<"topk", 0>,
      I32EnumAttrCase<"threshold", 1>
    ]> {
  let cppNamespace = "::mlir::bitnet";
  let genSpecializedAttr = 0;
}

#endif // BITNET_DIALECT_BITNET_IR_BITNETENUMS_TD
