// AsciicastRecorder: writes a tty session's output as an asciicast v2 file, which
// `asciinema play` replays (https://docs.asciinema.org/manual/asciicast/v2/):
//
//   {"version": 2, "width": 80, "height": 24, "timestamp": 1700000000, "title": ..., "env": {}}
//   [0.248848, "o", "output text"]
//   [4.050000, "r", "100x40"]
//
// Input is not recorded (keystrokes include passwords; `asciinema rec` leaves stdin out by
// default too). Output is sanitised to UTF-8 with a Utf8Stream, so every line is valid JSON.
// The file is capped: the event that would cross `max_bytes` and everything after it are
// dropped, and truncated() says so (the audit line notes it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shim/base/clock.h"
#include "shim/base/result.h"
#include "shim/base/unique_fd.h"
#include "shim/nodeapi/utf8_stream.h"

namespace airlock::nodeapi {

class AsciicastRecorder {
 public:
  struct Options {
    std::string path;  // created new (O_EXCL), mode 0600
    uint64_t max_bytes = 10 << 20;
    uint16_t width = 80;
    uint16_t height = 24;
    std::string title;
    std::string command;
  };
  // Creates the file and writes the header; time 0 is now (`clock`).
  static Result<std::unique_ptr<AsciicastRecorder>> Create(Options options, const Clock& clock);
  ~AsciicastRecorder();

  void Output(std::string_view bytes);
  void Resize(uint16_t width, uint16_t height);
  // Flushes a held-back partial UTF-8 sequence and closes the file. Idempotent.
  void Finish();

  bool truncated() const { return truncated_; }
  const std::string& path() const { return options_.path; }
  uint64_t bytes_written() const { return written_; }

 private:
  AsciicastRecorder(Options options, const Clock& clock, UniqueFd fd);
  // Appends one event line unless that would cross the cap.
  void Event(char code, std::string_view text);
  bool Append(const std::string& line);

  const Options options_;
  const Clock& clock_;
  const Clock::TimePoint start_;
  UniqueFd fd_;
  Utf8Stream utf8_;
  uint64_t written_ = 0;
  bool truncated_ = false;
};

}  // namespace airlock::nodeapi
