//===- MemRefCopy.c - memrefCopy for MLIR-generated code ----------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The strided copy that `memref.copy` lowers to when a layout is not the
// identity (upstream's version lives in mlir_c_runner_utils, which a model
// library does not link). Hidden: only the generated code of the same
// library calls it.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <string.h>

/// The ranked descriptor behind an unranked memref: `rank` sizes then `rank`
/// strides follow the offset.
typedef struct StridedDescriptor {
  void *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} StridedDescriptor;

void memrefCopy(int64_t elemSize, BitNetUnrankedMemRef *src,
                BitNetUnrankedMemRef *dst) {
  int64_t rank = src->rank;
  const StridedDescriptor *from = src->descriptor;
  const StridedDescriptor *to = dst->descriptor;
  const int64_t *sizes = from->sizesAndStrides;
  const int64_t *srcStrides = from->sizesAndStrides + rank;
  const int64_t *dstStrides = to->sizesAndStrides + rank;
  char *srcBase = from->aligned + from->offset * elemSize;
  char *dstBase = to->aligned + to->offset * elemSize;
  if (rank == 0) {
    memcpy(dstBase, srcBase, (size_t)elemSize);
    return;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (sizes[d] <= 0)
      return;

  // Both sides dense and row-major over the same extents: one memcpy.
  int64_t contiguous = 1;
  int64_t expected = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (sizes[d] != 1 &&
        (srcStrides[d] != expected || dstStrides[d] != expected))
      contiguous = 0;
    expected *= sizes[d];
  }
  if (contiguous) {
    memcpy(dstBase, srcBase, (size_t)(expected * elemSize));
    return;
  }

  // Odometer over the outer dims; the innermost dim is one memcpy when both
  // sides are unit-stride, else an element loop.
  int64_t indices[rank];
  memset(indices, 0, sizeof(indices));
  int64_t inner = sizes[rank - 1];
  int64_t srcInner = srcStrides[rank - 1] * elemSize;
  int64_t dstInner = dstStrides[rank - 1] * elemSize;
  int unitInner = srcStrides[rank - 1] == 1 && dstStrides[rank - 1] == 1;
  char *srcRow = srcBase;
  char *dstRow = dstBase;
  for (;;) {
    if (unitInner) {
      memcpy(dstRow, srcRow, (size_t)(inner * elemSize));
    } else {
      const char *s = srcRow;
      char *t = dstRow;
      for (int64_t i = 0; i < inner; ++i, s += srcInner, t += dstInner)
        memcpy(t, s, (size_t)elemSize);
    }
    int64_t d = rank - 2;
    for (; d >= 0; --d) {
      srcRow += srcStrides[d] * elemSize;
      dstRow += dstStrides[d] * elemSize;
      if (++indices[d] < sizes[d])
        break;
      srcRow -= sizes[d] * srcStrides[d] * elemSize;
      dstRow -= sizes[d] * dstStrides[d] * elemSize;
      indices[d] = 0;
    }
    if (d < 0)
      return;
  }
}
