#include "cli/table.h"

#include <algorithm>
#include <cstdio>

namespace airlock::cli {

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);

  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(width[c] - row[c].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  emit(header_);
  for (const auto& r : rows_) emit(r);
  return out;
}

std::string FormatAge(std::chrono::nanoseconds age) {
  using std::to_string;
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  // Up to a second in the future is clock skew between daemon and client, not an error.
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return to_string(seconds) + "s";
  const int64_t minutes = seconds / 60;
  if (minutes < 10) {
    return seconds % 60 == 0 ? to_string(minutes) + "m"
                             : to_string(minutes) + "m" + to_string(seconds % 60) + "s";
  }
  if (minutes < 180) return to_string(minutes) + "m";
  const int64_t hours = minutes / 60;
  if (hours < 8) {
    return minutes % 60 == 0 ? to_string(hours) + "h"
                             : to_string(hours) + "h" + to_string(minutes % 60) + "m";
  }
  if (hours < 48) return to_string(hours) + "h";
  const int64_t days = hours / 24;
  if (days < 8) {
    return hours % 24 == 0 ? to_string(days) + "d"
                           : to_string(days) + "d" + to_string(hours % 24) + "h";
  }
  if (days < 365 * 2) return to_string(days) + "d";
  const int64_t years = days / 365;
  if (years < 8) {
    return days % 365 == 0 ? to_string(years) + "y"
                           : to_string(years) + "y" + to_string(days % 365) + "d";
  }
  return to_string(years) + "y";
}

std::string FormatCreated(int64_t created_ns, int64_t now_ns) {
  if (created_ns <= 0) return "-";
  return FormatAge(std::chrono::nanoseconds(now_ns - created_ns)) + " ago";
}

std::string FormatSize(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  // 999.5 would print as "1e+03" with %.3g, so it already moves to the next unit.
  while (value >= 999.5 && unit + 1 < std::size(kUnits)) {
    value /= 1000.0;
    ++unit;
  }
  char buf[32];
  // %.3g keeps three significant digits and drops trailing zeros: 1.5MB, 123kB, 4.26GB.
  std::snprintf(buf, sizeof buf, "%.3g%s", value, kUnits[unit]);
  return buf;
}

std::string ShortId(const std::string& id) {
  std::string s = id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
  if (s.size() > 13) s.resize(13);
  return s;
}

}  // namespace airlock::cli
