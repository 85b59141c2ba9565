//===- GenerateModelInterface.cpp - A model library's entry point --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Generates `__bitnet_model_run` and `__bitnet_model_metadata`
// (include/bitnet-c/ModelInterface.h). The wrapper is a func.func over
// `!llvm.ptr`s that moves between the runtime's (data, shape) records and
// memref descriptors with `unrealized_conversion_cast`s; func-to-llvm turns
// the casts into no-ops, so the descriptors it builds are exactly the ones
// the lowered entry function takes and returns.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Target/ModelInterface.h"
#include "bitnet/Dialect/BitNet/IR/BitNetAttrs.h"
#include "bitnet/Target/Passes.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::bitnet {
#define GEN_PASS_DEF_BITNETGENERATEMODELINTERFACE
#include "bitnet/Target/Passes.h.inc"
} // namespace mlir::bitnet

using namespace mlir;
using namespace mlir::bitnet;

std::optional<int32_t> mlir::bitnet::getModelDType(Type type,
                                                   IntegerAttr onnxElemType) {
  // ONNX TensorProto.DataType numbers (= bitnet_dtype_t).
  enum : int32_t {
    kFloat = 1, kUInt8 = 2, kInt8 = 3, kUInt16 = 4, kInt16 = 5, kInt32 = 6,
    kInt64 = 7, kBool = 9, kFloat16 = 10, kDouble = 11, kUInt32 = 12,
    kUInt64 = 13,
  };
  std::optional<int32_t> dtype;
  if (type.isF32())
    dtype = kFloat;
  else if (type.isF64())
    dtype = kDouble;
  else if (type.isF16())
    dtype = kFloat16;
  else if (auto it = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = it.isUnsigned();
    switch (it.getWidth()) {
    case 1:
      dtype = kBool;
      break;
    case 8:
      dtype = isUnsigned ? kUInt8 : kInt8;
      break;
    case 16:
      dtype = isUnsigned ? kUInt16 : kInt16;
      break;
    case 32:
      dtype = isUnsigned ? kUInt32 : kInt32;
      break;
    case 64:
      dtype = isUnsigned ? kUInt64 : kInt64;
      break;
    default:
      break;
    }
  }
  // The importer's ONNX type wins where the bit width agrees (uint8 is a
  // signless i8 in MLIR).
  if (dtype && onnxElemType) {
    int32_t onnx = onnxElemType.getInt();
    auto sameWidth = [](int32_t a, int32_t b) {
      auto bits = [](int32_t t) {
        switch (t) {
        case kBool: case kUInt8: case kInt8: return 8;
        case kUInt16: case kInt16: case kFloat16: return 16;
        case kFloat: case kInt32: case kUInt32: return 32;
        default: return 64;
        }
      };
      return bits(a) == bits(b);
    };
    if (sameWidth(*dtype, onnx) && (*dtype == kInt8 || *dtype == kInt16 ||
                                    *dtype == kInt32 || *dtype == kInt64))
      dtype = onnx;
  }
  return dtype;
}

/// Percent-encodes `name` for the metadata text (ModelInterface.h).
static void writeName(llvm::raw_ostream &os, StringRef name) {
  if (name.empty()) {
    os << '%';
    return;
  }
  for (unsigned char c : name) {
    if (c > 0x20 && c < 0x7f && c != '%')
      os << c;
    else
      os << '%' << llvm::hexdigit(c >> 4) << llvm::hexdigit(c & 15);
  }
}

namespace {
struct GenerateModelInterfacePass
    : mlir::bitnet::impl::BitNetGenerateModelInterfaceBase<GenerateModelInterfacePass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult writeMetadata(func::FuncOp func, llvm::raw_ostream &os);
  void buildRunFunction(func::FuncOp func, OpBuilder &b);
};
} // namespace

LogicalResult
GenerateModelInterfacePass::writeMetadata(func::FuncOp func,
                                          llvm::raw_ostream &os) {
  ModuleOp module = getOperation();
  os << "bitnet-model 1\nname ";
  auto graphName = module->getAttrOfType<StringAttr>("onnx.graph");
  writeName(os, graphName ? graphName.getValue() : StringRef("model"));
  os << "\ntarget ";
  if (auto target = module->getAttrOfType<TargetAttr>("bitnet.target")) {
    writeName(os, target.getTriple());
    os << ' ';
    writeName(os, target.getCpu().empty() ? "-" : target.getCpu());
    os << ' ';
    writeName(os, target.getFeatures().empty() ? "-" : target.getFeatures());
  } else {
    os << "unknown - -";
  }
  os << "\nrequires";
  SmallVector<StringRef> features;
  StringRef(requiredFeatures).split(features, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef f : features)
    os << ' ' << f;
  os << '\n';

  auto writeTensor = [&](StringRef kind, unsigned index, Type type,
                         DictionaryAttr attrs) -> LogicalResult {
    auto memref = dyn_cast<MemRefType>(type);
    std::optional<int32_t> dtype;
    if (memref)
      dtype = getModelDType(memref.getElementType(),
                            attrs ? attrs.getAs<IntegerAttr>("onnx.elem_type")
                                  : IntegerAttr());
    if (!memref || !dtype || !memref.getLayout().isIdentity())
      return func.emitError()
             << kind << " " << index << " of type " << type
             << " is not an identity-layout memref of a boundary element type";
    auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
    auto dimNames =
        attrs ? attrs.getAs<ArrayAttr>("onnx.dim_params") : ArrayAttr();
    os << kind << ' ';
    if (name)
      writeName(os, name.getValue());
    else
      os << kind << '_' << index;
    os << ' ' << *dtype << ' ' << memref.getRank();
    for (auto [d, size] : llvm::enumerate(memref.getShape())) {
      os << ' ';
      if (!ShapedType::isDynamic(size)) {
        os << size;
        continue;
      }
      os << '?';
      if (dimNames && d < dimNames.size())
        if (auto s = dyn_cast<StringAttr>(dimNames[d]); s && !s.empty())
          writeName(os, s.getValue());
    }
    os << '\n';
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (unsigned k = 0, e = type.getNumInputs(); k < e; ++k)
    if (failed(writeTensor("input", k, type.getInput(k), func.getArgAttrDict(k))))
      return failure();
  for (unsigned k = 0, e = type.getNumResults(); k < e; ++k)
    if (failed(writeTensor("output", k, type.getResult(k),
                           func.getResultAttrDict(k))))
      return failure();
  // The caches of bitnet-kv-cache: the runtime owns them and the length.
  for (unsigned k = 0, e = type.getNumInputs(); k < e; ++k) {
    if (auto axis = func.getArgAttrOfType<IntegerAttr>(k, "bitnet.kv_cache")) {
      os << "kv-cache " << k << ' ' << axis.getInt() << ' ';
      auto output =
          func.getArgAttrOfType<StringAttr>(k, "bitnet.kv_cache_output");
      writeName(os, output ? output.getValue() : StringRef());
      os << '\n';
    }
    auto name = func.getArgAttrOfType<StringAttr>(k, "onnx.name");
    if (name && name.getValue() == "kv_length" &&
        func.getArgAttr(k, "bitnet.kv_cache") == nullptr)
      os << "kv-length " << k << '\n';
  }
  return success();
}

void GenerateModelInterfacePass::buildRunFunction(func::FuncOp func,
                                                  OpBuilder &b) {
  MLIRContext *ctx = &getContext();
  Location loc = func.getLoc();
  LLVMTypeConverter converter(ctx);
  Type ptrType = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  // bitnet_model_input_t {data, shape}; bitnet_model_output_t {allocated,
  // data, shape}.
  auto inputRecord = LLVM::LLVMStructType::getLiteral(ctx, {ptrType, ptrType});
  auto outputRecord =
      LLVM::LLVMStructType::getLiteral(ctx, {ptrType, ptrType, ptrType});

  auto run = func::FuncOp::create(b, loc, kModelRunSymbol,
                                  b.getFunctionType({ptrType, ptrType}, {}));
  Block *body = run.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value inputs = body->getArgument(0), outputs = body->getArgument(1);

  auto field = [&](Type record, Value base, int64_t index, int32_t member) {
    return LLVM::GEPOp::create(
        b, loc, ptrType, record, base,
        ArrayRef<LLVM::GEPArg>{LLVM::GEPArg(index), LLVM::GEPArg(member)});
  };
  auto element = [&](Type elementType, Value base, Value index) {
    return LLVM::GEPOp::create(b, loc, ptrType, elementType, base,
                               ArrayRef<LLVM::GEPArg>{index});
  };
  auto constant = [&](int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };

  SmallVector<Value> args;
  FunctionType type = func.getFunctionType();
  for (auto [k, argType] : llvm::enumerate(type.getInputs())) {
    auto memref = cast<MemRefType>(argType);
    Value data = LLVM::LoadOp::create(b, loc, ptrType,
                                      field(inputRecord, inputs, k, 0));
    Value shape = LLVM::LoadOp::create(b, loc, ptrType,
                                       field(inputRecord, inputs, k, 1));
    auto desc = MemRefDescriptor::poison(b, loc,
                                         converter.convertType(memref));
    desc.setAllocatedPtr(b, loc, data);
    desc.setAlignedPtr(b, loc, data);
    desc.setOffset(b, loc, constant(0));
    // Row-major: the runtime passes dense tensors.
    int64_t rank = memref.getRank();
    SmallVector<Value> sizes(rank);
    for (int64_t d = 0; d < rank; ++d)
      sizes[d] = memref.isDynamicDim(d)
                     ? Value(LLVM::LoadOp::create(
                           b, loc, i64, element(i64, shape, constant(d))))
                     : Value(constant(memref.getDimSize(d)));
    Value stride = constant(1);
    for (int64_t d = rank - 1; d >= 0; --d) {
      desc.setSize(b, loc, d, sizes[d]);
      desc.setStride(b, loc, d, stride);
      if (d > 0)
        stride = LLVM::MulOp::create(b, loc, stride, sizes[d]);
    }
    args.push_back(
        UnrealizedConversionCastOp::create(b, loc, memref, Value(desc))
            .getResult(0));
  }

  auto call = func::CallOp::create(b, loc, func, args);
  for (auto [k, result] : llvm::enumerate(call.getResults())) {
    auto memref = cast<MemRefType>(result.getType());
    MemRefDescriptor desc(
        UnrealizedConversionCastOp::create(
            b, loc, converter.convertType(memref), result)
            .getResult(0));
    Value data =
        element(converter.convertType(memref.getElementType()),
                desc.alignedPtr(b, loc), desc.offset(b, loc));
    LLVM::StoreOp::create(b, loc, desc.allocatedPtr(b, loc),
                          field(outputRecord, outputs, k, 0));
    LLVM::StoreOp::create(b, loc, data, field(outputRecord, outputs, k, 1));
    Value shape = LLVM::LoadOp::create(b, loc, ptrType,
                                       field(outputRecord, outputs, k, 2));
    for (int64_t d = 0, e = memref.getRank(); d < e; ++d)
      LLVM::StoreOp::create(b, loc, desc.size(b, loc, d),
                            element(i64, shape, constant(d)));
  }
  func::ReturnOp::create(b, loc);
}

void GenerateModelInterfacePass::runOnOperation() {
  ModuleOp module = getOperation();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal()) {
    module.emitError() << "no function '" << entry
                       << "' with a body to export as the model entry";
    return signalPassFailure();
  }
  if (module.lookupSymbol(kModelRunSymbol) ||
      module.lookupSymbol(kModelMetadataSymbol)) {
    module.emitError() << "the module already has a model interface";
    return signalPassFailure();
  }

  std::string text;
  llvm::raw_string_ostream os(text);
  if (failed(writeMetadata(func, os)))
    return signalPassFailure();
  text.push_back('\0');

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto arrayType =
      LLVM::LLVMArrayType::get(b.getI8Type(), static_cast<unsigned>(text.size()));
  LLVM::GlobalOp::create(b, module.getLoc(), arrayType, /*isConstant=*/true,
                         LLVM::Linkage::External, kModelMetadataSymbol,
                         b.getStringAttr(text));
  buildRunFunction(func, b);
}
