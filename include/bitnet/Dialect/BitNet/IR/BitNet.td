//===- BitNet.td - BitNet dialect umbrella ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNET_TD
#define BITNET_DIALECT_BITNET_IR_BITNET_TD

include "bitnet/Dialect/BitNet/IR/BitNetDialect.td"
include "bitnet/Dialect/BitNet/IR/BitNetEnums.td"
include "bitnet/Dialect/BitNet/IR/BitNetAttrs.td"
include "bitnet/Dialect/BitNet/IR/BitNetOps.td"

#endif // BITNET_DIALECT_BITNET_IR_BITNET_TD
