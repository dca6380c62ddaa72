// Result<T>: errors as values at module edges (DESIGN.md §4.3).
// Shaped like std::expected so that moving to C++23 later is a rename.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace airlock {

// Mirrors the gRPC status codes we actually return; exactly one function in shim/
// maps these to grpc::Status.
enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kResourceExhausted,
  kDeadlineExceeded,
  kPermissionDenied,
  kUnimplemented,
  kUnavailable,
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Prefixes context: "<what>: <message>".
  Error Wrap(const std::string& what) const { return Error{code, what + ": " + message}; }
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// "<operation> <object>: <strerror(err)>" as the convention asks; code kInternal unless given.
Error ErrnoError(const std::string& operation, int err, ErrorCode code = ErrorCode::kInternal);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design, like expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace airlock

// Early return of the error of a Result/Status expression.
#define AIRLOCK_RETURN_IF_ERROR(expr)                          \
  do {                                                         \
    auto airlock_status_ = (expr);                             \
    if (!airlock_status_.ok()) return airlock_status_.error(); \
  } while (0)
