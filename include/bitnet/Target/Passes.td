//===- Passes.td - Model library passes ---------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Passes that turn a compiled graph into the entry point of a model library
// (include/bitnet-c/ModelInterface.h).
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TARGET_PASSES_TD
#define BITNET_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def BitNetGenerateModelInterface
    : Pass<"bitnet-generate-model-interface", "::mlir::ModuleOp"> {
  let summary = "Generate a model library's entry point and metadata";
  let description = [{
    Runs after bufferization, on the module whose `entry` function takes and
    returns identity-layout memrefs. Generates the two symbols of the
    compiler/runtime contract in `include/bitnet-c/ModelInterface.h`:

    * `__bitnet_model_run(inputs, outputs)`: a function over `!llvm.ptr`s
      that builds a memref descriptor for each input from its (data, shape)
      pair, calls the entry function, and stores each returned buffer's
      malloc'ed pointer, data pointer and extents into `outputs`;
    * `__bitnet_model_metadata`: the text record of the graph name, the
      target (from `bitnet.target`), the CPU features the code requires, and
      each input and output (ONNX name from `onnx.name`, element type from
      `onnx.elem_type` or the memref type, extents, `onnx.dim_params`), and
      the KV caches and cache-length input made by `bitnet-kv-cache`.

    The entry function's results must be buffers it owns (the ownership-based
    buffer deallocation pipeline guarantees this for public functions), so
    the runtime can free them.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "The function the library runs">,
    Option<"requiredFeatures", "required-features", "std::string",
           /*default=*/"\"\"",
           "Space-separated CPU features the runtime checks at load time "
           "(vocabulary in ModelInterface.h)">,
  ];
}

def BitNetParallelizeLoops
    : Pass<"bitnet-parallelize-loops", "::mlir::ModuleOp"> {
  let summary = "Tile buffer-level linalg ops into scf.parallel loops of "
                "independent output tiles";
  let description = [{
    The generated loops (norms, attention, quantizers, a float or int8 LM
    head) run on the model's thread pool like the microkernels. This pass
    tiles every top-level linalg op on buffers whose work is large enough:
    its innermost loop, if parallel and present in every output, into tiles
    of `tile-size` elements, its other parallel loops (that every output
    reads) into single iterations, and leaves reduction loops whole.

    A contraction that runs its reduction outside the innermost loop (an LM
    head as (k, n)) sweeps the whole tile of n for every k, so that loop is
    split instead into one run per thread, sized at run time from the
    runtime's `bitnetParallelWidth()`: weight rows stream in runs of
    N / threads elements (one thread: not split), rounded up to whole 64-byte
    lines of the output, so that no two threads write one line and only the
    last run has a vector remainder (attention scores at two threads, 8 to
    208 positions: 30 % less thread time). Such a tile is lowered to
    loops here with k unrolled by `jam-factor` (or the largest power of two
    below it that divides K) into the n loop and the accumulator element
    kept in a register across the copies: one load and store per 16
    products, in the same k order. (An LM head's accumulator row is 0.5 MB:
    read and written once per k it would compete with the weight stream for
    L2; 16 against 4 took the 2B decode from 71 to 89 tokens/s on two
    threads of the head-dominated two-layer variant.)
    A short innermost loop (at most `tile-size`: a column block of
    `bitnet-block-weight-columns`, an attention head) is not split when a
    static outer parallel loop can be split instead; k is jammed by
    `short-row-jam-factor`, and the inputs read as (..., k, n) in such a
    tile (rows of at most 256 bytes) are prefetched 8 KB ahead along k into
    L2: the jammed accumulation chains fill the out-of-order window before
    the hardware prefetchers get that far (an int8 2B-model head: 29 to 33
    tokens/s decode on one Zen 5 thread; into L2 rather than L1, 12.5 to
    13.6 on one Intel server thread). Its accumulator is one short row that
    stays in L1, so jamming saves little there, while each jammed iteration
    issues its rows' prefetches in one burst: 4 rows rather than 16 took the
    Intel decode from 12.8 to 13.5 tokens/s on one thread and 23.4 to 24.5
    on two (2 rows: 12.9 and 23.9).
    Inputs whose rows are longer (up to 1 KB) or dynamic and read as runs of
    the tile's n (attention's Kᵀ, a cache capacity apart, and V) are
    prefetched at the start of each jammed k iteration, each 64-byte line of
    the runs of its rows 8 KB of runs ahead: the hardware prefetchers do not
    follow runs of a few lines from rows 1 KB apart (2B-model decode on two
    Intel threads: attention scores 49 to 36 us and the weighted sum of V 30-39
    to 23 us per layer at 128-192 positions). The first 8 KB of runs are
    prefetched before the k loop: a decode step's attention tiles are short
    (on two threads, Kᵀ runs of half the positions: 37 of a head's 128 rows
    came in by demand misses), and the two-thread scores took 2.7 times
    the thread time of one (2B-model decode on Zen 5, 128 + 32 tokens,
    medians of 6 rounds: 32.4 to 35.0 tokens/s on one thread, 50.6 to 62.5 on
    two).

    In such a contraction, a short static parallel loop outside k that the
    swept operand does not index but another input does (the query heads
    of a grouped-query attention group, all reading one Kᵀ or V) is kept
    whole in the tile and unrolled and jammed with k, whose factor is
    divided by its trip count for long rows: loads of the inputs (which the
    op does not write) move above the accumulator stores, so each element
    of the shared operand is loaded once for the whole group rather than
    once per head (2B-model decode, 128 + 32 tokens: 13.0 to 14.2 tokens/s
    on one Intel thread, 24.0 to 26.5 on two; 1000-token prompt prefill 44
    to 52).

    A transpose whose innermost loop reads its input with a stride (the K
    cache before the attention scores, `[..., T, D] -> [..., D, T]`) is
    tiled into runs of one 64-byte line of that loop with the loop its input
    is contiguous in whole inside the tile: every iteration then revisits
    the same few input lines in L1 instead of sweeping `tile-size` rows of
    the cache per element (2B-model decode at 128 to 384 positions, one
    Intel thread: 11.9 to 12.4 tokens/s, medians of 3).

    The tiles are an `scf.parallel` that `bitnet-outline-loop-nests` turns into
    a task of the runtime's `bitnetParallelFor`, and carry in
    `bitnet.parallel_grain` how many iterations make a chunk worth a thread.

    Each output element is still computed by one iteration in the same
    order (reductions stay inside a tile), so results are bit-identical and
    independent of the thread count.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"1024",
           "Elements of the innermost loop per tile">,
    Option<"minChunkWork", "min-chunk-work", "int64_t", /*default=*/"32768",
           "Innermost iterations a chunk of tiles must hold to run on "
           "another thread">,
    Option<"jamFactor", "jam-factor", "int64_t", /*default=*/"16",
           "Most reduction iterations unrolled and jammed into the "
           "contiguous loop of a contraction (a power of two; the largest "
           "that divides the trip count is used)">,
    Option<"shortRowJamFactor", "short-row-jam-factor", "int64_t",
           /*default=*/"4",
           "The same for a tile whose innermost loop is a whole short run "
           "(a column block, an attention head)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect"];
}

def BitNetOutlineLoopNests
    : Pass<"bitnet-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Give each top-level loop nest its own non-inlined function";
  let description = [{
    After lowering to loops a whole model is one function with thousands of
    loops, and LLVM's function passes (loop rotation, instcombine, register
    allocation) are superlinear in function size. This pass moves every
    top-level `scf.for`/`scf.parallel` of each function with a body into a
    private function `<name>_loop<N>` marked `noinline`, called in its
    place, which keeps LLVM's work per function small: it cuts compile time
    several-fold and changes no result (the loops are moved, not altered).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def BitNetPrepareModelEntry
    : Pass<"bitnet-prepare-model-entry", "::mlir::ModuleOp"> {
  let summary = "Check and seal the function a model library exports";
  let description = [{
    Runs on tensors, before bufferization. Checks that the `entry` function
    exists and that every argument and result is a ranked tensor whose
    element type a model library can exchange (f16, f32, f64, i1, i8, i16,
    i32, i64), and marks the arguments `bufferization.writable = false`: a
    run only reads the caller's input buffers. KV caches made by
    `bitnet-kv-cache` (`bitnet.kv_cache`) are the exception: written in place.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "The function the library runs">,
  ];
}

def BitNetVectorizableLoopOrder
    : Pass<"bitnet-vectorizable-loop-order"> {
  let summary = "Put a contiguous parallel loop innermost in reductions";
  let description = [{
    The importer and the reference lowering write contractions (MatMul,
    attention) as `linalg.generic` ops with the reduction loop last, which
    `convert-linalg-to-loops` turns into an innermost scalar loop: with
    strict float semantics (no reassociation) LLVM cannot vectorize it, and
    a `[K, N]` weight is then read with a stride of N elements. This pass
    interchanges such a generic so that the output's innermost dimension
    (a parallel loop, contiguous in the output and in every operand that
    reads it) becomes the innermost loop: `C[m, n] += A[m, k] * B[k, n]`
    runs as loops (m, k, n), vectorizes over n and streams B row by row.

    Every output element still accumulates its reduction in the same
    order, so results are bit-identical; only the order in which different
    elements progress changes.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def BitNetBlockWeightColumns
    : Pass<"bitnet-block-weight-columns"> {
  let summary = "Store a contraction's constant [K, N] weight as column blocks";
  let description = [{
    After `bitnet-vectorizable-loop-order`, a contraction with a constant
    weight `W[K, N]` (an LM head) runs as loops (..., k, n), and
    `bitnet-parallelize-loops` jams 16 values of k into the n loop: 16 weight
    rows, N elements apart, are then streamed at once, which the hardware
    prefetchers follow poorly (an int8 2B-model head read at 68 % of the
    machine's stream bandwidth).

    This pass splits n into (nb, ni), ni of B = 64, 32 or 16 elements (the
    largest that divides N), moves nb outside k, and lays the constant out
    again as `[N / B, K, B]`: a block of B columns is then one sequential
    stream of K·B elements, and the 16 jammed rows are 16·B consecutive
    ones. The other operands indexed by n and the output are reshaped to
    `[..., N / B, B]` (`tensor.expand_shape`, a view), the result back.
    Every output element takes the same operations in the same k order:
    results are bit-identical.

    Applies to `linalg.generic` ops with one output whose last loop is
    parallel (n), whose last but one is their only reduction (k), and with an
    input that is a rank-2 `dense_resource` constant indexed (k, n), with a
    static N that 16 divides into at least two blocks.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def BitNetFuseElementwise : Pass<"bitnet-fuse-elementwise"> {
  let summary = "Fuse elementwise ops into their only consumer, computing "
                "each element once";
  let description = [{
    The importer and the reference lowering write every ONNX node and every
    step of the numeric contract (scale, round, clamp, residual add, RoPE,
    ReLU², ...) as its own `linalg.generic`. Run as written, each one is a
    loop nest of its own with a buffer of its own: in a decode step, where a
    tensor is one token wide, their allocation, loop and call overhead and
    the passes over memory cost more than their arithmetic, and they run on
    one thread between the parallel matmuls.

    This pass fuses an all-parallel `linalg.generic` into the generic that
    consumes its result (upstream elementwise fusion) when that consumer is
    its only user and reads it through a permutation of all its loops, so
    that every element is still computed exactly once (no recomputation
    under a broadcast). Each element takes the same float operations in the
    same order: with the backend's strict FP-op fusion, results are
    bit-identical.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def BitNetFuseWeightDequantization
    : Pass<"bitnet-fuse-weight-dequantization"> {
  let summary = "Dequantize constant weights where the consumer reads them";
  let description = [{
    A non-ternary int8 weight (an export's `Mul(Cast(w_int8), scale)`) is
    imported as elementwise ops on the int8 constant. Run as written they
    would materialize the float32 weight, 4 bytes per element, at every
    call. This pass fuses such elementwise chains whose inputs are all
    constants into their consumers (upstream elementwise fusion, restricted
    to constant-derived producers): the matmul then reads the int8 data and
    the scales and dequantizes each element as it multiplies, with the same
    float operations in the same order, so results are bit-identical.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def BitNetLowerParallelTasks
    : Pass<"bitnet-lower-parallel-tasks", "::mlir::ModuleOp"> {
  let summary = "Run outlined parallel-loop tasks on the runtime's thread "
                "pool";
  let description = [{
    At the LLVM dialect level, replaces each call of a task function (an
    `llvm.func` carrying `bitnet.parallel_grain`, outlined by
    `bitnet-outline-loop-nests` from an `scf.parallel`) by a call of the
    runtime's `bitnetParallelFor(count, grain, body, context)`: the call's
    arguments are stored in a stack record, and a generated
    `<task>_body(context, begin, end)` loads them and runs the task on the
    sub-range. Without a thread pool (one thread) the runtime calls the body
    once over the whole range, which is the original call.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def BitNetDeallocAfterLastUse
    : Pass<"bitnet-dealloc-after-last-use"> {
  let summary = "Free each buffer right after its last use";
  let description = [{
    Ownership-based buffer deallocation frees a block's buffers at the end of
    the block: in a model's straight-line entry function every intermediate
    of every layer stays allocated until the function returns, and a
    128-token prefill of a 2B model touches over a gigabyte of fresh heap
    (a page fault per 4 KiB). This pass moves each `memref.dealloc` of a
    `memref.alloc` of the same block up to just after the last operation of
    the block that uses the buffer or a view of it (through
    `ViewLikeOpInterface`), so the allocator reuses the memory for later
    layers. A buffer with a use that could create an alias other than a view
    (an operation with memref results, a store of the memref) is left alone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // BITNET_TARGET_PASSES_TD
