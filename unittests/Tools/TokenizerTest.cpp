//===- TokenizerTest.cpp - bitnet-run's JSON parser and tokenizer ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tokenizer.json support of bitnet-run --generate --tokenizer: the JSON
// parser, the two pre-tokenizer regex scanners (expected splits worked out
// by hand from the regex rules), BPE on a tiny vocabulary, encode/decode
// round trips and the errors for what is not supported.
//
//===----------------------------------------------------------------------===//

#include "Tokenizer.h"
#include "Json.h"

#include "gtest/gtest.h"

#include <random>
#include <string>
#include <vector>

using namespace bitnet::run;

namespace {

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

JsonValue parseOk(const std::string &text) {
  JsonValue value;
  Error error = parseJson(text, value);
  EXPECT_FALSE(error) << text << ": " << *error;
  return value;
}

std::string parseError(const std::string &text) {
  JsonValue value;
  Error error = parseJson(text, value);
  EXPECT_TRUE(error) << "parsed: " << text;
  return error.value_or("");
}

TEST(JsonTest, Values) {
  JsonValue value = parseOk(
      R"( {"a": [1, -2.5e2, 0, true, false, null], "b": {"c": "d"},
          "e": []} )");
  ASSERT_TRUE(value.isObject());
  ASSERT_EQ(value.object.size(), 3u);
  const JsonValue *a = value.get("a");
  ASSERT_TRUE(a && a->isArray());
  ASSERT_EQ(a->array.size(), 6u);
  EXPECT_EQ(a->array[0].number, 1);
  EXPECT_EQ(a->array[1].number, -250);
  EXPECT_EQ(a->array[2].number, 0);
  EXPECT_TRUE(a->array[3].isBool() && a->array[3].boolean);
  EXPECT_TRUE(a->array[4].isBool() && !a->array[4].boolean);
  EXPECT_TRUE(a->array[5].isNull());
  const JsonValue *b = value.get("b");
  ASSERT_TRUE(b && b->get("c"));
  EXPECT_EQ(b->get("c")->string, "d");
  EXPECT_TRUE(value.get("e")->isArray());
  EXPECT_EQ(value.get("missing"), nullptr);
  EXPECT_EQ(a->get("x"), nullptr) << "get() on an array";
}

TEST(JsonTest, StringEscapes) {
  EXPECT_EQ(parseOk(R"("\"\\\/\b\f\n\r\t")").string, "\"\\/\b\f\n\r\t");
  // é is U+00E9: UTF-8 C3 A9; € is U+20AC: E2 82 AC.
  EXPECT_EQ(parseOk(R"("\u00e9\u20AC")").string, "\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parseOk(R"("\u0000")").string, std::string(1, '\0'));
  // U+1F600 is the pair D83D DE00: UTF-8 F0 9F 98 80.
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").string, "\xF0\x9F\x98\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(parseOk("\"h\xC3\xA9\xF0\x9F\x98\x80\"").string,
            "h\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(JsonTest, ErrorsHaveOffsets) {
  EXPECT_EQ(parseError(R"({"a": })"), "byte 6: expected a value, found '}'");
  EXPECT_EQ(parseError("[1,]"), "byte 3: expected a value, found ']'");
  EXPECT_EQ(parseError(R"({"a" 1})"), "byte 5: expected ':', found '1'");
  EXPECT_EQ(parseError(R"({"a": 1,})"),
            "byte 8: expected a string key, found '}'");
  EXPECT_EQ(parseError("[1 2]"), "byte 3: expected ',' or ']', found '2'");
  EXPECT_EQ(parseError(R"(["abc)"), "byte 1: unterminated string");
  EXPECT_EQ(parseError("[1] x"),
            "byte 4: unexpected data after the JSON value");
  EXPECT_EQ(parseError(""),
            "byte 0: expected a value, found the end of the text");
  EXPECT_EQ(parseError("tru"), "byte 0: expected a value, found 't'");
  EXPECT_EQ(parseError("01"), "byte 0: leading zero in a number");
  EXPECT_EQ(parseError("1."), "byte 2: expected a digit after '.', found the "
                              "end of the text");
  EXPECT_EQ(parseError("-"), "byte 1: expected a digit, found the end of the "
                             "text");
  EXPECT_EQ(parseError("1e+"),
            "byte 3: expected a digit in the exponent, found "
            "the end of the text");
  EXPECT_EQ(parseError(R"(["\x"])"), "byte 2: invalid escape '\\x'");
  EXPECT_EQ(parseError(R"(["\u12G4"])"),
            "byte 6: expected a hex digit in \\u escape, found 'G'");
  EXPECT_EQ(parseError(R"(["\ud800"])"),
            "byte 2: unpaired high surrogate in \\u escape");
  EXPECT_EQ(parseError(R"(["\ud800\u0041"])"),
            "byte 8: expected a low surrogate after a high one in \\u escape");
  EXPECT_EQ(parseError(R"(["\udc00"])"),
            "byte 2: unpaired low surrogate in \\u escape");
  EXPECT_EQ(parseError("[\"a\nb\"]"),
            "byte 3: unescaped control character in a string");
  EXPECT_EQ(parseError("[\"a\xFF\"]"), "byte 3: invalid UTF-8 in a string");
  // An overlong '/' (C0 AF) and a UTF-8-encoded surrogate (ED A0 80).
  EXPECT_EQ(parseError("\"\xC0\xAF\""), "byte 1: invalid UTF-8 in a string");
  EXPECT_EQ(parseError("\"\xED\xA0\x80\""),
            "byte 1: invalid UTF-8 in a string");
  EXPECT_EQ(parseError("// comment\n1"), "byte 0: expected a value, found '/'");
  std::string deep(300, '[');
  EXPECT_EQ(parseError(deep), "byte 256: nested deeper than 256 levels");
}

//===----------------------------------------------------------------------===//
// Pre-tokenizer scanners
//===----------------------------------------------------------------------===//

using Pieces = std::vector<std::string>;

Pieces gpt2(const std::string &text) {
  return splitPreTokens(SplitPattern::Gpt2, text);
}
Pieces llama3(const std::string &text) {
  return splitPreTokens(SplitPattern::Llama3, text);
}

TEST(PreTokenizerTest, Gpt2) {
  // The two spaces before "end": \s+(?!\S) gives up the space that " ?\p{L}+"
  // then takes; the final newline is a run at the end.
  EXPECT_EQ(gpt2("Hello world's  end\n"),
            (Pieces{"Hello", " world", "'s", " ", " end", "\n"}));
  EXPECT_EQ(gpt2("I've 12 apples!!"),
            (Pieces{"I", "'ve", " 12", " apples", "!!"}));
  // Contractions are case-sensitive: "'S" is punctuation then a letter.
  EXPECT_EQ(gpt2("HE'S"), (Pieces{"HE", "'", "S"}));
  // Letters beyond ASCII, CJK as letters, an emoji (So) as punctuation.
  EXPECT_EQ(gpt2("h\xC3\xA9llo w\xC3\xB6rld"),
            (Pieces{"h\xC3\xA9llo", " w\xC3\xB6rld"}));
  EXPECT_EQ(gpt2("\xE4\xBD\xA0\xE5\xA5\xBD \xE4\xB8\x96\xE7\x95\x8C"),
            (Pieces{"\xE4\xBD\xA0\xE5\xA5\xBD", " \xE4\xB8\x96\xE7\x95\x8C"}));
  EXPECT_EQ(gpt2("hi \xF0\x9F\x98\x80!"), (Pieces{"hi", " \xF0\x9F\x98\x80!"}));
  // Only U+0020 is the optional prefix: a tab run of two gives up one tab,
  // and a single tab before a letter is a whole \s+ match.
  EXPECT_EQ(gpt2("a\t\tb"), (Pieces{"a", "\t", "\t", "b"}));
  // Trailing whitespace stays one run; digits are not limited to three.
  EXPECT_EQ(gpt2("x   "), (Pieces{"x", "   "}));
  EXPECT_EQ(gpt2("x2024y"), (Pieces{"x", "2024", "y"}));
  EXPECT_EQ(gpt2("foo!!\n\nbar"), (Pieces{"foo", "!!", "\n", "\n", "bar"}));
  EXPECT_EQ(gpt2("a\r\n\r\nb"), (Pieces{"a", "\r\n\r", "\n", "b"}));
  EXPECT_EQ(gpt2(""), Pieces{});
}

TEST(PreTokenizerTest, Llama3) {
  EXPECT_EQ(llama3("Hello world's  end\n"),
            (Pieces{"Hello", " world", "'s", " ", " end", "\n"}));
  // Numbers are groups of at most three digits, never prefixed by a space.
  EXPECT_EQ(llama3("12345"), (Pieces{"123", "45"}));
  EXPECT_EQ(llama3("x2024y"), (Pieces{"x", "202", "4", "y"}));
  EXPECT_EQ(llama3("I've 12 apples!!"),
            (Pieces{"I", "'ve", " ", "12", " apples", "!!"}));
  // (?i:...): "'S" is a contraction here; " '" is punctuation with its space.
  EXPECT_EQ(llama3("HE'S 'RE"), (Pieces{"HE", "'S", " '", "RE"}));
  // U+017F LATIN SMALL LETTER LONG S case-folds to 's'.
  EXPECT_EQ(llama3("it'\xC5\xBF"), (Pieces{"it", "'\xC5\xBF"}));
  // Any one non-letter, non-digit, non-newline character prefixes letters.
  EXPECT_EQ(llama3("$hello"), (Pieces{"$hello"}));
  EXPECT_EQ(llama3("a\t\tb"), (Pieces{"a", "\t", "\tb"}));
  EXPECT_EQ(llama3("h\xC3\xA9llo w\xC3\xB6rld"),
            (Pieces{"h\xC3\xA9llo", " w\xC3\xB6rld"}));
  EXPECT_EQ(llama3("\xE4\xBD\xA0\xE5\xA5\xBD \xE4\xB8\x96\xE7\x95\x8C"),
            (Pieces{"\xE4\xBD\xA0\xE5\xA5\xBD", " \xE4\xB8\x96\xE7\x95\x8C"}));
  EXPECT_EQ(llama3("hi \xF0\x9F\x98\x80!"),
            (Pieces{"hi", " \xF0\x9F\x98\x80!"}));
  // Punctuation takes the newlines after it; \s*[\r\n]+ ends a whitespace
  // run at its last newline.
  EXPECT_EQ(llama3("foo!!\n\nbar"), (Pieces{"foo", "!!\n\n", "bar"}));
  EXPECT_EQ(llama3("  \n\n  x"), (Pieces{"  \n\n", " ", " x"}));
  EXPECT_EQ(llama3("a\r\n\r\nb"), (Pieces{"a", "\r\n\r\n", "b"}));
  EXPECT_EQ(llama3("x   "), (Pieces{"x", "   "}));
}

TEST(PreTokenizerTest, MalformedUtf8IsPunctuation) {
  EXPECT_EQ(gpt2("ab\xFF\xFE cd"), (Pieces{"ab", "\xFF\xFE", " cd"}));
  EXPECT_EQ(llama3("\xFFrun"), (Pieces{"\xFFrun"}));
}

TEST(PreTokenizerTest, ByteLevelSymbols) {
  EXPECT_EQ(byteLevelSymbol('A'), "A");
  EXPECT_EQ(byteLevelSymbol(' '), "\xC4\xA0");  // U+0120 'Ġ'
  EXPECT_EQ(byteLevelSymbol('\n'), "\xC4\x8A"); // U+010A 'Ċ'
  EXPECT_EQ(byteLevelSymbol(0), "\xC4\x80");    // U+0100 'Ā'
  EXPECT_EQ(byteLevelSymbol(0xAD), "\xC5\x83"); // U+0143, the 68th
  EXPECT_EQ(byteLevelSymbol(0xE9), "\xC3\xA9"); // U+00E9 'é' is itself
}

//===----------------------------------------------------------------------===//
// Tokenizer
//===----------------------------------------------------------------------===//

/// A tokenizer.json from its parts (each a JSON value).
std::string tokenizerJson(const std::string &vocab, const std::string &merges,
                          const std::string &preTokenizer =
                              R"({"type": "ByteLevel", "add_prefix_space": )"
                              R"(false, "trim_offsets": true, )"
                              R"("use_regex": true})",
                          const std::string &addedTokens = "[]",
                          const std::string &postProcessor = "null",
                          const std::string &model = R"("type": "BPE")") {
  return R"({"version": "1.0", "truncation": null, "padding": null,
  "added_tokens": )" +
         addedTokens + R"(, "normalizer": null, "pre_tokenizer": )" +
         preTokenizer + R"(, "post_processor": )" + postProcessor +
         R"(, "decoder": {"type": "ByteLevel", "add_prefix_space": true,
  "trim_offsets": true, "use_regex": true}, "model": {)" +
         model + R"(, "dropout": null, "unk_token": null,
  "continuing_subword_prefix": null, "end_of_word_suffix": null,
  "fuse_unk": false, "byte_fallback": false, "vocab": )" +
         vocab + R"(, "merges": )" + merges + "}}";
}

Tokenizer load(const std::string &json) {
  Tokenizer tokenizer;
  Error error = Tokenizer::fromJson(json, "t.json", tokenizer);
  EXPECT_FALSE(error) << *error;
  return tokenizer;
}

std::string loadError(const std::string &json) {
  Tokenizer tokenizer;
  Error error = Tokenizer::fromJson(json, "t.json", tokenizer);
  EXPECT_TRUE(error) << "loaded";
  return error.value_or("");
}

std::vector<int64_t> encode(const Tokenizer &tokenizer,
                            const std::string &text) {
  std::vector<int64_t> ids;
  Error error = tokenizer.encode(text, ids);
  EXPECT_FALSE(error) << *error;
  return ids;
}

using Ids = std::vector<int64_t>;

// The two known regexes as JSON string contents.
const char kGpt2RegexJson[] =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|)re"
    R"re(\\s+(?!\\S)|\\s+)re";
const char kLlama3RegexJson[] =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|)re"
    R"re(\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|)re"
    R"re(\\s+(?!\\S)|\\s+)re";

/// A Sequence pre-tokenizer: Split on `regexJson` with `behavior`, then
/// ByteLevel without its own regex (the Llama-3 layout) unless
/// `byteLevel` is false.
std::string splitPreTokenizer(const std::string &regexJson,
                              const std::string &behavior = "Isolated",
                              bool byteLevel = true) {
  std::string json = R"({"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": ")" +
                     regexJson + R"("}, "behavior": ")" + behavior +
                     R"(", "invert": false})";
  if (byteLevel)
    json += R"(, {"type": "ByteLevel", "add_prefix_space": false,
                  "trim_offsets": true, "use_regex": false})";
  return json + "]}";
}

// "Ġ" is the byte-level symbol of ' '.
const char kTinyVocab[] = R"({"l": 0, "o": 1, "w": 2, "e": 3, "r": 4,
  "Ġ": 5, "lo": 6, "low": 7, "er": 8, "Ġlow": 9, "Ġl": 10, "n": 11, "s": 12,
  "t": 13, "es": 14, "est": 15, "wer": 16, "a": 17, "aa": 18})";
const char kTinyMerges[] = R"(["l o", "lo w", "e r", "Ġ low", "Ġ l",
  "e s", ["es", "t"], "a a"])";

TEST(TokenizerTest, BpeMergesByRank) {
  Tokenizer tokenizer = load(tokenizerJson(kTinyVocab, kTinyMerges));
  // "lower": l o w e r; "l o" (rank 0), then "lo w" (1), then "e r" (2).
  // " newest": only "e s" (5) then "es t" (6) apply.
  EXPECT_EQ(encode(tokenizer, "lower newest"), (Ids{7, 8, 5, 11, 3, 2, 15}));
  // " low": "Ġ l" (rank 4) loses to "l o" (0); then "lo w" (1) and
  // "Ġ low" (3) give one token, not Ġl + o + w.
  EXPECT_EQ(encode(tokenizer, " low"), (Ids{9}));
  // Equal ranks merge leftmost first.
  EXPECT_EQ(encode(tokenizer, "aaa"), (Ids{18, 17}));
  EXPECT_EQ(encode(tokenizer, "aaaa"), (Ids{18, 18}));
  // "wer" is in the vocabulary but no merge builds it.
  EXPECT_EQ(encode(tokenizer, "wer"), (Ids{2, 8}));
  EXPECT_EQ(encode(tokenizer, ""), Ids{});
  EXPECT_EQ(tokenizer.vocabSize(), 19);
  EXPECT_EQ(tokenizer.decode(9), " low");
  EXPECT_EQ(tokenizer.decode(19), "");
  EXPECT_EQ(tokenizer.decode(-1), "");
}

TEST(TokenizerTest, IgnoreMerges) {
  Tokenizer tokenizer = load(tokenizerJson(
      kTinyVocab, kTinyMerges,
      R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})",
      "[]", "null", R"("type": "BPE", "ignore_merges": true)"));
  // A whole pre-token in the vocabulary is taken as is.
  EXPECT_EQ(encode(tokenizer, "wer"), (Ids{16}));
  EXPECT_EQ(encode(tokenizer, "lower"), (Ids{7, 8}));
}

TEST(TokenizerTest, AddPrefixSpace) {
  Tokenizer tokenizer = load(tokenizerJson(
      kTinyVocab, kTinyMerges,
      R"({"type": "ByteLevel", "add_prefix_space": true, "use_regex": true})"));
  EXPECT_EQ(encode(tokenizer, "low"), (Ids{9}));
  EXPECT_EQ(encode(tokenizer, " low"), (Ids{9}));
}

const char kSpecials[] = R"([
  {"id": 100, "content": "<|bos|>", "single_word": false, "lstrip": false,
   "rstrip": false, "normalized": false, "special": true},
  {"id": 101, "content": "<|eot|>", "single_word": false, "lstrip": false,
   "rstrip": false, "normalized": false, "special": true},
  {"id": 102, "content": "<|eot|>x", "special": true},
  {"id": 103, "content": "☃", "special": true}])";
const char kBosTemplate[] = R"({"type": "TemplateProcessing",
  "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}},
             {"Sequence": {"id": "A", "type_id": 0}}],
  "pair": [{"Sequence": {"id": "A", "type_id": 0}},
           {"Sequence": {"id": "B", "type_id": 1}}],
  "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [100],
                                 "tokens": ["<|bos|>"]}}})";

TEST(TokenizerTest, AddedTokensAndTemplate) {
  Tokenizer tokenizer = load(tokenizerJson(
      kTinyVocab, kTinyMerges, splitPreTokenizer(kLlama3RegexJson), kSpecials,
      std::string(R"({"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false,
         "use_regex": true}, )") +
          kBosTemplate + "]}"));
  // Added tokens split the text first (longest match: "<|eot|>x" over
  // "<|eot|>"); the template adds <|bos|>.
  EXPECT_EQ(encode(tokenizer, "low<|eot|>low"), (Ids{100, 7, 101, 7}));
  EXPECT_EQ(encode(tokenizer, "low<|eot|>x low"), (Ids{100, 7, 102, 9}));
  EXPECT_EQ(encode(tokenizer, "<|bos|><|bos|>"), (Ids{100, 100, 100}));
  // A first byte past ASCII (E2) finds its added token too.
  EXPECT_EQ(encode(tokenizer, "low☃low"), (Ids{100, 7, 103, 7}));
  EXPECT_EQ(encode(tokenizer, ""), (Ids{100}));
  EXPECT_EQ(tokenizer.vocabSize(), 104);
  EXPECT_EQ(tokenizer.decode(100), "<|bos|>");
  EXPECT_EQ(tokenizer.decode(50), "") << "an id without a token";
}

/// Vocabulary: byte b's symbol has id b; merges make "Ġt", "he", "Ġthe",
/// "é" (C3 A9) and "€" (E2 82 AC) single tokens.
std::string byteVocabJson(const std::string &preTokenizer) {
  std::string vocab = "{";
  for (int b = 0; b < 256; ++b) {
    JsonValue symbol;
    symbol.kind = JsonValue::Kind::String;
    symbol.string = byteLevelSymbol(static_cast<uint8_t>(b));
    vocab += formatJson(symbol) + ": " + std::to_string(b) + ", ";
  }
  vocab += R"("Ġt": 256, "he": 257, "Ġthe": 258, "Ã©": 259, "âĤ": 260,
    "âĤ¬": 261})";
  return tokenizerJson(
      vocab, R"(["Ġ t", "h e", "Ġt he", "Ã ©", "â Ĥ", "âĤ ¬"])", preTokenizer);
}

TEST(TokenizerTest, RoundTrip) {
  std::vector<std::string> alphabet = {"\xC3\xA9",     "\xE2\x82\xAC",
                                       "\xE4\xBD\xA0", "\xF0\x9F\x98\x80",
                                       "\xE3\x80\x80", " the"};
  for (char c : std::string("abtheZ17  \n\t'!\x7F") + '\0')
    alphabet.push_back(std::string(1, c));
  const std::string preTokenizers[] = {
      R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})",
      splitPreTokenizer(kLlama3RegexJson)};
  std::mt19937 rng(42);
  for (const std::string &preTokenizer : preTokenizers) {
    Tokenizer tokenizer = load(byteVocabJson(preTokenizer));
    // " the": Ġ t h e -> Ġt he -> Ġthe; " café": Ġ c a f Ã © with Ã©;
    // " €": Ġ â Ĥ ¬ -> âĤ ¬ -> âĤ¬. Ġ is byte ' ', id 32.
    EXPECT_EQ(encode(tokenizer, " the caf\xC3\xA9 \xE2\x82\xAC"),
              (Ids{258, 32, 'c', 'a', 'f', 259, 32, 261}));
    for (int trial = 0; trial < 500; ++trial) {
      std::string text;
      int length = std::uniform_int_distribution<int>(0, 24)(rng);
      for (int i = 0; i < length; ++i)
        text += alphabet[std::uniform_int_distribution<size_t>(
            0, alphabet.size() - 1)(rng)];
      std::vector<int64_t> ids = encode(tokenizer, text);
      std::string decoded;
      for (int64_t id : ids)
        decoded += tokenizer.decode(id);
      ASSERT_EQ(decoded, text);
    }
  }
}

TEST(TokenizerTest, MissingSymbol) {
  // No "Ġ": a space cannot be encoded.
  Tokenizer tokenizer =
      load(tokenizerJson(R"({"l": 0, "o": 1, "w": 2, "lo": 3})", R"(["l o"])"));
  EXPECT_EQ(encode(tokenizer, "low"), (Ids{3, 2}));
  std::vector<int64_t> ids;
  Error error = tokenizer.encode("lo w", ids);
  ASSERT_TRUE(error);
  EXPECT_EQ(*error, "t.json: the symbol '\xC4\xA0' (byte 0x20) is not in the "
                    "vocabulary");
}

TEST(TokenizerTest, Errors) {
  const std::string vocab = R"({"a": 0, "b": 1, "ab": 2})";
  EXPECT_EQ(loadError("{"),
            "t.json: malformed JSON: byte 1: expected a string key, found the "
            "end of the text");
  EXPECT_EQ(loadError("[]"), "t.json: the top level: expected an object");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]", "null", "[]", "null",
                                    R"("type": "WordPiece")")),
            "t.json: unsupported model.type 'WordPiece'");
  EXPECT_EQ(loadError(tokenizerJson(vocab, R"(["a c"])")),
            "t.json: model.merges[0]: 'c' is not in the vocabulary");
  EXPECT_EQ(loadError(tokenizerJson(vocab, R"(["b a"])")),
            "t.json: model.merges[0]: 'ba' is not in the vocabulary");
  EXPECT_EQ(loadError(tokenizerJson(vocab, R"(["ab"])")),
            "t.json: model.merges[0]: expected \"LEFT RIGHT\" with one space, "
            "got \"ab\"");
  EXPECT_EQ(loadError(tokenizerJson(R"({"a": 0, "b": 0})", "[]")),
            "t.json: model.vocab: tokens 'a' and 'b' have id 0");
  EXPECT_EQ(loadError(tokenizerJson(R"({"a": -1})", "[]")),
            "t.json: model.vocab.a: expected a token id (an integer in [0, "
            "4194303]), got -1");
  EXPECT_EQ(loadError(tokenizerJson(R"({"a": 0.5})", "[]")),
            "t.json: model.vocab.a: expected a token id (an integer in [0, "
            "4194303]), got 0.5");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]", splitPreTokenizer("\\\\d+"))),
            "t.json: unsupported pre_tokenizer.pretokenizers[0].pattern.Regex "
            "'\\d+'");
  EXPECT_EQ(loadError(tokenizerJson(
                vocab, "[]", R"({"type": "Metaspace", "replacement": "▁"})")),
            "t.json: unsupported pre_tokenizer 'Metaspace'");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]", "null")),
            "t.json: unsupported pre_tokenizer 'null'");
  EXPECT_EQ(loadError(tokenizerJson(
                vocab, "[]", splitPreTokenizer(kGpt2RegexJson, "Removed"))),
            "t.json: unsupported pre_tokenizer.pretokenizers[0].behavior "
            "'Removed'");
  EXPECT_EQ(
      loadError(tokenizerJson(
          vocab, "[]", splitPreTokenizer(kGpt2RegexJson, "Isolated", false))),
      "t.json: pre_tokenizer: unsupported arrangement: ByteLevel must "
      "be the last step, once");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]",
                                    R"({"type": "Sequence", "pretokenizers": [
                    {"type": "ByteLevel"}, {"type": "Split", "pattern":
                    {"Regex": ")" + std::string(kGpt2RegexJson) +
                                        R"("}, "behavior": "Isolated"}]})")),
            "t.json: pre_tokenizer: unsupported arrangement: ByteLevel must "
            "be the last step, once");
  EXPECT_EQ(
      loadError(tokenizerJson(
          vocab, "[]", R"({"type": "ByteLevel", "add_prefix_space": false})",
          R"([{"id": 5, "content": "<s>", "lstrip": true}])")),
      "t.json: unsupported added_tokens[0].lstrip 'true'");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]", R"({"type": "ByteLevel"})",
                                    "[]", R"({"type": "RobertaProcessing"})")),
            "t.json: unsupported post_processor 'RobertaProcessing'");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]", R"({"type": "ByteLevel"})",
                                    "[]", kBosTemplate)),
            "t.json: post_processor.single[0]: special token '<|bos|>' has id "
            "100, which is not in the vocabulary");
  EXPECT_EQ(loadError(tokenizerJson(vocab, "[]", R"({"type": "ByteLevel"})",
                                    "[]", "null",
                                    R"("type": "BPE", "byte_fallback": true)")),
            "t.json: unsupported model.byte_fallback 'true'");

  // Fields outside tokenizerJson's parameters.
  auto edit = [&](const std::string &from, const std::string &to) {
    std::string json = tokenizerJson(vocab, "[]");
    size_t at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? json : json.replace(at, from.size(), to);
  };
  EXPECT_EQ(loadError(edit(R"("normalizer": null)",
                           R"("normalizer": {"type": "NFC"})")),
            "t.json: unsupported normalizer 'NFC'");
  EXPECT_EQ(loadError(edit(R"("decoder": {"type": "ByteLevel")",
                           R"("decoder": {"type": "WordPiece")")),
            "t.json: unsupported decoder 'WordPiece'");
  EXPECT_EQ(loadError(edit(R"("dropout": null)", R"("dropout": 0.1)")),
            "t.json: unsupported model.dropout '0.1'");
  EXPECT_EQ(loadError(edit(R"("truncation": null)",
                           R"("truncation": {"max_length": 8})")),
            "t.json: unsupported truncation '{\"max_length\":8}'");
}

TEST(TokenizerTest, MissingFile) {
  Tokenizer tokenizer;
  Error error = Tokenizer::fromFile("/nonexistent/tokenizer.json", tokenizer);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("cannot open '/nonexistent/tokenizer.json'", 0), 0u)
      << *error;
}

} // namespace
