// airlockd's configuration: the TOML file over the defaults, its errors, and the flags.
#include "shim/config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "shim/daemon/flags.h"

namespace airlock {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/airlock-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string Write(const std::string& text) {
    std::string path = dir_ + "/airlock.toml";
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

TEST_F(ConfigFileTest, ShippedConfigLoadsAndEqualsTheDefaults) {
  auto c = LoadConfigFile(AIRLOCK_SOURCE_DIR "/configs/airlock.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  Config d;
  EXPECT_EQ(c->address, d.address);
  EXPECT_EQ(c->root, d.root);
  EXPECT_EQ(c->state, d.state);
  EXPECT_EQ(c->runtime.binary, d.runtime.binary);
  EXPECT_EQ(c->runtime.cgroup_driver, d.runtime.cgroup_driver);
  EXPECT_EQ(c->image.max_layer_bytes, d.image.max_layer_bytes);
  EXPECT_EQ(c->image.max_image_bytes, d.image.max_image_bytes);
  EXPECT_EQ(c->exec.sync_output_limit, d.exec.sync_output_limit);
  EXPECT_EQ(c->streaming.port, d.streaming.port);
  EXPECT_EQ(c->streaming.address, d.streaming.address);
  EXPECT_EQ(c->streaming.stream_idle_timeout, d.streaming.stream_idle_timeout);
  EXPECT_EQ(c->streaming.stream_creation_timeout, d.streaming.stream_creation_timeout);
  EXPECT_EQ(c->streaming.initial_resize_wait, d.streaming.initial_resize_wait);
  EXPECT_EQ(c->streaming.drain_timeout, d.streaming.drain_timeout);
  EXPECT_EQ(c->streaming.disconnect_grace, d.streaming.disconnect_grace);
}

TEST_F(ConfigFileTest, StreamingDefaultsAreThePeersDefaults) {
  using namespace std::chrono_literals;
  StreamingSection s;
  EXPECT_EQ(s.stream_idle_timeout, 4h);       // containerd/CRI-O stream_idle_timeout
  EXPECT_EQ(s.stream_creation_timeout, 30s);  // remotecommand.DefaultStreamCreationTimeout
  EXPECT_EQ(s.initial_resize_wait, 1s);
  EXPECT_EQ(s.drain_timeout, 2s);
  EXPECT_EQ(s.disconnect_grace, 5s);
}

TEST_F(ConfigFileTest, StreamingDurationsTakeStringsAndSeconds) {
  using namespace std::chrono_literals;
  auto c = LoadConfigFile(
      Write("[streaming]\nstream_idle_timeout = \"4h0m0s\"\nstream_creation_timeout = 45\n"
            "initial_resize_wait = \"250ms\"\ndrain_timeout = \"1.5s\"\n"
            "disconnect_grace = \"1m30s\"\n"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->streaming.stream_idle_timeout, 4h);
  EXPECT_EQ(c->streaming.stream_creation_timeout, 45s);
  EXPECT_EQ(c->streaming.initial_resize_wait, 250ms);
  EXPECT_EQ(c->streaming.drain_timeout, 1500ms);
  EXPECT_EQ(c->streaming.disconnect_grace, 90s);
  // Zero is allowed where it means "do not wait".
  c = LoadConfigFile(Write("[streaming]\ninitial_resize_wait = 0\ndisconnect_grace = \"0\"\n"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->streaming.initial_resize_wait, 0ms);
  EXPECT_EQ(c->streaming.disconnect_grace, 0ms);
}

TEST_F(ConfigFileTest, BadStreamingDurationsAreNamed) {
  struct Case {
    const char* line;
    const char* key;
    const char* says;
  };
  for (const Case& k : {
           Case{"stream_idle_timeout = \"4 hours\"", "streaming.stream_idle_timeout", "unit"},
           Case{"stream_idle_timeout = \"h\"", "streaming.stream_idle_timeout", "number"},
           Case{"stream_idle_timeout = 0", "streaming.stream_idle_timeout", "[1ms, 720h]"},
           Case{"stream_creation_timeout = \"2h\"", "streaming.stream_creation_timeout",
                "[1ms, 1h]"},
           Case{"drain_timeout = -1", "streaming.drain_timeout", "[0s, 1h]"},
           Case{"disconnect_grace = 1.5", "streaming.disconnect_grace", "expected seconds"},
           Case{"disconnect_grace = \"5d\"", "streaming.disconnect_grace", "unit"},
           Case{"initial_resize_wait = \"\"", "streaming.initial_resize_wait", "empty"},
           Case{"stream_idle_timeout = \"99999999999999h\"", "streaming.stream_idle_timeout",
                "too large"},
           Case{"idle_timeout = \"4h\"", "streaming.idle_timeout", "unknown key"},
       }) {
    auto c = LoadConfigFile(Write(std::string("[streaming]\n") + k.line + "\n"));
    ASSERT_FALSE(c.ok()) << k.line;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << k.line;
    EXPECT_NE(c.error().message.find(k.key), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find(k.says), std::string::npos) << c.error().message;
  }
}

TEST(ParseDurationTest, GoStyleDurations) {
  using namespace std::chrono_literals;
  EXPECT_EQ(*ParseDuration("0"), 0ms);
  EXPECT_EQ(*ParseDuration("1h"), 1h);
  EXPECT_EQ(*ParseDuration("2h45m"), 2h + 45min);
  EXPECT_EQ(*ParseDuration("1.25s"), 1250ms);
  EXPECT_EQ(*ParseDuration("0.5m"), 30s);
  EXPECT_EQ(*ParseDuration("10ms"), 10ms);
  EXPECT_EQ(*ParseDuration("1m0.5s"), 60500ms);
  for (const char* bad : {"", "s", "1", "1x", "1h-1m", ".s", "1 s", "-1s", "1.5"}) {
    auto d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << "\"" << bad << "\" parsed";
    if (!d.ok()) {
      EXPECT_NE(d.error().message.find("duration"), std::string::npos);
    }
  }
}

TEST_F(ConfigFileTest, FileOverridesDefaults) {
  auto c =
      LoadConfigFile(Write("address = \"/tmp/a.sock\"\n[runtime]\nbinary = \"crun\"\n"
                           "[exec]\ndrain_timeout_ms = 500\n[streaming]\nport = 10010\n"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->address, "/tmp/a.sock");
  EXPECT_EQ(c->runtime.binary, "crun");
  EXPECT_EQ(c->exec.drain_timeout_ms, 500);
  EXPECT_EQ(c->streaming.port, 10010);
  EXPECT_EQ(c->root, Config().root);  // untouched keys keep their defaults
}

TEST_F(ConfigFileTest, UnknownKeyIsAnErrorNamingIt) {
  auto c = LoadConfigFile(Write("[runtime]\nbinnary = \"runc\"\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find("runtime.binnary"), std::string::npos) << c.error().message;
}

TEST_F(ConfigFileTest, WrongTypeAndRangeAreErrors) {
  auto c = LoadConfigFile(Write("[streaming]\nport = \"ten\"\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("streaming.port"), std::string::npos);
  c = LoadConfigFile(Write("[streaming]\nport = 70000\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("0, 65535"), std::string::npos) << c.error().message;
}

TEST_F(ConfigFileTest, SyntaxErrorNamesTheLine) {
  auto c = LoadConfigFile(Write("address = \"/x\"\nroot = \n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find(":2:"), std::string::npos) << c.error().message;
}

TEST_F(ConfigFileTest, MissingFileIsAnError) {
  auto c = LoadConfigFile(dir_ + "/nope.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("nope.toml"), std::string::npos);
}

TEST_F(ConfigFileTest, FinalizeChecksPathsAndDriver) {
  Config c;
  c.runtime.monitor_path = "/bin/true";
  c.runtime.pause_path = "/bin/true";
  EXPECT_TRUE(FinalizeConfig(c, dir_).ok());
  Config relative = c;
  relative.root = "var/lib/airlock";
  auto st = FinalizeConfig(relative, dir_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("root \"var/lib/airlock\" is not an absolute path"),
            std::string::npos);
  Config driver = c;
  driver.runtime.cgroup_driver = "cgroupv3";
  EXPECT_FALSE(FinalizeConfig(driver, dir_).ok());
  Config helpers;  // helpers default to the directory given, where they do not exist
  st = FinalizeConfig(helpers, dir_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("airlock-monitor"), std::string::npos);
}

TEST(DaemonFlagsTest, EachFlagIsParsed) {
  auto f =
      ParseDaemonFlags({"--config", "/c.toml", "--address=/a.sock", "--root", "/r", "--state", "/s",
                        "--runtime", "crun", "--log-level", "debug", "--stream-port", "0"});
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->config_path, "/c.toml");
  EXPECT_EQ(*f->address, "/a.sock");
  EXPECT_EQ(*f->root, "/r");
  EXPECT_EQ(*f->state, "/s");
  EXPECT_EQ(*f->runtime, "crun");
  EXPECT_EQ(*f->log_level, "debug");
  EXPECT_EQ(*f->stream_port, 0);
}

TEST(DaemonFlagsTest, BadFlagsAreNamed) {
  auto f = ParseDaemonFlags({"--addres", "/a"});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("--addres"), std::string::npos);
  f = ParseDaemonFlags({"--root"});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("needs a value"), std::string::npos);
  f = ParseDaemonFlags({"--stream-port", "99999"});
  ASSERT_FALSE(f.ok());
}

}  // namespace
}  // namespace airlock
