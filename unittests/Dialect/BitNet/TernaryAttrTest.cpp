//===- TernaryAttrTest.cpp - #bitnet.ternary construction -----------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/IR/TernaryPacking.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::bitnet;

namespace {

class TernaryAttrTest : public ::testing::Test {
protected:
  TernaryAttrTest() { context.loadDialect<BitNetDialect>(); }

  /// A resource-backed i8 blob holding `bytes`.
  DenseResourceElementsAttr blob(ArrayRef<uint8_t> bytes) {
    auto type = RankedTensorType::get({static_cast<int64_t>(bytes.size())},
                                      IntegerType::get(&context, 8));
    return DenseResourceElementsAttr::get(
        type, "w",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size())));
  }

  DenseElementsAttr scales(ArrayRef<float> values) {
    auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      Float32Type::get(&context));
    return DenseElementsAttr::get(type, values);
  }

  /// Builds the attribute and returns the verifier's message ("" if valid).
  std::string verify(int64_t rows, int64_t cols, TernaryLayout layout,
                     DenseElementsAttr s, DenseResourceElementsAttr data) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      message = diag.str();
      return success();
    });
    TernaryAttr attr = TernaryAttr::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context, rows,
        cols, layout, s, data);
    EXPECT_EQ(static_cast<bool>(attr), message.empty());
    return message;
  }

  MLIRContext context;
};

TEST_F(TernaryAttrTest, AcceptsPackedWeights) {
  SmallVector<int8_t> w = {1, 0, -1, 1, -1, 0, 0, 1, 1, 1};
  auto packed = packTernaryPlain(w, 2, 5);
  ASSERT_TRUE(packed);
  EXPECT_EQ(verify(2, 5, TernaryLayout::plain, scales({0.5f}), blob(*packed)),
            "");
  EXPECT_EQ(verify(2, 5, TernaryLayout::plain, scales({0.5f, 0.25f}),
                   blob(*packed)),
            "");
}

TEST_F(TernaryAttrTest, RejectsWrongByteCount) {
  SmallVector<uint8_t> bytes(3, 0x55);
  EXPECT_EQ(verify(2, 5, TernaryLayout::plain, scales({1.0f}), blob(bytes)),
            "layout plain of a 2x5 matrix needs 4 bytes, got 3");
}

TEST_F(TernaryAttrTest, RejectsCodeThree) {
  SmallVector<uint8_t> bytes = {0x55, 0xFF};
  EXPECT_EQ(verify(1, 8, TernaryLayout::plain, scales({1.0f}), blob(bytes)),
            "invalid ternary code 3 in packed byte 1");
}

TEST_F(TernaryAttrTest, RejectsBadScales) {
  SmallVector<uint8_t> bytes(2, 0x55);
  EXPECT_EQ(verify(2, 4, TernaryLayout::plain, scales({1.0f, 2.0f, 3.0f}),
                   blob(bytes)),
            "expected 1 or 2 scales, got 3");
  EXPECT_EQ(verify(2, 4, TernaryLayout::plain, scales({-1.0f}), blob(bytes)),
            "scales must be finite and positive, got -1.000000e+00");
}

TEST_F(TernaryAttrTest, KernelLayoutSizes) {
  // i2: tiles of 4 rows, each row whole 64-byte units of 256 weights;
  // lut: 5 bits per 3 weights.
  SmallVector<uint8_t> i2(4 * 64, 0);
  EXPECT_EQ(verify(2, 130, TernaryLayout::i2, scales({1.0f}), blob(i2)), "");
  SmallVector<uint8_t> i2TwoTiles(2 * 4 * 2 * 64, 0);
  EXPECT_EQ(verify(5, 257, TernaryLayout::i2, scales({1.0f}), blob(i2TwoTiles)),
            "");
  EXPECT_NE(verify(5, 257, TernaryLayout::i2, scales({1.0f}), blob(i2)), "");
  SmallVector<uint8_t> lut(1 * (22 + 6), 0); // 44 groups of 3 for K = 130
  EXPECT_EQ(verify(1, 130, TernaryLayout::lut, scales({1.0f}), blob(lut)), "");
}

} // namespace
