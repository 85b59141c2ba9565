//===- ConstTensor.h - Host tensors for import-time folding -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A small host tensor used by the ONNX importer to fold constant subgraphs
// (shape arithmetic, exporter artefacts, weight ternarisation chains) with
// the exact f32 semantics of the ONNX ops. Private to lib/Import/ONNX.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_LIB_IMPORT_ONNX_CONSTTENSOR_H
#define BITNET_LIB_IMPORT_ONNX_CONSTTENSOR_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

namespace mlir::bitnet::onnx_import {

/// ONNX TensorProto element type codes used by the importer.
enum DType : int32_t {
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kInt16 = 5,
  kInt32 = 6,
  kUInt16 = 4,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

/// Name of an ONNX element type code, for diagnostics.
inline const char *dtypeName(int32_t dtype) {
  static const char *const kNames[] = {
      "undefined",      "float",      "uint8",
      "int8",           "uint16",     "int16",
      "int32",          "int64",      "string",
      "bool",           "float16",    "double",
      "uint32",         "uint64",     "complex64",
      "complex128",     "bfloat16",   "float8e4m3fn",
      "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz",
      "uint4",          "int4"};
  if (dtype >= 0 && dtype < static_cast<int32_t>(std::size(kNames)))
    return kNames[dtype];
  return "unknown";
}

/// A constant tensor: f32 data for kFloat and kDouble (f64 constants are
/// exporter artefacts cast to f32 right away; they are rounded to f32 on
/// reading), int64 data for all integer and bool types.
struct ConstTensor {
  int32_t dtype = kFloat;
  SmallVector<int64_t> shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  bool isFloat() const { return dtype == kFloat || dtype == kDouble; }
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  double at(int64_t idx) const {
    return isFloat() ? static_cast<double>(f[idx])
                     : static_cast<double>(i[idx]);
  }
};

using ConstPtr = std::shared_ptr<const ConstTensor>;

/// Evaluates the ONNX op `opType` on constant inputs (a null entry is an
/// omitted optional input). `attrs` give the integer/float/ints attributes
/// the folder needs. Returns std::nullopt if the op is not foldable here.
struct FoldAttrs {
  std::function<std::optional<int64_t>(StringRef)> getInt;
  std::function<std::optional<float>(StringRef)> getFloat;
  std::function<std::optional<SmallVector<int64_t>>(StringRef)> getInts;
  std::function<std::optional<SmallVector<float>>(StringRef)> getFloats;
  std::function<ConstPtr(StringRef)> getTensor;
};

std::optional<SmallVector<ConstPtr>> foldOp(StringRef opType,
                                            ArrayRef<ConstPtr> inputs,
                                            const FoldAttrs &attrs,
                                            int64_t opset);

} // namespace mlir::bitnet::onnx_import

#endif // BITNET_LIB_IMPORT_ONNX_CONSTTENSOR_H
