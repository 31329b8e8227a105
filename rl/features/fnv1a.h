// FNV-1a, the one hash rl/ uses for schema hashes and checksums: simple, stable across
// platforms and releases (std::hash is neither), and enough to catch a changed schema
// or a damaged file (not an adversary: checkpoints are not signed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace top::rl {

constexpr uint64_t kFnv1aOffset = 1469598103934665603ull;

inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = kFnv1aOffset) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

// Mixes one string and a terminator, so ("ab","c") and ("a","bc") differ.
inline uint64_t fnv1a_field(const std::string& s, uint64_t h) {
  h = fnv1a(s.data(), s.size(), h);
  const unsigned char end = 0xff;
  return fnv1a(&end, 1, h);
}

}  // namespace top::rl
