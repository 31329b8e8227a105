// libFuzzer target: the checkpoint reader (rl/checkpoint) on arbitrary bytes.
//
// Inputs starting with 'W' are a weights file: decode_weights must return a Status for
// anything, and what it accepts must encode back to the same bytes (the format has one
// spelling). Other inputs are a manifest, read next to a valid weights file: whatever
// the JSON, read_checkpoint returns a Status.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "rl/checkpoint/checkpoint.h"

namespace {

constexpr uint64_t kHash = 0x5eedf00dcafe0001ull;
std::string g_dir;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_dir = "/tmp/top_checkpoint_fuzz_" + std::to_string(::getpid());
  std::string cmd = "mkdir -p " + g_dir;
  check(std::system(cmd.c_str()) == 0);
  const std::string weights = top::rl::encode_weights(kHash, {{"w", {2, 2}, {1, 2, 3, 4}}});
  std::ofstream(g_dir + "/m.bin", std::ios::binary) << weights;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] == 'W') {
    auto t = top::rl::decode_weights(in, kHash, "fuzz");
    if (t.ok()) check(top::rl::encode_weights(kHash, *t) == in);
    return 0;
  }
  {
    std::ofstream f(g_dir + "/m.json", std::ios::binary | std::ios::trunc);
    f.write(in.data(), static_cast<std::streamsize>(in.size()));
  }
  auto c = top::rl::read_checkpoint(g_dir + "/m.json", "gpg", kHash);
  if (c.ok()) check(c->tensors.size() == 1);
  return 0;
}
