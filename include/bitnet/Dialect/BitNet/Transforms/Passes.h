//===- Passes.h - BitNet dialect passes ---------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_H
#define BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace bitnet {

#define GEN_PASS_DECL
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"

/// Rewrites every bitnet.bitlinear into hadamard / sparsify / quantize /
/// ternary_matmul / rescale.
void populateDecomposeBitLinearPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "bitnet/Dialect/BitNet/Transforms/Passes.h.inc"

} // namespace bitnet
} // namespace mlir

#endif // BITNET_DIALECT_BITNET_TRANSFORMS_PASSES_H
