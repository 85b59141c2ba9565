# Writes the tokenizer.json fixtures of tokenizer.test into the directory
# given as argv[1] (run at test time; nothing generated is committed):
#
#   bytes.json      byte-level BPE whose vocabulary maps the GPT-2 byte-level
#                   symbol of byte b to id b (256 tokens), no merges,
#                   ByteLevel pre-tokenizer (GPT-2 regex) and decoder: on a
#                   vocab-256 model it must equal bitnet-run's built-in bytes
#   llama3.json     Llama-3 layout: Split (Llama-3 regex) + ByteLevel,
#                   ignore_merges, a <|begin_of_text|> added token (id 0) put
#                   first by a TemplateProcessing post-processor; printable
#                   ASCII bytes keep their ids, plus "Ġf" 1, "oo" 2,
#                   "Ġfoo" 3 (merges in that order) and "Ġand" 4 (no merge)
#   big.json        bytes.json plus an added token with id 300 (301 tokens)
#   nfc.json        bytes.json with an NFC normalizer (unsupported)
#   malformed.json  a JSON syntax error at byte 43
import json
import os
import sys


def bytes_to_unicode():
    """GPT-2's byte -> character map."""
    printable = (list(range(ord("!"), ord("~") + 1)) +
                 list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1)))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False,
              "trim_offsets": True, "use_regex": True}
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
                r"\s+(?!\S)|\s+")


def tokenizer(vocab, merges, pre_tokenizer, added=(), post=None,
              ignore_merges=False):
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [
            {"id": i, "content": c, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True}
            for i, c in added],
        "normalizer": None, "pre_tokenizer": pre_tokenizer,
        "post_processor": post, "decoder": dict(BYTE_LEVEL),
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False,
                  "byte_fallback": False, "ignore_merges": ignore_merges,
                  "vocab": vocab, "merges": merges},
    }


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    symbols = bytes_to_unicode()

    def write(name, value):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(value, f, ensure_ascii=False, indent=1)

    byte_vocab = {symbols[b]: b for b in range(256)}
    write("bytes.json", tokenizer(byte_vocab, [], dict(BYTE_LEVEL)))
    write("big.json", tokenizer(byte_vocab, [], dict(BYTE_LEVEL),
                                added=[(300, "<|end|>")]))
    nfc = tokenizer(byte_vocab, [], dict(BYTE_LEVEL))
    nfc["normalizer"] = {"type": "NFC"}
    write("nfc.json", nfc)

    vocab = {symbols[b]: b for b in range(0x20, 0x7F)}
    vocab.update({"Ġf": 1, "oo": 2, "Ġfoo": 3, "Ġand": 4})
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": LLAMA3_REGEX},
         "behavior": "Isolated", "invert": False},
        dict(BYTE_LEVEL, use_regex=False)]}
    bos = "<|begin_of_text|>"
    post = {"type": "Sequence", "processors": [
        dict(BYTE_LEVEL, trim_offsets=False),
        {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                    {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                  {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": bos, "type_id": 1}},
                  {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {bos: {"id": bos, "ids": [0], "tokens": [bos]}}}]}
    write("llama3.json", tokenizer(vocab, [["Ġ", "f"], ["o", "o"],
                                           ["Ġf", "oo"]],
                                   pre, added=[(0, bos)], post=post,
                                   ignore_merges=True))

    malformed = '{"model": {"type": "BPE", "vocab": {"a": 0,}}}'
    assert malformed[43] == "}"
    with open(os.path.join(out, "malformed.json"), "w") as f:
        f.write(malformed)


if __name__ == "__main__":
    main()
