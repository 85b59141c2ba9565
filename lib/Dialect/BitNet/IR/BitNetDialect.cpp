//===- BitNetDialect.cpp - BitNet dialect ---------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "mlir/Bytecode/BytecodeImplementation.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::bitnet;

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.cpp.inc"

namespace {
/// Bytecode encoding of #bitnet.ternary. The textual fallback would re-parse
/// `dense_resource<key>` on read, which declares a fresh resource (`key_1`)
/// and loses the packed blob, so the attribute is written field by field and
/// the data as the builtin DenseResourceElementsAttr (which keeps its blob in
/// the bytecode resource section). Other attributes use the textual fallback.
struct BitNetBytecodeInterface : BytecodeDialectInterface {
  BitNetBytecodeInterface(Dialect *dialect)
      : BytecodeDialectInterface(dialect) {}

  enum AttrCode : uint64_t { kTernaryAttr = 0 };

  Attribute readAttribute(DialectBytecodeReader &reader) const override {
    uint64_t code, layout;
    int64_t rows, cols;
    DenseElementsAttr scales;
    DenseResourceElementsAttr data;
    if (failed(reader.readVarInt(code)))
      return {};
    if (code != kTernaryAttr) {
      reader.emitError() << "unknown bitnet attribute code " << code;
      return {};
    }
    if (failed(reader.readSignedVarInt(rows)) ||
        failed(reader.readSignedVarInt(cols)) ||
        failed(reader.readVarInt(layout)) ||
        failed(reader.readAttribute(scales)) ||
        failed(reader.readAttribute(data)))
      return {};
    std::optional<TernaryLayout> parsedLayout =
        symbolizeTernaryLayout(static_cast<uint32_t>(layout));
    if (!parsedLayout) {
      reader.emitError() << "invalid ternary layout " << layout;
      return {};
    }
    return TernaryAttr::getChecked(
        [&] { return reader.emitError(); }, getContext(), rows, cols,
        *parsedLayout, scales, data);
  }

  LogicalResult writeAttribute(Attribute attr,
                               DialectBytecodeWriter &writer) const override {
    auto ternary = dyn_cast<TernaryAttr>(attr);
    if (!ternary)
      return failure();
    writer.writeVarInt(kTernaryAttr);
    writer.writeSignedVarInt(ternary.getRows());
    writer.writeSignedVarInt(ternary.getCols());
    writer.writeVarInt(static_cast<uint64_t>(ternary.getLayout()));
    writer.writeAttribute(ternary.getScales());
    writer.writeAttribute(ternary.getData());
    return success();
  }
};
} // namespace

void BitNetDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "bitnet/Dialect/BitNet/IR/BitNetOps.cpp.inc"
      >();
  addInterfaces<BitNetBytecodeInterface>();
}

Operation *BitNetDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

LogicalResult BitNetDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  if (attr.getName() == getParallelGrainAttrName()) {
    auto grain = dyn_cast<IntegerAttr>(attr.getValue());
    if (!grain || !grain.getType().isInteger(64) || grain.getInt() < 1)
      return op->emitError()
             << "'" << getParallelGrainAttrName() << "' must be a positive i64";
    return success();
  }
  if (attr.getName() != getTargetAttrName())
    return op->emitError() << "unknown bitnet attribute '"
                           << attr.getName().getValue() << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << getTargetAttrName()
                           << "' may only be set on a module";
  if (!isa<TargetAttr>(attr.getValue()))
    return op->emitError() << "'" << getTargetAttrName()
                           << "' must be a #bitnet.target attribute";
  return success();
}
