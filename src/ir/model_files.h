// Model files: reading the .onnx file and its external-data files without trusting
// the model's author.
//
// A model file names its external data by relative path; a hostile author may point
// it at /etc/passwd through "..", an absolute path, a symbolic link (to a file or to a
// folder on the way), a FIFO that blocks the reader forever, or declare an offset and
// length past the file's end. Everything here works on opened file descriptors
// (openat + O_NOFOLLOW on every path component, O_NONBLOCK, fstat of the opened fd), so
// there is no gap between checking a path and reading what it names, and only regular
// files are ever read.
//
// Thread safety: each object belongs to one import; distinct objects are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "top/status.h"

namespace onnx {
class TensorProto;
}

namespace top::ir {

// A model file opened for reading. open() refuses at once (InvalidArgument) a FIFO,
// a device, a directory or a socket, without blocking; NotFound when it is missing.
class ModelFile {
 public:
  static Result<ModelFile> open(const std::string& path);
  ModelFile(ModelFile&& o) noexcept;
  ModelFile& operator=(ModelFile&& o) noexcept;
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;
  ~ModelFile();

  // The size fstat reported when the file was opened.
  uint64_t size() const { return size_; }
  // The whole file. A size of 0 (an empty file, or a /proc file such as
  // /proc/self/mem) is InvalidModel; read errors (EIO) are Statuses. The caller checks
  // size() against its limits first.
  Result<std::string> read_all() const;

 private:
  ModelFile() = default;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string what_;
};

// A non-negative decimal integer that fits in int64: digits only, no sign, no
// whitespace, no trailing characters ("12abc", "-2", " 7" and 2^63 are all refused).
std::optional<uint64_t> parse_decimal(const std::string& s);

// Where one tensor's bytes lie: the ONNX external_data entries, parsed and checked.
struct ExternalDataRef {
  std::string location;           // relative to the model's folder, as written in the file
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // absent: the tensor's own byte count
};

// The external_data entries of `tp`. ONNX defines location (required), offset, length
// and checksum (a SHA1 hint, accepted but not verified); any other key, a repeated key
// or a malformed number is InvalidModel, as in ONNX Runtime.
Result<ExternalDataRef> parse_external_data(const onnx::TensorProto& tp);

// The model's folder, opened lazily on first use. Each location must be a regular file
// reached from the folder through real sub-folders: symbolic links, "..", absolute
// paths, FIFOs and devices are refused with InvalidModel.
class ExternalDataFolder {
 public:
  explicit ExternalDataFolder(std::string dir);
  ~ExternalDataFolder();
  ExternalDataFolder(const ExternalDataFolder&) = delete;
  ExternalDataFolder& operator=(const ExternalDataFolder&) = delete;

  // Opens the file and checks that [offset, offset + bytes) lies inside it and that a
  // declared length equals `bytes`, before the caller allocates anything. `what`
  // names the tensor in messages.
  Status check(const ExternalDataRef& ref, size_t bytes, const std::string& what);
  // Reads the range that check() accepted into `dst` (`bytes` long).
  Status read(const ExternalDataRef& ref, void* dst, size_t bytes, const std::string& what);
  // Only that `location` names a file this folder would read (as check() does).
  Status open_location(const std::string& location, const std::string& what);

 private:

  std::string dir_;
  int dir_fd_ = -1;
  // The most recently opened data file: exporters put all tensors in one file, or one
  // file per tensor (possibly thousands, more than the fd limit), so one is kept open.
  std::string open_location_;
  int file_fd_ = -1;
  uint64_t file_size_ = 0;
};

}  // namespace top::ir
