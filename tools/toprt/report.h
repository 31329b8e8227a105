// What a toprt command prints: aligned text lines for people, or (--json) one JSON
// object for scripts, built from the same values so the two cannot disagree.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace toprt {

class Report {
 public:
  explicit Report(bool json) : json_(json) {}
  bool json() const { return json_; }
  // A text line ("key        rest"), printed at once unless --json.
  void text(const std::string& line) {
    if (!json_) fmt::print("{}\n", line);
  }
  nlohmann::json& data() { return data_; }
  // --json: the object, on one line of stdout.
  void finish() {
    if (json_) fmt::print("{}\n", data_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

 private:
  bool json_;
  nlohmann::json data_ = nlohmann::json::object();
};

}  // namespace toprt
