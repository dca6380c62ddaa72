#include "cli/cri_log.h"

namespace airlock::cli {

std::optional<CriLogRecord> ParseCriLogLine(std::string_view line) {
  CriLogRecord rec;
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return std::nullopt;
  rec.timestamp = line.substr(0, sp1);

  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (stream == "stdout") {
    rec.stream = LogStream::kStdout;
  } else if (stream == "stderr") {
    rec.stream = LogStream::kStderr;
  } else {
    return std::nullopt;
  }

  // The content may be empty ("... stdout F" ends the line right after the tag).
  size_t sp3 = line.find(' ', sp2 + 1);
  std::string_view tags =
      line.substr(sp2 + 1, sp3 == std::string_view::npos ? std::string_view::npos : sp3 - sp2 - 1);
  std::string_view first_tag = tags.substr(0, tags.find(':'));
  if (first_tag == "F") {
    rec.partial = false;
  } else if (first_tag == "P") {
    rec.partial = true;
  } else {
    return std::nullopt;
  }
  rec.content = sp3 == std::string_view::npos ? std::string_view() : line.substr(sp3 + 1);
  return rec;
}

CriLogDecoder::CriLogDecoder(Sink sink, size_t max_line)
    : sink_(std::move(sink)), max_line_(max_line) {}

void CriLogDecoder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      if (!discarding_) {
        pending_.append(bytes);
        if (pending_.size() > max_line_) {
          ++malformed_;
          pending_.clear();
          discarding_ = true;
        }
      }
      return;
    }
    if (discarding_) {
      discarding_ = false;
    } else if (pending_.empty()) {
      Line(bytes.substr(0, nl));
    } else {
      pending_.append(bytes.substr(0, nl));
      Line(pending_);
      pending_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void CriLogDecoder::Finish() {
  if (!pending_.empty()) Line(pending_);
  pending_.clear();
  discarding_ = false;
}

void CriLogDecoder::Line(std::string_view line) {
  if (line.size() > max_line_) {
    ++malformed_;
    return;
  }
  auto rec = ParseCriLogLine(line);
  if (!rec) {
    if (!line.empty()) ++malformed_;
    return;
  }
  if (rec->partial) {
    sink_(rec->stream, rec->content);
  } else {
    std::string out(rec->content);
    out += '\n';
    sink_(rec->stream, out);
  }
}

}  // namespace airlock::cli
