//===- BitNetDialect.h - BitNet dialect ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETDIALECT_H
#define BITNET_DIALECT_BITNET_IR_BITNETDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h.inc"

#endif // BITNET_DIALECT_BITNET_IR_BITNETDIALECT_H
