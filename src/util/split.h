// "a,b,,c" -> {"a", "b", "c"}: the comma lists of the command lines (--ks 1,2,4,
// --devices cpu,h100-sxm). Empty items are dropped, so a trailing comma is harmless.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace top {

inline std::vector<std::string> split_list(const std::string& s, char sep = ',') {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace top
