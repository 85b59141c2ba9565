//===- bitnet-opt.cpp - The bitnet-mlir optimizer driver ------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the bitnet dialect, its passes and pipelines, and every
// upstream dialect and pass (so that whole lowerings can be written and
// tested as pass pipelines).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/IR/BitNetDialect.h"
#include "bitnet/Dialect/BitNet/Transforms/Passes.h"
#include "bitnet/Pipelines/Pipelines.h"
#include "bitnet/Target/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::bitnet::registerBitNetPasses();
  mlir::bitnet::registerBitNetConversionPasses();
  mlir::bitnet::registerBitNetTargetPasses();
  mlir::bitnet::registerBitNetPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::bitnet::BitNetDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "bitnet-mlir optimizer driver\n", registry));
}
