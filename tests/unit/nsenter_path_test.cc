// argv[0] resolution against the container's PATH, exit-code mapping, /proc parsing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <map>
#include <string>

#include "nsenter/container_target.h"
#include "nsenter/path_lookup.h"

namespace airlock::nsenter {
namespace {

TEST(NsenterPathTest, PathFromEnvUsesTheLastPathOrTheDefault) {
  EXPECT_EQ(PathFromEnv({"A=1", "PATH=/a:/b"}), "/a:/b");
  EXPECT_EQ(PathFromEnv({"PATH=/x", "PATH=/y"}), "/y");
  EXPECT_EQ(PathFromEnv({"PATHX=/no"}), kDefaultPath);
  EXPECT_EQ(PathFromEnv({}), kDefaultPath);
}

TEST(NsenterPathTest, Candidates) {
  EXPECT_EQ(LookupCandidates("ls", "/usr/bin:/bin"),
            (std::vector<std::string>{"/usr/bin/ls", "/bin/ls"}));
  EXPECT_EQ(LookupCandidates("ls", "/usr/bin/:"),
            (std::vector<std::string>{"/usr/bin/ls", "./ls"}));
  EXPECT_EQ(LookupCandidates("./run", "/bin"), (std::vector<std::string>{"./run"}));
  EXPECT_EQ(LookupCandidates("/bin/sh", "/usr/bin"), (std::vector<std::string>{"/bin/sh"}));
}

// A fake filesystem for the child-side probe.
struct FakeFs {
  std::map<std::string, mode_t> files;
  int operator()(const char* path, struct stat* st) const {
    auto it = files.find(path);
    if (it == files.end()) return -1;
    st->st_mode = it->second;
    return 0;
  }
};

int Pick(const FakeFs& fs, std::vector<const char*> cands, bool explicit_path, int* err) {
  return PickExecutable(cands.data(), static_cast<int>(cands.size()), explicit_path, fs, err);
}

TEST(NsenterPathTest, PicksTheFirstExecutableRegularFile) {
  FakeFs fs{{{"/a/x", S_IFDIR | 0755}, {"/b/x", S_IFREG | 0644}, {"/c/x", S_IFREG | 0755}}};
  int err = 0;
  EXPECT_EQ(Pick(fs, {"/a/x", "/b/x", "/c/x"}, false, &err), 2);
  EXPECT_EQ(Pick(fs, {"/a/x", "/b/x"}, false, &err), -1);
  EXPECT_EQ(err, EACCES) << "exists but not executable: shell says 126";
  EXPECT_EQ(Pick(fs, {"/z/x"}, false, &err), -1);
  EXPECT_EQ(err, ENOENT);
  // An explicit path is handed to execve as is, so it reports the real errno.
  EXPECT_EQ(Pick(fs, {"/b/x"}, true, &err), 0);
  EXPECT_EQ(Pick(fs, {"/nope"}, true, &err), -1);
  EXPECT_EQ(err, ENOENT);
}

TEST(NsenterPathTest, ExitCodes) {
  EXPECT_EQ(ExitCodeForExecErrno(ENOENT), 127);
  EXPECT_EQ(ExitCodeForExecErrno(ENOTDIR), 127);
  EXPECT_EQ(ExitCodeForExecErrno(EACCES), 126);
  EXPECT_EQ(ExitCodeForExecErrno(ENOEXEC), 126);
  EXPECT_EQ(ExitCodeForExecErrno(EISDIR), 126);
  EXPECT_EQ(ExitCodeFromSiginfo(CLD_EXITED, 0), 0);
  EXPECT_EQ(ExitCodeFromSiginfo(CLD_EXITED, 42), 42);
  EXPECT_EQ(ExitCodeFromSiginfo(CLD_EXITED, 255), 255);
  EXPECT_EQ(ExitCodeFromSiginfo(CLD_KILLED, SIGKILL), 137);
  EXPECT_EQ(ExitCodeFromSiginfo(CLD_KILLED, SIGTERM), 143);
  EXPECT_EQ(ExitCodeFromSiginfo(CLD_DUMPED, SIGSEGV), 139);
  EXPECT_STREQ(ExecErrnoText(EACCES), "permission denied");
}

TEST(NsenterPathTest, ParsesProcStatWithHostileComm) {
  std::string stat =
      "4242 (evil) 1 2 3) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 "
      "987654 1000 10";
  auto parsed = ParseProcStat(stat);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->state, 'S');
  EXPECT_EQ(parsed->start_time, 987654u);
  EXPECT_FALSE(ParseProcStat("4242 (x").ok());
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2").ok());
}

TEST(NsenterPathTest, CgroupDirsForHybridHierarchies) {
  const std::string mountinfo =
      "30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n"
      "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
      "32 25 0:28 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
      "33 25 0:29 /sub /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n"
      "34 25 0:30 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "40 25 0:31 / /proc rw - proc proc rw\n";
  auto mounts = ParseCgroupMounts(mountinfo);
  ASSERT_EQ(mounts.size(), 5u);
  auto dirs = CgroupDirs(
      "12:pids:/sub/c1\n11:memory:/c1\n10:cpu,cpuacct:/c1\n9:name=systemd:/c1\n"
      "8:blkio:/c1\n0::/c1\n",
      mounts);
  ASSERT_TRUE(dirs.ok()) << dirs.error().message;
  EXPECT_EQ(*dirs,
            (std::vector<std::string>{"/sys/fs/cgroup/pids/c1", "/sys/fs/cgroup/memory/c1",
                                      "/sys/fs/cgroup/cpu,cpuacct/c1", "/sys/fs/cgroup/systemd/c1",
                                      "/sys/fs/cgroup/unified/c1"}))
      << "blkio is not mounted and is skipped";
  EXPECT_FALSE(CgroupDirs("0::/../../etc\n", mounts).ok());
  auto root = CgroupDirs("0::/\n", mounts);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, (std::vector<std::string>{"/sys/fs/cgroup/unified"}));
}

}  // namespace
}  // namespace airlock::nsenter
