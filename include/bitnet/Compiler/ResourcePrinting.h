//===- ResourcePrinting.h - Textual IR with large blobs streamed -*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// MLIR's textual printer writes each dense_resource blob of the
// `dialect_resources` section as one hex string that it first builds in
// memory (llvm::toHex of the whole blob: a SmallString of twice the blob's
// size, then a std::string copy of it). For a model with GB-sized blobs that
// doubles or triples the process's memory just to print. This prints the
// same bytes while converting large blobs to hex in small chunks.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_COMPILER_RESOURCEPRINTING_H
#define BITNET_COMPILER_RESOURCEPRINTING_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::bitnet {

/// Prints `op` exactly as `op->print(os, flags)` does (same bytes), except
/// that builtin dense_resource blobs of at least `minStreamedBytes` bytes are
/// written to `os` in chunks straight from their data instead of through an
/// in-memory hex string. While it prints, those blobs are swapped for small
/// marker blobs in the context's builtin blob manager (restored before it
/// returns), so nothing else may read them concurrently.
void printOpStreamingResources(Operation *op, llvm::raw_ostream &os,
                               OpPrintingFlags flags,
                               size_t minStreamedBytes = 4096);

} // namespace mlir::bitnet

#endif // BITNET_COMPILER_RESOURCEPRINTING_H
