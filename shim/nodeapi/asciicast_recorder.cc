#include "shim/nodeapi/asciicast_recorder.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace airlock::nodeapi {
namespace {

std::string JsonString(std::string_view text) {
  // `text` is valid UTF-8 already (Utf8Stream); `replace` keeps dump() from ever throwing.
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

AsciicastRecorder::AsciicastRecorder(Options options, const Clock& clock, UniqueFd fd)
    : options_(std::move(options)), clock_(clock), start_(clock.Now()), fd_(std::move(fd)) {}

AsciicastRecorder::~AsciicastRecorder() { Finish(); }

Result<std::unique_ptr<AsciicastRecorder>> AsciicastRecorder::Create(Options options,
                                                                     const Clock& clock) {
  UniqueFd fd(
      ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoError("create recording " + options.path, errno);
  nlohmann::ordered_json header;
  header["version"] = 2;
  header["width"] = options.width ? options.width : 80;
  header["height"] = options.height ? options.height : 24;
  header["timestamp"] = clock.WallNanos() / 1'000'000'000;
  if (!options.command.empty()) header["command"] = options.command;
  if (!options.title.empty()) header["title"] = options.title;
  // The container's environment is not ours to copy into a file readers may see; players
  // only read TERM from here, and the session's terminal type is unknown to the node.
  header["env"] = nlohmann::ordered_json::object();
  const std::string line =
      header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  std::unique_ptr<AsciicastRecorder> recorder(
      new AsciicastRecorder(std::move(options), clock, std::move(fd)));
  if (line.size() > recorder->options_.max_bytes || !recorder->Append(line)) {
    return MakeError(ErrorCode::kInternal,
                     "write recording " + recorder->options_.path + ": header failed");
  }
  return recorder;
}

bool AsciicastRecorder::Append(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      spdlog::warn("nodeapi: write recording {}: {}; recording stops", options_.path,
                   std::strerror(errno));
      fd_.reset();
      truncated_ = true;
      return false;
    }
    done += size_t(n);
  }
  written_ += line.size();
  return true;
}

void AsciicastRecorder::Event(char code, std::string_view text) {
  if (!fd_.valid() || truncated_) return;
  const double seconds = std::chrono::duration<double>(clock_.Now() - start_).count();
  char time[32];
  std::snprintf(time, sizeof time, "%.6f", seconds < 0 ? 0.0 : seconds);
  std::string line = "[";
  line += time;
  line += ", \"";
  line += code;
  line += "\", ";
  line += JsonString(text);
  line += "]\n";
  if (written_ + line.size() > options_.max_bytes) {
    truncated_ = true;
    spdlog::info("nodeapi: recording {} reached its cap of {} bytes; recording stops",
                 options_.path, options_.max_bytes);
    return;
  }
  Append(line);
}

void AsciicastRecorder::Output(std::string_view bytes) {
  if (!fd_.valid() || truncated_) return;
  std::string text = utf8_.Feed(bytes);
  if (!text.empty()) Event('o', text);
}

void AsciicastRecorder::Resize(uint16_t width, uint16_t height) {
  Event('r', std::to_string(width) + "x" + std::to_string(height));
}

void AsciicastRecorder::Finish() {
  if (!fd_.valid()) return;
  std::string tail = utf8_.Finish();
  if (!tail.empty()) Event('o', tail);
  fd_.reset();
}

}  // namespace airlock::nodeapi
