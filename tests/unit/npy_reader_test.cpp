// The .npy reader on hostile input: every malformed header, lying size and odd file
// type ends in a Status, and nothing is allocated for a size the file cannot back.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "top/limits.h"
#include "util/npy.h"

namespace top {
namespace {

// A version 1.0 image of `dict` (padded like NumPy) followed by `data_bytes` bytes.
std::string npy_image(const std::string& dict, size_t data_bytes, char major = 1) {
  std::string h = dict;
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t total = 8 + len_bytes + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(major);
  out.push_back('\0');
  for (size_t i = 0; i < len_bytes; ++i) out.push_back(static_cast<char>((h.size() >> (8 * i)) & 0xff));
  out += h;
  out.append(data_bytes, '\x01');
  return out;
}

std::string f32_dict(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

Result<Tensor> parse(const std::string& image) { return npy::parse(image.data(), image.size()); }

StatusCode code_of(const std::string& image) {
  auto r = parse(image);
  return r.ok() ? StatusCode::kOk : r.status().code();
}

void write_file(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

TEST(NpyReader, ParsesWellFormedHeaders) {
  auto t = parse(npy_image(f32_dict("(2, 3)"), 24));
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->dtype(), DataType::kFloat32);
  // Scalars, 1-d with and without the tuple comma, Python 2's 'L', double quotes,
  // key order, no trailing comma, version 2.0.
  EXPECT_EQ(parse(npy_image(f32_dict("()"), 4))->shape(), Shape{});
  EXPECT_EQ(parse(npy_image(f32_dict("(5,)"), 20))->shape(), Shape{5});
  EXPECT_EQ(parse(npy_image(f32_dict("(5)"), 20))->shape(), Shape{5});
  EXPECT_EQ(parse(npy_image(f32_dict("(2L, 1L)"), 8))->shape(), (Shape{2, 1}));
  EXPECT_EQ(parse(npy_image("{\"shape\": (0, 3), \"fortran_order\": False, \"descr\": \"|b1\"}", 0))->shape(),
            (Shape{0, 3}));
  EXPECT_EQ(parse(npy_image(f32_dict("(3,)"), 12, 2))->shape(), Shape{3});
}

TEST(NpyReader, RefusesMalformedHeaders) {
  const std::vector<std::string> dicts = {
      f32_dict("(3x,)"),                                                   // partial integer
      f32_dict("(-3,)"),                                                   // negative
      f32_dict("(+3,)"),                                                   // sign
      f32_dict("(1e3,)"),                                                  // not an integer
      f32_dict("(99999999999999999999,)"),                                 // overflows int64
      f32_dict("(3,,)"),                                                   // empty dimension
      f32_dict("(3"),                                                      // unclosed tuple
      f32_dict("[3]"),                                                     // a list
      "{'descr': '<f4', 'fortran_order': False}",                          // no shape
      "{'descr': '<f4', 'shape': (1,)}",                                   // no fortran_order
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",  // duplicate key
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",  // unknown key
      "{'descr': '<f4', 'fortran_order': Nope, 'shape': (1,)}",            // not a bool
      "{'descr': '<f4}",                                                   // unclosed quote
      "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}",            // missing ','
      f32_dict("(1,)") + " trailing",                                      // text after the dict
      "'descr': '<f4'",                                                    // not a dict
  };
  for (const std::string& d : dicts) {
    auto r = parse(npy_image(d, 4));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << d << ": " << r.status().to_string();
  }
  EXPECT_EQ(code_of(npy_image("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", 4)), StatusCode::kUnsupported);
  EXPECT_EQ(code_of(npy_image("{'descr': '<U8', 'fortran_order': False, 'shape': (1,)}", 32)), StatusCode::kUnsupported);
  EXPECT_EQ(code_of(npy_image("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}", 16)),
            StatusCode::kUnsupported);
}

TEST(NpyReader, RefusesBadPreambles) {
  const std::string good = npy_image(f32_dict("(1,)"), 4);
  EXPECT_EQ(code_of(""), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(good.substr(0, 7)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(good.substr(0, 9)), StatusCode::kInvalidArgument);   // half a length field
  EXPECT_EQ(code_of(good.substr(0, 40)), StatusCode::kInvalidArgument);  // truncated header
  std::string v4 = good, minor = good, bad_magic = good, long_header = npy_image(f32_dict("(1,)"), 4, 2);
  v4[6] = 4;
  minor[7] = 1;
  bad_magic[1] = 'X';
  long_header[10] = 0x01;  // header length 65,536 + ...: over the 64 KiB limit
  for (const std::string* s : {&v4, &minor, &bad_magic, &long_header})
    EXPECT_EQ(code_of(*s), StatusCode::kInvalidArgument);
}

TEST(NpyReader, DeclaredSizeMustMatchTheData) {
  EXPECT_EQ(code_of(npy_image(f32_dict("(2, 3)"), 23)), StatusCode::kInvalidArgument);  // a byte short
  EXPECT_EQ(code_of(npy_image(f32_dict("(2, 3)"), 25)), StatusCode::kInvalidArgument);  // a byte extra
  // 10 GB declared in a 128-byte image: refused before anything is allocated (the
  // limit is far above 10 GB here, so it is the size check that says no).
  const size_t saved = max_allocation_bytes();
  set_max_allocation_bytes(size_t(1) << 40);
  auto r = parse(npy_image(f32_dict("(2500000000,)"), 0));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().to_string();
  // Over the allocation limit: OutOfMemory; a product over 64 bits: InvalidArgument.
  set_max_allocation_bytes(1000);
  EXPECT_EQ(code_of(npy_image(f32_dict("(1000,)"), 4000)), StatusCode::kOutOfMemory);
  set_max_allocation_bytes(saved);
  EXPECT_EQ(code_of(npy_image(f32_dict("(4294967296, 4294967296, 4)"), 0)), StatusCode::kInvalidArgument);
  // Empty, though the other dimensions multiply past 64 bits (found by npy_fuzz).
  auto empty = parse(npy_image(f32_dict("(4294967296, 4294967296, 0, 4)"), 0));
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(empty->numel(), 0);
  EXPECT_EQ(empty->nbytes(), 0u);
}

TEST(NpyReader, LoadsOnlyRegularFiles) {
  const std::string dir = ::testing::TempDir();
  const std::string fifo = dir + "/npy_reader_fifo.npy";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto r = npy::load(fifo);  // must return at once, not wait for a writer
  ::unlink(fifo.c_str());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos) << r.status().to_string();
  EXPECT_EQ(npy::load(dir).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(npy::load(dir + "/npy_reader_missing.npy").status().code(), StatusCode::kNotFound);

  const std::string lying = dir + "/npy_reader_lying.npy";
  write_file(lying, npy_image(f32_dict("(100000, 3, 64, 64)"), 0));
  r = npy::load(lying);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().to_string();
}

TEST(NpyReader, SaveLoadRoundTripsEveryDtype) {
  const std::string path = ::testing::TempDir() + "/npy_reader_rt.npy";
  std::mt19937 rng(11);
  for (DataType dt : {DataType::kFloat32, DataType::kFloat64, DataType::kFloat16, DataType::kInt8, DataType::kUint8,
                      DataType::kInt16, DataType::kInt32, DataType::kInt64, DataType::kBool}) {
    for (const Shape& shape : {Shape{}, Shape{7}, Shape{2, 0, 3}, Shape{3, 1, 4}}) {
      auto t = Tensor::allocate(dt, shape);
      ASSERT_TRUE(t.ok());
      auto* bytes = static_cast<unsigned char*>(t->raw_data());
      for (size_t i = 0; i < t->nbytes(); ++i) bytes[i] = static_cast<unsigned char>(rng());
      if (dt == DataType::kBool)
        for (size_t i = 0; i < t->nbytes(); ++i) bytes[i] &= 1;
      ASSERT_TRUE(npy::save(path, *t).ok());
      auto back = npy::load(path);
      ASSERT_TRUE(back.ok()) << back.status().to_string();
      EXPECT_EQ(back->dtype(), dt);
      EXPECT_EQ(back->shape(), shape);
      EXPECT_EQ(std::memcmp(back->raw_data(), t->raw_data(), t->nbytes()), 0);
      // The data starts 64-byte aligned, as NumPy writes it.
      std::string image(256, '\0');
      FILE* f = std::fopen(path.c_str(), "rb");
      ASSERT_NE(f, nullptr);
      image.resize(std::fread(&image[0], 1, image.size(), f));
      std::fclose(f);
      auto h = npy::parse_header(image.data(), image.size());
      ASSERT_TRUE(h.ok()) << h.status().to_string();
      EXPECT_EQ(h->data_offset % 64, 0u);
    }
  }
  EXPECT_EQ(npy::save(path, Tensor()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace top
