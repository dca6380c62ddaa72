// Human output: aligned tables and the small formatters their cells use (ages, sizes, ids).
// Pure functions of their inputs, so the tests pin the exact text a user sees.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::cli {

// Columns separated by three spaces, left-aligned, no trailing blanks (like crictl's tabwriter).
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// kubectl's human age: "45s", "3m12s", "25m", "5h10m", "30h", "3d4h", "200d", "3y12d".
std::string FormatAge(std::chrono::nanoseconds age);
// Age of a CRI timestamp (ns since the epoch) at `now_ns`, with " ago"; "-" when unset.
std::string FormatCreated(int64_t created_ns, int64_t now_ns);
// Decimal units with three significant digits, as docker/crictl print sizes: "1.23MB".
std::string FormatSize(uint64_t bytes);
// Strips a "sha256:" prefix and keeps the first 13 characters (crictl's truncated id).
std::string ShortId(const std::string& id);

}  // namespace airlock::cli
