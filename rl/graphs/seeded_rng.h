// The random numbers behind the synthetic graphs: std::mt19937_64 with draws defined
// here rather than by std::uniform_*_distribution, whose results differ between
// standard libraries, so a spec names the same graph on every build.
#pragma once

#include <cstdint>
#include <random>

namespace top::rl {

class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : gen_(seed) {}
  // Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (modulo bias is below 2^-50 for the n used here).
  int below(int n) { return static_cast<int>(gen_() % static_cast<uint64_t>(n)); }
  // Uniform float in [-a, a).
  float symmetric(float a) { return static_cast<float>((2.0 * uniform() - 1.0) * a); }

 private:
  std::mt19937_64 gen_;
};

// Independent streams from one user seed (splitmix64's finaliser over seed and stream
// id): the wiring must not change when, say, the weights draw a different count.
inline uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  uint64_t x = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace top::rl
