//===- BitNetDialect.cpp - BitNet dialect ---------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Dialect/BitNet/IR/BitNetOps.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::bitnet;

#include "bitnet/Dialect/BitNet/IR/BitNetDialect.cpp.inc"

void BitNetDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "bitnet/Dialect/BitNet/IR/BitNetOps.cpp.inc"
      >();
}

Operation *BitNetDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

LogicalResult BitNetDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  if (attr.getName() != getTargetAttrName())
    return op->emitError() << "unknown bitnet attribute '" << attr.getName()
                           << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << getTargetAttrName()
                           << "' may only be set on a module";
  if (!isa<TargetAttr>(attr.getValue()))
    return op->emitError() << "'" << getTargetAttrName()
                           << "' must be a #bitnet.target attribute";
  return success();
}
