#include "nsenter/seccomp_program.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "shim/base/unique_fd.h"

namespace airlock::nsenter {
namespace {

struct FilterCtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterCtx = std::unique_ptr<void, FilterCtxDeleter>;

Error Invalid(const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument, "compile seccomp profile: " + what);
}

Result<uint32_t> ActionFromName(const std::string& name, uint32_t errno_ret) {
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return Invalid("action SCMP_ACT_NOTIFY: no listener for exec");
  return Invalid("unknown action " + name);
}

Result<scmp_compare> OpFromName(const std::string& name) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return Invalid("unknown operator " + name);
}

// "SCMP_ARCH_X86_64" -> libseccomp's "x86_64".
Result<uint32_t> ArchFromName(const std::string& name) {
  static constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (name.rfind(kPrefix, 0) != 0) return Invalid("unknown architecture " + name);
  std::string lower = name.substr(kPrefix.size());
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  uint32_t arch = seccomp_arch_resolve_name(lower.c_str());
  if (arch == 0) return Invalid("unknown architecture " + name);
  return arch;
}

Result<unsigned int> FlagFromName(const std::string& name) {
  if (name == "SECCOMP_FILTER_FLAG_TSYNC") return 0u;  // the exec child is single-threaded
  if (name == "SECCOMP_FILTER_FLAG_LOG") return static_cast<unsigned int>(SECCOMP_FILTER_FLAG_LOG);
  if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
    return static_cast<unsigned int>(SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  }
  return Invalid("unknown flag " + name);
}

Status AddRule(scmp_filter_ctx ctx, const nlohmann::json& rule, uint32_t default_action,
               uint32_t default_errno) {
  uint32_t errno_ret = rule.value("errnoRet", default_errno);
  auto action = ActionFromName(rule.at("action").get<std::string>(), errno_ret);
  if (!action.ok()) return action.error();
  // libseccomp refuses rules equal to the default action; they are no-ops anyway.
  if (*action == default_action) return Status::Ok();

  std::vector<scmp_arg_cmp> cmps;
  if (rule.contains("args") && rule["args"].is_array()) {
    for (const auto& arg : rule["args"]) {
      auto op = OpFromName(arg.at("op").get<std::string>());
      if (!op.ok()) return op.error();
      unsigned int index = arg.at("index").get<unsigned int>();
      if (index > 5) return Invalid("argument index " + std::to_string(index) + " > 5");
      cmps.push_back(scmp_arg_cmp{index, *op, arg.value("value", uint64_t{0}),
                                  arg.value("valueTwo", uint64_t{0})});
    }
  }
  std::vector<std::string> names;
  if (rule.contains("names")) names = rule["names"].get<std::vector<std::string>>();
  if (rule.contains("name")) names.push_back(rule["name"].get<std::string>());
  for (const auto& name : names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // syscall unknown to this libseccomp/arch
    int rc = seccomp_rule_add_array(ctx, *action, nr, static_cast<unsigned int>(cmps.size()),
                                    cmps.data());
    if (rc < 0) return Invalid("add rule for " + name + ": " + std::strerror(-rc));
  }
  return Status::Ok();
}

Result<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx ctx) {
  // libseccomp 2.5 can only export to an fd; a memfd keeps it off the filesystem.
  UniqueFd mem(memfd_create("airlock-seccomp", MFD_CLOEXEC));
  if (!mem) return ErrnoError("memfd_create seccomp export", errno);
  int rc = seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) return Invalid(std::string("export BPF: ") + std::strerror(-rc));
  struct stat st {};
  if (fstat(mem.get(), &st) != 0) return ErrnoError("fstat seccomp export", errno);
  if (st.st_size <= 0 || st.st_size % sizeof(sock_filter) != 0 ||
      st.st_size / sizeof(sock_filter) > BPF_MAXINSNS) {
    return Invalid("exported BPF has bad size " + std::to_string(st.st_size));
  }
  std::vector<sock_filter> out(st.st_size / sizeof(sock_filter));
  if (pread(mem.get(), out.data(), st.st_size, 0) != st.st_size) {
    return ErrnoError("read seccomp export", errno);
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const SeccompProgram>> SeccompProgram::Compile(
    const nlohmann::json& profile) {
  try {
    if (!profile.is_object()) return Invalid("profile is not an object");
    uint32_t default_errno = profile.value("defaultErrnoRet", uint32_t{EPERM});
    auto default_action =
        ActionFromName(profile.value("defaultAction", std::string()), default_errno);
    if (!default_action.ok()) return default_action.error();

    FilterCtx ctx(seccomp_init(*default_action));
    if (!ctx) return Invalid("seccomp_init failed");
    // The exec child sets no_new_privs itself, exactly as the container spec says.
    seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);

    if (profile.contains("architectures") && profile["architectures"].is_array()) {
      for (const auto& a : profile["architectures"]) {
        auto arch = ArchFromName(a.get<std::string>());
        if (!arch.ok()) return arch.error();
        int rc = seccomp_arch_add(ctx.get(), *arch);
        if (rc < 0 && rc != -EEXIST) {
          return Invalid("add architecture " + a.get<std::string>() + ": " + std::strerror(-rc));
        }
      }
    }
    unsigned int flags = 0;
    if (profile.contains("flags") && profile["flags"].is_array()) {
      for (const auto& f : profile["flags"]) {
        auto flag = FlagFromName(f.get<std::string>());
        if (!flag.ok()) return flag.error();
        flags |= *flag;
      }
    }
    if (profile.contains("syscalls") && profile["syscalls"].is_array()) {
      for (const auto& rule : profile["syscalls"]) {
        AIRLOCK_RETURN_IF_ERROR(AddRule(ctx.get(), rule, *default_action, default_errno));
      }
    }
    auto bpf = ExportBpf(ctx.get());
    if (!bpf.ok()) return bpf.error();
    return std::shared_ptr<const SeccompProgram>(new SeccompProgram(std::move(*bpf), flags));
  } catch (const nlohmann::json::exception& e) {
    return Invalid(e.what());
  }
}

}  // namespace airlock::nsenter
