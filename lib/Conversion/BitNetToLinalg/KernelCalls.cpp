//===- KernelCalls.cpp - Kernel-selected bitnet ops -> runtime calls ------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A `bitnet.ternary_matmul` with a `kernel` (bitnet-select-kernels) becomes a
// call of the runtime's microkernel, on buffers:
//
//   q [..., K] --collapse--> [M, K] --to_buffer--> memref (any strides)
//   weight blob --to_buffer--> memref (read-only data of model.so)
//   acc = memref.alloc [..., N] ; call kernel(q, w, acc viewed as [M, N])
//   to_tensor(acc)
//
// The declaration carries `llvm.emit_c_interface`, so the call passes memref
// descriptors by pointer (`_mlir_ciface_<symbol>`, runtime/Internal.h).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Conversion/BitNetToLinalg/BitNetToLinalg.h"
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "bitnet/Kernels/KernelRegistry.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::bitnet;

/// A memref of `type`'s shape and element type with fully dynamic strides and
/// offset: what any buffer casts to.
static MemRefType getAnyLayoutMemRef(ArrayRef<int64_t> shape, Type element) {
  SmallVector<int64_t> strides(shape.size(), ShapedType::kDynamic);
  return MemRefType::get(
      shape, element,
      StridedLayoutAttr::get(element.getContext(), ShapedType::kDynamic,
                             strides));
}

/// The declaration of `symbol(q, w, acc)`, created on first use.
static func::FuncOp getOrCreateKernelDecl(ConversionPatternRewriter &rewriter,
                                          ModuleOp module, StringRef symbol) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(symbol))
    return existing;
  MLIRContext *ctx = module.getContext();
  int64_t dyn = ShapedType::kDynamic;
  Type i8 = IntegerType::get(ctx, 8), i32 = IntegerType::get(ctx, 32);
  auto type = FunctionType::get(
      ctx,
      {getAnyLayoutMemRef({dyn, dyn}, i8), getAnyLayoutMemRef({dyn}, i8),
       getAnyLayoutMemRef({dyn, dyn}, i32)},
      {});
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  auto decl = func::FuncOp::create(rewriter, module.getLoc(), symbol, type);
  decl.setPrivate();
  decl->setAttr("llvm.emit_c_interface",
                rewriter.getUnitAttr());
  return decl;
}

/// The reassociation viewing a rank-`rank` (>= 1) value as a matrix: all
/// leading dims as rows (rank 1: a unit row dim is added), the last as
/// columns.
static SmallVector<ReassociationIndices> getMatrixReassociation(int64_t rank) {
  if (rank == 1)
    return {{0, 1}};
  ReassociationIndices rows;
  for (int64_t d = 0; d < rank - 1; ++d)
    rows.push_back(d);
  return {rows, {rank - 1}};
}

namespace {
struct TernaryMatmulKernelCall : OpConversionPattern<TernaryMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TernaryMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    std::optional<StringRef> kernelName = op.getKernel();
    if (!kernelName)
      return rewriter.notifyMatchFailure(op, "no kernel selected");
    const KernelInfo *kernel = lookupKernel(*kernelName);
    auto module = op->getParentOfType<ModuleOp>();
    if (!kernel || !module)
      return rewriter.notifyMatchFailure(op, "unknown kernel or no module");

    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    int64_t dyn = ShapedType::kDynamic;
    TernaryAttr weight = op.getWeight();
    int64_t rows = weight.getRows(), cols = weight.getCols();

    // q [..., K] as [M, K].
    Value q = adaptor.getInput();
    auto qType = cast<RankedTensorType>(q.getType());
    int64_t rank = qType.getRank();
    SmallVector<ReassociationIndices> asMatrix = getMatrixReassociation(rank);
    Value q2 = q;
    if (rank == 1)
      q2 = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get({1, cols}, i8), q, asMatrix);
    else if (rank > 2)
      q2 = tensor::CollapseShapeOp::create(rewriter, loc, q, asMatrix);
    auto q2Type = cast<RankedTensorType>(q2.getType());

    Value qBuffer = bufferization::ToBufferOp::create(
        rewriter, loc, getAnyLayoutMemRef(q2Type.getShape(), i8), q2,
        /*read_only=*/true);
    qBuffer = memref::CastOp::create(
        rewriter, loc, getAnyLayoutMemRef({dyn, dyn}, i8), qBuffer);

    auto blobType = weight.getData().getType();
    Value blob = arith::ConstantOp::create(
        rewriter, loc,
        DenseResourceElementsAttr::get(blobType,
                                       weight.getData().getRawHandle()));
    Value wBuffer = bufferization::ToBufferOp::create(
        rewriter, loc, getAnyLayoutMemRef(blobType.getShape(), i8), blob,
        /*read_only=*/true);
    wBuffer = memref::CastOp::create(rewriter, loc,
                                     getAnyLayoutMemRef({dyn}, i8), wBuffer);

    // The accumulator is allocated in the result's shape and handed to the
    // kernel as an [M, N] view (collapsing is always possible for a fresh
    // buffer; expanding [M, N] with several dynamic dims trips upstream's
    // expand-strided-metadata).
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      if (resultType.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, q, d));
    Value acc = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(resultType.getShape(), i32), dynSizes,
        rewriter.getI64IntegerAttr(64));
    Value acc2 = acc;
    if (rank == 1)
      acc2 = memref::ExpandShapeOp::create(
          rewriter, loc, MemRefType::get({1, rows}, i32), acc, asMatrix);
    else if (rank > 2)
      acc2 = memref::CollapseShapeOp::create(rewriter, loc, acc, asMatrix);
    Value accArg = memref::CastOp::create(
        rewriter, loc, getAnyLayoutMemRef({dyn, dyn}, i32), acc2);

    func::FuncOp decl =
        getOrCreateKernelDecl(rewriter, module, kernel->getSymbol());
    func::CallOp::create(rewriter, loc, decl,
                         ValueRange{qBuffer, wBuffer, accArg});
    Value result = bufferization::ToTensorOp::create(
        rewriter, loc, resultType, acc, /*restrict=*/rewriter.getUnitAttr(),
        /*writable=*/rewriter.getUnitAttr());
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void mlir::bitnet::populateBitNetKernelCallPatterns(
    RewritePatternSet &patterns) {
  patterns.add<TernaryMatmulKernelCall>(patterns.getContext(),
                                        /*benefit=*/2);
}
