//===- TensorFile.cpp - .npy and ONNX TensorProto files ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TensorFile.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace bitnet::run {

uint64_t Tensor::numElements() const {
  uint64_t count = 1;
  for (int64_t extent : shape)
    count *= static_cast<uint64_t>(extent);
  return count;
}

size_t elementSize(bitnet_dtype_t dtype) {
  switch (dtype) {
  case BITNET_DTYPE_UINT8:
  case BITNET_DTYPE_INT8:
  case BITNET_DTYPE_BOOL:
    return 1;
  case BITNET_DTYPE_UINT16:
  case BITNET_DTYPE_INT16:
  case BITNET_DTYPE_FLOAT16:
    return 2;
  case BITNET_DTYPE_FLOAT32:
  case BITNET_DTYPE_INT32:
  case BITNET_DTYPE_UINT32:
    return 4;
  case BITNET_DTYPE_INT64:
  case BITNET_DTYPE_FLOAT64:
  case BITNET_DTYPE_UINT64:
    return 8;
  }
  return 0;
}

namespace {

/// The dtypes with their NumPy type codes (without the byte-order mark).
struct DtypeRow {
  bitnet_dtype_t dtype;
  const char *name;
  const char *npyCode;
};

const DtypeRow kDtypes[] = {
    {BITNET_DTYPE_FLOAT32, "float32", "f4"},
    {BITNET_DTYPE_UINT8, "uint8", "u1"},
    {BITNET_DTYPE_INT8, "int8", "i1"},
    {BITNET_DTYPE_UINT16, "uint16", "u2"},
    {BITNET_DTYPE_INT16, "int16", "i2"},
    {BITNET_DTYPE_INT32, "int32", "i4"},
    {BITNET_DTYPE_INT64, "int64", "i8"},
    {BITNET_DTYPE_BOOL, "bool", "b1"},
    {BITNET_DTYPE_FLOAT16, "float16", "f2"},
    {BITNET_DTYPE_FLOAT64, "float64", "f8"},
    {BITNET_DTYPE_UINT32, "uint32", "u4"},
    {BITNET_DTYPE_UINT64, "uint64", "u8"},
};

/// The row of an ONNX data type number, which may be outside the enum.
const DtypeRow *findDtype(uint64_t code) {
  for (const DtypeRow &row : kDtypes)
    if (static_cast<uint64_t>(row.dtype) == code)
      return &row;
  return nullptr;
}

/// Checks the shape and computes the byte size, guarding against overflow.
Error byteSize(const std::vector<int64_t> &shape, bitnet_dtype_t dtype,
               uint64_t &outBytes) {
  uint64_t bytes = elementSize(dtype);
  for (int64_t extent : shape) {
    if (extent < 0)
      return "negative extent " + std::to_string(extent);
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(extent), &bytes))
      return std::string("the tensor size overflows");
  }
  outBytes = bytes;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// The text after `'key':` in a .npy header dict, with leading blanks
/// skipped, or npos.
size_t findValue(const std::string &header, const char *key) {
  std::string quoted[2] = {std::string("'") + key + "'",
                           std::string("\"") + key + "\""};
  for (const std::string &q : quoted) {
    size_t pos = header.find(q);
    if (pos == std::string::npos)
      continue;
    pos = header.find(':', pos + q.size());
    if (pos == std::string::npos)
      return pos;
    ++pos;
    while (pos < header.size() && header[pos] == ' ')
      ++pos;
    return pos;
  }
  return std::string::npos;
}

Error parseNpyHeader(const std::string &header, Tensor &out) {
  size_t pos = findValue(header, "descr");
  if (pos == std::string::npos || pos >= header.size() ||
      (header[pos] != '\'' && header[pos] != '"'))
    return std::string("no 'descr' in the .npy header");
  size_t end = header.find(header[pos], pos + 1);
  if (end == std::string::npos)
    return std::string("malformed 'descr' in the .npy header");
  std::string descr = header.substr(pos + 1, end - pos - 1);
  if (descr.size() < 2)
    return "unsupported .npy dtype '" + descr + "'";
  char order = descr[0];
  std::string code = descr.substr(1);
  const DtypeRow *found = nullptr;
  for (const DtypeRow &row : kDtypes)
    if (code == row.npyCode)
      found = &row;
  bool singleByte = code.size() == 2 && code[1] == '1';
  if (!found || (order != '<' && order != '|' && order != '=' &&
                 !(order == '>' && singleByte)))
    return "unsupported .npy dtype '" + descr +
           "' (little-endian f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1 only)";
  out.dtype = found->dtype;

  pos = findValue(header, "fortran_order");
  if (pos == std::string::npos)
    return std::string("no 'fortran_order' in the .npy header");
  if (header.compare(pos, 4, "True") == 0)
    return std::string("Fortran-order .npy files are not supported");

  pos = findValue(header, "shape");
  if (pos == std::string::npos || pos >= header.size() || header[pos] != '(')
    return std::string("no 'shape' in the .npy header");
  end = header.find(')', pos);
  if (end == std::string::npos)
    return std::string("malformed 'shape' in the .npy header");
  out.shape.clear();
  std::string dims = header.substr(pos + 1, end - pos - 1);
  size_t cursor = 0;
  while (cursor < dims.size()) {
    while (cursor < dims.size() && (dims[cursor] == ' ' || dims[cursor] == ','))
      ++cursor;
    if (cursor == dims.size())
      break;
    char *stop;
    errno = 0;
    long long extent = std::strtoll(dims.c_str() + cursor, &stop, 10);
    size_t next = static_cast<size_t>(stop - dims.c_str());
    if (next == cursor || errno != 0 || extent < 0)
      return "malformed 'shape' (" + dims + ") in the .npy header";
    out.shape.push_back(extent);
    cursor = next;
    if (cursor < dims.size() && dims[cursor] == 'L')
      ++cursor;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// TensorProto
//===----------------------------------------------------------------------===//

/// A cursor over protobuf wire-format bytes.
class WireReader {
public:
  WireReader(const uint8_t *begin, const uint8_t *end)
      : cursor(begin), end(end) {}

  bool atEnd() const { return cursor == end; }

  bool readVarint(uint64_t &out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (cursor == end)
        return false;
      uint8_t byte = *cursor++;
      out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }

  bool readBytes(size_t count, const uint8_t *&out) {
    if (static_cast<size_t>(end - cursor) < count)
      return false;
    out = cursor;
    cursor += count;
    return true;
  }

  /// A length-delimited field's payload as bytes.
  bool readPayload(const uint8_t *&data, size_t &size) {
    uint64_t length;
    if (!readVarint(length) || length > static_cast<size_t>(end - cursor))
      return false;
    size = static_cast<size_t>(length);
    return readBytes(size, data);
  }

  /// A length-delimited field's payload as a reader.
  bool readLengthDelimited(WireReader &out) {
    const uint8_t *data;
    size_t size;
    if (!readPayload(data, size))
      return false;
    out = WireReader(data, data + size);
    return true;
  }

  bool skip(unsigned wireType) {
    uint64_t ignored;
    const uint8_t *bytes;
    WireReader payload(nullptr, nullptr);
    switch (wireType) {
    case 0:
      return readVarint(ignored);
    case 1:
      return readBytes(8, bytes);
    case 2:
      return readLengthDelimited(payload);
    case 5:
      return readBytes(4, bytes);
    default:
      return false;
    }
  }

private:
  const uint8_t *cursor;
  const uint8_t *end;
};

/// The values of a repeated scalar field, packed or not.
struct RepeatedField {
  std::vector<uint64_t> varints;
  std::vector<uint8_t> fixedBytes;
};

/// Appends one occurrence of a repeated field: a single value of `wireType`
/// (0 varint, 1 fixed64, 5 fixed32) or a packed run of them.
bool readRepeated(WireReader &reader, unsigned wireType, unsigned scalarType,
                  RepeatedField &field) {
  auto readOne = [&](WireReader &from) {
    if (scalarType == 0) {
      uint64_t value;
      if (!from.readVarint(value))
        return false;
      field.varints.push_back(value);
      return true;
    }
    const uint8_t *bytes;
    size_t size = scalarType == 1 ? 8 : 4;
    if (!from.readBytes(size, bytes))
      return false;
    field.fixedBytes.insert(field.fixedBytes.end(), bytes, bytes + size);
    return true;
  };
  if (wireType == scalarType)
    return readOne(reader);
  if (wireType != 2)
    return false;
  WireReader packed(nullptr, nullptr);
  if (!reader.readLengthDelimited(packed))
    return false;
  while (!packed.atEnd())
    if (!readOne(packed))
      return false;
  return true;
}

const char *onnxTypeName(uint64_t dataType) {
  switch (dataType) {
  case 8:
    return "string";
  case 14:
    return "complex64";
  case 15:
    return "complex128";
  case 16:
    return "bfloat16";
  default:
    return "unknown";
  }
}

/// Stores `values` truncated to the element size of `dtype`.
void storeVarints(const std::vector<uint64_t> &values, size_t size,
                  std::vector<uint8_t> &out) {
  out.resize(values.size() * size);
  for (size_t i = 0; i < values.size(); ++i)
    for (size_t b = 0; b < size; ++b)
      out[i * size + b] = static_cast<uint8_t>(values[i] >> (8 * b));
}

} // namespace

const char *dtypeName(bitnet_dtype_t dtype) {
  const DtypeRow *row = findDtype(dtype);
  return row ? row->name : "unknown";
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string result = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    result += (i ? ", " : "") + std::to_string(shape[i]);
  return result + "]";
}

float halfToFloat(uint16_t bits) {
  int sign = bits >> 15;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  float value;
  if (exponent == 0)
    value = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    value = mantissa ? NAN : INFINITY;
  else
    value = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -value : value;
}

Error parseNpy(const std::vector<uint8_t> &bytes, Tensor &out) {
  static const uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    return std::string("not a .npy file (bad magic)");
  unsigned major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return std::string("truncated .npy header");
    headerLength = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) |
                   (static_cast<size_t>(bytes[11]) << 24);
    headerStart = 12;
  } else {
    return "unsupported .npy version " + std::to_string(major);
  }
  if (bytes.size() - headerStart < headerLength)
    return std::string("truncated .npy header");
  std::string header(bytes.begin() + headerStart,
                     bytes.begin() + headerStart + headerLength);
  if (Error error = parseNpyHeader(header, out))
    return error;
  uint64_t expected;
  if (Error error = byteSize(out.shape, out.dtype, expected))
    return error;
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart != expected)
    return "the .npy data has " + std::to_string(bytes.size() - dataStart) +
           " bytes, expected " + std::to_string(expected) + " for " +
           dtypeName(out.dtype) + " " + formatShape(out.shape);
  out.data.assign(bytes.begin() + dataStart, bytes.end());
  return std::nullopt;
}

std::vector<uint8_t> serializeNpy(const Tensor &tensor) {
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    shape += std::to_string(tensor.shape[i]) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  const DtypeRow *row = findDtype(tensor.dtype);
  std::string code = row ? row->npyCode : "V1";
  std::string descr = (elementSize(tensor.dtype) == 1 ? "|" : "<") + code;
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts 64-byte aligned, as NumPy does.
  size_t prefix = header.size() + 1 + 10 > 65535 ? 12 : 10;
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';

  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  size_t length = header.size();
  if (prefix == 10) {
    bytes.insert(bytes.end(), {1, 0, static_cast<uint8_t>(length),
                               static_cast<uint8_t>(length >> 8)});
  } else {
    bytes.insert(bytes.end(), {2, 0, static_cast<uint8_t>(length),
                               static_cast<uint8_t>(length >> 8),
                               static_cast<uint8_t>(length >> 16),
                               static_cast<uint8_t>(length >> 24)});
  }
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), tensor.data.begin(), tensor.data.end());
  return bytes;
}

Error parseTensorProto(const std::vector<uint8_t> &bytes, Tensor &out) {
  WireReader reader(bytes.data(), bytes.data() + bytes.size());
  uint64_t dataType = 0;
  std::vector<int64_t> dims;
  RepeatedField dimsField, floatData, int32Data, int64Data, doubleData,
      uint64Data;
  const uint8_t *rawData = nullptr;
  size_t rawSize = 0;
  bool hasRaw = false;
  out.name.clear();
  while (!reader.atEnd()) {
    uint64_t key;
    if (!reader.readVarint(key))
      return std::string("malformed TensorProto (truncated field key)");
    unsigned field = static_cast<unsigned>(key >> 3);
    unsigned wireType = static_cast<unsigned>(key & 7);
    bool ok = true;
    switch (field) {
    case 1: // dims
      ok = readRepeated(reader, wireType, 0, dimsField);
      break;
    case 2: // data_type
      ok = wireType == 0 && reader.readVarint(dataType);
      break;
    case 3: // segment
      return std::string("segmented TensorProto is not supported");
    case 4: // float_data
      ok = readRepeated(reader, wireType, 5, floatData);
      break;
    case 5: // int32_data
      ok = readRepeated(reader, wireType, 0, int32Data);
      break;
    case 7: // int64_data
      ok = readRepeated(reader, wireType, 0, int64Data);
      break;
    case 8: { // name
      const uint8_t *name;
      size_t length;
      ok = wireType == 2 && reader.readPayload(name, length);
      if (ok)
        out.name.assign(reinterpret_cast<const char *>(name), length);
      break;
    }
    case 9: // raw_data
      ok = wireType == 2 && reader.readPayload(rawData, rawSize);
      hasRaw = hasRaw || ok;
      break;
    case 10: // double_data
      ok = readRepeated(reader, wireType, 1, doubleData);
      break;
    case 11: // uint64_data
      ok = readRepeated(reader, wireType, 0, uint64Data);
      break;
    case 13: // external_data
      return std::string("TensorProto with external data is not supported");
    case 14: { // data_location
      uint64_t location;
      ok = wireType == 0 && reader.readVarint(location);
      if (ok && location != 0)
        return std::string("TensorProto with external data is not supported");
      break;
    }
    default:
      ok = reader.skip(wireType);
      break;
    }
    if (!ok)
      return "malformed TensorProto (field " + std::to_string(field) +
             ", wire type " + std::to_string(wireType) + ")";
  }

  const DtypeRow *row = findDtype(dataType);
  if (!row)
    return "unsupported TensorProto data_type " + std::to_string(dataType) +
           " (" + onnxTypeName(dataType) + ")";
  out.dtype = row->dtype;
  out.shape.clear();
  for (uint64_t dim : dimsField.varints) {
    if (static_cast<int64_t>(dim) < 0)
      return "negative TensorProto dim " +
             std::to_string(static_cast<int64_t>(dim));
    out.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t expected;
  if (Error error = byteSize(out.shape, out.dtype, expected))
    return error;
  size_t size = elementSize(out.dtype);

  if (hasRaw) {
    out.data.assign(rawData, rawData + rawSize);
  } else {
    switch (out.dtype) {
    case BITNET_DTYPE_FLOAT32:
      out.data = floatData.fixedBytes;
      break;
    case BITNET_DTYPE_FLOAT64:
      out.data = doubleData.fixedBytes;
      break;
    case BITNET_DTYPE_INT64:
      storeVarints(int64Data.varints, size, out.data);
      break;
    case BITNET_DTYPE_UINT32:
    case BITNET_DTYPE_UINT64:
      storeVarints(uint64Data.varints, size, out.data);
      break;
    default: // int32_data carries every narrower type, float16 as bits.
      storeVarints(int32Data.varints, size, out.data);
      break;
    }
  }
  if (out.data.size() != expected)
    return "the TensorProto holds " + std::to_string(out.data.size() / size) +
           " " + row->name + " values, expected " +
           std::to_string(expected / size) + " for shape " +
           formatShape(out.shape);
  return std::nullopt;
}

Error readFile(const std::string &path, std::vector<uint8_t> &out) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return "cannot open '" + path + "': " + std::strerror(errno);
  out.clear();
  uint8_t buffer[65536];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    out.insert(out.end(), buffer, buffer + got);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return "cannot read '" + path + "'";
  return std::nullopt;
}

Error readTensorFile(const std::string &path, Tensor &out) {
  std::vector<uint8_t> bytes;
  if (Error error = readFile(path, bytes))
    return error;
  bool isNpy =
      path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  Error error = isNpy ? parseNpy(bytes, out) : parseTensorProto(bytes, out);
  if (error)
    return "'" + path + "': " + *error;
  return std::nullopt;
}

Error writeNpyFile(const std::string &path, const Tensor &tensor) {
  std::vector<uint8_t> bytes = serializeNpy(tensor);
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return "cannot write '" + path + "': " + std::strerror(errno);
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  ok = std::fclose(file) == 0 && ok;
  if (!ok)
    return "cannot write '" + path + "'";
  return std::nullopt;
}

} // namespace bitnet::run
