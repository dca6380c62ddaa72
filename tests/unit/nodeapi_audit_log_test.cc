// Audit log: the content of a line, concurrent writers, rotation by size.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "shim/nodeapi/audit_log.h"

namespace airlock::nodeapi {
namespace {

std::vector<nlohmann::json> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(nlohmann::json::parse(line));  // throws (fails the test) on a broken line
  }
  return out;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nodeapi-audit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sub/audit.log";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_, path_;
};

TEST(Rfc3339, FormatsUtcWithMicroseconds) {
  EXPECT_EQ(Rfc3339(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00.000000Z");
}

TEST_F(AuditLogTest, WritesOneJsonLinePerRecordWithEveryField) {
  auto log = AuditLog::Open({path_, 1 << 20, 3});
  ASSERT_TRUE(log.ok()) << log.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the audit log names users and commands";

  AuditRecord allowed;
  allowed.wall_nanos = 1'700'000'000'000'000'000;
  allowed.user = "alice";
  allowed.groups = {"dev", "ops"};
  allowed.auth = "token";
  allowed.source = "10.0.0.7:51234";
  allowed.transport = "websocket";
  allowed.path = "/exec/dev/web/app";
  allowed.namespace_name = "dev";
  allowed.pod = "web";
  allowed.container = "app";
  allowed.container_id = "abc123";
  allowed.command = {"sh", "-c", std::string("echo \xff\xfe bad")};
  allowed.tty = true;
  allowed.stdin = true;
  allowed.stdout = true;
  allowed.allowed = true;
  allowed.reason = "allow rule 1";
  allowed.exit_code = 3;
  allowed.bytes_in = 12;
  allowed.bytes_out = 3400;
  allowed.duration_ms = 1500;
  ASSERT_TRUE((*log)->Write(allowed).ok());

  AuditRecord denied;
  denied.wall_nanos = allowed.wall_nanos;
  denied.source = "10.0.0.8:1";
  denied.transport = "spdy";
  denied.http_status = 401;
  denied.reason = "invalid bearer token";
  ASSERT_TRUE((*log)->Write(denied).ok());

  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const auto& a = lines[0];
  EXPECT_EQ(a["time"], "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(a["decision"], "allow");
  EXPECT_EQ(a["user"], "alice");
  EXPECT_EQ(a["groups"], nlohmann::json::array({"dev", "ops"}));
  EXPECT_EQ(a["source"], "10.0.0.7:51234");
  EXPECT_EQ(a["transport"], "websocket");
  EXPECT_EQ(a["namespace"], "dev");
  EXPECT_EQ(a["pod"], "web");
  EXPECT_EQ(a["container"], "app");
  EXPECT_EQ(a["command"][2], "echo \xEF\xBF\xBD\xEF\xBF\xBD bad");  // invalid bytes -> U+FFFD
  EXPECT_EQ(a["tty"], true);
  EXPECT_EQ(a["exit_code"], 3);
  EXPECT_EQ(a["bytes_in"], 12);
  EXPECT_EQ(a["bytes_out"], 3400);
  EXPECT_EQ(a["duration_ms"], 1500);
  EXPECT_FALSE(a.contains("http_status"));

  const auto& d = lines[1];
  EXPECT_EQ(d["decision"], "deny");
  EXPECT_EQ(d["http_status"], 401);
  EXPECT_EQ(d["reason"], "invalid bearer token");
  EXPECT_EQ(d["user"], "");
  EXPECT_TRUE(d["exit_code"].is_null());
}

TEST_F(AuditLogTest, RotatesBySizeAndKeepsN) {
  AuditRecord r;
  r.reason = std::string(100, 'x');
  r.user = "u0";  // every user below has this length, so every line has this size
  const size_t line_size = AuditJson(r).size() + 1;
  // Room for exactly three lines per file.
  auto log = AuditLog::Open({path_, 3 * line_size, 2});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 10; ++i) {
    r.user = "u" + std::to_string(i);
    ASSERT_TRUE((*log)->Write(r).ok());
  }
  // 10 lines: audit.log.2 = u3..u5, audit.log.1 = u6..u8, audit.log = u9; u0..u2 dropped.
  auto current = ReadLines(path_);
  auto first = ReadLines(path_ + ".1");
  auto second = ReadLines(path_ + ".2");
  ASSERT_EQ(current.size(), 1u);
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(current[0]["user"], "u9");
  EXPECT_EQ(first[0]["user"], "u6");
  EXPECT_EQ(second[0]["user"], "u3");
  EXPECT_FALSE(Exists(path_ + ".3"));
}

TEST_F(AuditLogTest, ReopensAnExistingLogAndCountsItsSize) {
  {
    auto log = AuditLog::Open({path_, 1 << 20, 1});
    ASSERT_TRUE(log.ok());
    AuditRecord r;
    r.user = "before-restart";
    ASSERT_TRUE((*log)->Write(r).ok());
  }
  AuditRecord r;
  r.user = "after-restart";
  auto log = AuditLog::Open({path_, AuditJson(r).size() + 10, 1});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Write(r).ok());  // the old content counts: this rotates first
  EXPECT_EQ(ReadLines(path_ + ".1")[0]["user"], "before-restart");
  EXPECT_EQ(ReadLines(path_)[0]["user"], "after-restart");
}

TEST_F(AuditLogTest, ConcurrentWritersNeverInterleaveLines) {
  auto log = AuditLog::Open({path_, 64 << 10, 50});
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      AuditRecord r;
      r.user = "thread" + std::to_string(t);
      r.reason = std::string(500, char('a' + t));
      for (int i = 0; i < 200; ++i) (void)(*log)->Write(r);
    });
  }
  for (auto& th : threads) th.join();
  size_t total = 0;
  for (int i = 0; i <= 50; ++i) {
    std::string p = i == 0 ? path_ : path_ + "." + std::to_string(i);
    if (!Exists(p)) continue;
    for (const auto& line : ReadLines(p)) {
      const std::string user = line["user"];
      const std::string reason = line["reason"];
      ASSERT_EQ(reason, std::string(500, char('a' + (user.back() - '0'))));
      ++total;
    }
  }
  EXPECT_EQ(total, 8u * 200u);
}

}  // namespace
}  // namespace airlock::nodeapi
