//===- ResourcePrinting.cpp - Textual IR with large blobs streamed --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// How: each large blob of the builtin dialect's blob manager is swapped, for
// the duration of the print, for a 16-byte marker blob (a fixed magic and
// the blob's index) with the same alignment. Upstream's printer then writes
// `"0x<alignment><marker>"` for it, and the output goes through a stream
// that replaces the marker's hex by the hex of the real blob, written in
// chunks. Everything else (the IR, aliases, small resources, the layout of
// the resource section) is upstream's own output.
//
// The printer verifies the op first and falls back to the generic form if
// that fails; with marker blobs in place the verifiers that read blob data
// would see the markers, so the verification is done here, before the swap,
// with the same consequence.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Compiler/ResourcePrinting.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Threading.h"

#include <array>
#include <cstring>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// The marker: 8 magic bytes, then the blob's index (little-endian).
constexpr std::array<uint8_t, 8> kMagic = {0x9B, 0x1E, 0x7A, 0x5C,
                                           0xD3, 0x42, 0xE8, 0x0F};
constexpr size_t kMarkerBytes = 16;
constexpr size_t kMarkerHexChars = 2 * kMarkerBytes;

/// Upstream's blob hex (llvm::toHex, upper case), written in chunks.
void writeHex(llvm::raw_ostream &os, ArrayRef<char> data) {
  // The two digits of each byte value, as they sit in memory.
  static const std::array<uint16_t, 256> kPairs = [] {
    constexpr char kDigits[] = "0123456789ABCDEF";
    std::array<uint16_t, 256> pairs;
    for (unsigned b = 0; b < 256; ++b) {
      char two[2] = {kDigits[b >> 4], kDigits[b & 15]};
      std::memcpy(&pairs[b], two, 2);
    }
    return pairs;
  }();
  constexpr size_t kChunk = 1 << 16;
  std::vector<char> buf(2 * kChunk);
  for (size_t off = 0; off < data.size(); off += kChunk) {
    size_t n = std::min(kChunk, data.size() - off);
    const auto *src = reinterpret_cast<const uint8_t *>(data.data() + off);
    for (size_t i = 0; i < n; ++i)
      std::memcpy(buf.data() + 2 * i, &kPairs[src[i]], 2);
    os.write(buf.data(), 2 * n);
  }
}

/// Forwards everything to `out`, replacing the hex of each marker by the
/// hex of the blob it stands for.
class SplicingStream : public llvm::raw_ostream {
public:
  SplicingStream(llvm::raw_ostream &out, ArrayRef<ArrayRef<char>> blobs)
      : out(out), blobs(blobs),
        magicHex(llvm::toHex(
            StringRef(reinterpret_cast<const char *>(kMagic.data()),
                      kMagic.size()))) {
    SetBufferSize(1 << 16);
  }
  ~SplicingStream() override { finish(); }

  /// Writes what is still held back (a tail that might have been the start
  /// of a marker).
  void finish() {
    flush();
    out.write(pending.data(), pending.size());
    pending.clear();
    out.flush();
  }

private:
  void write_impl(const char *ptr, size_t size) override {
    pos += size;
    pending.append(ptr, size);
    StringRef text(pending);
    size_t done = 0, from = 0; // text[0, done) is written
    while (true) {
      size_t at = text.find(magicHex, from);
      if (at == StringRef::npos || at + kMarkerHexChars > text.size())
        break; // an incomplete marker is in the tail held back below
      std::optional<size_t> index = markerAt(text, at);
      if (!index) {
        from = at + 1;
        continue;
      }
      out.write(text.data() + done, at - done);
      writeHex(out, blobs[*index]);
      done = from = at + kMarkerHexChars;
    }
    // Hold back what the next write could complete into a marker (with the
    // `"0x` and alignment digits before it).
    size_t keep = std::min(text.size() - done, kHeldBack);
    out.write(text.data() + done, text.size() - done - keep);
    pending.erase(0, text.size() - keep);
  }
  uint64_t current_pos() const override { return pos; }

  /// The index of the marker whose hex starts at `text[at]`: it must follow
  /// `"0x` and the 8 digits of the blob alignment, as upstream prints it.
  std::optional<size_t> markerAt(StringRef text, size_t at) const {
    if (at < kPrefixChars || !text.substr(at - kPrefixChars).starts_with("\"0x"))
      return std::nullopt;
    for (char c : text.substr(at - 8, 8))
      if (!llvm::isDigit(c) && !(c >= 'A' && c <= 'F'))
        return std::nullopt;
    std::string bytes;
    StringRef hex = text.substr(at + magicHex.size(), 16);
    if (!llvm::tryGetFromHex(hex, bytes) || bytes.size() != 8)
      return std::nullopt;
    uint64_t index = 0;
    for (int b = 7; b >= 0; --b)
      index = (index << 8) | static_cast<uint8_t>(bytes[b]);
    if (index >= blobs.size())
      return std::nullopt;
    return static_cast<size_t>(index);
  }

  static constexpr size_t kPrefixChars = 3 + 8; // "0x and the alignment
  static constexpr size_t kHeldBack = kPrefixChars + kMarkerHexChars - 1;

  llvm::raw_ostream &out;
  ArrayRef<ArrayRef<char>> blobs;
  std::string magicHex;
  std::string pending;
  uint64_t pos = 0;
};

/// A large blob moved out of its entry while its marker stands in.
struct SwappedBlob {
  DialectResourceBlobManager::BlobEntry *entry;
  AsmResourceBlob blob;
  /// Aligned for any blob alignment the printer might be asked to show.
  alignas(64) std::array<uint8_t, kMarkerBytes> marker;
};

} // namespace

void mlir::bitnet::printOpStreamingResources(Operation *op,
                                             llvm::raw_ostream &os,
                                             OpPrintingFlags flags,
                                             size_t minStreamedBytes) {
  // Upstream's verifyOpAndAdjustFlags, done while the real blobs are in, on
  // the op upstream numbers from (findParent in AsmPrinter.cpp).
  Operation *scope = op;
  while (!(flags.shouldUseLocalScope() &&
           scope->hasTrait<OpTrait::IsIsolatedFromAbove>()) &&
         scope->getParentOp())
    scope = scope->getParentOp();
  if (!flags.shouldPrintGenericOpForm() && !flags.shouldAssumeVerified()) {
    auto threadId = llvm::get_threadid();
    ScopedDiagnosticHandler silence(op->getContext(), [&](Diagnostic &) {
      return success(threadId == llvm::get_threadid());
    });
    if (failed(verify(scope)))
      flags.printGenericOpForm();
  }
  flags.assumeVerified();

  DialectResourceBlobManager &manager =
      DenseResourceElementsHandle::getManagerInterface(op->getContext())
          .getBlobManager();
  std::vector<std::string> keys;
  manager.getBlobMap([&](const llvm::StringMap<
                         DialectResourceBlobManager::BlobEntry> &map) {
    for (const auto &it : map)
      if (const AsmResourceBlob *blob = it.second.getBlob()) {
        // A blob that starts like a marker is streamed too, so that no blob
        // printed by upstream can be mistaken for a marker.
        ArrayRef<char> data = blob->getData();
        if (data.size() >= minStreamedBytes ||
            (data.size() >= kMagic.size() &&
             std::memcmp(data.data(), kMagic.data(), kMagic.size()) == 0))
          keys.push_back(it.first().str());
      }
  });
  if (keys.empty()) {
    op->print(os, flags);
    return;
  }

  // Swap the markers in (restored below, whatever happens in between).
  std::vector<SwappedBlob> swapped;
  swapped.reserve(keys.size());
  for (const std::string &key : keys) {
    DialectResourceBlobManager::BlobEntry *entry = manager.lookup(key);
    if (!entry || !entry->getBlob())
      continue;
    SwappedBlob &s = swapped.emplace_back();
    s.entry = entry;
    s.blob = std::move(*entry->getBlob());
    uint64_t index = swapped.size() - 1;
    std::memcpy(s.marker.data(), kMagic.data(), kMagic.size());
    for (int b = 0; b < 8; ++b)
      s.marker[8 + b] = static_cast<uint8_t>(index >> (8 * b));
  }
  std::vector<ArrayRef<char>> blobs;
  for (SwappedBlob &s : swapped) {
    blobs.push_back(s.blob.getData());
    s.entry->setBlob(UnmanagedAsmResourceBlob::allocateWithAlign(
        ArrayRef<char>(reinterpret_cast<const char *>(s.marker.data()),
                       s.marker.size()),
        s.blob.getDataAlignment()));
  }
  struct Restore {
    std::vector<SwappedBlob> &swapped;
    ~Restore() {
      for (SwappedBlob &s : swapped)
        s.entry->setBlob(std::move(s.blob));
    }
  } restore{swapped};

  SplicingStream splicing(os, blobs);
  op->print(splicing, flags);
  splicing.finish();
}
