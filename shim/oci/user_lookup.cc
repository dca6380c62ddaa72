#include "shim/oci/user_lookup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "shim/base/unique_fd.h"

namespace airlock::oci {
namespace {

// Bounds for files read out of an image: real passwd/group files are a few KiB.
constexpr size_t kMaxAccountFileBytes = 1 << 20;
constexpr int64_t kMaxId = 0xFFFFFFFE;  // (uid_t)-1 means "unchanged" to the kernel

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::optional<uint32_t> ParseId(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > static_cast<uint64_t>(kMaxId))
    return std::nullopt;
  return static_cast<uint32_t>(v);
}

template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    fn(line);
  }
}

Result<uint32_t> CheckId(int64_t v, const std::string& field) {
  if (v < 0 || v > kMaxId) {
    return MakeError(ErrorCode::kInvalidArgument,
                     field + " " + std::to_string(v) + " is out of range [0, 4294967294]");
  }
  return static_cast<uint32_t>(v);
}

// Accounts of one rootfs, read lazily: most containers run as root without a name lookup.
class Accounts {
 public:
  explicit Accounts(const std::string& rootfs) : rootfs_(rootfs) {}

  Result<const std::vector<PasswdEntry>*> Passwd() {
    if (!passwd_) {
      auto text = ReadRootfsFile(rootfs_, "etc/passwd", kMaxAccountFileBytes);
      if (!text.ok()) return text.error();
      passwd_ = text->has_value() ? ParsePasswd(**text) : std::vector<PasswdEntry>{};
    }
    return &*passwd_;
  }

  Result<const std::vector<GroupEntry>*> Group() {
    if (!group_) {
      auto text = ReadRootfsFile(rootfs_, "etc/group", kMaxAccountFileBytes);
      if (!text.ok()) return text.error();
      group_ = text->has_value() ? ParseGroup(**text) : std::vector<GroupEntry>{};
    }
    return &*group_;
  }

 private:
  std::string rootfs_;
  std::optional<std::vector<PasswdEntry>> passwd_;
  std::optional<std::vector<GroupEntry>> group_;
};

struct UserPick {
  uint32_t uid = 0;
  std::optional<uint32_t> gid;  // from the passwd entry or an explicit group
  std::string name;             // empty when the uid has no passwd entry
};

Result<UserPick> PickByName(Accounts& accounts, const std::string& name, const std::string& field) {
  auto passwd = accounts.Passwd();
  if (!passwd.ok()) return passwd.error().Wrap("resolve " + field + " \"" + name + "\"");
  for (const auto& e : **passwd) {
    if (e.name == name) return UserPick{e.uid, e.gid, e.name};
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   field + " \"" + name + "\" is not in the image's /etc/passwd");
}

Result<UserPick> PickById(Accounts& accounts, uint32_t uid) {
  auto passwd = accounts.Passwd();
  if (!passwd.ok()) return passwd.error().Wrap("resolve uid " + std::to_string(uid));
  for (const auto& e : **passwd) {
    if (e.uid == uid) return UserPick{uid, e.gid, e.name};
  }
  return UserPick{uid, std::nullopt, ""};
}

Result<uint32_t> GroupByName(Accounts& accounts, const std::string& name,
                             const std::string& field) {
  auto group = accounts.Group();
  if (!group.ok()) return group.error().Wrap("resolve " + field + " \"" + name + "\"");
  for (const auto& e : **group) {
    if (e.name == name) return e.gid;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   field + " group \"" + name + "\" is not in the image's /etc/group");
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Split(line, ':');
    if (f.size() < 4 || f[0].empty()) return;
    auto uid = ParseId(f[2]);
    auto gid = ParseId(f[3]);
    if (!uid || !gid) return;
    out.push_back(PasswdEntry{std::string(f[0]), *uid, *gid});
  });
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Split(line, ':');
    if (f.size() < 3 || f[0].empty()) return;
    auto gid = ParseId(f[2]);
    if (!gid) return;
    GroupEntry e{std::string(f[0]), *gid, {}};
    if (f.size() >= 4 && !f[3].empty()) {
      for (std::string_view m : Split(f[3], ',')) {
        if (!m.empty()) e.members.emplace_back(m);
      }
    }
    out.push_back(std::move(e));
  });
  return out;
}

Result<std::optional<std::string>> ReadRootfsFile(const std::string& rootfs,
                                                  const std::string& relative, size_t max_bytes) {
  std::string what = relative + " in " + rootfs;
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ErrnoError("open rootfs " + rootfs, errno);
  // RESOLVE_IN_ROOT makes "/" and ".." stop at the rootfs, so an image cannot point
  // /etc/passwd at a host file. O_NONBLOCK keeps a FIFO planted there from hanging us.
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int raw =
      static_cast<int>(::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how));
  if (raw < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoError("open " + what, errno);
  }
  UniqueFd fd(raw);
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat " + what, errno);
  if (!S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kInvalidArgument, "read " + what + ": not a regular file");
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read " + what, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "read " + what + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

Result<ResolvedUser> ResolveUser(const std::string& rootfs, const UserRequest& request) {
  Accounts accounts(rootfs);
  UserPick pick;
  std::optional<uint32_t> explicit_gid;

  if (!request.username.empty()) {
    auto p = PickByName(accounts, request.username, "run_as_username");
    if (!p.ok()) return p.error();
    pick = *p;
  } else if (request.uid) {
    auto uid = CheckId(*request.uid, "run_as_user");
    if (!uid.ok()) return uid.error();
    auto p = PickById(accounts, *uid);
    if (!p.ok()) return p.error();
    pick = *p;
  } else if (!request.image_user.empty()) {
    std::string user = request.image_user;
    std::string group;
    if (auto colon = user.find(':'); colon != std::string::npos) {
      group = user.substr(colon + 1);
      user = user.substr(0, colon);
    }
    if (auto uid = ParseId(user)) {
      auto p = PickById(accounts, *uid);
      if (!p.ok()) return p.error();
      pick = *p;
    } else {
      auto p = PickByName(accounts, user, "image user");
      if (!p.ok()) return p.error();
      pick = *p;
    }
    if (!group.empty()) {
      if (auto numeric = ParseId(group)) {
        explicit_gid = *numeric;
      } else {
        auto named = GroupByName(accounts, group, "image user");
        if (!named.ok()) return named.error();
        explicit_gid = *named;
      }
    }
  } else {
    auto p = PickById(accounts, 0);
    if (!p.ok()) return p.error();
    pick = *p;
  }

  if (request.gid) {
    auto gid = CheckId(*request.gid, "run_as_group");
    if (!gid.ok()) return gid.error();
    explicit_gid = *gid;
  }

  ResolvedUser out;
  out.uid = pick.uid;
  out.gid = explicit_gid ? *explicit_gid : pick.gid.value_or(0);

  auto add = [&out](uint32_t gid) {
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), gid) ==
        out.additional_gids.end())
      out.additional_gids.push_back(gid);
  };
  if (request.merge_image_groups && !pick.name.empty()) {
    auto group = accounts.Group();
    if (!group.ok()) return group.error().Wrap("resolve groups of \"" + pick.name + "\"");
    for (const auto& e : **group) {
      if (std::find(e.members.begin(), e.members.end(), pick.name) != e.members.end()) add(e.gid);
    }
  }
  for (size_t i = 0; i < request.supplemental_groups.size(); ++i) {
    auto gid =
        CheckId(request.supplemental_groups[i], "supplemental_groups[" + std::to_string(i) + "]");
    if (!gid.ok()) return gid.error();
    add(*gid);
  }
  return out;
}

}  // namespace airlock::oci
