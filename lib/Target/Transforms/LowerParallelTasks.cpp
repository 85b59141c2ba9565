//===- LowerParallelTasks.cpp - Task calls -> bitnetParallelFor -----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETLOWERPARALLELTASKS
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

/// runtime/Internal.h: void bitnetParallelFor(int64_t count, int64_t grain,
/// void (*body)(void *, int64_t, int64_t), void *arg).
static constexpr llvm::StringLiteral kParallelFor = "bitnetParallelFor";

namespace {
struct LowerParallelTasksPass
    : mlir::bitnet::impl::BitNetLowerParallelTasksBase<LowerParallelTasksPass> {
  void runOnOperation() override;
};
} // namespace

static LLVM::LLVMFuncOp getOrInsertParallelFor(RewriterBase &rewriter,
                                               ModuleOp module) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelFor))
    return existing;
  MLIRContext *ctx = module.getContext();
  Type i64 = IntegerType::get(ctx, 64), ptr = LLVM::LLVMPointerType::get(ctx);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(
      rewriter, module.getLoc(), kParallelFor,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {i64, i64, ptr, ptr}));
}

/// `<task>_body(context, begin, end)`: loads the task's arguments from the
/// record `context` points to (the last two are the call's range start and
/// end) and runs the task on [start + begin, start + end).
static LLVM::LLVMFuncOp createBody(RewriterBase &rewriter,
                                   LLVM::LLVMFuncOp task,
                                   LLVM::LLVMStructType record) {
  MLIRContext *ctx = task.getContext();
  Location loc = task.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  ArrayRef<Type> params = task.getFunctionType().getParams();
  Type indexType = params.back();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfter(task);
  auto body = LLVM::LLVMFuncOp::create(
      rewriter, loc, (task.getSymName() + "_body").str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, indexType, indexType}),
      LLVM::Linkage::Internal);
  Block *entry = body.addEntryBlock(rewriter);
  rewriter.setInsertionPointToStart(entry);
  SmallVector<Value> arguments;
  for (auto [i, type] : llvm::enumerate(params)) {
    Value field =
        LLVM::GEPOp::create(rewriter, loc, ptr, record, entry->getArgument(0),
                            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    arguments.push_back(LLVM::LoadOp::create(rewriter, loc, type, field));
  }
  Value start = arguments[arguments.size() - 2];
  arguments[arguments.size() - 2] =
      LLVM::AddOp::create(rewriter, loc, start, entry->getArgument(1));
  arguments.back() =
      LLVM::AddOp::create(rewriter, loc, start, entry->getArgument(2));
  LLVM::CallOp::create(rewriter, loc, task, arguments);
  LLVM::ReturnOp::create(rewriter, loc, ValueRange());
  return body;
}

void LowerParallelTasksPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  IRRewriter rewriter(ctx);
  SmallVector<LLVM::CallOp> calls;
  module.walk([&](LLVM::CallOp call) {
    std::optional<StringRef> callee = call.getCallee();
    if (!callee)
      return;
    auto task = module.lookupSymbol<LLVM::LLVMFuncOp>(*callee);
    if (task && task->hasAttr(BitNetDialect::getParallelGrainAttrName()))
      calls.push_back(call);
  });
  if (calls.empty())
    return;
  LLVM::LLVMFuncOp parallelFor = getOrInsertParallelFor(rewriter, module);
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = IntegerType::get(ctx, 64);
  auto fitsSlot = [](Type type) {
    return isa<LLVM::LLVMPointerType>(type) ||
           (type.isIntOrFloat() && type.getIntOrFloatBitWidth() <= 64);
  };
  // One record per caller, as large as its largest task's arguments (each
  // at most 8 bytes): calls run one after another, and a record per call
  // would grow a whole model's frame by kilobytes per layer.
  llvm::MapVector<LLVM::LLVMFuncOp, size_t> recordSlots;
  for (LLVM::CallOp call : calls) {
    auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
    size_t &slots = recordSlots[caller];
    slots = std::max<size_t>(slots, call.getNumOperands());
  }
  DenseMap<LLVM::LLVMFuncOp, Value> records;
  for (auto [caller, slots] : recordSlots) {
    rewriter.setInsertionPointToStart(&caller.getBody().front());
    Location loc = caller.getLoc();
    Value one = LLVM::ConstantOp::create(rewriter, loc, i64,
                                         rewriter.getI64IntegerAttr(1));
    records[caller] = LLVM::AllocaOp::create(
        rewriter, loc, ptr, LLVM::LLVMArrayType::get(i64, slots), one,
        /*alignment=*/8);
  }
  DenseMap<LLVM::LLVMFuncOp, LLVM::LLVMFuncOp> bodies;
  for (LLVM::CallOp call : calls) {
    auto task = module.lookupSymbol<LLVM::LLVMFuncOp>(*call.getCallee());
    ArrayRef<Type> params = task.getFunctionType().getParams();
    if (params.size() < 2 || params.back() != i64 ||
        call.getNumOperands() != params.size() ||
        !llvm::all_of(params, fitsSlot)) {
      call.emitError("a parallel task takes scalar arguments and its range "
                     "as two i64 last");
      return signalPassFailure();
    }
    auto record = LLVM::LLVMStructType::getLiteral(ctx, params);
    LLVM::LLVMFuncOp &body = bodies[task];
    if (!body)
      body = createBody(rewriter, task, record);
    int64_t grain =
        cast<IntegerAttr>(
            task->getAttr(BitNetDialect::getParallelGrainAttrName()))
            .getInt();
    Location loc = call.getLoc();
    Value context = records[call->getParentOfType<LLVM::LLVMFuncOp>()];

    rewriter.setInsertionPoint(call);
    for (auto [i, operand] : llvm::enumerate(call.getOperands())) {
      Value field = LLVM::GEPOp::create(
          rewriter, loc, ptr, record, context,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(rewriter, loc, operand, field);
    }
    ValueRange operands = call.getOperands();
    Value count = LLVM::SubOp::create(rewriter, loc, operands.back(),
                                      operands[operands.size() - 2]);
    Value grainValue = LLVM::ConstantOp::create(
        rewriter, loc, i64, rewriter.getI64IntegerAttr(grain));
    Value bodyAddress = LLVM::AddressOfOp::create(rewriter, loc, body);
    LLVM::CallOp::create(rewriter, loc, parallelFor,
                         ValueRange{count, grainValue, bodyAddress, context});
    rewriter.eraseOp(call);
  }
}
