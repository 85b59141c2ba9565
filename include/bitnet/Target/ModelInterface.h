//===- ModelInterface.h - The compiler side of the model ABI ------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Helpers shared by the passes that generate the symbols of
// include/bitnet-c/ModelInterface.h.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TARGET_MODELINTERFACE_H
#define BITNET_TARGET_MODELINTERFACE_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Types.h"
#include <optional>

namespace mlir::bitnet {

/// The symbols the runtime links against.
inline constexpr const char *kModelRunSymbol = "__bitnet_model_run";
inline constexpr const char *kModelMetadataSymbol = "__bitnet_model_metadata";

/// The bitnet_dtype_t (ONNX TensorProto.DataType) of a boundary tensor with
/// element type `type`; `onnxElemType` (the importer's `onnx.elem_type`)
/// disambiguates signless integers (int8 vs uint8). None if the type cannot
/// cross the boundary.
std::optional<int32_t> getModelDType(Type type, IntegerAttr onnxElemType);

} // namespace mlir::bitnet

#endif // BITNET_TARGET_MODELINTERFACE_H
