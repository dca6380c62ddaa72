// The CRI container log format, as a pure codec: bytes of one output stream in, formatted log
// records out. No fds, no clocks: the caller passes the timestamp of each read.
//
// Record: "<RFC3339Nano UTC> <stdout|stderr> <F|P> <line>\n". F ends a logical line; P is a
// chunk of a line longer than the buffer limit, continued by the next record of the stream
// (the kubelet joins P records until an F).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace airlock::monitor {

enum class LogStream { kStdout, kStderr };

// The kubelet's default line buffer; a longer line is split into P records of this size.
inline constexpr size_t kMaxLogLine = 16 * 1024;

// "2024-01-02T03:04:05.000000007Z": always nine fraction digits so that records sort as text.
std::string FormatRfc3339NanoUtc(int64_t unix_nanos);

// Appends one record to `out`. `line` must not contain '\n'.
void AppendCriLogRecord(int64_t unix_nanos, LogStream stream, bool partial, std::string_view line,
                        std::string* out);

// Splits one stream into records. Buffers at most `max_line` bytes of an unterminated line.
class CriLogSplitter {
 public:
  // tty: a terminal turns "\n" into "\r\n"; the '\r' is dropped so that tty and pipe output
  // read the same in `kubectl logs`.
  CriLogSplitter(LogStream stream, bool tty, size_t max_line = kMaxLogLine)
      : stream_(stream), tty_(tty), max_line_(max_line) {}

  // Formats every complete line (and every full buffer of a long line) in `data`.
  void Feed(int64_t unix_nanos, std::string_view data, std::string* out);
  // End of stream: an unterminated tail becomes an F record.
  void Finish(int64_t unix_nanos, std::string* out);

  size_t pending_bytes() const { return pending_.size(); }

 private:
  void EmitFull(int64_t unix_nanos, std::string_view line, std::string* out);

  LogStream stream_;
  bool tty_;
  size_t max_line_;
  std::string pending_;
};

}  // namespace airlock::monitor
