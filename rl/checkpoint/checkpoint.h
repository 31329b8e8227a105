// Checkpoints of learned policies: a JSON manifest plus a binary weights file next to
// it, read and written without Torch — so a damaged or foreign file is caught here with
// a clear error (and can be fuzzed), never handed to torch::load, and inference needs no
// LibTorch at all.
//
// Manifest (gpg.json):
//   {"format_version": 1, "kind": "gpg", "feature_schema_hash": "0x...", "dims": {...},
//    "devices": [...], "command": "...", "seed": 1, "source_commit": "...",
//    "created": "2026-12-03T...Z", "results": {...},
//    "weights": {"file": "gpg.bin", "bytes": N, "checksum": "0x..."}}
// Weights (little-endian): magic "TOPRLW\0\1"; u32 format version; u64 feature schema
// hash; u32 tensor count; per tensor: u32 name length, the name, u32 rank, rank x i64
// dims, then the float32 values; finally the u64 FNV-1a checksum of every byte before it.
//
// Reading validates everything before trusting it: field types, format version, kind,
// schema hash (a checkpoint trained on other features is refused with a hint to retrain),
// size (at most 64 MiB), magic, counts and lengths against the bytes left (checked
// before any allocation), unique names, rank <= 8, dims >= 1, checksum against both the
// file's and the manifest's, no trailing bytes, every value finite. Errors name the file.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "top/status.h"

namespace top::rl {

constexpr int kCheckpointFormatVersion = 1;
constexpr uint64_t kMaxWeightsBytes = uint64_t(64) << 20;

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct CheckpointManifest {
  int format_version = kCheckpointFormatVersion;
  std::string kind;                      // "gpg" (later "maddpg")
  uint64_t feature_schema_hash = 0;      // the schema the policy was trained on
  std::map<std::string, int64_t> dims;   // network sizes
  std::vector<std::string> devices;      // devices trained on
  std::string command;                   // the training command line
  uint64_t seed = 0;
  std::string source_commit;
  std::string created;                   // ISO 8601, UTC
  nlohmann::json results = nlohmann::json::object();  // held-out results, free form
  // Set by write_checkpoint / read_checkpoint:
  std::string weights_file;              // relative to the manifest's folder
  uint64_t weights_bytes = 0;
  uint64_t weights_checksum = 0;
};

struct Checkpoint {
  CheckpointManifest manifest;
  std::vector<NamedTensor> tensors;
  // The tensor `name` with exactly `shape`; InvalidArgument naming it otherwise.
  Result<const NamedTensor*> tensor(const std::string& name, const std::vector<int64_t>& shape) const;
};

// A manifest with what every trainer records: kind, schema hash, devices, command line,
// seed, source commit, and `created` = now (UTC).
CheckpointManifest training_manifest(const std::string& kind, uint64_t schema_hash, std::vector<std::string> devices,
                                     std::string command, uint64_t seed, std::string source_commit);

// Writes the weights next to the manifest (its path with ".json" replaced by ".bin"),
// each through a temporary file renamed into place.
Status write_checkpoint(const std::string& manifest_path, const Checkpoint& ckpt);
Result<Checkpoint> read_checkpoint(const std::string& manifest_path, const std::string& expected_kind,
                                   uint64_t expected_schema_hash);

// Where the committed checkpoint `file` ("top.json", "gpg.json") is read from: the
// environment variable `env_var` when set; else next to an installed toprt
// (<prefix>/share/top/checkpoints/<file>, found from the running executable's path),
// when that file exists; else the source tree's rl/checkpoints/<file>.
std::string committed_checkpoint(const std::string& file, const char* env_var);

// The weights file format alone (what write/read_checkpoint use), for tests and fuzzing.
std::string encode_weights(uint64_t schema_hash, const std::vector<NamedTensor>& tensors);
Result<std::vector<NamedTensor>> decode_weights(const std::string& bytes, uint64_t expected_schema_hash,
                                                const std::string& what);

}  // namespace top::rl
