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
#include "llvm/ADT/iterator.h"

#include <cassert>
#include <cstddef>
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

/// Integer tensor data: int64 values, or (for 1-byte types read from a
/// model) the raw bytes, so that int8 weights take one byte per element.
/// Reads give int64 values either way; writes need the int64 form.
class IntData {
public:
  /// Random-access iterator over the values (read only).
  class Iterator : public llvm::iterator_facade_base<
                       Iterator, std::random_access_iterator_tag, int64_t,
                       std::ptrdiff_t, const int64_t *, int64_t> {
  public:
    Iterator(const IntData *data, std::ptrdiff_t idx) : data(data), idx(idx) {}
    int64_t operator*() const { return (*data)[idx]; }
    Iterator &operator+=(std::ptrdiff_t n) {
      idx += n;
      return *this;
    }
    Iterator &operator-=(std::ptrdiff_t n) {
      idx -= n;
      return *this;
    }
    Iterator operator-(std::ptrdiff_t n) const {
      return Iterator(data, idx - n);
    }
    std::ptrdiff_t operator-(const Iterator &o) const { return idx - o.idx; }
    bool operator==(const Iterator &o) const { return idx == o.idx; }
    bool operator<(const Iterator &o) const { return idx < o.idx; }

  private:
    const IntData *data;
    std::ptrdiff_t idx;
  };

  int64_t operator[](size_t k) const {
    if (!isNarrow())
      return wide[k];
    return narrowSigned ? static_cast<int64_t>(static_cast<int8_t>(narrow[k]))
                        : static_cast<int64_t>(narrow[k]);
  }
  /// Element `k` for writing; only in the int64 form.
  int64_t &operator[](size_t k) {
    assert(!isNarrow() && "writing narrow integer data");
    return wide[k];
  }
  size_t size() const { return isNarrow() ? narrow.size() : wide.size(); }
  bool empty() const { return size() == 0; }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const {
    return Iterator(this, static_cast<std::ptrdiff_t>(size()));
  }
  template <typename... Args>
  void assign(Args &&...args) {
    narrow.clear();
    wide.assign(std::forward<Args>(args)...);
  }
  void resize(size_t n) {
    narrow.clear();
    wide.resize(n);
  }
  void push_back(int64_t v) {
    assert(!isNarrow() && "appending to narrow integer data");
    wide.push_back(v);
  }
  /// Stores `bytes` as 1-byte values (sign-extended if `isSigned`).
  void assignNarrow(ArrayRef<uint8_t> bytes, bool isSigned) {
    wide.clear();
    narrow.assign(bytes.begin(), bytes.end());
    narrowSigned = isSigned;
  }
  bool isNarrow() const { return !narrow.empty(); }
  /// The raw bytes of the 1-byte form.
  ArrayRef<uint8_t> narrowBytes() const { return narrow; }

private:
  std::vector<int64_t> wide;
  std::vector<uint8_t> narrow;
  bool narrowSigned = true;
};

/// A constant tensor: f32 data for kFloat and kDouble (f64 constants are
/// exporter artefacts cast to f32 right away; they are rounded to f32 on
/// reading), integer data (IntData) for all integer and bool types.
struct ConstTensor {
  int32_t dtype = kFloat;
  SmallVector<int64_t> shape;
  std::vector<float> f;
  IntData i;

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
