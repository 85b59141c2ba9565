//===- ir-fuzzer.cpp - libFuzzer target for textual bitnet IR -------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses the input as textual IR with the bitnet dialect and the upstream
// dialects its tests use, verifies it, and on success runs the bitnet
// canonicalization patterns and folders and verifies again. Parsers and
// verifiers must reject bad IR with a diagnostic (swallowed here); folders and
// patterns must keep valid IR valid (a module that stops verifying aborts).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // MLIR's lexer relies on a NUL after the buffer, as every MemoryBuffer
  // that bitnet-opt reads has; libFuzzer's input has none, so parse a copy
  // (a lexed identifier at the very end of the input would otherwise be read
  // past it).
  std::string copy(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text(copy);
  // Known upstream bug (MLIR 22): a `dialect_resources` hex blob whose first
  // 4 bytes (the alignment) are 0 passes the parser's power-of-two check
  // (`align && !isPowerOf2_32(align)`) and reaches allocate_buffer(size, 0),
  // which aborts ("Buffer allocation failed"; mlir-opt does the same). Not
  // ours to fix; skip such inputs so the run can go on. See docs/Testing.md.
  if (text.contains("\"0x00000000"))
    return 0;
  mlir::DialectRegistry registry;
  registry.insert<mlir::arith::ArithDialect, mlir::bitnet::BitNetDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler swallow(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });

  mlir::ParserConfig config(&context, /*verifyAfterParse=*/false);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          text, config);
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  (*module)->print(llvm::nulls());

  // The bitnet canonicalization patterns, plus every op's folder.
  mlir::RewritePatternSet patterns(&context);
  for (mlir::RegisteredOperationName op :
       context.getRegisteredOperationsByDialect("bitnet"))
    op.getCanonicalizationPatterns(patterns, &context);
  mlir::GreedyRewriteConfig greedy;
  greedy.setMaxIterations(4);
  (void)mlir::applyPatternsGreedily(*module, std::move(patterns), greedy);
  if (mlir::failed(mlir::verify(*module))) {
    llvm::errs() << "canonicalization produced IR that does not verify\n";
    std::abort();
  }
  return 0;
}
