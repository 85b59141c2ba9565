//===- ONNXImporter.h - ONNX to MLIR import ---------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model into one `func.func @main` over tensors (linalg,
// tensor, arith, math) plus `bitnet` ops. Protobuf stays inside
// lib/Import/ONNX: this header does not include onnx_pb.h.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_IMPORT_ONNX_ONNXIMPORTER_H
#define BITNET_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir {
class MLIRContext;
namespace bitnet {

/// Options of the ONNX importer.
struct ImportOptions {
  /// Recognise BitLinear subgraphs on the ONNX graph and import them as
  /// `bitnet.bitlinear` (the graph-level raising; see ONNXImporter.cpp).
  bool raiseBitLinear = true;
  /// Constants with more elements than this become `dense_resource` blobs.
  int64_t maxInlineElements = 16;
  /// Name of the generated function.
  std::string entryName = "main";
};

/// Imports the ONNX model in the file `path`. Diagnostics name the file;
/// returns failure on any unreadable, malformed or unsupported input.
FailureOr<OwningOpRef<ModuleOp>> importONNXFile(StringRef path,
                                                MLIRContext *context,
                                                const ImportOptions &options);

/// Imports a serialized ONNX model held in `buffer`. `bufferName` is used in
/// diagnostics; external data files are looked up relative to `baseDir`.
FailureOr<OwningOpRef<ModuleOp>>
importONNXBuffer(StringRef buffer, StringRef bufferName, StringRef baseDir,
                 MLIRContext *context, const ImportOptions &options);

/// Registers the dialects the importer produces.
void registerONNXImportDialects(MLIRContext *context);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_IMPORT_ONNX_ONNXIMPORTER_H
