#include "shim/nodeapi/node_exec_query.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace airlock::nodeapi {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  // "/a/b/c" -> {"a", "b", "c"}; a trailing "/" yields an empty last segment, which no
  // shape accepts (the kubelet's router does not match it either).
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error NotFound(std::string what) { return MakeError(ErrorCode::kNotFound, std::move(what)); }

// A decoded segment names an object: empty, ".", "..", a '/' (from %2F) or a NUL cannot be
// a pod, namespace or container name, so such a path names nothing here.
bool PlausibleName(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

bool IsPublicTrue(const std::string& v) {
  std::string lower(v);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return v != "0" && lower != "false";
}

}  // namespace

Result<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const bool complete = i + 2 < in.size();
      const int hi = complete ? HexValue(in[i + 1]) : -1;
      const int lo = complete ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "decode URL component \"" + std::string(in) + "\": invalid escape");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsNodeExecPath(std::string_view path) {
  auto segments = SplitPath(path);
  if (segments.empty()) return false;
  if (segments[0] == "exec") return segments.size() >= 4;  // exec + ns + pod + container
  return segments.size() >= 2 && segments[0] == "proxy" && segments[1] == "nodes";
}

Result<NodeExecPath> ParseNodeExecPath(std::string_view path, std::string_view node_name) {
  auto raw = SplitPath(path);
  std::vector<std::string> segments;
  for (std::string_view s : raw) {
    auto decoded = PercentDecode(s, false);
    if (!decoded.ok()) return decoded.error();
    segments.push_back(std::move(*decoded));
  }
  NodeExecPath out;
  size_t first = 0;
  if (segments.size() >= 3 && segments[0] == "proxy" && segments[1] == "nodes") {
    out.node = segments[2];
    if (out.node != node_name) {
      return NotFound("node \"" + out.node + "\" not found: this node is \"" +
                      std::string(node_name) + "\"");
    }
    first = 3;
  }
  if (segments.size() <= first || segments[first] != "exec") {
    return NotFound("no node API endpoint at " + std::string(path));
  }
  const size_t rest = segments.size() - first - 1;
  if (rest != 3 && rest != 4) {
    return NotFound("no node API endpoint at " + std::string(path) +
                    ": expected exec/<namespace>/<pod>[/<uid>]/<container>");
  }
  out.namespace_name = segments[first + 1];
  out.pod = segments[first + 2];
  if (rest == 4) out.pod_uid = segments[first + 3];
  out.container = segments.back();
  for (const std::string* s : {&out.namespace_name, &out.pod, &out.container}) {
    if (!PlausibleName(*s)) {
      return NotFound("no node API endpoint at " + std::string(path) + ": empty or invalid name");
    }
  }
  if (rest == 4 && !PlausibleName(out.pod_uid)) {
    return NotFound("no node API endpoint at " + std::string(path) + ": empty or invalid uid");
  }
  return out;
}

Result<NodeExecOptions> ParseNodeExecQuery(std::string_view query) {
  NodeExecOptions out;
  std::map<std::string, std::string> first;  // first value of each name, as FormValue
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    if (!key.ok()) return key.error();
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!value.ok()) return value.error();
    if (*key == "command") out.command.push_back(*value);
    first.emplace(std::move(*key), std::move(*value));  // keeps an existing (first) value
  }
  auto kubelet_true = [&](const char* name) {
    auto it = first.find(name);
    return it != first.end() && it->second == "1";
  };
  auto public_true = [&](const char* name) {
    auto it = first.find(name);
    return it != first.end() && IsPublicTrue(it->second);
  };
  const bool public_names = first.count("stdin") || first.count("stdout") || first.count("stderr");
  out.stdin = kubelet_true("input") || public_true("stdin");
  out.stdout = kubelet_true("output") || public_true("stdout");
  out.stderr = kubelet_true("error") || public_true("stderr");
  out.tty = public_names ? public_true("tty") : kubelet_true("tty");
  if (out.tty) out.stderr = false;  // a terminal merges stderr into its output
  if (out.command.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "you must specify at least one command for the container");
  }
  if (!out.stdin && !out.stdout && !out.stderr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "you must specify at least 1 of stdin, stdout, stderr");
  }
  return out;
}

}  // namespace airlock::nodeapi
