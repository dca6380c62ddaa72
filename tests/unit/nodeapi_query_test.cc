// The node exec URL: path shapes, node name, and the query as the kubelet reads it.
#include <gtest/gtest.h>

#include "shim/nodeapi/node_exec_query.h"

namespace airlock::nodeapi {
namespace {

using Argv = std::vector<std::string>;

TEST(NodeExecPath, HandlesNodeShapesButNotTokenUrls) {
  EXPECT_TRUE(IsNodeExecPath("/exec/default/web/app"));
  EXPECT_TRUE(IsNodeExecPath("/exec/default/web/uid-1/app"));
  EXPECT_TRUE(IsNodeExecPath("/proxy/nodes/node-a/exec/default/web/app"));
  EXPECT_FALSE(IsNodeExecPath("/exec/AbCdEfGhIjKlMnOpQrStUv"));  // CRI token URL
  EXPECT_FALSE(IsNodeExecPath("/attach/default/web/app"));
  EXPECT_FALSE(IsNodeExecPath("/"));
  EXPECT_FALSE(IsNodeExecPath(""));
}

TEST(NodeExecPath, ParsesEveryShape) {
  auto three = ParseNodeExecPath("/exec/default/web/app", "node-a");
  ASSERT_TRUE(three.ok()) << three.error().message;
  EXPECT_EQ(three->namespace_name, "default");
  EXPECT_EQ(three->pod, "web");
  EXPECT_EQ(three->pod_uid, "");
  EXPECT_EQ(three->container, "app");

  auto four = ParseNodeExecPath("/exec/default/web/1234-abcd/app", "node-a");
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->pod_uid, "1234-abcd");
  EXPECT_EQ(four->container, "app");

  auto proxy = ParseNodeExecPath("/proxy/nodes/node-a/exec/kube-system/dns/u/coredns", "node-a");
  ASSERT_TRUE(proxy.ok()) << proxy.error().message;
  EXPECT_EQ(proxy->node, "node-a");
  EXPECT_EQ(proxy->namespace_name, "kube-system");
  EXPECT_EQ(proxy->pod_uid, "u");
  EXPECT_EQ(proxy->container, "coredns");
}

TEST(NodeExecPath, DecodesSegments) {
  auto p = ParseNodeExecPath("/proxy/nodes/node%2Da/exec/my%2Dns/p%6fd/c", "node-a");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->namespace_name, "my-ns");
  EXPECT_EQ(p->pod, "pod");
}

TEST(NodeExecPath, OtherNodeAndBadShapesAreNotFound) {
  auto other = ParseNodeExecPath("/proxy/nodes/node-b/exec/default/web/app", "node-a");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  EXPECT_NE(other.error().message.find("node-b"), std::string::npos);

  for (const char* path :
       {"/exec/default/web", "/exec/a/b/c/d/e", "/exec/default//app", "/exec/default/web/app/",
        "/exec/default/%2E%2E/app", "/exec/default/a%2Fb/app",
        "/proxy/nodes/node-a/attach/default/w/c", "/proxy/nodes/node-a"}) {
    auto r = ParseNodeExecPath(path, "node-a");
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << path;
  }
  auto bad_escape = ParseNodeExecPath("/exec/default/we%zzb/app", "node-a");
  ASSERT_FALSE(bad_escape.ok());
  EXPECT_EQ(bad_escape.error().code, ErrorCode::kInvalidArgument);
}

TEST(NodeExecQuery, KubeletNamesCountOnlyTheValueOne) {
  auto q = ParseNodeExecQuery("command=date&command=-u&input=1&output=1&error=1&tty=0");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->command, (Argv{"date", "-u"}));
  EXPECT_TRUE(q->stdin);
  EXPECT_TRUE(q->stdout);
  EXPECT_TRUE(q->stderr);
  EXPECT_FALSE(q->tty);

  // remotecommand.NewOptions: `== "1"`, so "true" is false for the kubelet's names.
  auto t = ParseNodeExecQuery("command=ls&output=true&error=1&tty=true");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->stdout);
  EXPECT_TRUE(t->stderr);
  EXPECT_FALSE(t->tty);

  // FormValue reads the first value.
  auto first = ParseNodeExecQuery("command=ls&output=1&output=0");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->stdout);
}

TEST(NodeExecQuery, PublicApiNamesUseApiServerBooleans) {
  auto q = ParseNodeExecQuery("command=sh&stdin=true&stdout=True&stderr=false&tty=true");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_TRUE(q->stdin);
  EXPECT_TRUE(q->stdout);
  EXPECT_FALSE(q->stderr);
  EXPECT_TRUE(q->tty);

  auto zero = ParseNodeExecQuery("command=sh&stdout=0&stdin=");  // "" is true, "0" false
  ASSERT_TRUE(zero.ok()) << zero.error().message;
  EXPECT_TRUE(zero->stdin);
  EXPECT_FALSE(zero->stdout);
}

TEST(NodeExecQuery, TtyTurnsStderrOff) {
  auto q = ParseNodeExecQuery("command=sh&input=1&output=1&error=1&tty=1");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->tty);
  EXPECT_FALSE(q->stderr);
  EXPECT_TRUE(q->stdout);
}

TEST(NodeExecQuery, DecodesArguments) {
  auto q = ParseNodeExecQuery("command=sh&command=-c&command=echo+a%26b%3Dc%20d&output=1");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->command, (Argv{"sh", "-c", "echo a&b=c d"}));
  auto empty_arg = ParseNodeExecQuery("command=echo&command=&output=1");
  ASSERT_TRUE(empty_arg.ok());
  EXPECT_EQ(empty_arg->command, (Argv{"echo", ""}));
}

TEST(NodeExecQuery, RefusesWhatTheKubeletRefuses) {
  auto no_command = ParseNodeExecQuery("input=1&output=1");
  ASSERT_FALSE(no_command.ok());
  EXPECT_EQ(no_command.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(no_command.error().message.find("command"), std::string::npos);

  auto no_stream = ParseNodeExecQuery("command=date&tty=1");
  ASSERT_FALSE(no_stream.ok());
  EXPECT_EQ(no_stream.error().message, "you must specify at least 1 of stdin, stdout, stderr");

  // tty=1 takes stderr away: only stderr asked for is then no stream at all.
  EXPECT_FALSE(ParseNodeExecQuery("command=date&error=1&tty=1").ok());
  EXPECT_FALSE(ParseNodeExecQuery("command=da%2te&output=1").ok());  // broken escape
  EXPECT_FALSE(ParseNodeExecQuery("").ok());
}

}  // namespace
}  // namespace airlock::nodeapi
