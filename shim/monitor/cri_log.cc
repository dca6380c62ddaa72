#include "shim/monitor/cri_log.h"

namespace airlock::monitor {

namespace {

// Proleptic Gregorian date of a day count since 1970-01-01 (the "days from civil" inverse,
// computed in 400-year eras so that it needs no table and no time zone database).
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;  // shift the epoch to 0000-03-01: leap days then fall at the end of a year
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);             // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

// Writes `value` as exactly `width` decimal digits ending just before `end`.
void PutDigits(char* end, int width, uint64_t value) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

// Hand-rolled rather than strftime/snprintf: it runs once per read of container output, and
// keeps stdio and the time zone code out of the static monitor.
std::string FormatRfc3339NanoUtc(int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1'000'000'000;
  int64_t frac = unix_nanos % 1'000'000'000;
  if (frac < 0) {  // before 1970: floor division keeps the fraction positive
    frac += 1'000'000'000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[] = "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ";
  PutDigits(buf + 4, 4, static_cast<uint64_t>(year < 0 ? 0 : year));
  PutDigits(buf + 7, 2, month);
  PutDigits(buf + 10, 2, day);
  PutDigits(buf + 13, 2, static_cast<uint64_t>(sod / 3600));
  PutDigits(buf + 16, 2, static_cast<uint64_t>(sod / 60 % 60));
  PutDigits(buf + 19, 2, static_cast<uint64_t>(sod % 60));
  PutDigits(buf + 29, 9, static_cast<uint64_t>(frac));
  return std::string(buf, sizeof buf - 1);
}

void AppendCriLogRecord(int64_t unix_nanos, LogStream stream, bool partial, std::string_view line,
                        std::string* out) {
  out->append(FormatRfc3339NanoUtc(unix_nanos));
  out->append(stream == LogStream::kStdout ? " stdout " : " stderr ");
  out->append(partial ? "P " : "F ");
  out->append(line);
  out->push_back('\n');
}

void CriLogSplitter::EmitFull(int64_t unix_nanos, std::string_view line, std::string* out) {
  if (tty_ && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  AppendCriLogRecord(unix_nanos, stream_, /*partial=*/false, line, out);
}

void CriLogSplitter::Feed(int64_t unix_nanos, std::string_view data, std::string* out) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view piece = data.substr(0, nl);
    // Hold up to the limit; only a line known to be longer than it becomes a P record, so a
    // line of exactly max_line bytes is still one F record.
    size_t room = max_line_ - pending_.size();
    if (piece.size() > room) {
      pending_.append(piece.substr(0, room));
      AppendCriLogRecord(unix_nanos, stream_, /*partial=*/true, pending_, out);
      pending_.clear();
      data.remove_prefix(room);
      continue;
    }
    if (nl == std::string_view::npos) {
      pending_.append(piece);
      return;
    }
    if (pending_.empty()) {
      EmitFull(unix_nanos, piece, out);
    } else {
      pending_.append(piece);
      EmitFull(unix_nanos, pending_, out);
      pending_.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

void CriLogSplitter::Finish(int64_t unix_nanos, std::string* out) {
  if (pending_.empty()) return;
  EmitFull(unix_nanos, pending_, out);
  pending_.clear();
}

}  // namespace airlock::monitor
