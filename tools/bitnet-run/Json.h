//===- Json.h - A small strict JSON parser ----------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// RFC 8259 JSON for bitnet-run's tokenizer.json reader: objects, arrays,
// strings (UTF-8 checked, \uXXXX escapes with surrogate pairs), numbers,
// true, false and null. Nothing beyond the grammar is accepted (no comments,
// trailing commas or leading zeros). Standard library only, so the file
// cross-compiles into the foreign-ISA runners.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TOOLS_BITNET_RUN_JSON_H
#define BITNET_TOOLS_BITNET_RUN_JSON_H

#include "TensorFile.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bitnet::run {

/// A parsed JSON value. Objects keep their members in file order (and any
/// duplicate keys); get() returns the first member of a name.
struct JsonValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;

  bool isNull() const { return kind == Kind::Null; }
  bool isBool() const { return kind == Kind::Bool; }
  bool isNumber() const { return kind == Kind::Number; }
  bool isString() const { return kind == Kind::String; }
  bool isArray() const { return kind == Kind::Array; }
  bool isObject() const { return kind == Kind::Object; }

  /// The member `key` of an object; nullptr when absent or not an object.
  const JsonValue *get(const std::string &key) const;
};

/// "null", "bool", "number", "string", "array" or "object".
const char *jsonKindName(JsonValue::Kind kind);

/// Parses a whole JSON text. Errors read "byte N: <what>", N counting from
/// 0 in `text`.
Error parseJson(const std::string &text, JsonValue &out);

/// Decodes the well-formed UTF-8 sequence at text[pos] into `cp`. Returns
/// its length, or 0 for a malformed one (overlong forms, surrogates, code
/// points past U+10FFFF, a truncated sequence).
size_t decodeUtf8(const std::string &text, size_t pos, uint32_t &cp);
/// Appends code point `cp` as UTF-8.
void appendUtf8(std::string &out, uint32_t cp);

/// Serializes a value compactly (for messages; strings are escaped).
std::string formatJson(const JsonValue &value);

} // namespace bitnet::run

#endif // BITNET_TOOLS_BITNET_RUN_JSON_H
