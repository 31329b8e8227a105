// Status and Result<T>: how every error crosses the public API.
//
// Library code never calls exit() or abort(); a failure is a Status naming what went
// wrong, propagated with TOP_RETURN_IF_ERROR / TOP_ASSIGN_OR_RETURN. An OK Status holds
// no allocation, so the success path costs a null check.
//
//   top::Result<top::Model> m = top::Model::load("resnet50.onnx");
//   if (!m.ok()) { std::cerr << m.status().to_string() << "\n"; return 1; }
//
// Thread safety: Status and Result are values; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace top {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller passed something wrong (shape, dtype, missing input)
  kInvalidModel,      // the model file is malformed or inconsistent
  kUnsupported,       // valid ONNX that this runtime cannot run (unknown op, opset)
  kNotFound,          // a named thing (file, model, input) does not exist
  kOutOfMemory,       // an allocation failed
  kResourceExhausted, // a bounded queue or pool is full
  kCancelled,         // the task was cancelled (shutdown, user request)
  kDeadlineExceeded,  // the task's deadline passed
  kUnavailable,       // the runtime is shutting down or the backend is absent
  kInternal,          // a bug in this library
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "InvalidArgument: input 'x' expects shape [1,3,224,224], got [1,3,200,200]"
  std::string to_string() const;
  // Returns a copy with "context: " in front of the message (no-op when OK).
  Status with_context(const std::string& context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

inline Status InvalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
inline Status InvalidModel(std::string m) { return Status(StatusCode::kInvalidModel, std::move(m)); }
inline Status Unsupported(std::string m) { return Status(StatusCode::kUnsupported, std::move(m)); }
inline Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status OutOfMemory(std::string m) { return Status(StatusCode::kOutOfMemory, std::move(m)); }
inline Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT(implicit)
  Result(Status status) : status_(std::move(status)) {       // NOLINT(implicit)
    if (status_.ok()) status_ = Internal("Result constructed from an OK Status without a value");
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace top

#define TOP_CONCAT_INNER_(a, b) a##b
#define TOP_CONCAT_(a, b) TOP_CONCAT_INNER_(a, b)

#define TOP_RETURN_IF_ERROR(expr)                 \
  do {                                            \
    ::top::Status top_status_ = (expr);           \
    if (!top_status_.ok()) return top_status_;    \
  } while (0)

#define TOP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#define TOP_ASSIGN_OR_RETURN(lhs, expr) \
  TOP_ASSIGN_OR_RETURN_IMPL_(TOP_CONCAT_(top_result_, __LINE__), lhs, expr)
