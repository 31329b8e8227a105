#include "util/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "top/limits.h"
#include "util/status_guard.h"

namespace top::npy {

namespace {

// NumPy itself refuses headers over 10,000 bytes unless told otherwise; 64 KiB (the
// most a version 1.0 header can hold) leaves room for any honest shape.
constexpr size_t kMaxHeaderBytes = size_t(1) << 16;
// Magic (6), version (2), header length (2 or 4).
constexpr size_t kMaxPreambleBytes = 12;
// More dimensions than any real array has; bounds the work on a hostile header.
constexpr size_t kMaxRank = 64;

const char* descr_of(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "<f4";
    case DataType::kFloat64: return "<f8";
    case DataType::kFloat16: return "<f2";
    case DataType::kInt8: return "|i1";
    case DataType::kUint8: return "|u1";
    case DataType::kInt16: return "<i2";
    case DataType::kUint16: return "<u2";
    case DataType::kUint32: return "<u4";
    case DataType::kUint64: return "<u8";
    case DataType::kInt32: return "<i4";
    case DataType::kInt64: return "<i8";
    case DataType::kBool: return "|b1";
    default: return nullptr;
  }
}

DataType dtype_of_descr(const std::string& d) {
  static const struct {
    const char* d;
    DataType t;
  } table[] = {{"<f4", DataType::kFloat32}, {"<f8", DataType::kFloat64}, {"<f2", DataType::kFloat16},
               {"|i1", DataType::kInt8},    {"|u1", DataType::kUint8},   {"<i2", DataType::kInt16},
               {"<u2", DataType::kUint16},  {"<u4", DataType::kUint32},  {"<u8", DataType::kUint64},
               {"<i4", DataType::kInt32},   {"<i8", DataType::kInt64},   {"|b1", DataType::kBool},
               {"<u1", DataType::kUint8},   {"<i1", DataType::kInt8},    {"<b1", DataType::kBool}};
  for (const auto& e : table)
    if (d == e.d) return e.t;
  return DataType::kUndefined;
}

// A strict reader of the header's Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// Each method skips blanks first and either consumes a whole token or leaves an error.
class HeaderReader {
 public:
  HeaderReader(const char* text, size_t size, const std::string& what) : p_(text), n_(size), what_(what) {}

  bool eat(char c) {
    skip_blanks();
    if (i_ < n_ && p_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  Status malformed(const std::string& expected) const {
    return InvalidArgument(what_ + ": malformed .npy header at byte " + std::to_string(i_) + ": expected " + expected);
  }

  // A quoted string without escapes ('x' or "x").
  Status quoted(std::string& out) {
    skip_blanks();
    if (i_ >= n_ || (p_[i_] != '\'' && p_[i_] != '"')) return malformed("a quoted string");
    const char q = p_[i_];
    size_t e = i_ + 1;
    while (e < n_ && p_[e] != q) {
      if (p_[e] == '\\' || p_[e] == '\n') return malformed("a plain quoted string");
      ++e;
    }
    if (e >= n_) return malformed("a closing quote");
    out.assign(p_ + i_ + 1, e - i_ - 1);
    i_ = e + 1;
    return Status::Ok();
  }

  Status boolean(bool& out) {
    skip_blanks();
    for (const auto& [word, value] : {std::pair<const char*, bool>{"True", true}, {"False", false}}) {
      const size_t len = std::strlen(word);
      if (n_ - i_ >= len && std::memcmp(p_ + i_, word, len) == 0) {
        i_ += len;
        out = value;
        return Status::Ok();
      }
    }
    return malformed("True or False");
  }

  // A decimal dimension: digits only (Python 2's 'L' suffix allowed), no sign, and no
  // value above INT64_MAX.
  Status dimension(int64_t& out) {
    skip_blanks();
    const size_t start = i_;
    int64_t v = 0;
    while (i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9') {
      const int digit = p_[i_] - '0';
      if (v > (INT64_MAX - digit) / 10)
        return InvalidArgument(what_ + ": .npy shape dimension at byte " + std::to_string(start) + " overflows 64 bits");
      v = v * 10 + digit;
      ++i_;
    }
    if (i_ == start) return malformed("a non-negative integer dimension");
    if (i_ < n_ && p_[i_] == 'L') ++i_;
    out = v;
    return Status::Ok();
  }

  // "(d0, d1, ...)", "(d0,)" or "()"; "(d0)" is taken for "(d0,)".
  Status shape(Shape& out) {
    if (!eat('(')) return malformed("a shape tuple '('");
    if (eat(')')) return Status::Ok();
    while (true) {
      int64_t d = 0;
      TOP_RETURN_IF_ERROR(dimension(d));
      if (out.size() >= kMaxRank)
        return InvalidArgument(what_ + ": .npy shape has more than " + std::to_string(kMaxRank) + " dimensions");
      out.push_back(d);
      if (eat(')')) return Status::Ok();
      if (!eat(',')) return malformed("',' or ')' in the shape");
      if (eat(')')) return Status::Ok();
    }
  }

  // Only padding may follow the dict: blanks and the closing newline.
  bool only_padding_left() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
    return i_ == n_;
  }

 private:
  void skip_blanks() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t')) ++i_;
  }

  const char* p_;
  size_t n_;
  size_t i_ = 0;
  const std::string& what_;
};

Status parse_dict(const char* text, size_t size, const std::string& what, Header& h) {
  HeaderReader r(text, size, what);
  if (!r.eat('{')) return r.malformed("'{'");
  bool have_descr = false, have_fortran = false, have_shape = false;
  while (!r.eat('}')) {
    std::string key;
    TOP_RETURN_IF_ERROR(r.quoted(key));
    if (!r.eat(':')) return r.malformed("':' after '" + key + "'");
    bool* seen = key == "descr" ? &have_descr : key == "fortran_order" ? &have_fortran : key == "shape" ? &have_shape : nullptr;
    if (!seen) return InvalidArgument(what + ": unknown key '" + key + "' in the .npy header");
    if (*seen) return InvalidArgument(what + ": key '" + key + "' given twice in the .npy header");
    *seen = true;
    if (key == "descr") {
      std::string descr;
      TOP_RETURN_IF_ERROR(r.quoted(descr));
      h.dtype = dtype_of_descr(descr);
      if (h.dtype == DataType::kUndefined) return Unsupported(what + ": unsupported .npy dtype '" + descr + "'");
    } else if (key == "fortran_order") {
      bool fortran = false;
      TOP_RETURN_IF_ERROR(r.boolean(fortran));
      if (fortran) return Unsupported(what + ": Fortran-ordered arrays are not supported");
    } else {
      TOP_RETURN_IF_ERROR(r.shape(h.shape));
    }
    if (r.eat('}')) break;
    if (!r.eat(',')) return r.malformed("',' or '}'");
  }
  if (!r.only_padding_left()) return r.malformed("only padding after the header dict");
  if (!have_descr || !have_fortran || !have_shape)
    return InvalidArgument(what + ": .npy header lacks '" +
                           std::string(!have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape") + "'");
  return Status::Ok();
}

Result<Header> parse_header_unguarded(const void* data, size_t size, const std::string& what) {
  const auto* b = static_cast<const unsigned char*>(data);
  if (size < 8 || std::memcmp(b, "\x93NUMPY", 6) != 0) return InvalidArgument(what + " is not a .npy file (bad magic)");
  const int major = b[6], minor = b[7];
  const size_t len_bytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
  if (len_bytes == 0 || minor != 0)
    return InvalidArgument(what + ": unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor));
  if (size < 8 + len_bytes) return InvalidArgument(what + ": truncated .npy header");
  size_t header_len = 0;
  for (size_t i = 0; i < len_bytes; ++i) header_len |= static_cast<size_t>(b[8 + i]) << (8 * i);
  if (header_len > kMaxHeaderBytes)
    return InvalidArgument(what + ": .npy header of " + std::to_string(header_len) + " bytes, over the limit of " +
                           std::to_string(kMaxHeaderBytes));
  const size_t offset = 8 + len_bytes;
  if (size - offset < header_len) return InvalidArgument(what + ": truncated .npy header");
  Header h;
  TOP_RETURN_IF_ERROR(parse_dict(reinterpret_cast<const char*>(b + offset), header_len, what, h));
  h.data_offset = offset + header_len;
  return h;
}

// The data bytes the header declares: within the allocation limit, and exactly the
// `available` bytes after the header.
Result<size_t> declared_bytes(const Header& h, size_t available, const std::string& what) {
  TOP_ASSIGN_OR_RETURN(size_t bytes, checked_tensor_bytes(h.dtype, h.shape, what));
  if (bytes > available)
    return InvalidArgument(what + ": data truncated: the header declares " + dtype_name(h.dtype) + " " +
                           shape_str(h.shape) + " (" + std::to_string(bytes) + " bytes), " +
                           std::to_string(available) + " bytes follow the header");
  if (bytes < available)
    return InvalidArgument(what + ": " + std::to_string(available - bytes) +
                           " bytes after the data the header declares (" + shape_str(h.shape) + ")");
  return bytes;
}

// pread until `n` bytes are in or the file ends; the count read.
Result<size_t> read_at(int fd, void* dst, size_t n, size_t offset, const std::string& what) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, static_cast<char*>(dst) + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return InvalidArgument(what + ": read failed: " + std::strerror(errno));
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

Result<Tensor> load_unguarded(const std::string& path, const std::string& what) {
  // O_NONBLOCK: opening a FIFO without a writer must not hang; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound("cannot open .npy file " + what + ": no such file");
    return InvalidArgument("cannot open .npy file " + what + ": " + std::strerror(err));
  }
  FdCloser closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return InvalidArgument(what + ": stat failed: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgument(what + " is not a regular file");
  const size_t file_size = static_cast<size_t>(st.st_size);

  std::string head(std::min(file_size, kMaxPreambleBytes + kMaxHeaderBytes), '\0');
  TOP_ASSIGN_OR_RETURN(size_t got, read_at(fd, head.data(), head.size(), 0, what));
  TOP_ASSIGN_OR_RETURN(Header h, parse_header_unguarded(head.data(), got, what));
  TOP_ASSIGN_OR_RETURN(size_t bytes, declared_bytes(h, file_size - h.data_offset, what));
  TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(h.dtype, h.shape));
  TOP_ASSIGN_OR_RETURN(got, read_at(fd, t.raw_data(), bytes, h.data_offset, what));
  if (got != bytes)  // the file shrank after fstat
    return InvalidArgument(what + ": data truncated (expected " + std::to_string(bytes) + " bytes, read " +
                           std::to_string(got) + ")");
  return t;
}

}  // namespace

std::string file_stem(const std::string& tensor_name) {
  std::string s = tensor_name;
  for (char& ch : s)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-')) ch = '_';
  return s;
}

Result<Header> parse_header(const void* data, size_t size, const std::string& what) {
  return status_guard(what, [&] { return parse_header_unguarded(data, size, what); });
}

Result<Tensor> parse(const void* data, size_t size, const std::string& what) {
  return status_guard(what, [&]() -> Result<Tensor> {
    TOP_ASSIGN_OR_RETURN(Header h, parse_header_unguarded(data, size, what));
    TOP_ASSIGN_OR_RETURN(size_t bytes, declared_bytes(h, size - h.data_offset, what));
    TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(h.dtype, h.shape));
    if (bytes > 0) std::memcpy(t.raw_data(), static_cast<const char*>(data) + h.data_offset, bytes);
    return t;
  });
}

Result<Tensor> load(const std::string& path) {
  const std::string what = "'" + path + "'";
  return status_guard(what, [&] { return load_unguarded(path, what); });
}

Status save(const std::string& path, const Tensor& t) {
  if (!t.defined()) return InvalidArgument("cannot save an undefined tensor to '" + path + "'");
  const char* descr = descr_of(t.dtype());
  if (!descr) return Unsupported(std::string("cannot save dtype ") + dtype_name(t.dtype()) + " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.rank() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  shape += ")";
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic, version and length field (10 bytes), the dict, padding, '\n': a multiple of
  // 64 bytes so that the data is aligned when mapped.
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  if (h.size() > 0xffff) return InvalidArgument("cannot save a tensor of rank " + std::to_string(t.rank()) + " to .npy 1.0");
  std::ofstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot write '" + path + "'");
  f.write("\x93NUMPY\x01\x00", 8);
  unsigned char len[2] = {static_cast<unsigned char>(h.size() & 0xff), static_cast<unsigned char>(h.size() >> 8)};
  f.write(reinterpret_cast<const char*>(len), 2);
  f.write(h.data(), static_cast<std::streamsize>(h.size()));
  f.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  if (!f) return Internal("write to '" + path + "' failed");
  return Status::Ok();
}

}  // namespace top::npy
