//===- Json.cpp - A small strict JSON parser ------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include <cstdio>
#include <cstdlib>

namespace bitnet::run {

const JsonValue *JsonValue::get(const std::string &key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (const auto &member : object)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *jsonKindName(JsonValue::Kind kind) {
  switch (kind) {
  case JsonValue::Kind::Null:
    return "null";
  case JsonValue::Kind::Bool:
    return "bool";
  case JsonValue::Kind::Number:
    return "number";
  case JsonValue::Kind::String:
    return "string";
  case JsonValue::Kind::Array:
    return "array";
  case JsonValue::Kind::Object:
    return "object";
  }
  return "?";
}

namespace {

/// Deeper nesting is rejected rather than risking the stack on bad input.
constexpr int kMaxDepth = 256;

class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  Error parseDocument(JsonValue &out) {
    skipSpace();
    if (Error error = parseValue(out, 0))
      return error;
    skipSpace();
    if (pos != text.size())
      return errorAt(pos, "unexpected data after the JSON value");
    return std::nullopt;
  }

private:
  const std::string &text;
  size_t pos = 0;

  Error errorAt(size_t at, const std::string &message) const {
    return "byte " + std::to_string(at) + ": " + message;
  }

  /// "'x'" for a printable byte, else its hex value or "the end".
  std::string describe(size_t at) const {
    if (at >= text.size())
      return "the end of the text";
    unsigned char c = static_cast<unsigned char>(text[at]);
    if (c >= 0x20 && c < 0x7F)
      return std::string("'") + static_cast<char>(c) + "'";
    char buffer[16];
    std::snprintf(buffer, sizeof(buffer), "byte 0x%02X", c);
    return buffer;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consumeWord(const char *word) {
    size_t length = std::char_traits<char>::length(word);
    if (text.compare(pos, length, word) != 0)
      return false;
    pos += length;
    return true;
  }

  Error parseValue(JsonValue &out, int depth) {
    if (pos >= text.size())
      return errorAt(pos, "expected a value, found the end of the text");
    char c = text[pos];
    if (c == '{' || c == '[') {
      if (depth >= kMaxDepth)
        return errorAt(pos, "nested deeper than " + std::to_string(kMaxDepth) +
                                " levels");
      return c == '{' ? parseObject(out, depth + 1)
                      : parseArray(out, depth + 1);
    }
    if (c == '"') {
      out.kind = JsonValue::Kind::String;
      return parseString(out.string);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(out);
    size_t start = pos;
    if (consumeWord("true")) {
      out.kind = JsonValue::Kind::Bool;
      out.boolean = true;
    } else if (consumeWord("false")) {
      out.kind = JsonValue::Kind::Bool;
      out.boolean = false;
    } else if (consumeWord("null")) {
      out.kind = JsonValue::Kind::Null;
    } else {
      return errorAt(start, "expected a value, found " + describe(start));
    }
    return std::nullopt;
  }

  Error parseObject(JsonValue &out, int depth) {
    out.kind = JsonValue::Kind::Object;
    ++pos; // '{'
    skipSpace();
    if (pos < text.size() && text[pos] == '}') {
      ++pos;
      return std::nullopt;
    }
    while (true) {
      skipSpace();
      if (pos >= text.size() || text[pos] != '"')
        return errorAt(pos, "expected a string key, found " + describe(pos));
      std::string key;
      if (Error error = parseString(key))
        return error;
      skipSpace();
      if (pos >= text.size() || text[pos] != ':')
        return errorAt(pos, "expected ':', found " + describe(pos));
      ++pos;
      skipSpace();
      out.object.emplace_back(std::move(key), JsonValue());
      if (Error error = parseValue(out.object.back().second, depth))
        return error;
      skipSpace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        return std::nullopt;
      }
      return errorAt(pos, "expected ',' or '}', found " + describe(pos));
    }
  }

  Error parseArray(JsonValue &out, int depth) {
    out.kind = JsonValue::Kind::Array;
    ++pos; // '['
    skipSpace();
    if (pos < text.size() && text[pos] == ']') {
      ++pos;
      return std::nullopt;
    }
    while (true) {
      skipSpace();
      out.array.emplace_back();
      if (Error error = parseValue(out.array.back(), depth))
        return error;
      skipSpace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == ']') {
        ++pos;
        return std::nullopt;
      }
      return errorAt(pos, "expected ',' or ']', found " + describe(pos));
    }
  }

  /// Four hex digits at pos (after "\u").
  Error parseHex4(uint32_t &out) {
    out = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      if (pos >= text.size())
        return errorAt(pos, "truncated \\u escape");
      char c = text[pos];
      uint32_t digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return errorAt(pos, "expected a hex digit in \\u escape, found " +
                                describe(pos));
      out = out * 16 + digit;
    }
    return std::nullopt;
  }

  Error parseString(std::string &out) {
    size_t start = pos;
    ++pos; // '"'
    while (true) {
      if (pos >= text.size())
        return errorAt(start, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return std::nullopt;
      }
      if (c < 0x20)
        return errorAt(pos, "unescaped control character in a string");
      if (c != '\\') {
        uint32_t cp;
        size_t length = decodeUtf8(text, pos, cp);
        if (length == 0)
          return errorAt(pos, "invalid UTF-8 in a string");
        out.append(text, pos, length);
        pos += length;
        continue;
      }
      size_t escape = pos++;
      if (pos >= text.size())
        return errorAt(start, "unterminated string");
      char e = text[pos++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (Error error = parseHex4(cp))
          return error;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return errorAt(escape, "unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low one.
          if (text.compare(pos, 2, "\\u") != 0)
            return errorAt(escape, "unpaired high surrogate in \\u escape");
          size_t second = pos;
          pos += 2;
          uint32_t low;
          if (Error error = parseHex4(low))
            return error;
          if (low < 0xDC00 || low > 0xDFFF)
            return errorAt(second, "expected a low surrogate after a high "
                                   "one in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return errorAt(escape, "invalid escape '\\" + std::string(1, e) + "'");
      }
    }
  }

  Error parseNumber(JsonValue &out) {
    size_t start = pos;
    auto digit = [&](size_t i) {
      return i < text.size() && text[i] >= '0' && text[i] <= '9';
    };
    if (text[pos] == '-')
      ++pos;
    if (!digit(pos))
      return errorAt(pos, "expected a digit, found " + describe(pos));
    if (text[pos] == '0') {
      ++pos;
      if (digit(pos))
        return errorAt(start, "leading zero in a number");
    } else {
      while (digit(pos))
        ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      if (!digit(pos))
        return errorAt(pos,
                       "expected a digit after '.', found " + describe(pos));
      while (digit(pos))
        ++pos;
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      if (!digit(pos))
        return errorAt(pos, "expected a digit in the exponent, found " +
                                describe(pos));
      while (digit(pos))
        ++pos;
    }
    // The grammar was checked above, so strtod sees a valid C number.
    std::string literal = text.substr(start, pos - start);
    out.kind = JsonValue::Kind::Number;
    out.number = std::strtod(literal.c_str(), nullptr);
    return std::nullopt;
  }
};

void formatString(const std::string &text, std::string &out) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04X", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void formatValue(const JsonValue &value, std::string &out) {
  switch (value.kind) {
  case JsonValue::Kind::Null:
    out += "null";
    return;
  case JsonValue::Kind::Bool:
    out += value.boolean ? "true" : "false";
    return;
  case JsonValue::Kind::Number: {
    // The shortest of %.15g and %.17g that reads back exactly.
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.15g", value.number);
    if (std::strtod(buffer, nullptr) != value.number)
      std::snprintf(buffer, sizeof(buffer), "%.17g", value.number);
    out += buffer;
    return;
  }
  case JsonValue::Kind::String:
    formatString(value.string, out);
    return;
  case JsonValue::Kind::Array:
    out += '[';
    for (size_t i = 0; i < value.array.size(); ++i) {
      if (i)
        out += ',';
      formatValue(value.array[i], out);
    }
    out += ']';
    return;
  case JsonValue::Kind::Object:
    out += '{';
    for (size_t i = 0; i < value.object.size(); ++i) {
      if (i)
        out += ',';
      formatString(value.object[i].first, out);
      out += ':';
      formatValue(value.object[i].second, out);
    }
    out += '}';
    return;
  }
}

} // namespace

size_t decodeUtf8(const std::string &text, size_t pos, uint32_t &cp) {
  auto byte = [&](size_t i) -> uint32_t {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0;
  };
  auto cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
  uint32_t b0 = byte(pos), b1 = byte(pos + 1);
  if (pos >= text.size())
    return 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(pos + 1)) {
    cp = (b0 & 0x1F) << 6 | (b1 & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(pos + 1) && cont(pos + 2) &&
      !(b0 == 0xE0 && b1 < 0xA0) && !(b0 == 0xED && b1 > 0x9F)) {
    cp = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (byte(pos + 2) & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(pos + 1) && cont(pos + 2) &&
      cont(pos + 3) && !(b0 == 0xF0 && b1 < 0x90) &&
      !(b0 == 0xF4 && b1 > 0x8F)) {
    cp = (b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (byte(pos + 2) & 0x3F) << 6 |
         (byte(pos + 3) & 0x3F);
    return 4;
  }
  return 0;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

Error parseJson(const std::string &text, JsonValue &out) {
  out = JsonValue();
  return Parser(text).parseDocument(out);
}

std::string formatJson(const JsonValue &value) {
  std::string out;
  formatValue(value, out);
  return out;
}

} // namespace bitnet::run
