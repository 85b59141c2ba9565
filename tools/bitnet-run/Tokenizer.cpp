//===- Tokenizer.cpp - Byte-level BPE from a tokenizer.json ---------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Follows Hugging Face tokenizers (models/bpe, pre_tokenizers/byte_level,
// added_vocabulary, processors/template) for the features it accepts, so
// the ids equal what AutoTokenizer gives for the same file and text.
//
//===----------------------------------------------------------------------===//

#include "Tokenizer.h"
#include "Json.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <queue>

namespace bitnet::run {
namespace {

struct CodeRange {
  uint32_t lo, hi;
};

#include "UnicodeClasses.inc"

template <size_t N>
bool inRanges(const CodeRange (&ranges)[N], uint32_t cp) {
  const CodeRange *it =
      std::lower_bound(ranges, ranges + N, cp,
                       [](const CodeRange &r, uint32_t c) { return r.hi < c; });
  return it != ranges + N && it->lo <= cp;
}

/// The classes of the pre-tokenizer regexes; \p{L}, \p{N} and \s are
/// disjoint, and everything else is Other.
enum class CharClass : uint8_t { Letter, Number, Space, Other };

CharClass classify(uint32_t cp) {
  if (cp < 0x80) {
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
      return CharClass::Letter;
    if (cp >= '0' && cp <= '9')
      return CharClass::Number;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
      return CharClass::Space;
    return CharClass::Other;
  }
  if (inRanges(kLetterRanges, cp))
    return CharClass::Letter;
  if (inRanges(kNumberRanges, cp))
    return CharClass::Number;
  if (inRanges(kSpaceRanges, cp))
    return CharClass::Space;
  return CharClass::Other;
}

/// A character of the text being split; a malformed UTF-8 byte is one
/// character of class Other with no code point.
struct Char {
  uint32_t cp;
  CharClass cls;
  size_t offset;
};

constexpr uint32_t kNoCodePoint = 0xFFFFFFFF;

std::vector<Char> decodeChars(const std::string &text) {
  std::vector<Char> chars;
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp;
    size_t length = decodeUtf8(text, pos, cp);
    if (length == 0) {
      chars.push_back({kNoCodePoint, CharClass::Other, pos});
      ++pos;
      continue;
    }
    chars.push_back({cp, classify(cp), pos});
    pos += length;
  }
  return chars;
}

class Scanner {
public:
  explicit Scanner(const std::vector<Char> &chars) : chars(chars) {}

  /// The length in characters of the GPT-2 regex's match at `i`.
  size_t matchGpt2(size_t i) const {
    if (size_t length = matchContraction(i, /*ignoreCase=*/false))
      return length;
    // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: the optional space goes with
    // a following non-space; the class of the first character then picks
    // the alternative.
    size_t start = i;
    if (chars[i].cp == ' ' && i + 1 < chars.size() &&
        chars[i + 1].cls != CharClass::Space)
      start = i + 1;
    if (chars[start].cls != CharClass::Space)
      return runEnd(start, chars[start].cls) - i;
    return matchSpaceTail(i);
  }

  /// The length in characters of the Llama-3 regex's match at `i`.
  size_t matchLlama3(size_t i) const {
    if (size_t length = matchContraction(i, /*ignoreCase=*/true))
      return length;
    const Char &c = chars[i];
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c.cls != CharClass::Letter && c.cls != CharClass::Number &&
        !isNewline(c) && i + 1 < chars.size() &&
        chars[i + 1].cls == CharClass::Letter)
      return runEnd(i + 1, CharClass::Letter) - i;
    if (c.cls == CharClass::Letter)
      return runEnd(i, CharClass::Letter) - i;
    // \p{N}{1,3}
    if (c.cls == CharClass::Number)
      return std::min<size_t>(runEnd(i, CharClass::Number) - i, 3);
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    size_t start = i;
    if (c.cp == ' ' && i + 1 < chars.size() &&
        chars[i + 1].cls == CharClass::Other)
      start = i + 1;
    if (chars[start].cls == CharClass::Other) {
      size_t end = runEnd(start, CharClass::Other);
      while (end < chars.size() && isNewline(chars[end]))
        ++end;
      return end - i;
    }
    // `\s*[\r\n]+`: \s* backtracks from the end of the whitespace run to
    // its last newline, which [\r\n]+ then takes.
    size_t end = runEnd(i, CharClass::Space);
    for (size_t j = end; j > i; --j)
      if (isNewline(chars[j - 1]))
        return j - i;
    return matchSpaceTail(i);
  }

private:
  const std::vector<Char> &chars;

  static bool isNewline(const Char &c) { return c.cp == '\r' || c.cp == '\n'; }

  size_t runEnd(size_t i, CharClass cls) const {
    while (i < chars.size() && chars[i].cls == cls)
      ++i;
    return i;
  }

  /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally under (?i).
  size_t matchContraction(size_t i, bool ignoreCase) const {
    if (chars[i].cp != '\'' || i + 1 >= chars.size())
      return 0;
    auto fold = [&](uint32_t cp) -> uint32_t {
      if (!ignoreCase)
        return cp;
      if (cp >= 'A' && cp <= 'Z')
        return cp + ('a' - 'A');
      // U+017F LATIN SMALL LETTER LONG S case-folds to 's'.
      return cp == 0x17F ? 's' : cp;
    };
    uint32_t c1 = fold(chars[i + 1].cp);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
      return 2;
    if (i + 2 >= chars.size())
      return 0;
    uint32_t c2 = fold(chars[i + 2].cp);
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') ||
        (c1 == 'l' && c2 == 'l'))
      return 3;
    return 0;
  }

  /// `\s+(?!\S)|\s+` at a whitespace character: a run followed by a
  /// non-space gives that character its last whitespace, unless the run is
  /// a single character.
  size_t matchSpaceTail(size_t i) const {
    size_t end = runEnd(i, CharClass::Space);
    if (end == chars.size() || end - i == 1)
      return end - i;
    return end - i - 1;
  }
};

/// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves,
/// the others for U+0100 onwards, in byte order.
constexpr std::array<uint16_t, 256> makeByteToCodePoint() {
  std::array<uint16_t, 256> table{};
  uint16_t next = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                     (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? b : next++;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kByteToCodePoint = makeByteToCodePoint();
constexpr uint32_t kNumByteLevelCodePoints = 256 + 68;

constexpr std::array<int16_t, kNumByteLevelCodePoints> makeCodePointToByte() {
  std::array<int16_t, kNumByteLevelCodePoints> table{};
  for (uint32_t cp = 0; cp < kNumByteLevelCodePoints; ++cp)
    table[cp] = -1;
  for (int b = 0; b < 256; ++b)
    table[kByteToCodePoint[b]] = static_cast<int16_t>(b);
  return table;
}

constexpr std::array<int16_t, kNumByteLevelCodePoints> kCodePointToByte =
    makeCodePointToByte();

/// The ByteLevel decoder on one token: its characters' bytes when all of
/// them are byte-level symbols, else the token's own UTF-8.
std::string byteLevelDecode(const std::string &token) {
  std::string bytes;
  for (size_t pos = 0; pos < token.size();) {
    uint32_t cp;
    size_t length = decodeUtf8(token, pos, cp);
    if (length == 0 || cp >= kNumByteLevelCodePoints ||
        kCodePointToByte[cp] < 0)
      return token;
    bytes += static_cast<char>(kCodePointToByte[cp]);
    pos += length;
  }
  return bytes;
}

std::string byteLevelEncode(const std::string &bytes) {
  std::string out;
  for (unsigned char b : bytes)
    appendUtf8(out, kByteToCodePoint[b]);
  return out;
}

/// The regexes by their exact source text.
const char kGpt2Regex[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| "
                          "?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char kLlama3Regex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/// Ids are bounded so a corrupt file cannot make the id table huge.
constexpr int64_t kMaxTokenId = (int64_t(1) << 22) - 1;

uint64_t pairKey(int32_t left, int32_t right) {
  return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 |
         static_cast<uint32_t>(right);
}

} // namespace

std::vector<std::string> splitPreTokens(SplitPattern pattern,
                                        const std::string &text) {
  std::vector<Char> chars = decodeChars(text);
  Scanner scanner(chars);
  std::vector<std::string> pieces;
  for (size_t i = 0; i < chars.size();) {
    size_t length = pattern == SplitPattern::Gpt2 ? scanner.matchGpt2(i)
                                                  : scanner.matchLlama3(i);
    size_t end = i + length;
    size_t endOffset = end < chars.size() ? chars[end].offset : text.size();
    pieces.push_back(text.substr(chars[i].offset, endOffset - chars[i].offset));
    i = end;
  }
  return pieces;
}

std::string byteLevelSymbol(uint8_t byte) {
  std::string out;
  appendUtf8(out, kByteToCodePoint[byte]);
  return out;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// Reads the JSON tree into a Tokenizer, rejecting what it does not model.
class TokenizerLoader {
public:
  TokenizerLoader(const std::string &name, Tokenizer &out)
      : name(name), out(out) {}

  Error load(const JsonValue &root) {
    if (!root.isObject())
      return invalid("the top level", "expected an object");
    if (Error error = expectNull(root, "normalizer"))
      return error;
    if (Error error = expectNull(root, "truncation"))
      return error;
    if (Error error = expectNull(root, "padding"))
      return error;
    const JsonValue *model = root.get("model");
    if (!model || !model->isObject())
      return invalid("model", "expected an object");
    if (Error error = loadModel(*model))
      return error;
    if (Error error = loadAddedTokens(root.get("added_tokens")))
      return error;
    if (Error error = loadPreTokenizer(root.get("pre_tokenizer")))
      return error;
    if (Error error = loadPostProcessor(root.get("post_processor")))
      return error;
    return loadDecoder(root.get("decoder"));
  }

private:
  const std::string &name;
  Tokenizer &out;
  /// The vocabulary's token of each id, for duplicate-id messages.
  std::vector<const std::string *> vocabToken;

  Error invalid(const std::string &field, const std::string &message) const {
    return name + ": " + field + ": " + message;
  }

  /// "FILE: unsupported FIELD 'VALUE'"; an object shows its "type".
  Error unsupported(const std::string &field, const JsonValue &value) const {
    std::string shown;
    const JsonValue *type = value.get("type");
    if (value.isString())
      shown = value.string;
    else if (type && type->isString())
      shown = type->string;
    else
      shown = formatJson(value);
    if (shown.size() > 100)
      shown = shown.substr(0, 97) + "...";
    return name + ": unsupported " + field + " '" + shown + "'";
  }

  /// An absent or null member `key` of the object at `prefix`.
  Error expectNull(const JsonValue &object, const std::string &key,
                   const std::string &prefix = "") const {
    const JsonValue *value = object.get(key);
    if (value && !value->isNull())
      return unsupported(prefix + key, *value);
    return std::nullopt;
  }

  Error getBool(const JsonValue &object, const std::string &key,
                const std::string &field, bool defaultValue,
                bool &result) const {
    const JsonValue *value = object.get(key);
    result = defaultValue;
    if (!value || value->isNull())
      return std::nullopt;
    if (!value->isBool())
      return invalid(field + "." + key, "expected true or false");
    result = value->boolean;
    return std::nullopt;
  }

  /// The string "type" of an object, or an error naming `field`.
  Error getType(const JsonValue &value, const std::string &field,
                std::string &type) const {
    const JsonValue *member = value.get("type");
    if (!member || !member->isString())
      return invalid(field, "expected an object with a string \"type\"");
    type = member->string;
    return std::nullopt;
  }

  Error getId(const JsonValue &value, const std::string &field,
              int32_t &id) const {
    if (!value.isNumber() || value.number != std::floor(value.number) ||
        value.number < 0 || value.number > kMaxTokenId)
      return invalid(field, "expected a token id (an integer in [0, " +
                                std::to_string(kMaxTokenId) + "]), got " +
                                formatJson(value));
    id = static_cast<int32_t>(value.number);
    return std::nullopt;
  }

  void setDecoded(int32_t id, std::string bytes) {
    if (static_cast<size_t>(id) >= out.decoded.size())
      out.decoded.resize(id + 1);
    out.decoded[id] = std::move(bytes);
  }

  Error loadModel(const JsonValue &model) {
    std::string type;
    if (Error error = getType(model, "model", type))
      return error;
    if (type != "BPE")
      return unsupported("model.type", *model.get("type"));
    if (Error error = expectNull(model, "dropout", "model."))
      return error;
    for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
      if (const JsonValue *value = model.get(key))
        if (!value->isNull() && !(value->isString() && value->string.empty()))
          return unsupported(std::string("model.") + key, *value);
    bool byteFallback;
    if (Error error =
            getBool(model, "byte_fallback", "model", false, byteFallback))
      return error;
    if (byteFallback)
      return unsupported("model.byte_fallback", *model.get("byte_fallback"));
    if (Error error =
            getBool(model, "ignore_merges", "model", false, out.ignoreMerges))
      return error;
    if (Error error = getBool(model, "fuse_unk", "model", false, out.fuseUnk))
      return error;

    const JsonValue *vocab = model.get("vocab");
    if (!vocab || !vocab->isObject())
      return invalid("model.vocab", "expected an object");
    if (vocab->object.empty())
      return invalid("model.vocab", "is empty");
    out.vocab.reserve(vocab->object.size());
    for (const auto &[token, value] : vocab->object) {
      int32_t id;
      if (Error error = getId(value, "model.vocab." + token, id))
        return error;
      if (!out.vocab.emplace(token, id).second)
        return invalid("model.vocab", "token '" + token + "' appears twice");
      if (static_cast<size_t>(id) >= vocabToken.size())
        vocabToken.resize(id + 1);
      if (vocabToken[id])
        return invalid("model.vocab", "tokens '" + *vocabToken[id] + "' and '" +
                                          token + "' have id " +
                                          std::to_string(id));
      vocabToken[id] = &token;
      setDecoded(id, byteLevelDecode(token));
    }

    if (const JsonValue *unk = model.get("unk_token"); unk && !unk->isNull()) {
      auto it = unk->isString() ? out.vocab.find(unk->string) : out.vocab.end();
      if (it == out.vocab.end())
        return invalid("model.unk_token",
                       formatJson(*unk) + " is not in the vocabulary");
      out.unkId = it->second;
    }
    return loadMerges(model.get("merges"));
  }

  Error loadMerges(const JsonValue *merges) {
    if (!merges || merges->isNull())
      return std::nullopt;
    if (!merges->isArray())
      return invalid("model.merges", "expected an array");
    out.merges.reserve(merges->array.size());
    for (size_t rank = 0; rank < merges->array.size(); ++rank) {
      const JsonValue &merge = merges->array[rank];
      std::string field = "model.merges[" + std::to_string(rank) + "]";
      std::string left, right;
      if (merge.isString()) {
        size_t space = merge.string.find(' ');
        if (space == std::string::npos ||
            merge.string.find(' ', space + 1) != std::string::npos)
          return invalid(field, "expected \"LEFT RIGHT\" with one space, got " +
                                    formatJson(merge));
        left = merge.string.substr(0, space);
        right = merge.string.substr(space + 1);
      } else if (merge.isArray() && merge.array.size() == 2 &&
                 merge.array[0].isString() && merge.array[1].isString()) {
        left = merge.array[0].string;
        right = merge.array[1].string;
      } else {
        return invalid(field, "expected \"LEFT RIGHT\" or [LEFT, RIGHT], got " +
                                  formatJson(merge));
      }
      int32_t ids[3];
      const std::string parts[3] = {left, right, left + right};
      for (int i = 0; i < 3; ++i) {
        auto it = out.vocab.find(parts[i]);
        if (it == out.vocab.end())
          return invalid(field, "'" + parts[i] + "' is not in the vocabulary");
        ids[i] = it->second;
      }
      // A repeated pair keeps its last rank, as in Hugging Face.
      out.merges[pairKey(ids[0], ids[1])] =
          Tokenizer::Merge{static_cast<int32_t>(rank), ids[2]};
    }
    return std::nullopt;
  }

  Error loadAddedTokens(const JsonValue *added) {
    if (!added || added->isNull())
      return std::nullopt;
    if (!added->isArray())
      return invalid("added_tokens", "expected an array");
    for (size_t i = 0; i < added->array.size(); ++i) {
      const JsonValue &token = added->array[i];
      std::string field = "added_tokens[" + std::to_string(i) + "]";
      const JsonValue *id = token.get("id");
      const JsonValue *content = token.get("content");
      if (!id || !content || !content->isString() || content->string.empty())
        return invalid(field, "expected an object with an \"id\" and a "
                              "non-empty \"content\"");
      int32_t value;
      if (Error error = getId(*id, field + ".id", value))
        return error;
      // Only the plain literal match is modelled.
      for (const char *key : {"single_word", "lstrip", "rstrip"}) {
        bool flag;
        if (Error error = getBool(token, key, field, false, flag))
          return error;
        if (flag)
          return unsupported(field + "." + key, *token.get(key));
      }
      out.addedTokens.emplace_back(content->string, value);
      setDecoded(value, content->string);
    }
    std::sort(out.addedTokens.begin(), out.addedTokens.end(),
              [](const auto &a, const auto &b) {
                if (a.first.size() != b.first.size())
                  return a.first.size() > b.first.size();
                return a < b;
              });
    for (size_t i = 0; i < out.addedTokens.size(); ++i)
      out.addedTokensByFirstByte[(uint8_t)out.addedTokens[i].first[0]]
          .push_back((uint32_t)i);
    return std::nullopt;
  }

  Error loadPreTokenizerStep(const JsonValue &value, const std::string &field) {
    std::string type;
    if (Error error = getType(value, field, type))
      return error;
    Tokenizer::PreTokenizerStep step;
    if (type == "ByteLevel") {
      step.byteLevel = true;
      if (Error error = getBool(value, "add_prefix_space", field, true,
                                step.addPrefixSpace))
        return error;
      if (Error error = getBool(value, "use_regex", field, true, step.useRegex))
        return error;
    } else if (type == "Split") {
      const JsonValue *pattern = value.get("pattern");
      const JsonValue *regex = pattern ? pattern->get("Regex") : nullptr;
      if (!regex || !regex->isString())
        return unsupported(field + ".pattern",
                           pattern ? *pattern : JsonValue());
      if (regex->string == kGpt2Regex)
        step.pattern = SplitPattern::Gpt2;
      else if (regex->string == kLlama3Regex)
        step.pattern = SplitPattern::Llama3;
      else
        return unsupported(field + ".pattern.Regex", *regex);
      const JsonValue *behavior = value.get("behavior");
      if (!behavior || !behavior->isString() || behavior->string != "Isolated")
        return unsupported(field + ".behavior",
                           behavior ? *behavior : JsonValue());
      bool invert;
      if (Error error = getBool(value, "invert", field, false, invert))
        return error;
      if (invert)
        return unsupported(field + ".invert", *value.get("invert"));
    } else {
      return unsupported(field, value);
    }
    out.preTokenizer.push_back(step);
    return std::nullopt;
  }

  Error loadPreTokenizer(const JsonValue *value) {
    if (!value || value->isNull())
      return unsupported("pre_tokenizer", JsonValue());
    std::string type;
    if (Error error = getType(*value, "pre_tokenizer", type))
      return error;
    if (type == "Sequence") {
      const JsonValue *steps = value->get("pretokenizers");
      if (!steps || !steps->isArray())
        return invalid("pre_tokenizer.pretokenizers", "expected an array");
      for (size_t i = 0; i < steps->array.size(); ++i)
        if (Error error = loadPreTokenizerStep(steps->array[i],
                                               "pre_tokenizer.pretokenizers[" +
                                                   std::to_string(i) + "]"))
          return error;
    } else if (Error error = loadPreTokenizerStep(*value, "pre_tokenizer")) {
      return error;
    }
    // The byte mapping must come last: later splits would see mapped text.
    size_t byteLevelSteps = 0;
    for (const Tokenizer::PreTokenizerStep &step : out.preTokenizer)
      byteLevelSteps += step.byteLevel;
    if (byteLevelSteps != 1 || !out.preTokenizer.back().byteLevel)
      return invalid("pre_tokenizer", "unsupported arrangement: ByteLevel "
                                      "must be the last step, once");
    return std::nullopt;
  }

  Error loadTemplate(const JsonValue &processor, const std::string &field) {
    if (!out.singleTemplate.empty())
      return invalid(field, "a second TemplateProcessing is not supported");
    const JsonValue *single = processor.get("single");
    const JsonValue *specials = processor.get("special_tokens");
    if (!single || !single->isArray())
      return invalid(field + ".single", "expected an array");
    size_t sequences = 0;
    for (size_t i = 0; i < single->array.size(); ++i) {
      const JsonValue &item = single->array[i];
      std::string itemField = field + ".single[" + std::to_string(i) + "]";
      const JsonValue *special = item.get("SpecialToken");
      const JsonValue *sequence = item.get("Sequence");
      const JsonValue *id = special    ? special->get("id")
                            : sequence ? sequence->get("id")
                                       : nullptr;
      if (!id || !id->isString())
        return unsupported(itemField, item);
      Tokenizer::TemplateItem templateItem;
      if (sequence) {
        if (id->string != "A")
          return unsupported(itemField + ".Sequence.id", *id);
        templateItem.isSequence = true;
        ++sequences;
      } else {
        const JsonValue *entry = specials ? specials->get(id->string) : nullptr;
        const JsonValue *ids = entry ? entry->get("ids") : nullptr;
        if (!ids || !ids->isArray())
          return invalid(itemField, "special token '" + id->string +
                                        "' has no ids in " + field +
                                        ".special_tokens");
        for (const JsonValue &value : ids->array) {
          int32_t tokenId;
          if (Error error = getId(value, itemField, tokenId))
            return error;
          if (out.decode(tokenId).empty())
            return invalid(itemField, "special token '" + id->string +
                                          "' has id " +
                                          std::to_string(tokenId) +
                                          ", which is not in the vocabulary");
          templateItem.ids.push_back(tokenId);
        }
      }
      out.singleTemplate.push_back(std::move(templateItem));
    }
    if (sequences != 1)
      return invalid(field + ".single", "expected exactly one Sequence A");
    return std::nullopt;
  }

  Error loadPostProcessorStep(const JsonValue &value,
                              const std::string &field) {
    std::string type;
    if (Error error = getType(value, field, type))
      return error;
    // ByteLevel only adjusts offsets, which bitnet-run does not report.
    if (type == "ByteLevel")
      return std::nullopt;
    if (type == "TemplateProcessing")
      return loadTemplate(value, field);
    return unsupported(field, value);
  }

  Error loadPostProcessor(const JsonValue *value) {
    if (!value || value->isNull())
      return std::nullopt;
    std::string type;
    if (Error error = getType(*value, "post_processor", type))
      return error;
    if (type != "Sequence")
      return loadPostProcessorStep(*value, "post_processor");
    const JsonValue *steps = value->get("processors");
    if (!steps || !steps->isArray())
      return invalid("post_processor.processors", "expected an array");
    for (size_t i = 0; i < steps->array.size(); ++i)
      if (Error error = loadPostProcessorStep(steps->array[i],
                                              "post_processor.processors[" +
                                                  std::to_string(i) + "]"))
        return error;
    return std::nullopt;
  }

  Error loadDecoder(const JsonValue *value) {
    if (!value || value->isNull())
      return unsupported("decoder", JsonValue());
    std::string type;
    if (Error error = getType(*value, "decoder", type))
      return error;
    if (type != "ByteLevel")
      return unsupported("decoder", *value);
    return std::nullopt;
  }
};

Error Tokenizer::fromJson(const std::string &text, const std::string &name,
                          Tokenizer &out) {
  out = Tokenizer();
  out.name = name;
  JsonValue root;
  if (Error error = parseJson(text, root))
    return name + ": malformed JSON: " + *error;
  return TokenizerLoader(name, out).load(root);
}

Error Tokenizer::fromFile(const std::string &path, Tokenizer &out) {
  std::vector<uint8_t> bytes;
  if (Error error = readFile(path, bytes))
    return error;
  return fromJson(std::string(bytes.begin(), bytes.end()), path, out);
}

//===----------------------------------------------------------------------===//
// Encoding and decoding
//===----------------------------------------------------------------------===//

const std::string &Tokenizer::decode(int64_t id) const {
  static const std::string kEmpty;
  if (id < 0 || id >= vocabSize())
    return kEmpty;
  return decoded[id];
}

Error Tokenizer::encodeWord(const std::string &word,
                            std::vector<int64_t> &ids) const {
  if (ignoreMerges) {
    auto it = vocab.find(word);
    if (it != vocab.end()) {
      ids.push_back(it->second);
      return std::nullopt;
    }
  }
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool removed;
  };
  std::vector<Symbol> symbols;
  bool previousUnknown = false;
  for (size_t pos = 0; pos < word.size();) {
    uint32_t cp;
    size_t length = std::max<size_t>(decodeUtf8(word, pos, cp), 1);
    std::string symbol = word.substr(pos, length);
    pos += length;
    auto it = vocab.find(symbol);
    int32_t id;
    if (it != vocab.end()) {
      id = it->second;
      previousUnknown = false;
    } else if (unkId >= 0) {
      id = unkId;
      bool fuse = fuseUnk && previousUnknown;
      previousUnknown = true;
      if (fuse)
        continue;
    } else {
      // Every character here is a byte-level symbol: one byte.
      char byte[8];
      std::snprintf(byte, sizeof(byte), "0x%02X",
                    static_cast<unsigned char>(byteLevelDecode(symbol)[0]));
      return name + ": the symbol '" + symbol + "' (byte " + byte +
             ") is not in the vocabulary";
    }
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, false});
    if (index > 0)
      symbols[index - 1].next = index;
  }

  // Lowest rank first, then leftmost, as Hugging Face's Word::merge_all.
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t id;
    bool operator<(const Candidate &other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate> queue;
  auto push = [&](int32_t left) {
    int32_t right = symbols[left].next;
    if (right < 0)
      return;
    auto it = merges.find(pairKey(symbols[left].id, symbols[right].id));
    if (it != merges.end())
      queue.push({it->second.rank, left, it->second.id});
  };
  for (int32_t i = 0; i < static_cast<int32_t>(symbols.size()); ++i)
    push(i);
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.pos];
    if (left.removed || left.next < 0)
      continue;
    // Stale when either side has merged since the candidate was queued.
    auto it = merges.find(pairKey(left.id, symbols[left.next].id));
    if (it == merges.end() || it->second.id != top.id)
      continue;
    Symbol &right = symbols[left.next];
    right.removed = true;
    left.id = top.id;
    left.next = right.next;
    if (left.next >= 0)
      symbols[left.next].prev = top.pos;
    if (left.prev >= 0)
      push(left.prev);
    push(top.pos);
  }
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
  return std::nullopt;
}

Error Tokenizer::encode(const std::string &text,
                        std::vector<int64_t> &ids) const {
  std::vector<int64_t> sequence;
  // Pre-tokenizes and encodes text[start, end), between added tokens.
  auto encodeSegment = [&](size_t start, size_t end) -> Error {
    if (end <= start)
      return std::nullopt;
    std::vector<std::string> pieces{text.substr(start, end - start)};
    for (const PreTokenizerStep &step : preTokenizer) {
      std::vector<std::string> next;
      for (std::string &piece : pieces) {
        if (step.byteLevel && step.addPrefixSpace && piece[0] != ' ')
          piece.insert(0, 1, ' ');
        if (step.byteLevel && !step.useRegex) {
          next.push_back(std::move(piece));
          continue;
        }
        std::vector<std::string> split = splitPreTokens(
            step.byteLevel ? SplitPattern::Gpt2 : step.pattern, piece);
        std::move(split.begin(), split.end(), std::back_inserter(next));
      }
      pieces = std::move(next);
    }
    for (const std::string &piece : pieces)
      if (Error error = encodeWord(byteLevelEncode(piece), sequence))
        return error;
    return std::nullopt;
  };

  // Added tokens are matched leftmost-longest (addedTokens is longest
  // first), before any pre-tokenization.
  size_t segmentStart = 0;
  for (size_t pos = 0; pos < text.size();) {
    const std::pair<std::string, int32_t> *match = nullptr;
    for (uint32_t index : addedTokensByFirstByte[(uint8_t)text[pos]]) {
      const auto &added = addedTokens[index];
      if (text.compare(pos, added.first.size(), added.first) == 0) {
        match = &added;
        break;
      }
    }
    if (!match) {
      ++pos;
      continue;
    }
    if (Error error = encodeSegment(segmentStart, pos))
      return error;
    sequence.push_back(match->second);
    pos += match->first.size();
    segmentStart = pos;
  }
  if (Error error = encodeSegment(segmentStart, text.size()))
    return error;

  ids.clear();
  if (singleTemplate.empty()) {
    ids = std::move(sequence);
    return std::nullopt;
  }
  for (const TemplateItem &item : singleTemplate) {
    if (item.isSequence)
      ids.insert(ids.end(), sequence.begin(), sequence.end());
    else
      ids.insert(ids.end(), item.ids.begin(), item.ids.end());
  }
  return std::nullopt;
}

} // namespace bitnet::run
