#include "shim/nodeapi/token_file.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "shim/base/file_util.h"

namespace airlock::nodeapi {
namespace {

// A token file holds a handful of lines; anything this large is not one.
constexpr size_t kMaxTokenFileBytes = 16 << 20;

std::string Normalize(std::string_view text) {
  // Go's csv reader turns "\r\n" into "\n" everywhere, quoted fields included.
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

Error CsvError(const std::string& what, size_t line, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "parse " + what + ": line " + std::to_string(line) + ": " + reason);
}

std::vector<std::string> SplitGroups(const std::string& column) {
  // tokenfile.go splits the 4th column on ","; empty names (",," or an empty column) name
  // no group, so they are dropped instead of becoming the group "".
  std::vector<std::string> groups;
  size_t start = 0;
  while (start <= column.size()) {
    size_t comma = column.find(',', start);
    if (comma == std::string::npos) comma = column.size();
    if (comma > start) groups.push_back(column.substr(start, comma - start));
    start = comma + 1;
  }
  return groups;
}

}  // namespace

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view raw,
                                                       const std::string& what) {
  const std::string text = Normalize(raw);
  std::vector<std::vector<std::string>> records;
  size_t pos = 0;
  size_t line = 1;
  while (pos < text.size()) {
    if (text[pos] == '\n') {  // an empty line is no record
      ++pos;
      ++line;
      continue;
    }
    const size_t record_line = line;
    std::vector<std::string> record;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (pos < text.size() && text[pos] == '"') {
        ++pos;
        bool closed = false;
        while (pos < text.size()) {
          const char c = text[pos];
          if (c == '"') {
            if (pos + 1 < text.size() && text[pos + 1] == '"') {
              field.push_back('"');
              pos += 2;
              continue;
            }
            closed = true;
            ++pos;
            break;
          }
          if (c == '\n') ++line;
          field.push_back(c);
          ++pos;
        }
        if (!closed) return CsvError(what, record_line, "quoted field is not closed");
        if (pos < text.size() && text[pos] != ',' && text[pos] != '\n') {
          return CsvError(what, line, "extraneous or missing \" in quoted field");
        }
      } else {
        while (pos < text.size() && text[pos] != ',' && text[pos] != '\n') {
          if (text[pos] == '"') return CsvError(what, line, "bare \" in unquoted field");
          field.push_back(text[pos]);
          ++pos;
        }
      }
      record.push_back(std::move(field));
      if (pos >= text.size()) {
        end_of_record = true;
      } else if (text[pos] == ',') {
        ++pos;
      } else {  // '\n'
        ++pos;
        ++line;
        end_of_record = true;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

Result<std::vector<TokenRecord>> ParseTokenCsv(std::string_view text, const std::string& what) {
  auto rows = ParseCsv(text, what);
  if (!rows.ok()) return rows.error();
  std::vector<TokenRecord> out;
  size_t number = 0;
  for (auto& row : *rows) {
    ++number;
    if (row.size() < 3) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "parse " + what + ": record " + std::to_string(number) +
                           ": needs at least 3 columns (token, user name, user uid), found " +
                           std::to_string(row.size()));
    }
    if (row[0].empty()) {
      spdlog::warn("nodeapi: {} record {} has an empty token; skipped", what, number);
      continue;
    }
    TokenRecord record;
    record.token = std::move(row[0]);
    record.user.name = std::move(row[1]);
    record.user.uid = std::move(row[2]);
    if (row.size() >= 4) record.user.groups = SplitGroups(row[3]);
    bool replaced = false;
    for (auto& existing : out) {
      if (existing.token == record.token) {  // load time, not a comparison with a secret guess
        spdlog::warn("nodeapi: {} record {} repeats a token; the later record wins", what, number);
        existing = std::move(record);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(std::move(record));
  }
  return out;
}

bool ConstantTimeEquals(std::string_view stored, std::string_view presented) {
  if (stored.empty()) return false;
  // Every byte of `presented` is compared with some byte of `stored`, so the loop length
  // depends only on what the caller sent; a length mismatch is folded into the result
  // instead of returning early.
  unsigned diff = static_cast<unsigned>(stored.size() ^ presented.size());
  for (size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned char>(stored[i % stored.size()]) ^
            static_cast<unsigned char>(presented[i]);
  }
  return diff == 0;
}

TokenFile::TokenFile(std::string path, std::vector<TokenRecord> records, std::optional<Stamp> stamp)
    : path_(std::move(path)), records_(std::move(records)), stamp_(stamp) {}

Result<TokenFile::Stamp> TokenFile::StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat token file " + path, errno);
  Stamp stamp;
  stamp.dev = st.st_dev;
  stamp.ino = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return stamp;
}

Result<std::unique_ptr<TokenFile>> TokenFile::Load(const std::string& path) {
  auto stamp = StampOf(path);
  if (!stamp.ok()) return stamp.error();
  auto text = ReadFile(path, kMaxTokenFileBytes);
  if (!text.ok()) return text.error().Wrap("load token file " + path);
  auto records = ParseTokenCsv(*text, "token file " + path);
  if (!records.ok()) return records.error();
  return std::unique_ptr<TokenFile>(new TokenFile(path, std::move(*records), *stamp));
}

std::unique_ptr<TokenFile> TokenFile::FromRecords(std::vector<TokenRecord> records) {
  return std::unique_ptr<TokenFile>(new TokenFile("", std::move(records), std::nullopt));
}

void TokenFile::ReloadIfChangedLocked() {
  if (path_.empty()) return;
  auto stamp = StampOf(path_);
  if (!stamp.ok()) {
    if (stamp_) spdlog::warn("nodeapi: {}; keeping the tokens read before", stamp.error().message);
    stamp_.reset();  // warn once, and reread as soon as the file is back
    return;
  }
  if (stamp_ && *stamp_ == *stamp) return;
  auto text = ReadFile(path_, kMaxTokenFileBytes);
  auto records = text.ok() ? ParseTokenCsv(*text, "token file " + path_)
                           : Result<std::vector<TokenRecord>>(text.error());
  stamp_ = *stamp;  // a broken version is reported once, not on every request
  if (!records.ok()) {
    spdlog::warn("nodeapi: reload token file {}: {}; keeping the tokens read before", path_,
                 records.error().message);
    return;
  }
  records_ = std::move(*records);
  spdlog::info("nodeapi: reloaded token file {} ({} tokens)", path_, records_.size());
}

std::optional<UserInfo> TokenFile::Authenticate(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  ReloadIfChangedLocked();
  // No early exit: every stored token is compared, so the time does not say which one matched.
  const TokenRecord* match = nullptr;
  for (const auto& record : records_) {
    if (ConstantTimeEquals(record.token, token)) match = &record;
  }
  if (!match) return std::nullopt;
  return match->user;
}

size_t TokenFile::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return records_.size();
}

}  // namespace airlock::nodeapi
