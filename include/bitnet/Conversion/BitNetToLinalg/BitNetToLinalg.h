//===- BitNetToLinalg.h - Reference lowering of bitnet ops --------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_CONVERSION_BITNETTOLINALG_BITNETTOLINALG_H
#define BITNET_CONVERSION_BITNETTOLINALG_BITNETTOLINALG_H

namespace mlir {
class RewritePatternSet;
namespace bitnet {

/// Patterns lowering every bitnet op (bitlinear included) to
/// linalg/tensor/arith/math with the exact reference semantics.
/// The reference lowering of every bitnet op, plus the calls of selected
/// microkernels (populateBitNetKernelCallPatterns).
void populateBitNetToLinalgConversionPatterns(RewritePatternSet &patterns);

/// `bitnet.ternary_matmul` ops with a `kernel` become calls of the runtime's
/// microkernels (KernelCalls.cpp).
void populateBitNetKernelCallPatterns(RewritePatternSet &patterns);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_CONVERSION_BITNETTOLINALG_BITNETTOLINALG_H
