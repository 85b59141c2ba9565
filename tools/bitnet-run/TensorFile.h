//===- TensorFile.h - .npy and ONNX TensorProto files -----------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads and writes the tensor files of bitnet-run: NumPy .npy (versions 1.0
// to 3.0, little-endian, C order) and serialized ONNX TensorProto (.pb, the
// ONNX backend-test layout). The TensorProto reader is a hand-rolled
// protobuf wire-format parser, so bitnet-run needs no libprotobuf and can be
// cross-compiled as the runner of foreign ISAs.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TOOLS_BITNET_RUN_TENSORFILE_H
#define BITNET_TOOLS_BITNET_RUN_TENSORFILE_H

#include "bitnet-c/Runtime.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitnet::run {

/// A failure message; std::nullopt means success.
using Error = std::optional<std::string>;

/// A dense, row-major host tensor.
struct Tensor {
  bitnet_dtype_t dtype = BITNET_DTYPE_FLOAT32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  /// The TensorProto name, if the file had one.
  std::string name;

  uint64_t numElements() const;
};

/// Size in bytes of one element, 0 for an unknown dtype.
size_t elementSize(bitnet_dtype_t dtype);
/// "float32", "int64", ...
const char *dtypeName(bitnet_dtype_t dtype);
/// "[2, 3]".
std::string formatShape(const std::vector<int64_t> &shape);
/// An IEEE half (as its bit pattern) as a float.
float halfToFloat(uint16_t bits);

/// Parses the bytes of a .npy file.
Error parseNpy(const std::vector<uint8_t> &bytes, Tensor &out);
/// Parses the bytes of a serialized onnx.TensorProto.
Error parseTensorProto(const std::vector<uint8_t> &bytes, Tensor &out);
/// Serializes `tensor` as a version 1.0 (or 2.0 for huge headers) .npy.
std::vector<uint8_t> serializeNpy(const Tensor &tensor);

/// Reads a whole file.
Error readFile(const std::string &path, std::vector<uint8_t> &out);
/// Reads a .npy or, for any other extension, a .pb TensorProto file.
Error readTensorFile(const std::string &path, Tensor &out);
/// Writes `tensor` to `path` as .npy.
Error writeNpyFile(const std::string &path, const Tensor &tensor);

} // namespace bitnet::run

#endif // BITNET_TOOLS_BITNET_RUN_TENSORFILE_H
