#include "util/npy.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace top::npy {

namespace {

const char* descr_of(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "<f4";
    case DataType::kFloat64: return "<f8";
    case DataType::kFloat16: return "<f2";
    case DataType::kInt8: return "|i1";
    case DataType::kUint8: return "|u1";
    case DataType::kInt16: return "<i2";
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
               {"<i4", DataType::kInt32},   {"<i8", DataType::kInt64},   {"|b1", DataType::kBool},
               {"<u1", DataType::kUint8},   {"<i1", DataType::kInt8},    {"<b1", DataType::kBool}};
  for (const auto& e : table)
    if (d == e.d) return e.t;
  return DataType::kUndefined;
}

// Value of `key` in the header dict, as raw text up to the next top-level ',' or '}'.
bool header_field(const std::string& h, const std::string& key, std::string& out) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t c = h.find(':', k);
  if (c == std::string::npos) return false;
  size_t i = c + 1;
  while (i < h.size() && h[i] == ' ') ++i;
  if (i < h.size() && h[i] == '(') {
    size_t e = h.find(')', i);
    if (e == std::string::npos) return false;
    out = h.substr(i + 1, e - i - 1);
    return true;
  }
  size_t e = h.find_first_of(",}", i);
  if (e == std::string::npos) return false;
  out = h.substr(i, e - i);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return true;
}

}  // namespace

std::string file_stem(const std::string& tensor_name) {
  std::string s = tensor_name;
  for (char& ch : s)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-')) ch = '_';
  return s;
}

Result<Tensor> load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot open .npy file '" + path + "'");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return InvalidArgument("'" + path + "' is not a .npy file (bad magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) return InvalidArgument("'" + path + "': truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) return InvalidArgument("'" + path + "': truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    return InvalidArgument("'" + path + "': unsupported .npy version " + std::to_string(magic[6]));
  }
  if (header_len > (1u << 20)) return InvalidArgument("'" + path + "': header too large");
  std::string h(header_len, '\0');
  if (!f.read(&h[0], header_len)) return InvalidArgument("'" + path + "': truncated header");
  std::string descr, fortran, shape_text;
  if (!header_field(h, "descr", descr) || !header_field(h, "fortran_order", fortran) ||
      !header_field(h, "shape", shape_text))
    return InvalidArgument("'" + path + "': malformed header");
  if (descr.size() >= 2) descr = descr.substr(1, descr.size() - 2);  // strip quotes
  DataType dt = dtype_of_descr(descr);
  if (dt == DataType::kUndefined) return Unsupported("'" + path + "': unsupported dtype '" + descr + "'");
  if (fortran.find("True") != std::string::npos)
    return Unsupported("'" + path + "': Fortran-ordered arrays are not supported");
  Shape shape;
  std::stringstream ss(shape_text);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    size_t b = tok.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    try {
      long long d = std::stoll(tok.substr(b));
      if (d < 0) return InvalidArgument("'" + path + "': negative dimension");
      shape.push_back(d);
    } catch (...) {
      return InvalidArgument("'" + path + "': malformed shape '" + shape_text + "'");
    }
  }
  // Guard the allocation against absurd headers before trusting them.
  double elems = 1;
  for (int64_t d : shape) elems *= static_cast<double>(d);
  if (elems * dtype_size(dt) > 64.0 * (1ull << 30)) return InvalidArgument("'" + path + "': array too large");
  TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dt, shape));
  if (t.nbytes() > 0 && !f.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes())))
    return InvalidArgument("'" + path + "': data truncated (expected " + std::to_string(t.nbytes()) + " bytes)");
  return t;
}

Status save(const std::string& path, const Tensor& t) {
  const char* descr = descr_of(t.dtype());
  if (!descr) return Unsupported(std::string("cannot save dtype ") + dtype_name(t.dtype()) + " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.rank() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  shape += ")";
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
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
