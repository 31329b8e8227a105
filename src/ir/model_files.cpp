#include "ir/model_files.h"

#include <fcntl.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

namespace top::ir {

namespace {

// errno as text; std::error_code's message is thread-safe, unlike strerror.
std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISREG(mode)) return "a regular file";
  return "of an unknown kind";
}

// A path from a model file, safe to print: control bytes escaped, length bounded.
std::string quoted(const std::string& s) {
  std::string r = "'";
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    } else {
      r += static_cast<char>(c);
    }
  }
  if (s.size() > 200) r += "...";
  return r + "'";
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

// Owns one descriptor for the length of a scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd() { close_fd(fd_); }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  void reset(int fd) {
    close_fd(fd_);
    fd_ = fd;
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// fstat of an opened descriptor: the authoritative answer to "what did we open".
Result<uint64_t> regular_file_size(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return InvalidArgument("cannot stat " + what + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode))
    return InvalidArgument(what + " is " + file_kind(st.st_mode) + ", not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

// Reads exactly `bytes` at `offset`; a file that ends early (it changed while we read)
// and I/O errors are Statuses.
Status read_exactly(int fd, uint64_t offset, void* dst, size_t bytes, const std::string& what) {
  auto* p = static_cast<char*>(dst);
  size_t done = 0;
  while (done < bytes) {
    // Linux reads at most ~2 GiB per call; smaller chunks keep each call bounded.
    size_t chunk = std::min(bytes - done, size_t(1) << 30);
    ssize_t r = ::pread(fd, p + done, chunk, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return InvalidArgument("reading " + what + " failed: " + errno_text(errno));
    }
    if (r == 0)
      return InvalidModel(what + " ended after " + std::to_string(offset + done) + " bytes, before the " +
                          std::to_string(bytes) + " bytes expected at offset " + std::to_string(offset) +
                          " (was it changed while loading?)");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

// Why openat(dir, name) failed, in words, looked up without following links.
std::string describe_open_failure(int dir_fd, const std::string& name, int err) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return quoted(name) + (errno == ENOENT ? std::string(" does not exist") : ": " + errno_text(errno));
  if (S_ISLNK(st.st_mode)) return quoted(name) + " is a symbolic link";
  if (err == ENOTDIR) return quoted(name) + " is " + file_kind(st.st_mode) + ", not a folder";
  return quoted(name) + ": " + errno_text(err);
}

}  // namespace

Result<ModelFile> ModelFile::open(const std::string& path) {
  const std::string what = "model file '" + path + "'";
  // Look before opening, so that a device is never opened (some have side effects) and
  // a FIFO never blocks; the fstat of the opened descriptor below is what counts.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) return NotFound(what + " does not exist");
    return InvalidArgument("cannot open " + what + ": " + errno_text(e));
  }
  if (!S_ISREG(st.st_mode)) return InvalidArgument(what + " is " + file_kind(st.st_mode) + ", not an ONNX file");
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return InvalidArgument("cannot open " + what + ": " + errno_text(errno));
  TOP_ASSIGN_OR_RETURN(uint64_t size, regular_file_size(fd.get(), what));
  ModelFile f;
  f.fd_ = fd.release();
  f.size_ = size;
  f.what_ = what;
  return f;
}

ModelFile::ModelFile(ModelFile&& o) noexcept : fd_(o.fd_), size_(o.size_), what_(std::move(o.what_)) { o.fd_ = -1; }

ModelFile& ModelFile::operator=(ModelFile&& o) noexcept {
  if (this != &o) {
    close_fd(fd_);
    fd_ = o.fd_;
    size_ = o.size_;
    what_ = std::move(o.what_);
    o.fd_ = -1;
  }
  return *this;
}

ModelFile::~ModelFile() { close_fd(fd_); }

Result<std::string> ModelFile::read_all() const {
  // /proc files report size 0 whatever they hold (/proc/self/mem is "regular"), so
  // size 0 cannot be trusted to mean "read until EOF": it is refused.
  if (size_ == 0) return InvalidModel(what_ + " is empty (or a special file that reports no size)");
  std::string bytes;
  try {
    bytes.resize(static_cast<size_t>(size_));
  } catch (const std::exception&) {
    return OutOfMemory("cannot allocate " + std::to_string(size_) + " bytes to read " + what_);
  }
  TOP_RETURN_IF_ERROR(read_exactly(fd_, 0, &bytes[0], bytes.size(), what_));
  return bytes;
}

std::optional<uint64_t> parse_decimal(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;  // 19 digits hold every int64
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return v;
}

Result<ExternalDataRef> parse_external_data(const onnx::TensorProto& tp) {
  const std::string what = "tensor '" + tp.name() + "'";
  ExternalDataRef ref;
  bool has_location = false, has_offset = false, has_checksum = false;
  for (const auto& kv : tp.external_data()) {
    const std::string& key = kv.key();
    bool repeated = false;
    if (key == "location") {
      repeated = has_location;
      has_location = true;
      ref.location = kv.value();
    } else if (key == "offset" || key == "length") {
      repeated = key == "offset" ? has_offset : ref.length.has_value();
      auto v = parse_decimal(kv.value());
      if (!v)
        return InvalidModel(what + ": external data " + key + " " + quoted(kv.value()) +
                            " is not a non-negative decimal integer below 2^63");
      if (key == "offset") {
        has_offset = true;
        ref.offset = *v;
      } else {
        ref.length = *v;
      }
    } else if (key == "checksum") {
      repeated = has_checksum;
      has_checksum = true;
    } else {
      return InvalidModel(what + ": unknown external_data key " + quoted(key) +
                          " (ONNX defines location, offset, length and checksum)");
    }
    if (repeated) return InvalidModel(what + ": external_data key " + quoted(key) + " is given twice");
  }
  if (!has_location) return InvalidModel(what + ": external data without a location");
  return ref;
}

ExternalDataFolder::ExternalDataFolder(std::string dir) : dir_(std::move(dir)) {}

ExternalDataFolder::~ExternalDataFolder() {
  close_fd(file_fd_);
  close_fd(dir_fd_);
}

Status ExternalDataFolder::open_location(const std::string& location, const std::string& what) {
  if (file_fd_ >= 0 && open_location_ == location) return Status::Ok();
  close_fd(file_fd_);
  file_fd_ = -1;
  open_location_.clear();
  auto refuse = [&](const std::string& why) {
    return InvalidModel(what + ": external data location " + quoted(location) + " " + why);
  };
  const std::string inside = "; it must name a regular file inside the model's folder";
  if (location.empty()) return refuse("is empty");
  if (location.find('\0') != std::string::npos) return refuse("contains a NUL byte");
  if (location[0] == '/') return refuse("is an absolute path" + inside);
  std::vector<std::string> parts;
  for (size_t b = 0; b <= location.size();) {
    size_t e = std::min(location.find('/', b), location.size());
    std::string part = location.substr(b, e - b);
    if (part == "..") return refuse("leaves the model's folder through '..'" + inside);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    b = e + 1;
  }
  if (parts.empty()) return refuse("names no file");

  if (dir_fd_ < 0) {
    const std::string dir = dir_.empty() ? "." : dir_;
    dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0)
      return NotFound(what + ": cannot open the model's folder '" + dir + "' for its external data: " +
                      errno_text(errno));
  }
  // Walk one component at a time, never following a symbolic link: a link (to a file
  // or to a folder on the way) could lead anywhere, and checking a resolved path
  // before opening it leaves a window in which the path can be swapped.
  int cur = dir_fd_;
  ScopedFd sub;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(cur, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return refuse("is unusable: " + describe_open_failure(cur, parts[i], errno) + inside);
    sub.reset(next);
    cur = next;
  }
  const std::string& name = parts.back();
  // Look before opening, so that a device is never opened; the fstat of the opened
  // descriptor is what counts.
  struct stat st {};
  if (::fstatat(cur, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return refuse("is unusable: " + describe_open_failure(cur, name, errno) + inside);
  if (!S_ISREG(st.st_mode)) return refuse(std::string("is ") + file_kind(st.st_mode) + inside);
  ScopedFd fd(::openat(cur, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return refuse("is unusable: " + describe_open_failure(cur, name, errno) + inside);
  auto size = regular_file_size(fd.get(), "external data file " + quoted(location));
  if (!size.ok()) return InvalidModel(what + ": " + size.status().message());
  file_fd_ = fd.release();
  file_size_ = *size;
  open_location_ = location;
  return Status::Ok();
}

Status ExternalDataFolder::check(const ExternalDataRef& ref, size_t bytes, const std::string& what) {
  if (ref.length && *ref.length != bytes)
    return InvalidModel(what + ": external data length " + std::to_string(*ref.length) +
                        " does not match its shape (" + std::to_string(bytes) + " bytes)");
  TOP_RETURN_IF_ERROR(open_location(ref.location, what));
  uint64_t end = 0;
  if (__builtin_add_overflow(ref.offset, static_cast<uint64_t>(bytes), &end) || end > file_size_)
    return InvalidModel(what + ": external data file " + quoted(ref.location) + " is too short: " +
                        std::to_string(bytes) + " bytes at offset " + std::to_string(ref.offset) +
                        " do not fit in its " + std::to_string(file_size_) + " bytes");
  return Status::Ok();
}

Status ExternalDataFolder::read(const ExternalDataRef& ref, void* dst, size_t bytes, const std::string& what) {
  TOP_RETURN_IF_ERROR(check(ref, bytes, what));
  return read_exactly(file_fd_, ref.offset, dst, bytes, what + ": external data file " + quoted(ref.location));
}

}  // namespace top::ir
