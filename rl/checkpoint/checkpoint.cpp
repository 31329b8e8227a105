#include "rl/checkpoint/checkpoint.h"

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "rl/features/fnv1a.h"

namespace top::rl {

namespace {

constexpr char kMagic[8] = {'T', 'O', 'P', 'R', 'L', 'W', '\0', '\1'};
constexpr uint32_t kMaxTensors = 4096, kMaxName = 256, kMaxRank = 8;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the machines are little-endian (x86-64, aarch64)
  out.append(b, sizeof(T));
}

// Bounds-checked reads from the weights bytes.
class Reader {
 public:
  Reader(const std::string& b, size_t end) : b_(b), end_(end) {}
  size_t left() const { return end_ - pos_; }
  template <typename T>
  bool get(T* v) {
    if (left() < sizeof(T)) return false;
    std::memcpy(v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool bytes(size_t n, std::string* out) {
    if (left() < n) return false;
    out->assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool floats(size_t n, std::vector<float>* out) {
    if (left() / sizeof(float) < n) return false;
    out->resize(n);
    std::memcpy(out->data(), b_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return true;
  }

 private:
  const std::string& b_;
  size_t end_, pos_ = 0;
};

Result<std::string> read_file(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return NotFound("checkpoint file '" + path + "' cannot be read: " + ec.message());
  if (size > max_bytes)
    return InvalidArgument("checkpoint file '" + path + "' is " + std::to_string(size) + " bytes (at most " +
                           std::to_string(max_bytes) + ")");
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("checkpoint file '" + path + "' cannot be opened");
  std::string s(static_cast<size_t>(size), '\0');
  f.read(s.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(f.gcount()) != size) return InvalidArgument("checkpoint file '" + path + "': short read");
  return s;
}

Status write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return NotFound("cannot write '" + tmp + "'");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) return Internal("writing '" + tmp + "' failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Internal("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  return Status::Ok();
}

std::string weights_path_for(const std::string& manifest_path) {
  std::filesystem::path p(manifest_path);
  if (p.extension() == ".json") return p.replace_extension(".bin").string();
  return manifest_path + ".bin";
}

Result<uint64_t> parse_hex(const nlohmann::json& j, const std::string& field, const std::string& path) {
  if (!j.is_string()) return InvalidArgument("checkpoint manifest '" + path + "': " + field + " must be a hex string");
  const std::string s = j.get<std::string>();
  if (s.size() < 3 || s.size() > 18 || s.compare(0, 2, "0x") != 0 ||
      s.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos)
    return InvalidArgument("checkpoint manifest '" + path + "': " + field + " '" + s + "' is not a hex number");
  return static_cast<uint64_t>(std::stoull(s.substr(2), nullptr, 16));
}

}  // namespace

Result<const NamedTensor*> Checkpoint::tensor(const std::string& name, const std::vector<int64_t>& shape) const {
  auto shape_text = [](const std::vector<int64_t>& s) {
    std::string t = "[";
    for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
    return t + "]";
  };
  for (const NamedTensor& t : tensors)
    if (t.name == name) {
      if (t.shape != shape)
        return InvalidArgument("tensor '" + name + "' has shape " + shape_text(t.shape) + ", expected " +
                               shape_text(shape));
      return &t;
    }
  return InvalidArgument("tensor '" + name + "' " + shape_text(shape) + " is missing");
}

std::string encode_weights(uint64_t schema_hash, const std::vector<NamedTensor>& tensors) {
  std::string out(kMagic, sizeof kMagic);
  put<uint32_t>(out, kCheckpointFormatVersion);
  put<uint64_t>(out, schema_hash);
  put<uint32_t>(out, static_cast<uint32_t>(tensors.size()));
  for (const NamedTensor& t : tensors) {
    put<uint32_t>(out, static_cast<uint32_t>(t.name.size()));
    out += t.name;
    put<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) put<int64_t>(out, d);
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  }
  put<uint64_t>(out, fnv1a(out.data(), out.size()));
  return out;
}

Result<std::vector<NamedTensor>> decode_weights(const std::string& b, uint64_t expected_schema_hash,
                                                const std::string& what) {
  auto bad = [&](const std::string& m) { return InvalidArgument("checkpoint weights '" + what + "': " + m); };
  if (b.size() < sizeof kMagic + 4 + 8 + 4 + 8) return bad("truncated (" + std::to_string(b.size()) + " bytes)");
  if (std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) return bad("not a TOP weights file (bad magic)");
  uint64_t stored = 0;
  std::memcpy(&stored, b.data() + b.size() - 8, 8);
  const uint64_t actual = fnv1a(b.data(), b.size() - 8);
  if (stored != actual) return bad("checksum mismatch (file damaged or truncated): stored " + hex(stored) + ", computed " + hex(actual));
  Reader r(b, b.size() - 8);
  std::string skip;
  r.bytes(sizeof kMagic, &skip);
  uint32_t version = 0, count = 0;
  uint64_t hash = 0;
  r.get(&version);
  r.get(&hash);
  r.get(&count);
  if (version != static_cast<uint32_t>(kCheckpointFormatVersion))
    return bad("format version " + std::to_string(version) + ", this build reads " + std::to_string(kCheckpointFormatVersion));
  if (hash != expected_schema_hash)
    return bad("trained with feature schema " + hex(hash) + " but this build has " + hex(expected_schema_hash) +
               "; retrain with `toprt train`");
  if (count > kMaxTensors) return bad(std::to_string(count) + " tensors (at most " + std::to_string(kMaxTensors) + ")");
  std::vector<NamedTensor> out;
  std::set<std::string> names;
  for (uint32_t i = 0; i < count; ++i) {
    NamedTensor t;
    uint32_t len = 0, rank = 0;
    if (!r.get(&len) || len == 0 || len > kMaxName || !r.bytes(len, &t.name))
      return bad("tensor " + std::to_string(i) + ": bad or truncated name");
    if (!names.insert(t.name).second) return bad("tensor '" + t.name + "' appears twice");
    if (!r.get(&rank) || rank > kMaxRank) return bad("tensor '" + t.name + "': bad rank");
    uint64_t n = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      int64_t dim = 0;
      if (!r.get(&dim) || dim < 1) return bad("tensor '" + t.name + "': bad or truncated dimension");
      if (static_cast<uint64_t>(dim) > (r.left() / sizeof(float)) / n)
        return bad("tensor '" + t.name + "': " + std::to_string(dim) + " x " + std::to_string(n) +
                   " values do not fit in the file");
      n *= static_cast<uint64_t>(dim);
      t.shape.push_back(dim);
    }
    if (!r.floats(static_cast<size_t>(n), &t.data)) return bad("tensor '" + t.name + "': truncated values");
    for (float v : t.data)
      if (!std::isfinite(v)) return bad("tensor '" + t.name + "' holds a non-finite value");
    out.push_back(std::move(t));
  }
  if (r.left() != 0) return bad(std::to_string(r.left()) + " trailing bytes");
  return out;
}

std::string committed_checkpoint(const std::string& file, const char* env_var) {
  if (const char* env = std::getenv(env_var); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / "share/top/checkpoints" / file;
    if (std::filesystem::exists(installed, ec)) return installed.string();
  }
  return std::string(TOP_SOURCE_DIR) + "/rl/checkpoints/" + file;
}

Status write_checkpoint(const std::string& manifest_path, const Checkpoint& ckpt) {
  const std::string weights_path = weights_path_for(manifest_path);
  const std::string bytes = encode_weights(ckpt.manifest.feature_schema_hash, ckpt.tensors);
  if (bytes.size() > kMaxWeightsBytes) return InvalidArgument("checkpoint weights exceed 64 MiB");
  const CheckpointManifest& m = ckpt.manifest;
  nlohmann::json j = {{"format_version", kCheckpointFormatVersion},
                      {"kind", m.kind},
                      {"feature_schema_hash", hex(m.feature_schema_hash)},
                      {"dims", m.dims},
                      {"devices", m.devices},
                      {"command", m.command},
                      {"seed", m.seed},
                      {"source_commit", m.source_commit},
                      {"created", m.created},
                      {"results", m.results},
                      {"weights",
                       {{"file", std::filesystem::path(weights_path).filename().string()},
                        {"bytes", bytes.size()},
                        {"checksum", hex(fnv1a(bytes.data(), bytes.size() - 8))}}}};
  TOP_RETURN_IF_ERROR(write_atomically(weights_path, bytes));
  return write_atomically(manifest_path, j.dump(2) + "\n");
}

Result<Checkpoint> read_checkpoint(const std::string& manifest_path, const std::string& expected_kind,
                                   uint64_t expected_schema_hash) {
  const std::string& p = manifest_path;
  auto bad = [&](const std::string& m) { return InvalidArgument("checkpoint manifest '" + p + "': " + m); };
  TOP_ASSIGN_OR_RETURN(std::string text, read_file(p, 16 << 20));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto field = [&](const char* name, nlohmann::json::value_t type) -> Result<const nlohmann::json*> {
    auto it = j.find(name);
    if (it == j.end()) return bad(std::string("missing field '") + name + "'");
    const bool ok = it->type() == type || (type == nlohmann::json::value_t::number_unsigned && it->is_number_integer() &&
                                           it->get<int64_t>() >= 0);
    if (!ok) return bad(std::string("field '") + name + "' has the wrong type");
    return &*it;
  };
  using T = nlohmann::json::value_t;
  Checkpoint ck;
  CheckpointManifest& m = ck.manifest;
  TOP_ASSIGN_OR_RETURN(auto fv, field("format_version", T::number_unsigned));
  if (fv->get<int64_t>() != kCheckpointFormatVersion)
    return bad("format version " + fv->dump() + ", this build reads " + std::to_string(kCheckpointFormatVersion));
  TOP_ASSIGN_OR_RETURN(auto kind, field("kind", T::string));
  m.kind = kind->get<std::string>();
  if (m.kind != expected_kind) return bad("a '" + m.kind + "' checkpoint, expected '" + expected_kind + "'");
  TOP_ASSIGN_OR_RETURN(auto fh, field("feature_schema_hash", T::string));
  TOP_ASSIGN_OR_RETURN(m.feature_schema_hash, parse_hex(*fh, "feature_schema_hash", p));
  if (m.feature_schema_hash != expected_schema_hash)
    return bad("trained with feature schema " + hex(m.feature_schema_hash) + " but this build has " +
               hex(expected_schema_hash) + "; retrain with `toprt train " + expected_kind + "`");
  TOP_ASSIGN_OR_RETURN(auto dims, field("dims", T::object));
  for (const auto& [k, v] : dims->items()) {
    if (!v.is_number_integer()) return bad("dims." + k + " is not an integer");
    m.dims[k] = v.get<int64_t>();
  }
  TOP_ASSIGN_OR_RETURN(auto devs, field("devices", T::array));
  for (const auto& d : *devs) {
    if (!d.is_string()) return bad("devices must be strings");
    m.devices.push_back(d.get<std::string>());
  }
  TOP_ASSIGN_OR_RETURN(auto cmd, field("command", T::string));
  m.command = cmd->get<std::string>();
  TOP_ASSIGN_OR_RETURN(auto seed, field("seed", T::number_unsigned));
  m.seed = seed->get<uint64_t>();
  TOP_ASSIGN_OR_RETURN(auto commit, field("source_commit", T::string));
  m.source_commit = commit->get<std::string>();
  TOP_ASSIGN_OR_RETURN(auto created, field("created", T::string));
  m.created = created->get<std::string>();
  TOP_ASSIGN_OR_RETURN(auto results, field("results", T::object));
  m.results = *results;
  TOP_ASSIGN_OR_RETURN(auto w, field("weights", T::object));
  auto wf = w->find("file");
  auto wb = w->find("bytes");
  auto wc = w->find("checksum");
  if (wf == w->end() || !wf->is_string() || wb == w->end() || !wb->is_number_unsigned() || wc == w->end())
    return bad("weights must have a string 'file', an unsigned 'bytes' and a 'checksum'");
  m.weights_file = wf->get<std::string>();
  if (m.weights_file.empty() || m.weights_file.find('/') != std::string::npos || m.weights_file == "." || m.weights_file == "..")
    return bad("weights.file must be a plain file name next to the manifest");
  m.weights_bytes = wb->get<uint64_t>();
  TOP_ASSIGN_OR_RETURN(m.weights_checksum, parse_hex(*wc, "weights.checksum", p));

  const std::string wpath = (std::filesystem::path(p).parent_path() / m.weights_file).string();
  TOP_ASSIGN_OR_RETURN(std::string bytes, read_file(wpath, kMaxWeightsBytes));
  if (bytes.size() != m.weights_bytes)
    return bad("weights file '" + wpath + "' is " + std::to_string(bytes.size()) + " bytes, the manifest says " +
               std::to_string(m.weights_bytes));
  TOP_ASSIGN_OR_RETURN(ck.tensors, decode_weights(bytes, expected_schema_hash, wpath));
  if (fnv1a(bytes.data(), bytes.size() - 8) != m.weights_checksum)
    return bad("weights file '" + wpath + "' does not match the manifest's checksum");
  return ck;
}

CheckpointManifest training_manifest(const std::string& kind, uint64_t schema_hash, std::vector<std::string> devices,
                                     std::string command, uint64_t seed, std::string source_commit) {
  CheckpointManifest m;
  m.kind = kind;
  m.feature_schema_hash = schema_hash;
  m.devices = std::move(devices);
  m.command = std::move(command);
  m.seed = seed;
  m.source_commit = std::move(source_commit);
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  m.created = date;
  return m;
}

}  // namespace top::rl
