#include "serve/repository/model_repository.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace top::serve {

namespace fs = std::filesystem;

namespace {

// Config files are a few hundred bytes; a cap keeps a mistaken 10 GB file from being read.
constexpr uintmax_t kMaxConfigBytes = 1 << 20;

std::string file_fingerprint(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) return "-";
  const auto mtime = fs::last_write_time(p, ec);
  if (ec) return "-";
  return fmt::format("{}@{}", size, mtime.time_since_epoch().count());
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 18 && s[0] != '0' && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<ModelConfig> read_config(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return ModelConfig{};
  const std::string what = file.string();
  if (!fs::is_regular_file(file, ec)) return InvalidArgument(what + ": not a regular file");
  if (fs::file_size(file, ec) > kMaxConfigBytes) return InvalidArgument(what + ": larger than 1 MiB");
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound(what + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), what);
}

}  // namespace

bool valid_model_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

Result<RepositoryModel> scan_model(const std::string& root, const std::string& name) {
  if (!valid_model_name(name)) return InvalidArgument(fmt::format("'{}' is not a valid model name ([A-Za-z0-9_.-]+)", name));
  const fs::path dir = fs::path(root) / name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(fmt::format("model '{}' is not in the repository ({})", name, root));
  RepositoryModel m;
  m.name = name;
  const fs::path config_file = dir / "config.json";
  m.fingerprint = "config:" + file_fingerprint(config_file);
  auto config = read_config(config_file);
  if (!config.ok()) {
    m.problem = config.status();
    return m;
  }
  m.config = *config;

  std::vector<int64_t> available;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string v = it->path().filename().string();
    if (all_digits(v) && it->is_directory(ec)) available.push_back(std::stoll(v));
  }
  if (ec) {
    m.problem = NotFound(fmt::format("model '{}': cannot list {}: {}", name, dir.string(), ec.message()));
    return m;
  }
  std::sort(available.begin(), available.end());
  const std::vector<int64_t> chosen = select_versions(m.config.version_policy, available);
  if (chosen.empty()) {
    m.problem = NotFound(fmt::format("model '{}': no version folder (1/, 2/, ...) {} in {}", name,
                                     available.empty() ? "at all" : "that its version_policy selects", dir.string()));
    return m;
  }
  for (int64_t v : chosen) {
    const fs::path file = dir / std::to_string(v) / m.config.default_model_filename;
    if (!fs::is_regular_file(file, ec)) {
      m.problem = NotFound(fmt::format("model '{}' version {}: {} is missing", name, v, file.string()));
      m.versions.clear();
      return m;
    }
    m.versions.push_back({v, file.string()});
    m.fingerprint += fmt::format(";{}:{}", v, file_fingerprint(file));
  }
  return m;
}

Result<std::vector<RepositoryModel>> scan_repository(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return NotFound(fmt::format("model repository '{}' is not a folder", root));
  std::vector<std::string> names;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (valid_model_name(name) && it->is_directory(ec)) names.push_back(name);
  }
  if (ec) return NotFound(fmt::format("model repository '{}' cannot be listed: {}", root, ec.message()));
  std::sort(names.begin(), names.end());
  std::vector<RepositoryModel> out;
  for (const std::string& name : names) {
    auto m = scan_model(root, name);
    if (m.ok()) out.push_back(std::move(*m));  // vanished between listing and scanning: skip
  }
  return out;
}

}  // namespace top::serve
