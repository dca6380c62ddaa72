#include <gtest/gtest.h>

#include "cli/args.h"

namespace airlock::cli {
namespace {

ArgParser RunParser() {
  ArgParser p("airlock run [options] IMAGE [-- CMD ARGS...]", "Run a pod with one container.");
  p.Option("name", 0, "NAME", "pod and container name")
      .Option("namespace", 'n', "NAMESPACE", "pod namespace")
      .Flag("tty", 't', "allocate a terminal")
      .Flag("stdin", 'i', "keep stdin open")
      .Repeated("env", 'e', "K=V", "environment variable");
  return p;
}

TEST(CliArgs, LongShortInlineAndBundledForms) {
  auto r = RunParser().Parse({"--name=web", "-it", "-n", "prod", "-eA=1", "--env", "B=2", "busybox",
                              "--", "sh", "-c", "echo hi"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Value("name"), "web");
  EXPECT_EQ(r->Value("namespace"), "prod");
  EXPECT_TRUE(r->Flag("tty"));
  EXPECT_TRUE(r->Flag("stdin"));
  EXPECT_EQ(r->Values("env"), (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(r->positionals, (std::vector<std::string>{"busybox"}));
  // Everything after "--" is the command, flags included.
  EXPECT_EQ(r->rest, (std::vector<std::string>{"sh", "-c", "echo hi"}));
}

TEST(CliArgs, LastValueWinsForSingleOptions) {
  auto r = RunParser().Parse({"--name", "a", "--name", "b", "img"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Value("name"), "b");
  EXPECT_EQ(r->Value("namespace", "default"), "default");
  EXPECT_FALSE(r->Has("namespace"));
}

TEST(CliArgs, ErrorsNameTheFlag) {
  auto unknown = RunParser().Parse({"--nme", "x"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "unknown flag --nme");
  auto missing = RunParser().Parse({"img", "-n"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "flag -n needs a value");
  auto bool_value = RunParser().Parse({"--tty=yes"});
  ASSERT_FALSE(bool_value.ok());
  EXPECT_EQ(bool_value.error().message, "flag --tty takes no value");
  auto bad_short = RunParser().Parse({"-ix"});
  ASSERT_FALSE(bad_short.ok());
  EXPECT_EQ(bad_short.error().message, "unknown flag -x");
}

TEST(CliArgs, HelpAnywhere) {
  auto r = RunParser().Parse({"img", "--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  std::string help = RunParser().Help();
  EXPECT_NE(help.find("Usage: airlock run [options] IMAGE"), std::string::npos);
  EXPECT_NE(help.find("-n, --namespace NAMESPACE"), std::string::npos);
  EXPECT_NE(help.find("(repeatable)"), std::string::npos);
  EXPECT_NE(help.find("-h, --help"), std::string::npos);
}

TEST(CliArgs, GlobalPartStopsAtTheVerb) {
  ArgParser global("airlock [options] VERB", "");
  global.Option("timeout", 0, "SECONDS", "call timeout").StopAtFirstPositional();
  auto r = global.Parse({"--timeout", "5", "stop", "--timeout", "1", "web"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Value("timeout"), "5");
  EXPECT_TRUE(r->positionals.empty());
  EXPECT_EQ(r->rest, (std::vector<std::string>{"stop", "--timeout", "1", "web"}));
}

TEST(CliArgs, AddIfAbsentKeepsTheVerbsOwnMeaning) {
  ArgParser stop("airlock stop", "");
  stop.Option("timeout", 0, "N", "grace period");
  stop.AddIfAbsent(OptionSpec{"timeout", 0, true, false, "SECONDS", "call timeout"});
  stop.AddIfAbsent(OptionSpec{"runtime-endpoint", 0, true, false, "URL", "endpoint"});
  ASSERT_EQ(stop.options().size(), 2u);
  EXPECT_EQ(stop.options()[0].help, "grace period");
  auto r = stop.Parse({"--runtime-endpoint", "unix:///x.sock", "--timeout=3", "c1"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Value("runtime-endpoint"), "unix:///x.sock");
  EXPECT_EQ(r->Value("timeout"), "3");
}

TEST(CliArgs, KeyValueAndSeconds) {
  auto kv = ParseKeyValue("A=b=c", "--env");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "A");
  EXPECT_EQ(kv->second, "b=c");
  auto empty_value = ParseKeyValue("A=", "--env");
  ASSERT_TRUE(empty_value.ok());
  EXPECT_EQ(empty_value->second, "");
  EXPECT_FALSE(ParseKeyValue("=x", "--label").ok());
  auto no_eq = ParseKeyValue("novalue", "--label");
  ASSERT_FALSE(no_eq.ok());
  EXPECT_EQ(no_eq.error().message, "parse --label \"novalue\": want KEY=VALUE");

  auto s = ParseSeconds("30", "--timeout");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, 30);
  EXPECT_FALSE(ParseSeconds("-1", "--timeout").ok());
  EXPECT_FALSE(ParseSeconds("3s", "--timeout").ok());
  EXPECT_FALSE(ParseSeconds("", "--timeout").ok());
}

}  // namespace
}  // namespace airlock::cli
