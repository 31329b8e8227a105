#include <cstdio>

#include "commands.h"

namespace toprt {

namespace {
int g_exit_code = 0;
}

void fail(const top::Status& s) {
  std::fprintf(stderr, "error: %s\n", s.to_string().c_str());
  g_exit_code = s.code() == top::StatusCode::kInternal ? 3 : 1;
}

int exit_code() { return g_exit_code; }

}  // namespace toprt
