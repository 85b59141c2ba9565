//===- BitNetAttrs.cpp - BitNet attributes ---------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "bitnet/Kernels/I2Layout.h"
#include "bitnet/Kernels/I8Layout.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/TargetParser/Triple.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::bitnet;

/// Parses `<rows>x<cols>` (e.g. `40x96`).
static ParseResult parseDims(AsmParser &parser, int64_t &rows,
                             int64_t &cols) {
  SmallVector<int64_t, 2> dims;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                /*withTrailingX=*/false))
    return failure();
  if (dims.size() != 2)
    return parser.emitError(loc, "expected <rows>x<cols>");
  rows = dims[0];
  cols = dims[1];
  return success();
}

static void printDims(AsmPrinter &printer, int64_t rows, int64_t cols) {
  printer << rows << 'x' << cols;
}

#include "bitnet/Dialect/BitNet/IR/BitNetEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.cpp.inc"

void BitNetDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// QuantSchemeAttr
//===----------------------------------------------------------------------===//

LogicalResult
QuantSchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned bits, QuantMethod method,
                        Granularity granularity, int64_t groupSize) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return emitError() << "bits must be 2, 3, 4 or 8, got " << bits;
  if (granularity == Granularity::per_group && groupSize <= 0)
    return emitError() << "per_group granularity needs a positive group_size";
  if (granularity != Granularity::per_group && groupSize != 0)
    return emitError() << "group_size is only meaningful with per_group "
                          "granularity";
  return success();
}

float QuantSchemeAttr::getScaleNumerator() const {
  if (getMethod() == QuantMethod::absmax)
    return static_cast<float>(getQMax());
  return static_cast<float>(std::sqrt(static_cast<double>(getQMax())));
}

int64_t QuantSchemeAttr::getNumGroups(int64_t dim) const {
  if (getGranularity() != Granularity::per_group)
    return 1;
  if (ShapedType::isDynamic(dim))
    return ShapedType::kDynamic;
  return dim / getGroupSize();
}

//===----------------------------------------------------------------------===//
// TernaryAttr
//===----------------------------------------------------------------------===//

/// Packed byte count of a [rows, cols] matrix in `layout`.
static int64_t getPackedBytes(TernaryLayout layout, int64_t rows,
                              int64_t cols) {
  switch (layout) {
  case TernaryLayout::plain:
    return rows * TernaryAttr::getPlainRowBytes(cols);
  case TernaryLayout::i2:
    return bitnetI2PackedBytes(rows, cols);
  case TernaryLayout::int8:
    return rows * cols;
  case TernaryLayout::i8:
    return bitnetI8PackedBytes(rows, cols);
  case TernaryLayout::lut: {
    // Groups of 3 weights: a 4-bit pattern index (two per byte) plus a sign
    // bit (eight per byte) per group; 5 bits per 3 weights.
    int64_t groups = llvm::divideCeil(cols, 3);
    return rows * (llvm::divideCeil(groups, 2) + llvm::divideCeil(groups, 8));
  }
  }
  llvm_unreachable("unknown ternary layout");
}

LogicalResult TernaryAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t rows, int64_t cols,
                                  TernaryLayout layout,
                                  DenseElementsAttr scales,
                                  DenseResourceElementsAttr data) {
  if (rows <= 0 || cols <= 0)
    return emitError() << "weight shape must be positive, got " << rows << "x"
                       << cols;
  // Kernels index rows and columns with 32-bit integers.
  constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();
  if (rows > kMaxDim || cols > kMaxDim)
    return emitError() << "weight shape " << rows << "x" << cols
                       << " exceeds the limit of " << kMaxDim
                       << " rows or columns";
  if (!scales)
    return emitError() << "missing scales";
  auto scaleType = cast<ShapedType>(scales.getType());
  if (!scaleType.getElementType().isF32() || scaleType.getRank() != 1)
    return emitError() << "scales must be a rank-1 f32 tensor";
  if (scaleType.getNumElements() != 1 && scaleType.getNumElements() != rows)
    return emitError() << "expected 1 or " << rows << " scales, got "
                       << scaleType.getNumElements();
  for (float g : scales.getValues<float>())
    if (!std::isfinite(g) || !(g > 0.0f))
      return emitError() << "scales must be finite and positive, got " << g;

  if (!data)
    return emitError() << "missing packed data";
  auto dataType = data.getType();
  if (!dataType.getElementType().isInteger(8) || dataType.getRank() != 1)
    return emitError() << "packed data must be a rank-1 tensor of i8";
  int64_t expected = getPackedBytes(layout, rows, cols);
  if (dataType.getNumElements() != expected)
    return emitError() << "layout " << stringifyTernaryLayout(layout)
                       << " of a " << rows << "x" << cols << " matrix needs "
                       << expected << " bytes, got "
                       << dataType.getNumElements();

  // The blob may be absent (elided resources); check codes when it is here.
  if (layout == TernaryLayout::plain) {
    if (AsmResourceBlob *blob = data.getRawHandle().getBlob()) {
      ArrayRef<char> bytes = blob->getData();
      auto *begin = reinterpret_cast<const uint8_t *>(bytes.data());
      if (std::optional<int64_t> bad =
              findInvalidPlainCode(ArrayRef<uint8_t>(begin, bytes.size())))
        return emitError() << "invalid ternary code 3 in packed byte " << *bad;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef triple, StringRef cpu,
                                 StringRef features, int64_t vlen) {
  llvm::Triple parsed(triple);
  llvm::Triple::ArchType arch = parsed.getArch();
  if (arch != llvm::Triple::x86_64 && arch != llvm::Triple::aarch64 &&
      arch != llvm::Triple::riscv64)
    return emitError() << "unsupported target triple '" << triple
                       << "': expected an x86_64, aarch64 or riscv64 triple";
  SmallVector<StringRef> list;
  if (!features.empty())
    features.split(list, ',');
  for (StringRef feature : list)
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
      return emitError() << "target feature '" << feature
                         << "' must look like +name or -name";
  if (arch != llvm::Triple::riscv64 && vlen != 0)
    return emitError() << "vlen is only meaningful for riscv64, got " << vlen;
  if (vlen != 0 && (vlen < 128 || vlen > 65536 || !llvm::isPowerOf2_64(vlen)))
    return emitError() << "vlen must be 0 or a power of two in [128, 65536], "
                          "got "
                       << vlen;
  return success();
}
