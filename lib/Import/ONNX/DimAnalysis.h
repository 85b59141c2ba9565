//===- DimAnalysis.h - Symbolic tensor sizes for the importer ---*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Proves that two runtime sizes are equal, so that the importer emits plain
// linalg ops where shapes provably agree and bounds-safe code (clamped or
// guarded reads, checked reshapes) everywhere else. A size is a polynomial
// with integer coefficients over atoms: a dynamic dimension of a function
// argument, or any other index value the analysis cannot see through.
// Private to lib/Import/ONNX.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_LIB_IMPORT_ONNX_DIMANALYSIS_H
#define BITNET_LIB_IMPORT_ONNX_DIMANALYSIS_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace mlir::bitnet::onnx_import {

/// A polynomial size: monomial (sorted atom list) -> coefficient.
class SizeExpr {
public:
  using Atom = std::pair<const void *, int64_t>;
  using Monomial = std::vector<Atom>;

  static SizeExpr constant(int64_t c);
  static SizeExpr atom(Atom a);

  SizeExpr operator+(const SizeExpr &o) const;
  SizeExpr operator-(const SizeExpr &o) const;
  SizeExpr operator*(const SizeExpr &o) const;
  /// Exact division by a single monomial; nullopt if not exact.
  std::optional<SizeExpr> divExact(const SizeExpr &o) const;
  std::optional<int64_t> getConstant() const;
  /// True if every term is a non-negative multiple of tensor sizes.
  bool isKnownNonNegative() const;
  bool operator==(const SizeExpr &o) const { return terms == o.terms; }
  bool operator!=(const SizeExpr &o) const { return terms != o.terms; }

private:
  std::map<Monomial, int64_t> terms;
};

/// Symbolic sizes of the tensors built by the importer (memoized).
class DimAnalysis {
public:
  /// Size of dimension `d` of the ranked tensor `t`.
  SizeExpr dimOf(Value t, int64_t d);
  /// Value of the index or integer scalar `v`.
  SizeExpr valueOf(Value v);
  SizeExpr valueOf(OpFoldResult f);
  bool equal(Value a, int64_t da, Value b, int64_t db) {
    return dimOf(a, da) == dimOf(b, db);
  }
  /// Number of elements of `t`.
  SizeExpr numElements(Value t);

private:
  DenseMap<std::pair<Value, int64_t>, SizeExpr> dimCache;
  DenseMap<Value, SizeExpr> valueCache;
};

} // namespace mlir::bitnet::onnx_import

#endif // BITNET_LIB_IMPORT_ONNX_DIMANALYSIS_H
