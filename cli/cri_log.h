// Reader side of the CRI container log format, one record per line:
//   <RFC3339Nano timestamp> <stdout|stderr> <tags> <content>
// where the first ':'-separated tag is F (full line) or P (partial: the writer split a long
// line; the next record of the same stream continues it). Pure: bytes in, output chunks out.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::cli {

enum class LogStream { kStdout, kStderr };

struct CriLogRecord {
  std::string_view timestamp;
  LogStream stream = LogStream::kStdout;
  bool partial = false;
  std::string_view content;  // without the record's trailing newline
};

// Parses one record (no trailing '\n'). nullopt when the line is not in CRI format.
std::optional<CriLogRecord> ParseCriLogLine(std::string_view line);

// Splits a growing byte stream into records and emits the text a reader should see: a full
// record gives "content\n", a partial record gives "content" alone, so consecutive P chunks
// join into one line exactly as the container wrote it (kubelet's reading of the format).
// An incomplete last line stays buffered until more bytes or Finish().
class CriLogDecoder {
 public:
  using Sink = std::function<void(LogStream, std::string_view)>;
  explicit CriLogDecoder(Sink sink, size_t max_line = 1 << 20);

  void Feed(std::string_view bytes);
  // End of input: a final line without '\n' is still a record (a writer may have been cut off).
  void Finish();

  // Lines that were not CRI records (or longer than max_line) and were skipped.
  uint64_t malformed() const { return malformed_; }

 private:
  void Line(std::string_view line);

  Sink sink_;
  size_t max_line_;
  std::string pending_;
  bool discarding_ = false;  // inside an over-long line, skipping until its '\n'
  uint64_t malformed_ = 0;
};

}  // namespace airlock::cli
