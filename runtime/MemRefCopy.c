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

/// Copies `count` elements `srcStep` and `dstStep` bytes apart. A memcpy of
/// a constant size is one move; a libc call per element made the decode
/// step's K-cache write (640 floats, each on its own cache line) cost 27 us
/// per layer of the 2B model.
static void copyElements(int64_t elemSize, int64_t count, const char *src,
                         int64_t srcStep, char *dst, int64_t dstStep) {
#define BITNET_COPY_ELEMENTS(SIZE)                                             \
  for (int64_t i = 0; i < count; ++i, src += srcStep, dst += dstStep)          \
    memcpy(dst, src, SIZE);                                                    \
  return
  switch (elemSize) {
  case 1:
    BITNET_COPY_ELEMENTS(1);
  case 2:
    BITNET_COPY_ELEMENTS(2);
  case 4:
    BITNET_COPY_ELEMENTS(4);
  case 8:
    BITNET_COPY_ELEMENTS(8);
  default:
    BITNET_COPY_ELEMENTS((size_t)elemSize);
  }
#undef BITNET_COPY_ELEMENTS
}

void memrefCopy(int64_t elemSize, BitNetUnrankedMemRef *src,
                BitNetUnrankedMemRef *dst) {
  int64_t fullRank = src->rank;
  const StridedDescriptor *from = src->descriptor;
  const StridedDescriptor *to = dst->descriptor;
  char *srcBase = from->aligned + from->offset * elemSize;
  char *dstBase = to->aligned + to->offset * elemSize;

  // Unit dims do not move either side (their strides are arbitrary): drop
  // them, so that the innermost dim below is one that has extent.
  int64_t rank = 0;
  int64_t sizes[fullRank > 0 ? fullRank : 1];
  int64_t srcStrides[fullRank > 0 ? fullRank : 1];
  int64_t dstStrides[fullRank > 0 ? fullRank : 1];
  for (int64_t d = 0; d < fullRank; ++d) {
    int64_t size = from->sizesAndStrides[d];
    if (size <= 0)
      return;
    if (size == 1)
      continue;
    sizes[rank] = size;
    srcStrides[rank] = from->sizesAndStrides[fullRank + d];
    dstStrides[rank] = to->sizesAndStrides[fullRank + d];
    ++rank;
  }
  if (rank == 0) {
    memcpy(dstBase, srcBase, (size_t)elemSize);
    return;
  }

  // Both sides dense and row-major over the same extents: one memcpy.
  int contiguous = 1;
  int64_t expected = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (srcStrides[d] != expected || dstStrides[d] != expected)
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
    if (unitInner)
      memcpy(dstRow, srcRow, (size_t)(inner * elemSize));
    else
      copyElements(elemSize, inner, srcRow, srcInner, dstRow, dstInner);
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
