//===- ParallelizeLoops.cpp - Tile linalg ops into parallel tiles ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETPARALLELIZELOOPS
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

/// A dynamic loop's assumed trip count when estimating a tile's work.
static constexpr int64_t kAssumedDynamicTrips = 64;

namespace {
struct ParallelizeLoopsPass
    : mlir::bitnet::impl::BitNetParallelizeLoopsBase<ParallelizeLoopsPass> {
  using BitNetParallelizeLoopsBase::BitNetParallelizeLoopsBase;
  void runOnOperation() override;
};

/// How one op is tiled: a tile size per loop (0 = not tiled) and the grain.
struct TilePlan {
  SmallVector<int64_t> sizes;
  int64_t grain = 1;
};
} // namespace

/// Loops a tile may split: parallel, and indexed directly by every output
/// (so distinct tiles write distinct elements).
static llvm::SmallBitVector splittableLoops(linalg::LinalgOp op) {
  unsigned loops = op.getNumLoops();
  llvm::SmallBitVector splittable(loops, true);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < loops; ++d)
    if (iterators[d] != utils::IteratorType::parallel)
      splittable.reset(d);
  for (OpOperand &init : op.getDpsInitsMutable()) {
    llvm::SmallBitVector indexed(loops, false);
    for (AffineExpr e : op.getMatchingIndexingMap(&init).getResults())
      if (auto dim = dyn_cast<AffineDimExpr>(e))
        indexed.set(dim.getPosition());
    splittable &= indexed;
  }
  return splittable;
}

static std::optional<TilePlan> planTiles(linalg::LinalgOp op, int64_t tileSize,
                                         int64_t minChunkWork) {
  unsigned loops = op.getNumLoops();
  if (loops == 0 || op.getNumDpsInits() == 0)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  llvm::SmallBitVector splittable = splittableLoops(op);
  TilePlan plan;
  plan.sizes.assign(loops, 0);
  bool anySplit = false, allStatic = true;
  uint64_t tileWork = 1, totalWork = 1;
  for (unsigned d = 0; d < loops; ++d) {
    bool dynamic = ShapedType::isDynamic(ranges[d]);
    allStatic &= !dynamic;
    uint64_t trips = dynamic ? kAssumedDynamicTrips : ranges[d];
    totalWork = llvm::SaturatingMultiply(totalWork, trips);
    // The innermost loop (the one LLVM vectorizes) is split into runs of
    // `tileSize`; outer ones into single iterations; a loop known to run
    // once or to fit one run is left whole.
    int64_t size = d + 1 == loops ? tileSize : 1;
    if (splittable[d] && (dynamic || ranges[d] > size)) {
      plan.sizes[d] = size;
      anySplit = true;
      tileWork = llvm::SaturatingMultiply(tileWork, uint64_t(size));
    } else {
      tileWork = llvm::SaturatingMultiply(tileWork, trips);
    }
  }
  // Too little work for a second thread ever to help.
  if (!anySplit || (allStatic && totalWork < 2 * uint64_t(minChunkWork)))
    return std::nullopt;
  plan.grain = std::max<int64_t>(
      1, llvm::divideCeil(uint64_t(minChunkWork), tileWork));
  return plan;
}

void ParallelizeLoopsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal())
    return;
  // Top-level ops only: nested ones sit in control flow that the outliner
  // does not turn into tasks.
  SmallVector<linalg::LinalgOp> candidates;
  for (Block &block : func.getBody())
    for (Operation &op : block)
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
        if (linalgOp.hasPureBufferSemantics())
          candidates.push_back(linalgOp);
  IRRewriter rewriter(&getContext());
  for (linalg::LinalgOp op : candidates) {
    std::optional<TilePlan> plan = planTiles(op, tileSize, minChunkWork);
    if (!plan)
      continue;
    rewriter.setInsertionPoint(op);
    linalg::LinalgTilingOptions options;
    options.setTileSizes(plan->sizes);
    options.setLoopType(linalg::LinalgTilingLoopType::ParallelLoops);
    FailureOr<linalg::TiledLinalgOp> tiled =
        linalg::tileLinalgOp(rewriter, op, options);
    if (failed(tiled)) {
      op.emitError("cannot tile this op into parallel tiles");
      return signalPassFailure();
    }
    // Only split loops were tiled, so the outermost is the one scf.parallel.
    auto parallel = dyn_cast<scf::ParallelOp>(tiled->loops.front());
    if (!parallel) {
      op.emitError("tiling did not produce an scf.parallel");
      return signalPassFailure();
    }
    parallel->setAttr(BitNetDialect::getParallelGrainAttrName(), rewriter.getI64IntegerAttr(plan->grain));
    rewriter.eraseOp(op);
  }
}
