//===- TernaryPacking.h - Ternary weight (un)packing ---------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The `plain` layout of #bitnet.ternary and the exact ternary test of float
// weights. Shared by the importer, the attribute verifier and the tests.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_DIALECT_BITNET_IR_TERNARYPACKING_H
#define BITNET_DIALECT_BITNET_IR_TERNARYPACKING_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace mlir::bitnet {

/// Packs row-major ternary values `w[rows * cols]` (each -1, 0 or +1) into the
/// `plain` layout: codes w + 1, four per byte from the low bits, rows padded
/// to whole bytes. Returns std::nullopt if a value is not ternary.
std::optional<SmallVector<uint8_t>> packTernaryPlain(ArrayRef<int8_t> w,
                                                     int64_t rows,
                                                     int64_t cols);

/// Unpacks the `plain` layout back to one int8 per weight; std::nullopt if
/// the byte count is wrong or a code is 3.
std::optional<SmallVector<int8_t>> unpackTernaryPlain(ArrayRef<uint8_t> packed,
                                                      int64_t rows,
                                                      int64_t cols);

/// Returns the index of the first byte holding the invalid code 3, or
/// std::nullopt if every code is valid (padding codes included).
std::optional<int64_t> findInvalidPlainCode(ArrayRef<uint8_t> packed);

/// Result of the exact ternary test of a float matrix.
struct TernarySplit {
  SmallVector<int8_t> values; ///< row-major, each -1, 0 or +1
  SmallVector<float> scales;  ///< one per tensor, or one per row
};

/// Decides whether the row-major float matrix `w[rows * cols]` is exactly
/// ternary: every element is one of {-g, 0, +g} (-0.0 counts as 0) for one
/// g > 0 per tensor or, failing that, one g > 0 per row. No tolerance. A row
/// or tensor of zeros gets g = 1. Returns std::nullopt if not ternary.
std::optional<TernarySplit> splitTernary(ArrayRef<float> w, int64_t rows,
                                         int64_t cols);

} // namespace mlir::bitnet

#endif // BITNET_DIALECT_BITNET_IR_TERNARYPACKING_H
