//===- BitNetAttrs.h - BitNet attributes --------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_BITNETATTRS_H
#define BITNET_DIALECT_BITNET_IR_BITNETATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "bitnet/Dialect/BitNet/IR/BitNetEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h.inc"

#endif // BITNET_DIALECT_BITNET_IR_BITNETATTRS_H
