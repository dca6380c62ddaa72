// Runs the real `airlock` binary against FakeCriServer on a temp unix socket: what a user types,
// what the daemon receives, and what the user reads back (stdout, stderr, exit status).
// clang-format off
// First: api.pb.h declares enum Signal { SIGABRT, ... } which <signal.h>'s macros (pulled in by
// gtest and sys/wait.h) would clobber.
#include "tests/unit/cli_fake_cri_server.h"
// clang-format on

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace airlock::cli {
namespace {

namespace fs = std::filesystem;
namespace v1 = runtime::v1;

struct RunResult {
  int code = -1;
  std::string out, err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliVerbs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cli_verbs_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "logs");
    socket_ = (dir_ / "cri.sock").string();
    server_ = std::make_unique<testing::FakeCriServer>(socket_, (dir_ / "logs").string());
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  RunResult Airlock(const std::vector<std::string>& args) {
    std::string cmd = "AIRLOCK_RUNTIME_ENDPOINT=unix://" + socket_ + " " AIRLOCK_CLI_BINARY;
    for (const auto& a : args) cmd += " " + Quote(a);
    cmd += " >" + (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    RunResult r;
    int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(dir_ / "out");
    r.err = Slurp(dir_ / "err");
    return r;
  }

  std::string MakeTar(const std::string& name, const std::vector<std::string>& files) {
    fs::path src = dir_ / (name + ".d");
    fs::create_directories(src);
    for (const auto& f : files) std::ofstream(src / f) << "{}";
    fs::path out = dir_ / name;
    std::string cmd = "tar -C " + src.string() + " -cf " + out.string() + " .";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return out.string();
  }

  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(server_->mu);
    return server_->calls;
  }

  fs::path dir_;
  std::string socket_;
  std::unique_ptr<testing::FakeCriServer> server_;
};

TEST_F(CliVerbs, VersionShowsClientAndRuntime) {
  auto r = Airlock({"version"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ClientVersion:  "), std::string::npos);
  EXPECT_NE(r.out.find("RuntimeName:  fake-cri\n"), std::string::npos);
  EXPECT_NE(r.out.find("RuntimeApiVersion:  v1\n"), std::string::npos);
  auto json = Airlock({"version", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"runtimeName\": \"fake-cri\""), std::string::npos) << json.out;
}

TEST_F(CliVerbs, NoDaemonIsExitOneWithTheSocketNamed) {
  auto r = Airlock({"--runtime-endpoint", (dir_ / "none.sock").string(), "--timeout", "2", "ps"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("airlock: ps: list containers: connect unix://" + dir_.string() +
                            "/none.sock: Unavailable: ",
                        0),
            0u)
      << r.err;
}

TEST_F(CliVerbs, ImportSniffsTheArchiveKind) {
  std::string oci = MakeTar("oci.tar", {"oci-layout", "index.json"});
  auto r = Airlock({"image", "import", oci, "--tag", "example.com/app:1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "sha256:" + std::string(64, '0') + "\n");

  std::string docker = MakeTar("docker.tar", {"manifest.json", "repositories"});
  // A relative path reaches the daemon as an absolute one.
  std::string cmd_dir = fs::current_path().string();
  fs::current_path(dir_);
  auto d = Airlock({"image", "import", "docker.tar"});
  fs::current_path(cmd_dir);
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(Calls(), (std::vector<std::string>{
                         "PullImage oci-archive:" + oci + ":example.com/app:1",
                         "PullImage docker-archive:" + fs::canonical(docker).string()}));

  auto tagged_docker = Airlock({"image", "import", docker, "--tag", "x:1"});
  ASSERT_EQ(tagged_docker.code, 0) << tagged_docker.err;
  EXPECT_EQ(Calls().back(), "PullImage docker-archive:" + fs::canonical(docker).string() + ":x:1");

  auto not_tar = Airlock({"image", "import", "/etc/hostname"});
  EXPECT_EQ(not_tar.code, 1);
  EXPECT_EQ(not_tar.err.rfind("airlock: image import: read tar /etc/hostname: ", 0), 0u)
      << not_tar.err;
}

TEST_F(CliVerbs, ImagesTableAndRmiByPrefix) {
  {
    std::lock_guard<std::mutex> lock(server_->mu);
    v1::Image img;
    img.set_id("sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741");
    img.add_repo_tags("docker.io/library/busybox:1.36");
    img.add_repo_tags("localhost:5000/tools/busybox:latest");
    img.set_size(4'261'412);
    server_->images.push_back(img);
  }
  auto r = Airlock({"images"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "IMAGE                          TAG      IMAGE ID        SIZE\n"
            "docker.io/library/busybox      1.36     3f57d9401f8d4   4.26MB\n"
            "localhost:5000/tools/busybox   latest   3f57d9401f8d4   4.26MB\n");
  // By name: that name only (the daemon drops the image with its last name).
  auto untag = Airlock({"rmi", "busybox:1.36"});
  ASSERT_EQ(untag.code, 0) << untag.err;
  EXPECT_EQ(Calls().back(), "RemoveImage docker.io/library/busybox:1.36");
  // By id prefix: the full id.
  auto rmi = Airlock({"rmi", "3f57"});
  ASSERT_EQ(rmi.code, 0) << rmi.err;
  EXPECT_EQ(Calls().back(),
            "RemoveImage sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741");
}

TEST_F(CliVerbs, RunSendsTheConfigsAndPsShowsIt) {
  auto r = Airlock({"run", "--name", "web", "-e", "A=1", "-l", "app=web", "-t",
                    "docker.io/library/busybox:1.36", "--", "sh", "-c", "echo hi"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_match(r.out, m, std::regex("pod (a\\d{3}f{60})\ncontainer (c\\d{3}f{60})\n")))
      << r.out;

  std::lock_guard<std::mutex> lock(server_->mu);
  ASSERT_TRUE(server_->last_run_pod && server_->last_create);
  const auto& pod = server_->last_run_pod->config();
  EXPECT_EQ(pod.metadata().name(), "web");
  EXPECT_EQ(pod.metadata().namespace_(), "default");
  EXPECT_TRUE(std::regex_match(pod.metadata().uid(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                          "[0-9a-f]{12}")))
      << pod.metadata().uid();
  EXPECT_EQ(pod.hostname(), "web");
  EXPECT_EQ(pod.log_directory(), "/var/log/airlock/pods/default_web_" + pod.metadata().uid());
  EXPECT_EQ(pod.labels().at("app"), "web");
  EXPECT_EQ(pod.linux().security_context().namespace_options().network(), v1::POD);
  EXPECT_EQ(pod.linux().security_context().namespace_options().ipc(), v1::POD);

  const auto& create = *server_->last_create;
  EXPECT_EQ(create.pod_sandbox_id(), m[1].str());
  const auto& c = create.config();
  EXPECT_EQ(c.metadata().name(), "web");
  EXPECT_EQ(c.image().image(), "docker.io/library/busybox:1.36");
  EXPECT_EQ(std::vector<std::string>(c.command().begin(), c.command().end()),
            (std::vector<std::string>{"sh"}));
  EXPECT_EQ(std::vector<std::string>(c.args().begin(), c.args().end()),
            (std::vector<std::string>{"-c", "echo hi"}));
  ASSERT_EQ(c.envs_size(), 1);
  EXPECT_EQ(c.envs(0).key(), "A");
  EXPECT_EQ(c.envs(0).value(), "1");
  EXPECT_EQ(c.log_path(), "web/0.log");
  EXPECT_TRUE(c.tty());
  EXPECT_FALSE(c.stdin());
  EXPECT_EQ(create.sandbox_config().metadata().uid(), pod.metadata().uid());
  EXPECT_EQ(server_->containers.at(m[2].str()).state(), v1::CONTAINER_RUNNING);
}

TEST_F(CliVerbs, RunWithoutNameOrCommandUsesGeneratedNameAndImageDefaults) {
  auto r = Airlock({"run", "-n", "team-a", "busybox"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::lock_guard<std::mutex> lock(server_->mu);
  const auto& pod = server_->last_run_pod->config();
  EXPECT_TRUE(std::regex_match(pod.metadata().name(), std::regex("busybox-[a-z2-9]{5}")))
      << pod.metadata().name();
  EXPECT_EQ(pod.metadata().namespace_(), "team-a");
  EXPECT_EQ(server_->last_create->config().command_size(), 0);
  EXPECT_EQ(server_->last_create->config().args_size(), 0);
}

TEST_F(CliVerbs, FailedStartRemovesWhatRunCreated) {
  server_->fail_start = grpc::Status(grpc::StatusCode::INTERNAL, "runc create failed: boom");
  auto r = Airlock({"run", "--name", "bad", "busybox"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("airlock: run: start container c", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(": Internal: runc create failed: boom (container and pod a"),
            std::string::npos)
      << r.err;
  std::lock_guard<std::mutex> lock(server_->mu);
  EXPECT_TRUE(server_->pods.empty());
  EXPECT_TRUE(server_->containers.empty());
}

TEST_F(CliVerbs, ListsAndLifecycleByName) {
  ASSERT_EQ(Airlock({"run", "--name", "web", "busybox"}).code, 0);
  ASSERT_EQ(Airlock({"run", "--name", "db", "busybox"}).code, 0);

  auto pods = Airlock({"pods"});
  ASSERT_EQ(pods.code, 0) << pods.err;
  EXPECT_NE(pods.out.find("POD ID          CREATED"), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("Ready   web    default"), std::string::npos) << pods.out;

  auto ps = Airlock({"ps"});
  ASSERT_EQ(ps.code, 0) << ps.err;
  EXPECT_NE(ps.out.find("CONTAINER       IMAGE     CREATED"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("busybox   "), std::string::npos);
  EXPECT_NE(ps.out.find("Running   db"), std::string::npos) << ps.out;

  // `stop db` means the pod (pod name and container name are both "db").
  auto stop = Airlock({"stop", "db"});
  ASSERT_EQ(stop.code, 0) << stop.err;
  EXPECT_EQ(stop.out, "db\n");
  EXPECT_EQ(Calls().back().rfind("StopPodSandbox a", 0), 0u);
  EXPECT_EQ(Airlock({"ps"}).out.find("db"), std::string::npos);
  EXPECT_NE(Airlock({"ps", "-a"}).out.find("Exited    db"), std::string::npos);

  std::string web_container;
  {
    std::lock_guard<std::mutex> lock(server_->mu);
    for (const auto& [id, c] : server_->containers) {
      if (c.metadata().name() == "web") web_container = id;
    }
  }
  // A running container is not removed without -f.
  auto rm = Airlock({"rm", web_container.substr(0, 4)});
  EXPECT_EQ(rm.code, 1);
  EXPECT_NE(rm.err.find("it is running; stop it first or use -f"), std::string::npos) << rm.err;
  auto rmf = Airlock({"rm", "-f", web_container});
  ASSERT_EQ(rmf.code, 0) << rmf.err;
  auto calls = Calls();
  EXPECT_EQ(calls[calls.size() - 2], "StopContainer " + web_container + " 0");
  EXPECT_EQ(calls.back(), "RemoveContainer " + web_container);

  auto rm_pods = Airlock({"rm", "web", "db"});
  ASSERT_EQ(rm_pods.code, 0) << rm_pods.err;
  std::lock_guard<std::mutex> lock(server_->mu);
  EXPECT_TRUE(server_->pods.empty());
}

TEST_F(CliVerbs, StopGracePeriodAndUnknownName) {
  ASSERT_EQ(Airlock({"run", "--name", "web", "busybox"}).code, 0);
  std::string id;
  {
    std::lock_guard<std::mutex> lock(server_->mu);
    id = server_->containers.begin()->first;
  }
  auto r = Airlock({"--timeout", "5", "stop", "--timeout", "3", id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Calls().back(), "StopContainer " + id + " 3");

  auto missing = Airlock({"rm", "nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "airlock: rm: no container or pod matches \"nope\"\n");
}

TEST_F(CliVerbs, LogsSplitStreamsAndJoinPartials) {
  ASSERT_EQ(Airlock({"run", "--name", "web", "busybox"}).code, 0);
  std::string id;
  {
    std::lock_guard<std::mutex> lock(server_->mu);
    id = server_->containers.begin()->first;
  }
  std::ofstream(dir_ / "logs" / (id + ".log"))
      << "2026-11-29T21:00:00.000000001Z stdout P hello \n"
         "2026-11-29T21:00:00.000000002Z stderr F warning\n"
         "2026-11-29T21:00:00.000000003Z stdout F world\n";
  auto r = Airlock({"logs", "web"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello world\n");
  EXPECT_EQ(r.err, "warning\n");

  // -f returns once the container is no longer running.
  {
    std::lock_guard<std::mutex> lock(server_->mu);
    server_->containers.begin()->second.set_state(v1::CONTAINER_EXITED);
  }
  auto f = Airlock({"logs", "-f", id.substr(0, 10)});
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_EQ(f.out, "hello world\n");
}

TEST_F(CliVerbs, UsageErrors) {
  auto r = Airlock({"run"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("airlock: run: want 1 or more argument(s), got 0", 0), 0u) << r.err;
  auto bad = Airlock({"ps", "--bogus"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err, "airlock: ps: unknown flag --bogus\n");
  auto help = Airlock({"logs", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out.rfind("Usage: airlock logs [options] CONTAINER", 0), 0u);
}

}  // namespace
}  // namespace airlock::cli
