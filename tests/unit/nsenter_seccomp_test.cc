// Seccomp profile compilation: the BPF the child will load, checked by running it through
// the kernel in a forked test process.
#include <errno.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "nsenter/seccomp_program.h"

namespace airlock::nsenter {
namespace {

using nlohmann::json;

TEST(NsenterSeccompTest, CompilesOciProfile) {
  auto prog = SeccompProgram::Compile(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "syscalls": [
      {"names": ["mkdir", "mkdirat", "no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    ]})"));
  ASSERT_TRUE(prog.ok()) << prog.error().message;
  EXPECT_GT((*prog)->instructions().size(), 4u);
  EXPECT_EQ((*prog)->flags(), static_cast<unsigned>(SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  EXPECT_EQ((*prog)->fprog().len, (*prog)->instructions().size());
}

TEST(NsenterSeccompTest, RejectsWhatItCannotHonour) {
  for (const char* text : {
           R"({"defaultAction": "SCMP_ACT_BOGUS"})",
           R"({"defaultAction": "SCMP_ACT_NOTIFY"})",
           R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]})",
           R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]})",
           R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
               "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
           R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
               "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]})",
           R"([])",
       }) {
    auto prog = SeccompProgram::Compile(json::parse(text));
    EXPECT_FALSE(prog.ok()) << text;
    if (!prog.ok()) {
      EXPECT_EQ(prog.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

// Loads the exported program with the raw syscall, as the exec child does, in a forked
// process and observes the result.
TEST(NsenterSeccompTest, ExportedBpfBlocksWithTheConfiguredErrno) {
  auto prog = SeccompProgram::Compile(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})"));
  ASSERT_TRUE(prog.ok()) << prog.error().message;
  sock_fprog fprog = (*prog)->fprog();
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) _exit(11);
    if (mkdir("/tmp/airlock-seccomp-test-never", 0700) == 0) _exit(12);
    if (errno != 13) _exit(13);
    if (getpid() <= 0) _exit(14);  // other syscalls still allowed
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace airlock::nsenter
