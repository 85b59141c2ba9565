//===- BitNetOps.cpp - BitNet operations: verifiers and type inference ----===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Kernels/KernelRegistry.h"
#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::bitnet;

/// Last dimension of a ranked tensor type (possibly dynamic).
static int64_t getLastDim(RankedTensorType type) {
  return type.getShape().back();
}

/// `shape` with its last dimension replaced by `dim`.
static SmallVector<int64_t> withLastDim(ArrayRef<int64_t> shape, int64_t dim) {
  SmallVector<int64_t> result(shape);
  result.back() = dim;
  return result;
}

/// Infers an f32 tensor of the shape of `value` (dequantize, rescale).
static LogicalResult inferF32Like(Value value, SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return failure();
  inferred.push_back(RankedTensorType::get(
      type.getShape(), Float32Type::get(value.getContext())));
  return success();
}

/// Verifies that a float activation `[..., K]` can feed a weight with K
/// columns.
static LogicalResult verifyFeatureDim(Operation *op, RankedTensorType type,
                                      TernaryAttr weight) {
  if (type.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  int64_t k = getLastDim(type);
  if (!ShapedType::isDynamic(k) && k != weight.getCols())
    return op->emitOpError("input feature dimension ")
           << k << " does not match the weight's " << weight.getCols()
           << " columns";
  // TernaryAttr::verify can only check the codes when the blob is already
  // loaded, which it is not when the resource section follows the IR (as
  // printed); the op verifier runs after the whole input is read.
  if (weight.getLayout() == TernaryLayout::plain) {
    if (AsmResourceBlob *blob = weight.getData().getRawHandle().getBlob()) {
      ArrayRef<char> bytes = blob->getData();
      auto *begin = reinterpret_cast<const uint8_t *>(bytes.data());
      if (std::optional<int64_t> bad =
              findInvalidPlainCode(ArrayRef<uint8_t>(begin, bytes.size())))
        return op->emitOpError("invalid ternary code 3 in packed byte ")
               << *bad << " of the weight";
    }
  }
  return success();
}

/// Verifies a Hadamard block size against a last dimension.
static LogicalResult verifyHadamardBlock(Operation *op, int64_t block,
                                         int64_t dim) {
  if (block <= 0 || !llvm::isPowerOf2_64(block))
    return op->emitOpError("hadamard block size must be a positive power of "
                           "two, got ")
           << block;
  if (!ShapedType::isDynamic(dim) && dim % block != 0)
    return op->emitOpError("hadamard block size ")
           << block << " does not divide the last dimension " << dim;
  return success();
}

/// Verifies a top-K ratio.
static LogicalResult verifyTopKRatio(Operation *op, double ratio) {
  if (!(ratio > 0.0 && ratio <= 1.0))
    return op->emitOpError("top-k ratio must be in (0, 1], got ") << ratio;
  return success();
}

//===----------------------------------------------------------------------===//
// BitLinearOp
//===----------------------------------------------------------------------===//

LogicalResult BitLinearOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location,
    BitLinearOp::Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  TernaryAttr weight = adaptor.getWeight();
  if (!type || !weight)
    return failure();
  if (type.getRank() < 1)
    return emitOptionalError(location, "input must have rank >= 1");
  inferred.push_back(RankedTensorType::get(
      withLastDim(type.getShape(), weight.getRows()), type.getElementType()));
  return success();
}

LogicalResult BitLinearOp::verify() {
  auto type = getInput().getType();
  if (failed(verifyFeatureDim(*this, type, getWeight())))
    return failure();
  Granularity granularity = getScheme().getGranularity();
  if (granularity == Granularity::per_group)
    return emitOpError("activation granularity must be per_token or "
                       "per_tensor: one scale has to cover a whole row");
  if (std::optional<int64_t> block = getHadamard())
    if (failed(verifyHadamardBlock(*this, *block, getLastDim(type))))
      return failure();
  if (std::optional<APFloat> ratio = getTopk())
    if (failed(verifyTopKRatio(*this, ratio->convertToDouble())))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// HadamardOp
//===----------------------------------------------------------------------===//

LogicalResult HadamardOp::verify() {
  if (getInput().getType().getRank() < 1)
    return emitOpError("input must have rank >= 1");
  return verifyHadamardBlock(*this, getBlockSize(),
                             getLastDim(getInput().getType()));
}

//===----------------------------------------------------------------------===//
// SparsifyOp
//===----------------------------------------------------------------------===//

LogicalResult SparsifyOp::verify() {
  if (getInput().getType().getRank() < 1)
    return emitOpError("input must have rank >= 1");
  double value = getValue().convertToDouble();
  if (getMode() == SparsifyMode::topk)
    return verifyTopKRatio(*this, value);
  if (!(value >= 0.0) || std::isinf(value))
    return emitOpError("threshold must be finite and >= 0, got ") << value;
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

/// The scale shape of `scheme` applied to `shape` (same rank).
static SmallVector<int64_t> getScaleShape(ArrayRef<int64_t> shape,
                                          QuantSchemeAttr scheme) {
  if (scheme.getGranularity() == Granularity::per_tensor)
    return SmallVector<int64_t>(shape.size(), 1);
  return withLastDim(shape, scheme.getNumGroups(shape.back()));
}

LogicalResult QuantizeOp::inferReturnTypes(MLIRContext *context,
                                           std::optional<Location> location,
                                           QuantizeOp::Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  QuantSchemeAttr scheme = adaptor.getScheme();
  if (!type || !scheme)
    return failure();
  if (type.getRank() < 1)
    return emitOptionalError(location, "input must have rank >= 1");
  Builder b(context);
  inferred.push_back(RankedTensorType::get(type.getShape(), b.getI8Type()));
  inferred.push_back(RankedTensorType::get(
      getScaleShape(type.getShape(), scheme), b.getF32Type()));
  return success();
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  QuantSchemeAttr scheme = getScheme();
  int64_t k = getLastDim(type);
  if (scheme.getGranularity() == Granularity::per_group &&
      !ShapedType::isDynamic(k) && k % scheme.getGroupSize() != 0)
    return emitOpError("group size ")
           << scheme.getGroupSize() << " does not divide the last dimension "
           << k;
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location>,
                                             DequantizeOp::Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  return inferF32Like(adaptor.getInput(), inferred);
}

/// Verifies that `scale` is a valid scale tensor for `values` as produced by
/// bitnet.quantize: same rank; all ones (per tensor), or equal leading
/// dimensions and a last dimension that divides the values' one.
static LogicalResult verifyScaleShape(Operation *op, RankedTensorType values,
                                      RankedTensorType scale,
                                      StringRef scaleName) {
  if (values.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  if (scale.getRank() != values.getRank())
    return op->emitOpError() << scaleName << " rank " << scale.getRank()
                             << " differs from the input rank "
                             << values.getRank();
  if (llvm::all_of(scale.getShape(), [](int64_t d) { return d == 1; }))
    return success();
  for (auto [i, pair] : llvm::enumerate(
           llvm::zip(values.getShape().drop_back(),
                     scale.getShape().drop_back()))) {
    auto [v, s] = pair;
    if (!ShapedType::isDynamic(v) && !ShapedType::isDynamic(s) && v != s)
      return op->emitOpError() << scaleName << " dimension " << i << " is "
                               << s << ", expected " << v;
  }
  int64_t k = getLastDim(values), groups = getLastDim(scale);
  if (groups == 0 || (!ShapedType::isDynamic(k) &&
                      !ShapedType::isDynamic(groups) && k % groups != 0))
    return op->emitOpError() << scaleName << " last dimension " << groups
                             << " does not divide the input's " << k;
  return success();
}

LogicalResult DequantizeOp::verify() {
  return verifyScaleShape(*this, getInput().getType(), getScale().getType(),
                          "scale");
}

//===----------------------------------------------------------------------===//
// TernaryMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult TernaryMatmulOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> location,
    TernaryMatmulOp::Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  TernaryAttr weight = adaptor.getWeight();
  if (!type || !weight)
    return failure();
  if (type.getRank() < 1)
    return emitOptionalError(location, "input must have rank >= 1");
  inferred.push_back(
      RankedTensorType::get(withLastDim(type.getShape(), weight.getRows()),
                            IntegerType::get(context, 32)));
  return success();
}

LogicalResult TernaryMatmulOp::verify() {
  if (failed(verifyFeatureDim(*this, getInput().getType(), getWeight())))
    return failure();
  int64_t bits = getActBits();
  if (bits < 2 || bits > 8)
    return emitOpError("act_bits must be in [2, 8], got ") << bits;
  TernaryLayout layout = getWeight().getLayout();
  std::optional<StringRef> kernel = getKernel();
  if (!kernel) {
    if (!getWeight().isCanonical())
      return emitOpError("a weight in the ")
             << stringifyTernaryLayout(layout)
             << " layout needs a kernel (the reference reads plain or int8)";
    return success();
  }
  const KernelInfo *info = lookupKernel(*kernel);
  if (!info)
    return emitOpError("unknown kernel '") << *kernel << "'";
  TernaryLayout reads =
      info->family == KernelFamily::I2 ? TernaryLayout::i2 : TernaryLayout::i8;
  if (layout != reads)
    return emitOpError("kernel '")
           << *kernel << "' reads the " << stringifyTernaryLayout(reads)
           << " layout, the weight is " << stringifyTernaryLayout(layout);
  return success();
}

//===----------------------------------------------------------------------===//
// RescaleOp
//===----------------------------------------------------------------------===//

LogicalResult RescaleOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location>,
                                          RescaleOp::Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferF32Like(adaptor.getAcc(), inferred);
}

LogicalResult RescaleOp::verify() {
  RankedTensorType acc = getAcc().getType();
  RankedTensorType actScale = getActScale().getType();
  if (acc.getRank() < 1)
    return emitOpError("accumulator must have rank >= 1");
  if (actScale.getRank() != acc.getRank())
    return emitOpError("act_scale rank ")
           << actScale.getRank() << " differs from the accumulator rank "
           << acc.getRank();
  if (getLastDim(actScale) != 1)
    return emitOpError("act_scale must have last dimension 1 (one scale per "
                       "row), got ")
           << getLastDim(actScale);
  for (auto [i, pair] : llvm::enumerate(llvm::zip(
           acc.getShape().drop_back(), actScale.getShape().drop_back()))) {
    auto [a, s] = pair;
    if (s != 1 && !ShapedType::isDynamic(a) && !ShapedType::isDynamic(s) &&
        a != s)
      return emitOpError("act_scale dimension ")
             << i << " is " << s << ", expected 1 or " << a;
  }
  int64_t n = getLastDim(acc);
  int64_t numScales = getWeightScale().getType().getDimSize(0);
  if (!ShapedType::isDynamic(numScales) && numScales != 1 &&
      !ShapedType::isDynamic(n) && numScales != n)
    return emitOpError("expected 1 or ")
           << n << " weight scales, got " << numScales;
  return success();
}

//===----------------------------------------------------------------------===//
// KVQuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult KVQuantizeOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> location,
                                             KVQuantizeOp::Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!type)
    return failure();
  if (type.getRank() < 1)
    return emitOptionalError(location, "input must have rank >= 1");
  Builder b(context);
  inferred.push_back(RankedTensorType::get(type.getShape(), b.getI8Type()));
  inferred.push_back(RankedTensorType::get(withLastDim(type.getShape(), 1),
                                           b.getF32Type()));
  return success();
}

LogicalResult KVQuantizeOp::verify() {
  if (getInput().getType().getRank() < 1)
    return emitOpError("input must have rank >= 1");
  int64_t bits = getBits();
  if (bits != 3 && bits != 4 && bits != 8)
    return emitOpError("bits must be 3, 4 or 8, got ") << bits;
  return success();
}

#define GET_OP_CLASSES
#include "bitnet/Dialect/BitNet/IR/BitNetOps.cpp.inc"
