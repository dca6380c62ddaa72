// NodeApiImpl: the whole decision for a node exec request, as the streaming server asks it,
// with a fake resolver, a fixed token table, a real policy and a real audit log file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "shim/nodeapi/node_api_impl.h"

namespace airlock::nodeapi {
namespace {

using namespace std::chrono_literals;
using streaming::NodeDecision;
using streaming::NodeRequest;

class FakeResolver : public ExecTargetResolver {
 public:
  Result<ExecTarget> Resolve(const PodContainerRef& ref) override {
    ++calls;
    auto it = targets.find(ref.namespace_name + "/" + ref.pod + "/" + ref.container);
    if (it == targets.end()) {
      return MakeError(ErrorCode::kNotFound, "pod " + ref.namespace_name + "/" + ref.pod +
                                                 " not found: no ready pod sandbox");
    }
    return it->second;
  }
  std::map<std::string, ExecTarget> targets;
  int calls = 0;
};

constexpr char kPolicy[] = R"(
[[allow]]
users = ["alice"]
namespaces = ["dev"]
)";

class NodeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nodeapi-impl-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ExecTarget normal;
    normal.container_id = "ctr-normal";
    resolver_.targets["dev/web/app"] = normal;
    ExecTarget privileged;
    privileged.container_id = "ctr-priv";
    privileged.privilege.privileged = true;
    resolver_.targets["dev/agent/main"] = privileged;
    ExecTarget hostnet;
    hostnet.container_id = "ctr-hostnet";
    hostnet.privilege.host_network = true;
    resolver_.targets["dev/proxy/envoy"] = hostnet;
    Build(RecordingOptions{});
  }
  void TearDown() override {
    api_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }

  void Build(RecordingOptions recording) {
    NodeApiImpl::Deps deps;
    deps.tokens = TokenFile::FromRecords({{"alice-token", {"alice", "1", {"developers"}}},
                                          {"admin-token", {"root", "0", {"system:masters"}}}});
    auto policy = ParsePolicy(kPolicy, "test policy");
    ASSERT_TRUE(policy.ok());
    deps.policy = *policy;
    auto audit = AuditLog::Open({dir_ + "/audit.log", 1 << 20, 2});
    ASSERT_TRUE(audit.ok());
    deps.audit = std::move(*audit);
    deps.resolver = &resolver_;
    deps.clock = &clock_;
    api_ = std::make_unique<NodeApiImpl>("node-a", recording, std::move(deps));
  }

  NodeDecision Ask(const std::string& path, const std::string& query,
                   const std::string& token = "alice-token", const char* transport = "spdy") {
    headers_ = streaming::HttpHeaders();
    if (!token.empty()) headers_.Add("Authorization", "Bearer " + token);
    NodeRequest r;
    r.method = "POST";
    r.path = path;
    r.query = query;
    r.headers = &headers_;
    r.peer = "192.0.2.10:40000";
    r.transport = transport;
    return api_->Authorize(r);
  }

  std::vector<nlohmann::json> AuditLines() {
    std::ifstream in(dir_ + "/audit.log");
    std::vector<nlohmann::json> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  std::string dir_;
  FakeClock clock_;
  FakeResolver resolver_;
  streaming::HttpHeaders headers_;
  std::unique_ptr<NodeApiImpl> api_;
};

constexpr char kQuery[] = "command=date&command=-u&output=1&error=1";

TEST_F(NodeApiTest, AllowedUserExecsIntoANormalContainer) {
  NodeDecision d = Ask("/exec/dev/web/app", kQuery);
  ASSERT_TRUE(d.allowed()) << d.http_status << " " << d.message;
  const auto& exec = std::get<streaming::ExecRequest>(d.request);
  EXPECT_EQ(exec.container_id, "ctr-normal");
  EXPECT_EQ(exec.cmd, (std::vector<std::string>{"date", "-u"}));
  EXPECT_TRUE(exec.stdout);
  EXPECT_TRUE(exec.stderr);
  EXPECT_FALSE(exec.stdin);
  EXPECT_FALSE(exec.tty);
  ASSERT_NE(d.observer, nullptr);

  EXPECT_TRUE(AuditLines().empty()) << "an allowed session is audited when it ends";
  d.observer->OnStart(std::nullopt);
  d.observer->OnOutput("Mon Jan  1 00:00:00 UTC 2024\n");
  streaming::SessionReport report;
  report.exit_code = 0;
  report.bytes_out = 29;
  report.duration = 42ms;
  report.end_reason = "process exited";
  d.observer->OnEnd(report);
  d.observer.reset();

  auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 1u) << "exactly one line per attempt";
  const auto& l = lines[0];
  EXPECT_EQ(l["decision"], "allow");
  EXPECT_EQ(l["user"], "alice");
  EXPECT_EQ(l["groups"], nlohmann::json::array({"developers"}));
  EXPECT_EQ(l["auth"], "token");
  EXPECT_EQ(l["source"], "192.0.2.10:40000");
  EXPECT_EQ(l["transport"], "spdy");
  EXPECT_EQ(l["namespace"], "dev");
  EXPECT_EQ(l["pod"], "web");
  EXPECT_EQ(l["container"], "app");
  EXPECT_EQ(l["container_id"], "ctr-normal");
  EXPECT_EQ(l["command"], nlohmann::json::array({"date", "-u"}));
  EXPECT_EQ(l["exit_code"], 0);
  EXPECT_EQ(l["bytes_out"], 29);
  EXPECT_EQ(l["duration_ms"], 42);
  EXPECT_EQ(l["end_reason"], "process exited");
}

TEST_F(NodeApiTest, SameUserIsRefusedOnPrivilegedContainersAdminIsNot) {
  for (const char* transport : {"spdy", "websocket", "h2"}) {
    NodeDecision d = Ask("/exec/dev/agent/main", kQuery, "alice-token", transport);
    EXPECT_EQ(d.http_status, 403) << transport;
    EXPECT_NE(d.message.find("exec into privileged container dev/agent/main is only allowed for "
                             "cluster admins"),
              std::string::npos)
        << d.message;
    EXPECT_EQ(d.observer, nullptr);
  }
  NodeDecision hostnet = Ask("/exec/dev/proxy/envoy", kQuery);
  EXPECT_EQ(hostnet.http_status, 403);
  EXPECT_NE(hostnet.message.find("host's network namespace"), std::string::npos);

  NodeDecision admin = Ask("/exec/dev/agent/main", kQuery, "admin-token");
  ASSERT_TRUE(admin.allowed()) << admin.message;
  EXPECT_EQ(std::get<streaming::ExecRequest>(admin.request).container_id, "ctr-priv");
  admin.observer->OnEnd({});
  admin.observer.reset();

  auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(lines[i]["decision"], "deny");
    EXPECT_EQ(lines[i]["http_status"], 403);
    EXPECT_EQ(lines[i]["user"], "alice");
    EXPECT_NE(lines[i]["reason"].get<std::string>().find("privileged"), std::string::npos);
  }
  EXPECT_EQ(lines[0]["transport"], "spdy");
  EXPECT_EQ(lines[1]["transport"], "websocket");
  EXPECT_EQ(lines[2]["transport"], "h2");
  EXPECT_EQ(lines[4]["decision"], "allow");
  EXPECT_EQ(lines[4]["user"], "root");
}

TEST_F(NodeApiTest, MissingOrWrongCredentialsAre401BeforeAnythingElse) {
  NodeDecision none = Ask("/exec/dev/web/app", kQuery, "");
  EXPECT_EQ(none.http_status, 401);
  EXPECT_EQ(none.message, "Unauthorized");
  EXPECT_EQ(Ask("/exec/dev/web/app", kQuery, "wrong-token").http_status, 401);
  EXPECT_EQ(Ask("/exec/dev/web/app", kQuery, "alice-token-but-longer").http_status, 401);
  // Unauthenticated: no hint about nodes, pods or the query.
  EXPECT_EQ(Ask("/proxy/nodes/node-b/exec/dev/web/app", "", "").http_status, 401);
  EXPECT_EQ(Ask("/exec/dev/nope/app", kQuery, "bad").http_status, 401);
  EXPECT_EQ(resolver_.calls, 0);

  headers_ = streaming::HttpHeaders();
  headers_.Add("Authorization", "Basic YWxpY2U6cGFzcw==");
  NodeRequest basic;
  basic.path = "/exec/dev/web/app";
  basic.query = kQuery;
  basic.headers = &headers_;
  EXPECT_EQ(api_->Authorize(basic).http_status, 401);

  auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 6u);
  for (const auto& l : lines) {
    EXPECT_EQ(l["decision"], "deny");
    EXPECT_EQ(l["http_status"], 401);
    EXPECT_EQ(l["user"], "");
  }
  EXPECT_EQ(lines[0]["reason"], "no credentials");
  EXPECT_EQ(lines[1]["reason"], "invalid bearer token");
}

TEST_F(NodeApiTest, ClientCertificateIdentityIsUsed) {
  NodeRequest r;
  r.path = "/exec/dev/agent/main";
  r.query = kQuery;
  r.client_certificate = streaming::PeerIdentity{"carol", {"cluster-admin"}};
  r.transport = "h2";
  NodeDecision d = api_->Authorize(r);
  ASSERT_TRUE(d.allowed()) << d.message;
  d.observer->OnEnd({});
  d.observer.reset();

  r.client_certificate = streaming::PeerIdentity{"alice", {}};
  EXPECT_EQ(api_->Authorize(r).http_status, 403);  // alice by cert: not an admin

  r.client_certificate = streaming::PeerIdentity{"dave", {}};
  r.path = "/exec/dev/web/app";
  NodeDecision dave = api_->Authorize(r);
  EXPECT_EQ(dave.http_status, 403);
  EXPECT_NE(dave.message.find("Forbidden (user=dave, verb=exec"), std::string::npos);

  auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["auth"], "certificate");
  EXPECT_EQ(lines[0]["user"], "carol");
}

TEST_F(NodeApiTest, NodeNamePathAndQueryErrors) {
  EXPECT_TRUE(Ask("/proxy/nodes/node-a/exec/dev/web/app", kQuery).allowed());
  NodeDecision other = Ask("/proxy/nodes/node-b/exec/dev/web/app", kQuery);
  EXPECT_EQ(other.http_status, 404);
  EXPECT_NE(other.message.find("node-b"), std::string::npos);
  EXPECT_EQ(Ask("/exec/dev/web/app/", kQuery).http_status, 404);

  NodeDecision no_stream = Ask("/exec/dev/web/app", "command=date");
  EXPECT_EQ(no_stream.http_status, 400);
  EXPECT_EQ(no_stream.message, "you must specify at least 1 of stdin, stdout, stderr");
  EXPECT_EQ(Ask("/exec/dev/web/app", "output=1").http_status, 400);

  NodeDecision missing = Ask("/exec/dev/nope/app", kQuery);
  EXPECT_EQ(missing.http_status, 404);
  EXPECT_NE(missing.message.find("dev/nope"), std::string::npos);

  // The namespace check comes before the lookup: no probing of other namespaces' pods.
  const int calls = resolver_.calls;
  EXPECT_EQ(Ask("/exec/prod/web/app", kQuery).http_status, 403);
  EXPECT_EQ(resolver_.calls, calls);
}

TEST_F(NodeApiTest, HandlesOnlyNodePaths) {
  EXPECT_TRUE(api_->Handles("/exec/dev/web/app"));
  EXPECT_TRUE(api_->Handles("/proxy/nodes/x/exec/dev/web/app"));
  EXPECT_FALSE(api_->Handles("/exec/sometoken"));
  EXPECT_FALSE(api_->Handles("/portforward/dev/web"));
}

TEST_F(NodeApiTest, RecordsTtySessionsAndNotesTheRecordingInTheAudit) {
  RecordingOptions recording;
  recording.enabled = true;
  recording.dir = dir_ + "/casts";
  recording.max_bytes = 400;
  Build(recording);

  NodeDecision plain = Ask("/exec/dev/web/app", kQuery);  // no tty: not recorded
  ASSERT_TRUE(plain.allowed());
  plain.observer->OnStart(std::nullopt);
  plain.observer->OnOutput("x");
  plain.observer->OnEnd({});
  plain.observer.reset();

  NodeDecision tty = Ask("/exec/dev/web/app", "command=sh&input=1&output=1&tty=1");
  ASSERT_TRUE(tty.allowed()) << tty.message;
  tty.observer->OnStart(streaming::TerminalSize{132, 43});
  tty.observer->OnOutput("$ ");
  clock_.Advance(2s);
  tty.observer->OnResize({100, 30});
  for (int i = 0; i < 20; ++i) tty.observer->OnOutput(std::string(40, 'z'));  // crosses the cap
  tty.observer->OnEnd({});
  tty.observer.reset();

  auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_FALSE(lines[0].contains("recording"));
  ASSERT_TRUE(lines[1].contains("recording"));
  EXPECT_EQ(lines[1]["recording_truncated"], true);
  const std::string cast = lines[1]["recording"];
  EXPECT_EQ(cast.rfind(dir_ + "/casts/", 0), 0u) << cast;
  std::ifstream in(cast);
  std::string header;
  ASSERT_TRUE(std::getline(in, header));
  auto h = nlohmann::json::parse(header);
  EXPECT_EQ(h["version"], 2);
  EXPECT_EQ(h["width"], 132);
  EXPECT_EQ(h["height"], 43);
  std::string first;
  ASSERT_TRUE(std::getline(in, first));
  EXPECT_EQ(nlohmann::json::parse(first)[2], "$ ");
}

TEST_F(NodeApiTest, ASessionDroppedWithoutAnEndIsStillAudited) {
  NodeDecision d = Ask("/exec/dev/web/app", kQuery);
  ASSERT_TRUE(d.allowed());
  d.observer.reset();
  auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["decision"], "allow");
  EXPECT_TRUE(lines[0]["exit_code"].is_null());
}

TEST(BearerToken, ReadsTheSchemeCaseInsensitively) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("  bearer abc  "), "abc");
  EXPECT_EQ(BearerToken("BEARER abc extra"), "abc");
  EXPECT_EQ(BearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer  "), std::nullopt);
  EXPECT_EQ(BearerToken("Basic abc"), std::nullopt);
  EXPECT_EQ(BearerToken("abc"), std::nullopt);
}

}  // namespace
}  // namespace airlock::nodeapi
