//===- ParallelizeLoops.cpp - Tile linalg ops into parallel tiles ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/CSE.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETPARALLELIZELOOPS
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

/// A dynamic loop's assumed trip count when estimating a tile's work.
static constexpr int64_t kAssumedDynamicTrips = 64;
/// runtime/Internal.h: int64_t bitnetParallelWidth(void), the threads a
/// parallel-for of this run may use.
static constexpr llvm::StringLiteral kParallelWidth = "bitnetParallelWidth";
/// The longest group loop (TilePlan::groupLoops) that is jammed.
static constexpr int64_t kMaxGroupTrips = 8;
/// A tile size decided at run time: the loop's range over the pool's width.
static constexpr int64_t kSplitByWidth = -1;
/// How far ahead a jammed contraction over short weight rows prefetches
/// them: the distance of the int2 kernels' weight prefetch.
static constexpr int64_t kPrefetchBytes = 8192;
/// The longest static row whose runs are prefetched line by line.
static constexpr int64_t kMaxPrefetchedRowBytes = 1024;
/// Marks the k loop of a contraction tile until its runs are prefetched.
static constexpr llvm::StringLiteral kPrefetchRunsAttr = "bitnet.prefetch_runs";

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
  /// A contraction run as (..., k, n): the reduction loop k whose copies
  /// are jammed into the innermost loop, if any.
  std::optional<unsigned> jamLoop;
  /// Short static parallel loops outside k that the swept operand does not
  /// index (the query heads of a grouped-query attention group over one
  /// Kᵀ or V): kept whole in the tile and jammed with k, so that each
  /// element of that operand loaded feeds all of them.
  SmallVector<unsigned> groupLoops;
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

/// A transposing op (a K-cache transpose before the attention scores):
/// all loops parallel, and an input read with a stride along the innermost
/// loop n but contiguous along another loop d. Returns d, and in
/// `lineElements` how many of that input's elements one 64-byte line holds.
static std::optional<unsigned> transposedLoop(linalg::LinalgOp op,
                                              int64_t &lineElements) {
  unsigned loops = op.getNumLoops();
  if (loops < 2 || op.getNumReductionLoops() != 0)
    return std::nullopt;
  unsigned n = loops - 1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(input->get().getType());
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!type || map.getNumResults() == 0 ||
        !type.getElementType().isIntOrFloat() || !map.isFunctionOfDim(n))
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || last.getPosition() == n)
      continue;
    lineElements = std::max<int64_t>(
        1, 512 / std::max<int64_t>(8, type.getElementTypeBitWidth()));
    return last.getPosition();
  }
  return std::nullopt;
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
  // A transpose reads one element per line along n: runs of `tileSize`
  // would make every iteration of d sweep tileSize lines (beyond L1, and
  // gathered: 7 % of a 2B-model decode at 256 positions). Runs of one line's
  // worth of n, with d whole inside the tile, revisit the same few lines
  // for every d.
  int64_t lineElements = 0;
  std::optional<unsigned> transposed = transposedLoop(op, lineElements);
  if (transposed && splittable[loops - 1])
    tileSize = std::min(tileSize, lineElements);
  // A reduction outside the innermost loop (a contraction run as (k, n)):
  // every k sweeps the whole tile of n, so tiles must be long runs for the
  // weight rows to stream; the innermost loop is split into one run per
  // thread at run time.
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  bool sweepsInnermost = llvm::any_of(
      ArrayRef(iterators).drop_back(), [](utils::IteratorType type) {
        return type == utils::IteratorType::reduction;
      });
  // Group loops (TilePlan::groupLoops): whole in the tile, never split.
  llvm::SmallBitVector group(loops, false);
  if (sweepsInnermost && splittable[loops - 1]) {
    unsigned n = loops - 1;
    for (unsigned d = 0; d < n; ++d) {
      if (!splittable[d] || ShapedType::isDynamic(ranges[d]) || ranges[d] < 2 ||
          ranges[d] > kMaxGroupTrips)
        continue;
      bool shared = false, reads = false;
      for (OpOperand *input : op.getDpsInputOperands()) {
        AffineMap map = op.getMatchingIndexingMap(input);
        bool swept = map.isFunctionOfDim(n) &&
                     llvm::any_of(llvm::seq(0u, n), [&](unsigned r) {
                       return iterators[r] == utils::IteratorType::reduction &&
                              map.isFunctionOfDim(r);
                     });
        shared |= swept && !map.isFunctionOfDim(d);
        reads |= map.isFunctionOfDim(d);
      }
      if (shared && reads) {
        group.set(d);
        plan.groupLoops.push_back(d);
      }
    }
  }
  // A short innermost run (a column block of bitnet-block-weight-columns,
  // an attention head) stays whole when a static outer loop can be split
  // instead: splitting it by width would leave each thread a fraction of it.
  bool outerSplits = false;
  for (unsigned d = 0; d + 1 < loops; ++d)
    outerSplits |= splittable[d] && !group[d] &&
                   !ShapedType::isDynamic(ranges[d]) && ranges[d] > 1;
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
    bool innermost = d + 1 == loops;
    int64_t size = innermost ? tileSize : 1;
    if (innermost && splittable[d] && sweepsInnermost) {
      for (unsigned r = 0; r < d; ++r)
        if (iterators[r] == utils::IteratorType::reduction)
          plan.jamLoop = r;
      if (dynamic || ranges[d] > tileSize || !outerSplits) {
        plan.sizes[d] = kSplitByWidth;
        anySplit = true;
      }
      tileWork = llvm::SaturatingMultiply(tileWork, trips);
    } else if (group[d] || (transposed && d == *transposed && !innermost)) {
      tileWork = llvm::SaturatingMultiply(tileWork, trips);
    } else if (splittable[d] && (dynamic || ranges[d] > size)) {
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
  plan.grain =
      std::max<int64_t>(1, llvm::divideCeil(uint64_t(minChunkWork), tileWork));
  return plan;
}

/// The declaration of the runtime's bitnetParallelWidth.
static func::FuncOp getOrInsertParallelWidth(RewriterBase &rewriter,
                                             ModuleOp module) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(kParallelWidth))
    return existing;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  auto decl = func::FuncOp::create(
      rewriter, module.getLoc(), kParallelWidth,
      rewriter.getFunctionType({}, {rewriter.getI64Type()}));
  decl.setPrivate();
  return decl;
}

/// Tile sizes as values: kSplitByWidth becomes ceil(range / width).
static SmallVector<Value> tileSizeValues(RewriterBase &rewriter,
                                         linalg::LinalgOp op,
                                         ArrayRef<int64_t> sizes) {
  Location loc = op.getLoc();
  SmallVector<Value> values;
  SmallVector<Range> ranges;
  for (auto [d, size] : llvm::enumerate(sizes)) {
    if (size != kSplitByWidth) {
      values.push_back(arith::ConstantIndexOp::create(rewriter, loc, size));
      continue;
    }
    if (ranges.empty())
      ranges = op.createLoopRanges(rewriter, loc);
    auto module = op->getParentOfType<ModuleOp>();
    Value width = func::CallOp::create(
                      rewriter, loc, getOrInsertParallelWidth(rewriter, module))
                      .getResult(0);
    width = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                       width);
    Value range =
        getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].size);
    Value tile = arith::CeilDivUIOp::create(rewriter, loc, range, width);
    // Whole 64-byte lines of the output per run: threads then never write
    // the same line, and each run but the last has no vector remainder.
    Type element =
        getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
    int64_t lineElements =
        element.isIntOrFloat()
            ? std::max<int64_t>(
                  1, 64 / llvm::divideCeil(element.getIntOrFloatBitWidth(), 8))
            : 1;
    Value line = arith::ConstantIndexOp::create(rewriter, loc, lineElements);
    tile = arith::MulIOp::create(
        rewriter, loc, arith::CeilDivUIOp::create(rewriter, loc, tile, line),
        line);
    // An empty range still needs a positive step.
    values.push_back(arith::MaxUIOp::create(
        rewriter, loc, tile, arith::ConstantIndexOp::create(rewriter, loc, 1)));
  }
  return values;
}

/// In a jammed loop body of a linalg contraction: a load of the element a
/// previous store wrote (same memref and index values, nothing but loads
/// and pure ops in between) takes the stored value, and a store overwritten
/// by a later one to the same element is dropped. The reads in between are
/// of the op's inputs, which a linalg op does not write (the jam itself
/// already relies on that).
static void forwardAccumulator(RewriterBase &rewriter, Block &body) {
  SmallVector<memref::StoreOp> stores;
  auto sameElement = [](Value memref, ValueRange indices,
                        memref::StoreOp store) {
    return store.getMemRef() == memref &&
           llvm::equal(store.getIndices(), indices);
  };
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      for (memref::StoreOp store : llvm::reverse(stores))
        if (sameElement(load.getMemRef(), load.getIndices(), store)) {
          rewriter.replaceOp(load, store.getValueToStore());
          break;
        }
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      for (memref::StoreOp &earlier : stores)
        if (earlier &&
            sameElement(store.getMemRef(), store.getIndices(), earlier)) {
          rewriter.eraseOp(earlier);
          earlier = nullptr;
        }
      llvm::erase(stores, memref::StoreOp());
      stores.push_back(store);
      continue;
    }
    if (!isMemoryEffectFree(&op))
      stores.clear();
  }
}

/// The memref of `input` if the contraction `op` run as (..., k, n), with n
/// its innermost loop, reads it as rows along k: indexed (..., k, n), the
/// leading indices depending on neither k nor n. Prefetching one row ahead
/// along k then follows the reads.
static MemRefType rowsAlongK(linalg::LinalgOp op, OpOperand *input,
                             unsigned k) {
  unsigned n = op.getNumLoops() - 1;
  AffineMap map = op.getMatchingIndexingMap(input);
  auto type = dyn_cast<MemRefType>(input->get().getType());
  unsigned rank = map.getNumResults();
  MLIRContext *context = op.getContext();
  if (!type || rank < 2 || !type.getElementType().isIntOrFloat() ||
      map.getResult(rank - 1) != getAffineDimExpr(n, context) ||
      map.getResult(rank - 2) != getAffineDimExpr(k, context) ||
      llvm::any_of(map.getResults().drop_back(2), [&](AffineExpr e) {
        return e.isFunctionOfDim(k) || e.isFunctionOfDim(n);
      }))
    return {};
  return type;
}

/// In the loop nest of a contraction tile whose innermost loop is a whole
/// short run (a column block: rows of at most 256 bytes), prefetches each
/// input read as (..., k, n) kPrefetchBytes ahead along k, one row per k
/// iteration (clamped to the last row). Such rows are one sequential stream,
/// but the jammed accumulation chains fill the out-of-order window long
/// before the hardware prefetchers run that far ahead: an int8 LM head in
/// column blocks read at 18 GB/s from DRAM without, 31 with (one Zen 5
/// core, stream 34). Into L2 rather than L1 (locality 2): on an Intel server
/// core the L1 prefetches held the fill buffers the loads need (BitNet-2B
/// shape decode, 1 thread: 12.5 -> 13.6 tokens/s).
static void prefetchShortRows(RewriterBase &rewriter, linalg::LinalgOp op,
                              ArrayRef<Operation *> loops, unsigned k) {
  unsigned n = op.getNumLoops() - 1;
  auto kLoop = dyn_cast<scf::ForOp>(loops[k]);
  if (!kLoop || k + 1 != n)
    return;
  if (!llvm::all_of(loops, llvm::IsaPred<scf::ForOp>))
    return;
  // Made with the first prefetch: the induction variables of the loops
  // outside k (k and n themselves are never read through them; zeros keep
  // the operand list whole).
  Value zero;
  SmallVector<Value> ivs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    MemRefType type = rowsAlongK(op, input, k);
    if (!type || !type.hasStaticShape())
      continue;
    AffineMap map = op.getMatchingIndexingMap(input);
    unsigned rank = map.getNumResults();
    int64_t rowBytes = type.getShape().back() *
                       llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    if (rowBytes > 256)
      continue;
    int64_t rows = type.getShape()[rank - 2];
    int64_t ahead = llvm::divideCeil(kPrefetchBytes, rowBytes);
    Location loc = op.getLoc();
    if (!zero) {
      rewriter.setInsertionPointToStart(kLoop.getBody());
      zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      for (auto [d, loop] : llvm::enumerate(loops))
        ivs.push_back(d < k ? cast<scf::ForOp>(loop).getInductionVar() : zero);
    }
    rewriter.setInsertionPointAfterValue(zero);
    SmallVector<Value> indices;
    for (unsigned r = 0; r < rank; ++r) {
      if (r == rank - 1) {
        indices.push_back(zero);
      } else if (r == rank - 2) {
        Value row = arith::AddIOp::create(
            rewriter, loc, kLoop.getInductionVar(),
            arith::ConstantIndexOp::create(rewriter, loc, ahead));
        indices.push_back(arith::MinUIOp::create(
            rewriter, loc, row,
            arith::ConstantIndexOp::create(rewriter, loc, rows - 1)));
      } else {
        indices.push_back(affine::AffineApplyOp::create(
            rewriter, loc, map.getSubMap({r}), ivs));
      }
    }
    memref::PrefetchOp::create(rewriter, loc, input->get(), indices,
                               /*isWrite=*/false, /*localityHint=*/2,
                               /*isDataCache=*/true);
  }
}

/// An input of a contraction tile whose rows are read as runs of the tile's
/// innermost loop n, rows longer than a column block's (see prefetchRuns).
struct RunPrefetch {
  Value input;
  unsigned rank;
  int64_t elementBytes;
};

/// The inputs of `op` (run as (..., k, n)) read as (..., k, n) with rows
/// that are dynamic or longer than 256 bytes (up to kMaxPrefetchedRowBytes)
/// and indexed otherwise only by loops outside k that are not group loops.
static SmallVector<RunPrefetch>
findRunPrefetches(linalg::LinalgOp op, unsigned k, ArrayRef<unsigned> groups) {
  SmallVector<RunPrefetch> found;
  if (k + 2 != op.getNumLoops())
    return found;
  for (OpOperand *input : op.getDpsInputOperands()) {
    MemRefType type = rowsAlongK(op, input, k);
    AffineMap map = op.getMatchingIndexingMap(input);
    unsigned rank = map.getNumResults();
    if (!type || llvm::any_of(map.getResults().drop_back(2), [&](AffineExpr e) {
          return llvm::any_of(groups,
                              [&](unsigned g) { return e.isFunctionOfDim(g); });
        }))
      continue;
    int64_t elementBytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    // The rows of what the tile is a view of (a tile of a long row is a long
    // run the hardware prefetchers follow).
    MemRefType rowsType = type;
    if (auto view = input->get().getDefiningOp<memref::SubViewOp>())
      rowsType = view.getSourceType();
    int64_t rowElements = rowsType.getShape().back();
    bool dynamic = ShapedType::isDynamic(rowElements);
    if (!dynamic && (rowElements * elementBytes <= 256 ||
                     rowElements * elementBytes > kMaxPrefetchedRowBytes))
      continue;
    found.push_back({input->get(), rank, elementBytes});
  }
  return found;
}

/// Prefetches into L2 every 64-byte line of row `row` of `input` (leading
/// indices `indices`) over the range of `nLoop`.
static void prefetchRunLines(RewriterBase &rewriter, Location loc, Value input,
                             ArrayRef<Value> indices, Value row,
                             scf::ForOp nLoop, int64_t elementBytes) {
  auto lines = scf::ForOp::create(
      rewriter, loc, nLoop.getLowerBound(), nLoop.getUpperBound(),
      arith::ConstantIndexOp::create(rewriter, loc,
                                     std::max<int64_t>(1, 64 / elementBytes)));
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(lines.getBody());
  SmallVector<Value> at(indices);
  at.push_back(row);
  at.push_back(lines.getInductionVar());
  memref::PrefetchOp::create(rewriter, loc, input, at, /*isWrite=*/false,
                             /*localityHint=*/2, /*isDataCache=*/true);
}

/// At the start of the (jammed) k loop `kLoop` of a contraction tile,
/// prefetches into L2 the runs its next iterations read, about
/// kPrefetchBytes ahead: for each row of the `step` rows an iteration
/// reads, `ahead` rows on (clamped to the last row), every 64-byte line of
/// the innermost loop's range. Attention reads Kᵀ like this: per KV head,
/// runs of a few lines from rows a cache capacity apart, which the hardware
/// prefetchers do not follow, and V as rows of 512 bytes.
/// The first `ahead` rows are prefetched before the loop: without them a
/// tile starts with kPrefetchBytes of demand misses, and a decode step's
/// attention tiles are short (Kᵀ at two threads: runs of half the positions,
/// 37 of a head's 128 rows).
static void prefetchRuns(RewriterBase &rewriter, scf::ForOp kLoop,
                         ArrayRef<RunPrefetch> runs) {
  scf::ForOp nLoop;
  for (Operation &op : *kLoop.getBody())
    if (auto inner = dyn_cast<scf::ForOp>(op))
      nLoop = inner;
  std::optional<int64_t> step = getConstantIntValue(kLoop.getStep());
  if (!nLoop || !step)
    return;
  Location loc = kLoop.getLoc();
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, value);
  };
  auto outside = [](Operation *loop, Value value) {
    return !loop->isAncestor(value.getParentBlock()->getParentOp());
  };
  auto outsideN = [&](Value value) { return outside(nLoop, value); };
  // What this function adds inside the k loop goes before its original
  // first op, in the order it is created.
  Block::iterator loopStart = kLoop.getBody()->begin();
  // The run length and the distance are the same for every k: computed
  // before the loop when the run's bounds are known there.
  bool beforeLoop = outside(kLoop, nLoop.getLowerBound()) &&
                    outside(kLoop, nLoop.getUpperBound());
  if (beforeLoop)
    rewriter.setInsertionPoint(kLoop);
  else
    rewriter.setInsertionPoint(kLoop.getBody(), loopStart);
  Value run = arith::SubIOp::create(rewriter, loc, nLoop.getUpperBound(),
                                    nLoop.getLowerBound());
  for (const RunPrefetch &prefetch : runs) {
    unsigned rank = prefetch.rank;
    // The leading indices as the loop body loads the input (they depend on
    // no loop inside n): taken, or recomputed where their operands are.
    memref::LoadOp load;
    nLoop.getBody()->walk([&](memref::LoadOp candidate) {
      if (!load && candidate.getMemRef() == prefetch.input)
        load = candidate;
    });
    if (!load)
      continue;
    SmallVector<Value> indices;
    for (Value index : load.getIndices().take_front(rank - 2)) {
      Operation *def = index.getDefiningOp();
      if (outsideN(index)) {
        indices.push_back(index);
      } else if (def && isPure(def) && def->getNumResults() == 1 &&
                 llvm::all_of(def->getOperands(), outsideN)) {
        OpBuilder::InsertionGuard guard(rewriter);
        if (beforeLoop && llvm::all_of(def->getOperands(), [&](Value operand) {
              return outside(kLoop, operand);
            }))
          rewriter.setInsertionPoint(kLoop);
        else
          rewriter.setInsertionPoint(kLoop.getBody(), loopStart);
        indices.push_back(rewriter.clone(*def)->getResult(0));
      } else {
        break;
      }
    }
    if (indices.size() != rank - 2)
      continue;
    // kPrefetchBytes / max(64, run bytes) rows ahead, at least the `step`
    // rows of one iteration: each iteration requests the rows of a later
    // one, never its own (with long runs, e.g. Kᵀ past 512 positions on one
    // thread, fewer rows ahead left half of them requested as they were
    // read).
    Value runBytes = arith::MaxUIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, run,
                              constant(prefetch.elementBytes)),
        constant(64));
    Value ahead = arith::MaxUIOp::create(
        rewriter, loc,
        arith::DivUIOp::create(rewriter, loc, constant(kPrefetchBytes),
                               runBytes),
        constant(*step));
    Value rows = memref::DimOp::create(rewriter, loc, prefetch.input, rank - 2);
    Value lastRow = arith::SubIOp::create(rewriter, loc, rows, constant(1));
    if (beforeLoop && llvm::all_of(indices, [&](Value index) {
          return outside(kLoop, index);
        })) {
      Value end = arith::MinUIOp::create(
          rewriter, loc,
          arith::AddIOp::create(rewriter, loc, kLoop.getLowerBound(), ahead),
          rows);
      auto prologue = scf::ForOp::create(rewriter, loc, kLoop.getLowerBound(),
                                         end, constant(1));
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(prologue.getBody());
      prefetchRunLines(rewriter, loc, prefetch.input, indices,
                       prologue.getInductionVar(), nLoop,
                       prefetch.elementBytes);
    }
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(kLoop.getBody(), loopStart);
    Value first =
        arith::AddIOp::create(rewriter, loc, kLoop.getInductionVar(), ahead);
    for (int64_t r = 0; r < *step; ++r) {
      Value row = arith::MinUIOp::create(
          rewriter, loc,
          arith::AddIOp::create(rewriter, loc, first, constant(r)), lastRow);
      prefetchRunLines(rewriter, loc, prefetch.input, indices, row, nLoop,
                       prefetch.elementBytes);
    }
  }
}

/// Lowers the tile `op` of a contraction run as (..., k, n) to loops and
/// unrolls k by the largest power of two up to `maxFactor` that divides its
/// trip count into the n loop: each accumulator element then takes that many
/// products in a row, in the same k order, per load and store instead of
/// one, which divides the accumulator and per-column scale traffic (an LM
/// head's is 1 MB per k, more than L2 holds beside the weight stream) by the
/// factor. Exact: every output element still sums its products in k order,
/// and distinct elements are independent.
static LogicalResult jamReduction(RewriterBase &rewriter, linalg::LinalgOp op,
                                  unsigned loop, ArrayRef<unsigned> groupLoops,
                                  int64_t maxFactor, bool shortRows) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t trips = ranges[loop];
  uint64_t factor = 1;
  if (!ShapedType::isDynamic(trips))
    while (2 * factor <= uint64_t(maxFactor) && trips % (2 * factor) == 0)
      factor *= 2;
  if (factor == 1 && groupLoops.empty())
    return success();
  llvm::SmallPtrSet<Value, 4> inputs;
  for (OpOperand *input : op.getDpsInputOperands())
    inputs.insert(input->get());
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::LinalgLoops> loops = linalg::linalgOpToLoops(rewriter, op);
  if (failed(loops))
    return op.emitError("cannot lower this contraction tile to loops");
  if (shortRows)
    prefetchShortRows(rewriter, op, *loops, loop);
  // Runs are prefetched in the jammed k loop (unroll-and-jam takes no other
  // loop beside the innermost one): mark it.
  SmallVector<RunPrefetch> runs = findRunPrefetches(op, loop, groupLoops);
  if (!runs.empty())
    (*loops)[loop]->setAttr(kPrefetchRunsAttr, rewriter.getUnitAttr());
  rewriter.eraseOp(op);
  // Unroll-and-jam may replace the loop: keep hold of the nest's parent (the
  // tile's scf.parallel), which holds nothing else.
  Operation *nest = (*loops).front()->getParentOp();
  // (`op` is erased: the diagnostic goes to the tile.)
  auto forOp = dyn_cast<scf::ForOp>((*loops)[loop]);
  if (!forOp || failed(loopUnrollJamByFactor(forOp, factor)))
    return nest->emitError("cannot unroll and jam this reduction loop");
  if (!groupLoops.empty()) {
    // k's jam made its bounds inside the group loops: constants, which
    // move to the tile's start so that the group loops' inner bounds are
    // invariant.
    Block &tileBody = nest->getRegion(0).front();
    nest->walk([&](arith::ConstantOp constant) {
      if (constant->getBlock() != &tileBody)
        constant->moveBefore(&tileBody, tileBody.begin());
    });
    for (unsigned group : groupLoops) {
      auto groupFor = dyn_cast<scf::ForOp>((*loops)[group]);
      if (!groupFor ||
          failed(loopUnrollJamByFactor(groupFor, uint64_t(ranges[group]))))
        return nest->emitError("cannot unroll and jam this group loop");
    }
    // The group's copies load the same elements of the shared input between
    // their accumulator stores: loads of inputs, which the op does not
    // write, move above the stores (in order) so that CSE merges them. (CSE
    // first makes the copies' index computations the same values.)
    DominanceInfo dominance(nest);
    eliminateCommonSubExpressions(rewriter, dominance, nest);
    nest->walk([&](scf::ForOp inner) {
      Block *body = inner.getBody();
      if (!body->getOps<scf::ForOp>().empty())
        return;
      forwardAccumulator(rewriter, *body);
      Operation *firstStore = nullptr;
      for (Operation &bodyOp : llvm::make_early_inc_range(*body)) {
        if (isa<memref::StoreOp>(bodyOp) && !firstStore)
          firstStore = &bodyOp;
        auto load = dyn_cast<memref::LoadOp>(bodyOp);
        if (!load || !firstStore || !inputs.contains(load.getMemRef()) ||
            llvm::any_of(load->getOperands(), [&](Value v) {
              Operation *def = v.getDefiningOp();
              return def && def->getBlock() == body &&
                     !def->isBeforeInBlock(firstStore);
            }))
          continue;
        load->moveBefore(firstStore);
      }
    });
  }
  // The copies address the accumulator through equal index computations:
  // CSE makes them the same values, then each element is loaded once and
  // stored once per jammed iteration.
  DominanceInfo dominance(nest);
  eliminateCommonSubExpressions(rewriter, dominance, nest);
  nest->walk([&](scf::ForOp inner) {
    if (inner.getBody()->getOps<scf::ForOp>().empty())
      forwardAccumulator(rewriter, *inner.getBody());
  });
  if (!runs.empty())
    nest->walk([&](scf::ForOp kLoop) {
      if (!kLoop->removeAttr(kPrefetchRunsAttr))
        return;
      prefetchRuns(rewriter, kLoop, runs);
    });
  return success();
}

void ParallelizeLoopsPass::runOnOperation() {
  // Top-level ops only: nested ones sit in control flow that the outliner
  // does not turn into tasks.
  SmallVector<linalg::LinalgOp> candidates;
  for (func::FuncOp func : getOperation().getOps<func::FuncOp>())
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
    options.setTileSizes(tileSizeValues(rewriter, op, plan->sizes));
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
    parallel->setAttr(BitNetDialect::getParallelGrainAttrName(),
                      rewriter.getI64IntegerAttr(plan->grain));
    rewriter.eraseOp(op);
    bool shortRows = plan->sizes.back() == 0;
    // Jammed group loops multiply the products per accumulator step: a long
    // row keeps about `jam-factor` of them in all.
    int64_t factor = shortRows ? shortRowJamFactor : jamFactor;
    for (unsigned group : plan->groupLoops)
      if (!shortRows)
        factor = std::max<int64_t>(
            1, factor / tiled->op.getStaticLoopRanges()[group]);
    if (plan->jamLoop &&
        failed(jamReduction(rewriter, tiled->op, *plan->jamLoop,
                            plan->groupLoops, factor, shortRows)))
      return signalPassFailure();
  }
}
