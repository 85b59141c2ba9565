//===- Passes.h - BitNet conversion passes ------------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_CONVERSION_PASSES_H
#define BITNET_CONVERSION_PASSES_H

#include "bitnet/Conversion/BitNetToLinalg/BitNetToLinalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir::bitnet {

#define GEN_PASS_DECL
#include "bitnet/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitnet/Conversion/Passes.h.inc"

} // namespace mlir::bitnet

#endif // BITNET_CONVERSION_PASSES_H
