// libFuzzer target: the .npy reader on arbitrary bytes.
//
// npy::parse must return a Status for anything; when it accepts an image, the header
// agrees with it, the tensor holds exactly the bytes after the header, and save() then
// load() (the file path, with its own checks) gives the same tensor back.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "top/limits.h"
#include "util/npy.h"

namespace {

std::string g_scratch;  // this process's round-trip file

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  top::set_max_allocation_bytes(size_t(256) << 20);  // stay far below -rss_limit_mb
  g_scratch = "/tmp/top_npy_fuzz_" + std::to_string(::getpid()) + ".npy";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto header = top::npy::parse_header(data, size);
  auto t = top::npy::parse(data, size);
  if (!t.ok()) return 0;
  check(header.ok());
  check(t->shape() == header->shape && t->dtype() == header->dtype);
  check(t->nbytes() == size - header->data_offset);
  check(t->nbytes() == 0 || std::memcmp(t->raw_data(), data + header->data_offset, t->nbytes()) == 0);
  if (top::npy::save(g_scratch, *t).ok()) {
    auto back = top::npy::load(g_scratch);
    check(back.ok());
    check(back->shape() == t->shape() && back->dtype() == t->dtype() && back->nbytes() == t->nbytes());
    check(t->nbytes() == 0 || std::memcmp(back->raw_data(), t->raw_data(), t->nbytes()) == 0);
  }
  return 0;
}
