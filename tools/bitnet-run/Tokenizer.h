//===- Tokenizer.h - Byte-level BPE from a tokenizer.json -------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The subset of Hugging Face tokenizer.json that GPT-2, Llama 3 and BitNet
// b1.58 use: a byte-level BPE model, the GPT-2 or Llama-3 split regex (each
// a hand-written scanner with the regex's exact semantics), literal added
// tokens, a TemplateProcessing post-processor and the ByteLevel decoder.
// Anything else in the file is rejected with a message naming it. Standard
// library only, so the file cross-compiles into the foreign-ISA runners.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_TOOLS_BITNET_RUN_TOKENIZER_H
#define BITNET_TOOLS_BITNET_RUN_TOKENIZER_H

#include "TensorFile.h"

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bitnet::run {

/// The pre-tokenizer regexes understood, by their source text.
enum class SplitPattern {
  /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Gpt2,
  /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Llama3,
};

/// Splits `text` into the successive matches of `pattern`, which together
/// cover all of it. Bytes that are not well-formed UTF-8 count as single
/// characters that are neither letters, numbers nor spaces.
std::vector<std::string> splitPreTokens(SplitPattern pattern,
                                        const std::string &text);

/// GPT-2's bytes_to_unicode: the character (as UTF-8) that stands for byte
/// `byte` in byte-level token strings.
std::string byteLevelSymbol(uint8_t byte);

/// A loaded tokenizer.json. Immutable after loading.
class Tokenizer {
public:
  /// Parses the JSON text of a tokenizer.json; `name` prefixes the errors.
  static Error fromJson(const std::string &text, const std::string &name,
                        Tokenizer &out);
  /// Reads and parses the file at `path`.
  static Error fromFile(const std::string &path, Tokenizer &out);

  /// Token ids of `text`: added tokens matched literally, the rest
  /// pre-tokenized and BPE-encoded, then the post-processor's template.
  Error encode(const std::string &text, std::vector<int64_t> &ids) const;

  /// The bytes of token `id`: an added token's content, else the token's
  /// byte-level string mapped back to bytes. Empty for an id with no token
  /// (as Hugging Face's decode skips it).
  const std::string &decode(int64_t id) const;

  /// One more than the largest id of the vocabulary and added tokens.
  int64_t vocabSize() const { return static_cast<int64_t>(decoded.size()); }

private:
  struct PreTokenizerStep {
    bool byteLevel = false;
    SplitPattern pattern = SplitPattern::Gpt2;
    /// ByteLevel only.
    bool addPrefixSpace = false;
    bool useRegex = true;
  };
  struct TemplateItem {
    /// The sequence itself, or the ids of a special token.
    bool isSequence = false;
    std::vector<int64_t> ids;
  };
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  friend class TokenizerLoader;

  Error encodeWord(const std::string &word, std::vector<int64_t> &ids) const;

  std::string name;
  std::unordered_map<std::string, int32_t> vocab;
  /// Keyed by (left id << 32 | right id).
  std::unordered_map<uint64_t, Merge> merges;
  bool ignoreMerges = false;
  int32_t unkId = -1;
  bool fuseUnk = false;
  /// Added tokens, longest first, for leftmost-longest matching.
  std::vector<std::pair<std::string, int32_t>> addedTokens;
  /// For each first byte, the indices of the added tokens that start with
  /// it (longest first): a position is compared only with those.
  std::array<std::vector<uint32_t>, 256> addedTokensByFirstByte;
  std::vector<PreTokenizerStep> preTokenizer;
  /// Empty: no post-processing.
  std::vector<TemplateItem> singleTemplate;
  /// By id; empty for ids without a token.
  std::vector<std::string> decoded;
};

} // namespace bitnet::run

#endif // BITNET_TOOLS_BITNET_RUN_TOKENIZER_H
