// RUN: bitnet-opt %s --pass-pipeline="builtin.module(bitnet-parallelize-loops)" | FileCheck %s
// RUN: bitnet-opt %s --pass-pipeline="builtin.module(bitnet-parallelize-loops,func.func(convert-linalg-to-loops),bitnet-outline-loop-nests)" | FileCheck %s --check-prefix=TASK
// RUN: bitnet-opt %s --pass-pipeline="builtin.module(bitnet-parallelize-loops,func.func(convert-linalg-to-loops),bitnet-outline-loop-nests,lower-affine,convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts,bitnet-lower-parallel-tasks)" | FileCheck %s --check-prefix=LLVM
// RUN: bitnet-opt %s --pass-pipeline="builtin.module(bitnet-parallelize-loops{tile-size=4096 min-chunk-work=1 jam-factor=4})" | FileCheck %s --check-prefix=OPTS
// RUN: bitnet-opt %s --pass-pipeline="builtin.module(bitnet-parallelize-loops{short-row-jam-factor=8})" | FileCheck %s --check-prefix=SHORT8

// A decode step's LM head, loops (b, m, k, n) as bitnet-vectorizable-loop-order
// leaves them: every k sweeps the tile of n, so n is split into one run per
// thread of the pool (bitnetParallelWidth at run time, rounded up to whole
// 64-byte lines of the output: 16 f32), the batch rows into
// single rows; the reduction over k stays whole inside each tile, unrolled by
// 16 (jam-factor) into the n loop: each accumulator element is loaded once,
// takes the sixteen products in k order, and is stored once.
// CHECK-LABEL: func.func private @bitnetParallelWidth() -> i64
// CHECK-LABEL: func.func @head
// CHECK: %[[WIDTH:.*]] = call @bitnetParallelWidth() : () -> i64
// CHECK: %[[W:.*]] = arith.index_cast %[[WIDTH]] : i64 to index
// CHECK: %[[SPAN:.*]] = arith.ceildivui %{{.*}}, %[[W]] : index
// CHECK: %[[LINES:.*]] = arith.ceildivui %[[SPAN]], %c16 : index
// CHECK: %[[WHOLE:.*]] = arith.muli %[[LINES]], %c16 : index
// CHECK: %[[STEP:.*]] = arith.maxui %[[WHOLE]], %{{.*}} : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %[[STEP]]) {
// CHECK: memref.subview %{{.*}}[0, %{{.*}}] [2560, %{{.*}}] [1, 1] : memref<2560x128256xi8> to memref<2560x?xi8
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c2560 step %c16{{(_[0-9]+)?}} {
// CHECK-NOT: memref.prefetch
// CHECK-NEXT: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: memref.load %[[OUT:subview_[0-9]+]][%{{.*}}, %{{.*}}, %[[N:[0-9]+]]] : memref<1x1x?xf32
// CHECK-NOT: memref.store
// CHECK-COUNT-16: arith.addf
// CHECK-NOT: memref.load %[[OUT]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%{{.*}}, %{{.*}}, %[[N]]]
// CHECK-NEXT: }
// CHECK: } {bitnet.parallel_grain = 1 : i64}
// OPTS-LABEL: func.func @head
// OPTS: scf.for %{{.*}} = %{{.*}} to %c2560 step %c4 {
// OPTS: } {bitnet.parallel_grain = 1 : i64}
func.func @head(%x: memref<?x1x2560xf32>, %w: memref<2560x128256xi8>, %g: memref<128256xf32>, %out: memref<?x1x128256xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(b, m, k, n) -> (b, m, k)>,
                       affine_map<(b, m, k, n) -> (k, n)>,
                       affine_map<(b, m, k, n) -> (n)>,
                       affine_map<(b, m, k, n) -> (b, m, n)>],
      iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %w, %g : memref<?x1x2560xf32>, memref<2560x128256xi8>, memref<128256xf32>) outs(%out : memref<?x1x128256xf32>) {
  ^bb0(%a: f32, %q: i8, %s: f32, %acc: f32):
    %f = arith.sitofp %q : i8 to f32
    %d = arith.mulf %f, %s : f32
    %p = arith.mulf %a, %d : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// The same head in column blocks (bitnet-block-weight-columns), loops
// (b, m, nb, k, ni): the 64-column run stays whole and the 2004 blocks are
// split instead, one per tile; k is jammed into the ni loop by
// short-row-jam-factor (4, rows 256 bytes of one block; 8 in SHORT8), and
// each jammed iteration prefetches its rows 8 KB (128 rows) ahead, clamped
// to the block's last.
// CHECK-LABEL: func.func @blocked_head
// CHECK-NOT: bitnetParallelWidth
// CHECK: scf.parallel (%{{.*}}, %[[NB:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %{{.*}}) {
// CHECK: memref.subview %{{.*}}[%[[NB]], 0, 0] [1, 2560, 64] [1, 1, 1] : memref<2004x2560x64xi8> to memref<1x2560x64xi8
// CHECK: scf.for %{{.*}} = %{{.*}} to %c2560 step %c4 {
// CHECK: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c128 : index
// CHECK: %[[ROW:.*]] = arith.minui %[[AHEAD]], %c2559 : index
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %[[ROW]], %{{.*}}], read, locality<2>, data : memref<1x2560x64xi8
// CHECK-COUNT-3: memref.prefetch %{{.*}} : memref<1x2560x64xi8
// CHECK-NOT: memref.prefetch
// CHECK: scf.for %{{.*}} = %{{.*}} to %c64 step %{{.*}} {
// CHECK-COUNT-4: arith.addf
// CHECK-NOT: arith.addf
// CHECK: } {bitnet.parallel_grain = 1 : i64}
// SHORT8-LABEL: func.func @blocked_head
// SHORT8: scf.for %{{.*}} = %{{.*}} to %c2560 step %c8 {
// SHORT8-COUNT-8: memref.prefetch %{{.*}} : memref<1x2560x64xi8
func.func @blocked_head(%x: memref<?x1x2560xf32>, %w: memref<2004x2560x64xi8>, %g: memref<2004x64xf32>, %out: memref<?x1x2004x64xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(b, m, nb, k, ni) -> (b, m, k)>,
                       affine_map<(b, m, nb, k, ni) -> (nb, k, ni)>,
                       affine_map<(b, m, nb, k, ni) -> (nb, ni)>,
                       affine_map<(b, m, nb, k, ni) -> (b, m, nb, ni)>],
      iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %w, %g : memref<?x1x2560xf32>, memref<2004x2560x64xi8>, memref<2004x64xf32>) outs(%out : memref<?x1x2004x64xf32>) {
  ^bb0(%a: f32, %q: i8, %s: f32, %acc: f32):
    %f = arith.sitofp %q : i8 to f32
    %d = arith.mulf %f, %s : f32
    %p = arith.mulf %a, %d : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// Row sums: each row is a tile, a chunk needs 8 of them (8 · 4096 sums).
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK: memref.subview %{{.*}}[%{{.*}}, 0] [1, 4096] [1, 1]
// CHECK: } {bitnet.parallel_grain = 8 : i64}
// OPTS-LABEL: func.func @row_sum
// OPTS: } {bitnet.parallel_grain = 1 : i64}
// The task runs iterations [begin, end) of the collapsed loop in order; the
// call covers them all.
// TASK-LABEL: func.func private @row_sum_loop0(
// TASK-SAME: %{{[a-z0-9]+}}: memref<?x4096xf32>, %{{[a-z0-9]+}}: memref<?xf32>, %[[BEGIN:[a-z0-9]+]]: index, %[[END:[a-z0-9]+]]: index)
// TASK-SAME: attributes {bitnet.parallel_grain = 8 : i64}
// TASK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step
// TASK-LABEL: func.func @row_sum(
// TASK: call @row_sum_loop0(%arg0, %arg1, %{{.*}}, %{{.*}})
// The call becomes bitnetParallelFor(count, grain, body, record): the
// arguments go through a record in the caller's frame.
// LLVM: llvm.func @bitnetParallelFor(i64, i64, !llvm.ptr, !llvm.ptr)
// LLVM-LABEL: llvm.func internal @row_sum_loop0_body(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM-COUNT-14: llvm.load
// LLVM: llvm.call @row_sum_loop0(
// LLVM-LABEL: llvm.func @row_sum(
// LLVM: %[[RECORD:[0-9]+]] = llvm.alloca %{{.*}} x !llvm.array<14 x i64>
// LLVM-COUNT-14: llvm.store
// LLVM: %[[GRAIN:[0-9]+]] = llvm.mlir.constant(8 : i64) : i64
// LLVM: %[[BODY:[0-9]+]] = llvm.mlir.addressof @row_sum_loop0_body
// LLVM: llvm.call @bitnetParallelFor(%{{.*}}, %[[GRAIN]], %[[BODY]], %[[RECORD]])
// LLVM-NOT: llvm.call @row_sum_loop0(
// Row sums (innermost loop a reduction): rows become tasks, the sum stays whole.
func.func @row_sum(%x: memref<?x4096xf32>, %out: memref<?xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x4096xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  return
}

// Too little work to share: left alone, and outlined as a plain loop nest.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// TASK-LABEL: func.func private @small_loop0
// TASK-SAME: attributes {passthrough = ["noinline"]} {
// Too little work to share: left alone.
func.func @small(%x: memref<1x2560xf32>, %out: memref<1x2560xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x2560xf32>) outs(%out : memref<1x2560xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}

// A parallel loop the output does not index (the last write wins) is not
// split; the rows are.
// CHECK-LABEL: func.func @broadcast_write
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK: memref.subview %{{.*}}[%{{.*}}, 0] [1, 8192] [1, 1]
// A parallel loop the output does not index (last write wins) is not split.
func.func @broadcast_write(%x: memref<64x8192xf32>, %out: memref<64xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<64x8192xf32>) outs(%out : memref<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// A transpose of the last two dims (the K cache before the attention
// scores): runs of one 64-byte line of positions (16 f32), every head
// dimension inside the tile, so the strided reads revisit the same 16 rows.
// CHECK-LABEL: func.func @key_transpose
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]], %[[P:.*]]) = ({{.*}}) to ({{.*}}) step (%c1{{.*}}, %c1{{.*}}, %c16{{.*}}) {
// CHECK: %[[N:.*]] = affine.min
// CHECK: memref.subview %arg0[%[[B]], %[[H]], 0, %[[P]], 0] [1, 1, 1, %[[N]], 128]
// CHECK: memref.subview %arg1[%[[B]], %[[H]], 0, 0, %[[P]]] [1, 1, 1, 128, %{{.*}}]
// CHECK: linalg.transpose
// CHECK: } {bitnet.parallel_grain = 16 : i64}
func.func @key_transpose(%k: memref<?x5x1x?x128xf32>, %kt: memref<?x5x1x128x?xf32>) {
  linalg.transpose ins(%k : memref<?x5x1x?x128xf32>)
      outs(%kt : memref<?x5x1x128x?xf32>) permutation = [0, 1, 2, 4, 3]
  return
}

// A transpose that keeps the last dim in place reads contiguous runs: its
// innermost loop is split into the usual runs of `tile-size`.
// CHECK-LABEL: func.func @head_transpose
// CHECK: scf.parallel ({{.*}}) step (%c1{{.*}}, %c1{{.*}}, %c1{{.*}}, %c1024{{.*}}) {
func.func @head_transpose(%q: memref<?x?x20x2048xf32>, %qt: memref<?x20x?x2048xf32>) {
  linalg.transpose ins(%q : memref<?x?x20x2048xf32>)
      outs(%qt : memref<?x20x?x2048xf32>) permutation = [0, 2, 1, 3]
  return
}

// Grouped-query attention scores: the 4 query heads of a group (g, static,
// not read by Kᵀ) stay whole in the tile and are jammed with k (16 / 4 = 4
// copies): each Kᵀ element loaded feeds all 4 heads, each head's
// accumulator is stored once per 4 products. Kᵀ's rows (cache positions,
// dynamic) are read as runs of the tile's positions, a row apart: each
// jammed iteration prefetches its 4 rows' runs `ahead` rows on (8 KB / run
// bytes, at least the 4 rows of the next iteration), line by line, clamped
// to the last row; the first `ahead` rows (at most all of them) before the
// loop.
// CHECK-LABEL: func.func @gqa_scores
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = ({{.*}}) to (%c5{{.*}}, %{{.*}}) step
// CHECK: %[[Q:.*]] = memref.subview %arg0[0, %{{.*}}, 0, 0, 0] [1, 1, 4, 1, 128]
// CHECK: %[[KT:.*]] = memref.subview %arg1
// CHECK: %[[S:.*]] = memref.subview %arg2[0, %{{.*}}, 0, 0, %{{.*}}] [1, 1, 4, 1, %{{.*}}]
// CHECK: %[[DIV:.*]] = arith.divui %c8192
// CHECK: %[[AHEAD:.*]] = arith.maxui %[[DIV]], %c4{{.*}} : index
// CHECK: %[[ROWS:.*]] = memref.dim %[[KT]], %c3
// CHECK: %[[PROLOGUE_END:.*]] = arith.addi %{{.*}}, %[[AHEAD]] : index
// CHECK: %[[END:.*]] = arith.minui %[[PROLOGUE_END]], %[[ROWS]] : index
// CHECK: scf.for %[[PROW:.*]] = %{{.*}} to %[[END]] step %{{.*}} {
// CHECK: scf.for %[[PLINE:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK-NEXT: memref.prefetch %[[KT]][%{{.*}}, %{{.*}}, %{{.*}}, %[[PROW]], %[[PLINE]]], read, locality<2>, data
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c128 step %c4
// CHECK-NEXT: %[[FIRST:.*]] = arith.addi %[[K]], %[[AHEAD]] : index
// CHECK: %[[ROW:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK: scf.for %[[LINE:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK-NEXT: memref.prefetch %[[KT]][%{{.*}}, %{{.*}}, %{{.*}}, %[[ROW]], %[[LINE]]], read, locality<2>, data
// CHECK-COUNT-3: memref.prefetch %[[KT]]
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-4: memref.load %[[KT]]
// CHECK-NOT: memref.load %[[KT]]
// CHECK-COUNT-4: memref.store %{{.*}}, %[[S]]
// CHECK-NOT: memref.store
// CHECK: scf.reduce
func.func @gqa_scores(%q: memref<1x5x4x1x128xf32>, %kt: memref<1x5x1x128x?xf32>, %s: memref<1x5x4x1x?xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(b, h, g, t, d, p) -> (b, h, g, t, d)>,
                       affine_map<(b, h, g, t, d, p) -> (b, h, 0, d, p)>,
                       affine_map<(b, h, g, t, d, p) -> (b, h, g, t, p)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%q, %kt : memref<1x5x4x1x128xf32>, memref<1x5x1x128x?xf32>) outs(%s : memref<1x5x4x1x?xf32>) {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  }
  return
}

// Attention's weighted sum of V: rows of 128 floats (512 bytes, longer than
// a column block's), one per cache position (k, dynamic: not jammed). Each
// k iteration prefetches the row 16 rows on (8 KB / 512 bytes), line by
// line, after a prologue that prefetches the first 16.
// CHECK-LABEL: func.func @gqa_values
// CHECK: %[[V:.*]] = memref.subview %arg1
// CHECK: %[[END:.*]] = arith.minui
// CHECK: scf.for %[[PROW:.*]] = %{{.*}} to %[[END]] step %{{.*}} {
// CHECK: scf.for %[[PLINE:.*]] = %{{.*}} to %c128 step %c16
// CHECK-NEXT: memref.prefetch %[[V]][%{{.*}}, %{{.*}}, %{{.*}}, %[[PROW]], %[[PLINE]]]
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %dim{{.*}} step %c1
// CHECK: %[[FIRST:.*]] = arith.addi %[[K]], %{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK: scf.for %[[LINE:.*]] = %{{.*}} to %{{.*}} step %c16
// CHECK-NEXT: memref.prefetch %[[V]][%{{.*}}, %{{.*}}, %{{.*}}, %[[ROW]], %[[LINE]]]
// CHECK-NOT: memref.prefetch
// CHECK: memref.load %[[V]]
func.func @gqa_values(%p: memref<1x5x4x1x?xf32>, %v: memref<1x5x1x?x128xf32>, %o: memref<1x5x4x1x128xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(b, h, g, t, s, d) -> (b, h, g, t, s)>,
                       affine_map<(b, h, g, t, s, d) -> (b, h, 0, s, d)>,
                       affine_map<(b, h, g, t, s, d) -> (b, h, g, t, d)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : memref<1x5x4x1x?xf32>, memref<1x5x1x?x128xf32>) outs(%o : memref<1x5x4x1x128xf32>) {
  ^bb0(%a: f32, %x: f32, %acc: f32):
    %m = arith.mulf %a, %x : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  }
  return
}
