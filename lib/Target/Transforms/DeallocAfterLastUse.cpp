//===- DeallocAfterLastUse.cpp - Free buffers after their last use --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETDEALLOCAFTERLASTUSE
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

namespace {
struct DeallocAfterLastUsePass
    : mlir::bitnet::impl::BitNetDeallocAfterLastUseBase<
          DeallocAfterLastUsePass> {
  void runOnOperation() override;
};
} // namespace

/// The last operation of `block` that uses `buffer` or a view of it
/// (`dealloc` itself aside), or failure if some use could alias it otherwise
/// or lies outside the block.
static FailureOr<Operation *> findLastUse(Value buffer, Block *block,
                                          Operation *dealloc) {
  Operation *last = buffer.getDefiningOp();
  SmallVector<Value> aliases = {buffer};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (Operation *user : alias.getUsers()) {
      if (user == dealloc)
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == alias) {
        llvm::append_range(aliases, user->getResults());
      } else if (llvm::any_of(user->getResultTypes(),
                              llvm::IsaPred<BaseMemRefType>)) {
        return failure(); // might return the buffer under another name
      } else if (isa<memref::ExtractAlignedPointerAsIndexOp>(user)) {
        return failure(); // a raw pointer outlives what we can track
      } else if (auto store = dyn_cast<memref::StoreOp>(user);
                 store && store.getValueToStore() == alias) {
        return failure(); // stored as a value: readable through the slot
      }
      Operation *inBlock = block->findAncestorOpInBlock(*user);
      if (!inBlock)
        return failure();
      if (last->isBeforeInBlock(inBlock))
        last = inBlock;
    }
  }
  return last;
}

void DeallocAfterLastUsePass::runOnOperation() {
  SmallVector<memref::DeallocOp> deallocs;
  getOperation()->walk(
      [&](memref::DeallocOp dealloc) { deallocs.push_back(dealloc); });
  for (memref::DeallocOp dealloc : deallocs) {
    Value buffer = dealloc.getMemref();
    auto alloc = buffer.getDefiningOp<memref::AllocOp>();
    Block *block = dealloc->getBlock();
    if (!alloc || alloc->getBlock() != block)
      continue;
    FailureOr<Operation *> last = findLastUse(buffer, block, dealloc);
    if (succeeded(last) && (*last)->isBeforeInBlock(dealloc))
      dealloc->moveAfter(*last);
  }
}
