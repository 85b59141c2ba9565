//===- BitNetOps.h - BitNet operations ----------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETOPS_H
#define BITNET_DIALECT_BITNET_IR_BITNETOPS_H

#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h.inc"

#endif // BITNET_DIALECT_BITNET_IR_BITNETOPS_H
