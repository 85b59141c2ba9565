//===- ResourcePrintingTest.cpp - streamed dense_resource printing --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Compiler/ResourcePrinting.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <random>
#include <string>

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// A module with i8 constants of the given sizes, each in a heap blob of
/// random bytes (the random bytes include the marker's magic once).
OwningOpRef<ModuleOp> buildModule(MLIRContext &ctx,
                                  ArrayRef<int64_t> sizes) {
  ctx.loadDialect<arith::ArithDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, "f", b.getFunctionType({}, {}));
  b.setInsertionPointToStart(func.addEntryBlock());
  std::mt19937 rng(7);
  for (auto [i, size] : llvm::enumerate(sizes)) {
    std::vector<char> bytes(size);
    for (char &c : bytes)
      c = static_cast<char>(rng());
    // A blob that starts like a marker without being one.
    const uint8_t magic[] = {0x9B, 0x1E, 0x7A, 0x5C, 0xD3, 0x42, 0xE8, 0x0F};
    if (i == 0 && size >= 16) {
      std::memcpy(bytes.data(), magic, 8);
      std::memset(bytes.data() + 8, 0, 8); // "index 0"
    }
    // One that has the marker's text inside.
    if (i == 1 && size >= 32) {
      std::memcpy(bytes.data() + 9, magic, 8);
      std::memset(bytes.data() + 17, 0, 8);
    }
    auto type = RankedTensorType::get({size}, b.getIntegerType(8));
    auto attr = DenseResourceElementsAttr::get(
        type, "blob",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(bytes)));
    arith::ConstantOp::create(b, loc, attr);
  }
  func::ReturnOp::create(b, loc);
  return module;
}

std::string upstreamText(Operation *op, OpPrintingFlags flags = {}) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->print(os, flags);
  return s;
}

std::string streamedText(Operation *op, size_t minBytes,
                         OpPrintingFlags flags = {}) {
  std::string s;
  llvm::raw_string_ostream os(s);
  printOpStreamingResources(op, os, flags, minBytes);
  os.flush();
  return s;
}

TEST(ResourcePrinting, SameTextAsUpstream) {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module =
      buildModule(ctx, {70000, 100000, 3, 4096, 4095, 200000, 16});
  std::string expected = upstreamText(*module);
  ASSERT_NE(expected.find("dialect_resources"), std::string::npos);
  for (size_t minBytes : {size_t(0), size_t(1), size_t(16), size_t(4096),
                          size_t(150000), size_t(1) << 20})
    EXPECT_EQ(streamedText(*module, minBytes), expected) << minBytes;
  // With debug info (locations) too.
  OpPrintingFlags debug;
  debug.enableDebugInfo();
  EXPECT_EQ(streamedText(*module, 16, debug), upstreamText(*module, debug));
}

TEST(ResourcePrinting, RestoresTheBlobs) {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module = buildModule(ctx, {50000, 8192});
  std::string before = upstreamText(*module);
  (void)streamedText(*module, 1);
  EXPECT_EQ(upstreamText(*module), before);
}

TEST(ResourcePrinting, NoResources) {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module = buildModule(ctx, {});
  EXPECT_EQ(streamedText(*module, 1), upstreamText(*module));
}

TEST(ResourcePrinting, NestedOpAndInvalidModule) {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module = buildModule(ctx, {9000, 20000});
  // A nested op, with and without local scope.
  Operation *func = &module->getBody()->front();
  EXPECT_EQ(streamedText(func, 1), upstreamText(func));
  OpPrintingFlags local;
  local.useLocalScope();
  EXPECT_EQ(streamedText(func, 1, local), upstreamText(func, local));
  // A module that does not verify (a function without its terminator) is
  // printed in the generic form, as upstream does.
  func->getRegion(0).front().back().erase();
  std::string generic = upstreamText(*module);
  EXPECT_NE(generic.find("\"func.func\""), std::string::npos);
  EXPECT_EQ(streamedText(*module, 1), generic);
}

} // namespace
