#include <gtest/gtest.h>

#include "cli/table.h"

namespace airlock::cli {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(CliTable, ColumnsAlignWithThreeSpacesAndNoTrailingBlanks) {
  Table t({"POD ID", "STATE", "NAME"});
  t.AddRow({"abc", "Ready", "web"});
  t.AddRow({"0123456789abc", "NotReady", ""});
  EXPECT_EQ(t.Render(),
            "POD ID          STATE      NAME\n"
            "abc             Ready      web\n"
            "0123456789abc   NotReady\n");
}

TEST(CliTable, EmptyTableIsTheHeader) {
  Table t({"IMAGE", "TAG"});
  EXPECT_EQ(t.Render(), "IMAGE   TAG\n");
}

TEST(CliTable, AgeMatchesKubectl) {
  EXPECT_EQ(FormatAge(seconds(-5)), "<invalid>");
  EXPECT_EQ(FormatAge(std::chrono::milliseconds(-900)), "0s");
  EXPECT_EQ(FormatAge(seconds(0)), "0s");
  EXPECT_EQ(FormatAge(seconds(119)), "119s");
  EXPECT_EQ(FormatAge(seconds(120)), "2m");
  EXPECT_EQ(FormatAge(seconds(192)), "3m12s");
  EXPECT_EQ(FormatAge(minutes(25) + seconds(59)), "25m");
  EXPECT_EQ(FormatAge(minutes(179)), "179m");
  EXPECT_EQ(FormatAge(hours(5) + minutes(10)), "5h10m");
  EXPECT_EQ(FormatAge(hours(5)), "5h");
  EXPECT_EQ(FormatAge(hours(30)), "30h");
  EXPECT_EQ(FormatAge(hours(76)), "3d4h");
  EXPECT_EQ(FormatAge(hours(24 * 200)), "200d");
  EXPECT_EQ(FormatAge(hours(24 * (365 * 3 + 12))), "3y12d");
  EXPECT_EQ(FormatAge(hours(24 * 365 * 9)), "9y");
}

TEST(CliTable, CreatedIsAnAgeAgo) {
  const int64_t now = 1'700'000'000'000'000'000;
  EXPECT_EQ(FormatCreated(now - 42'000'000'000, now), "42s ago");
  EXPECT_EQ(FormatCreated(0, now), "-");
}

TEST(CliTable, SizesInDecimalUnits) {
  EXPECT_EQ(FormatSize(0), "0B");
  EXPECT_EQ(FormatSize(999), "999B");
  EXPECT_EQ(FormatSize(1000), "1kB");
  EXPECT_EQ(FormatSize(1'234'567), "1.23MB");
  EXPECT_EQ(FormatSize(4'261'412'864), "4.26GB");
  EXPECT_EQ(FormatSize(999'999), "1MB");
}

TEST(CliTable, ShortIdDropsDigestPrefix) {
  EXPECT_EQ(ShortId("sha256:0123456789abcdef0123"), "0123456789abc");
  EXPECT_EQ(ShortId("fedcba9876543210"), "fedcba9876543");
  EXPECT_EQ(ShortId("abc"), "abc");
}

}  // namespace
}  // namespace airlock::cli
