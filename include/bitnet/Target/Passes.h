//===- Passes.h - Model library passes ----------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TARGET_PASSES_H
#define BITNET_TARGET_PASSES_H

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::bitnet {

#define GEN_PASS_DECL
#include "bitnet/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitnet/Target/Passes.h.inc"

} // namespace mlir::bitnet

#endif // BITNET_TARGET_PASSES_H
