// rl/checkpoint: round trips, and every kind of damage is a clear error, never a crash.
#include "rl/checkpoint/checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "rl/features/fnv1a.h"

namespace top::rl {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kHash = 0x1234abcd5678ef00ull;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("top-ckpt-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& n) const { return (path / n).string(); }
};

Checkpoint sample() {
  Checkpoint c;
  c.manifest.kind = "gpg";
  c.manifest.feature_schema_hash = kHash;
  c.manifest.dims = {{"hidden", 4}, {"layers", 1}};
  c.manifest.devices = {"cpu", "h100-sxm"};
  c.manifest.command = "toprt train gpg --minutes 1";
  c.manifest.seed = 7;
  c.manifest.source_commit = "abc";
  c.manifest.created = "2026-12-03T00:00:00Z";
  c.manifest.results = {{"geomean", 1.01}};
  c.tensors = {{"w", {2, 3}, {1, -2, 3, -4, 5, -6}}, {"b", {1}, {0.5f}}};
  return c;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(Checkpoint, RoundTrip) {
  TempDir d;
  ASSERT_TRUE(write_checkpoint(d.file("gpg.json"), sample()).ok());
  EXPECT_TRUE(fs::exists(d.file("gpg.bin")));
  auto c = read_checkpoint(d.file("gpg.json"), "gpg", kHash);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->manifest.dims.at("hidden"), 4);
  EXPECT_EQ(c->manifest.devices, sample().manifest.devices);
  EXPECT_EQ(c->manifest.seed, 7u);
  EXPECT_EQ(c->manifest.results["geomean"].get<double>(), 1.01);
  EXPECT_EQ(c->manifest.weights_file, "gpg.bin");
  auto w = c->tensor("w", {2, 3});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->data, sample().tensors[0].data);
  EXPECT_FALSE(c->tensor("w", {3, 2}).ok());
  auto missing = c->tensor("nope", {1});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing"), std::string::npos);
}

TEST(Checkpoint, WrongKindSchemaOrMissingFilesAreErrors) {
  TempDir d;
  ASSERT_TRUE(write_checkpoint(d.file("gpg.json"), sample()).ok());
  EXPECT_FALSE(read_checkpoint(d.file("gpg.json"), "maddpg", kHash).ok());
  auto schema = read_checkpoint(d.file("gpg.json"), "gpg", kHash + 1);
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(schema.status().message().find("retrain"), std::string::npos) << schema.status().message();
  EXPECT_FALSE(read_checkpoint(d.file("none.json"), "gpg", kHash).ok());
  fs::remove(d.file("gpg.bin"));
  auto nobin = read_checkpoint(d.file("gpg.json"), "gpg", kHash);
  ASSERT_FALSE(nobin.ok());
  EXPECT_NE(nobin.status().message().find("gpg.bin"), std::string::npos) << nobin.status().message();
}

TEST(Checkpoint, BadManifestsAreErrors) {
  TempDir d;
  ASSERT_TRUE(write_checkpoint(d.file("gpg.json"), sample()).ok());
  const std::string good = read_bytes(d.file("gpg.json"));
  write_bytes(d.file("gpg.json"), "{ not json");
  EXPECT_FALSE(read_checkpoint(d.file("gpg.json"), "gpg", kHash).ok());
  auto j = nlohmann::json::parse(good);
  for (const char* field : {"seed", "dims", "devices", "weights", "format_version", "feature_schema_hash"}) {
    auto bad = j;
    bad[field] = "wrong";
    if (std::string(field) == "feature_schema_hash") bad[field] = 12;
    write_bytes(d.file("gpg.json"), bad.dump());
    auto r = read_checkpoint(d.file("gpg.json"), "gpg", kHash);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  }
  auto escape = j;
  escape["weights"]["file"] = "../gpg.bin";
  write_bytes(d.file("gpg.json"), escape.dump());
  EXPECT_FALSE(read_checkpoint(d.file("gpg.json"), "gpg", kHash).ok());
}

TEST(Checkpoint, EveryTruncationAndEveryFlippedByteIsRefused) {
  const std::string bytes = encode_weights(kHash, sample().tensors);
  ASSERT_TRUE(decode_weights(bytes, kHash, "w").ok());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_weights(bytes.substr(0, n), kHash, "w").ok()) << n;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0x5a);
    EXPECT_FALSE(decode_weights(b, kHash, "w").ok()) << i;
  }
}

// A weights file whose checksum is right, so the checks behind it are what refuse it.
std::string with_checksum(std::string body) {
  const uint64_t h = fnv1a(body.data(), body.size());
  body.append(reinterpret_cast<const char*>(&h), 8);
  return body;
}

std::string header(uint32_t count) {
  std::string b("TOPRLW\0\1", 8);
  uint32_t v = 1;
  b.append(reinterpret_cast<const char*>(&v), 4);
  b.append(reinterpret_cast<const char*>(&kHash), 8);
  b.append(reinterpret_cast<const char*>(&count), 4);
  return b;
}

TEST(Checkpoint, NonFiniteValuesAndHugeDimsAreRefused) {
  auto t = sample().tensors;
  t[0].data[2] = std::nanf("");
  auto nan = decode_weights(encode_weights(kHash, t), kHash, "w");
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("non-finite"), std::string::npos);
  // One tensor "x" of dims 2^40 x 2^40: must be refused before any allocation.
  std::string b = header(1);
  uint32_t len = 1, rank = 2;
  b.append(reinterpret_cast<const char*>(&len), 4);
  b += "x";
  b.append(reinterpret_cast<const char*>(&rank), 4);
  int64_t dim = int64_t(1) << 40;
  b.append(reinterpret_cast<const char*>(&dim), 8);
  b.append(reinterpret_cast<const char*>(&dim), 8);
  auto huge = decode_weights(with_checksum(b), kHash, "w");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("do not fit"), std::string::npos) << huge.status().message();
  auto many = decode_weights(with_checksum(header(1u << 30)), kHash, "w");
  EXPECT_FALSE(many.ok());
}

}  // namespace
}  // namespace top::rl
