#include "shim/nodeapi/policy.h"

#include <toml++/toml.h>

#include <algorithm>

#include "shim/base/file_util.h"

namespace airlock::nodeapi {
namespace {

constexpr size_t kMaxPolicyBytes = 4 << 20;

Error Bad(const std::string& what, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, "parse " + what + ": " + reason);
}

Result<std::vector<std::string>> StringList(const toml::node& node, const std::string& what,
                                            const std::string& key) {
  const toml::array* array = node.as_array();
  if (!array) return Bad(what, key + ": expected an array of strings");
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    auto s = item.value_exact<std::string>();
    if (!s || s->empty()) return Bad(what, key + ": expected an array of non-empty strings");
    out.push_back(*s);
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool NamespaceMatches(const std::string& pattern, const std::string& ns) {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.back() == '*') {
    return ns.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  }
  return pattern == ns;
}

bool RuleNamesUser(const PolicyRule& rule, const UserInfo& user) {
  if (Contains(rule.users, user.name)) return true;
  for (const auto& g : user.groups) {
    if (Contains(rule.groups, g)) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string PrivilegeFacts::Describe() const {
  std::vector<std::string> shared;
  if (host_pid) shared.push_back("PID");
  if (host_network) shared.push_back("network");
  if (host_ipc) shared.push_back("IPC");
  std::string out;
  if (privileged) out = "the container is privileged";
  if (!shared.empty()) {
    std::string list;
    for (size_t i = 0; i < shared.size(); ++i) {
      list += shared[i];
      if (i + 2 < shared.size()) list += ", ";
      if (i + 2 == shared.size()) list += " and ";
    }
    out += (out.empty() ? "" : " and ") + std::string("the pod shares the host's ") + list +
           (shared.size() == 1 ? " namespace" : " namespaces");
  }
  return out;
}

Result<Policy> ParsePolicy(std::string_view toml_text, const std::string& what) {
  toml::table table;
  try {
    table = toml::parse(toml_text, what);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Bad(what, "line " + std::to_string(where.line) + ":" + std::to_string(where.column) +
                         ": " + std::string(e.description()));
  }
  Policy policy;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (name == "admin_groups") {
      auto groups = StringList(node, what, name);
      if (!groups.ok()) return groups.error();
      policy.admin_groups = std::move(*groups);
    } else if (name == "allow") {
      const toml::array* rules = node.as_array();
      if (!rules) return Bad(what, "allow: expected [[allow]] tables");
      size_t index = 0;
      for (const toml::node& item : *rules) {
        ++index;
        const std::string where = "allow rule " + std::to_string(index);
        const toml::table* rule_table = item.as_table();
        if (!rule_table) return Bad(what, where + ": expected a table");
        PolicyRule rule;
        for (const auto& [rkey, rnode] : *rule_table) {
          const std::string rname(rkey.str());
          std::vector<std::string>* field = rname == "users"        ? &rule.users
                                            : rname == "groups"     ? &rule.groups
                                            : rname == "namespaces" ? &rule.namespaces
                                                                    : nullptr;
          if (!field) {
            return Bad(
                what, where + ": unknown key \"" + rname + "\" (known: users, groups, namespaces)");
          }
          auto list = StringList(rnode, what, where + "." + rname);
          if (!list.ok()) return list.error();
          *field = std::move(*list);
        }
        if (rule.users.empty() && rule.groups.empty()) {
          return Bad(what, where + ": names no users and no groups");
        }
        if (rule.namespaces.empty()) {
          return Bad(what, where + ": names no namespaces (use [\"*\"] for all)");
        }
        policy.rules.push_back(std::move(rule));
      }
    } else {
      return Bad(what, "unknown key \"" + name + "\" (known: admin_groups, allow)");
    }
  }
  return policy;
}

Result<Policy> LoadPolicy(const std::string& path) {
  auto text = ReadFile(path, kMaxPolicyBytes);
  if (!text.ok()) return text.error().Wrap("load node policy " + path);
  return ParsePolicy(*text, "node policy " + path);
}

bool IsAdmin(const Policy& policy, const UserInfo& user) {
  for (const auto& g : user.groups) {
    if (Contains(policy.admin_groups, g)) return true;
  }
  return false;
}

PolicyDecision AuthorizeNamespace(const Policy& policy, const UserInfo& user,
                                  const std::string& namespace_name) {
  if (IsAdmin(policy, user)) return {true, "member of an admin group"};
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const PolicyRule& rule = policy.rules[i];
    if (!RuleNamesUser(rule, user)) continue;
    for (const auto& pattern : rule.namespaces) {
      if (NamespaceMatches(pattern, namespace_name)) {
        return {true, "allow rule " + std::to_string(i + 1)};
      }
    }
  }
  return {false, "Forbidden (user=" + user.name +
                     ", verb=exec, resource=pods, subresource(s)=[exec], namespace=" +
                     namespace_name + "): no rule of the node policy allows this user or " +
                     "their groups to exec in this namespace"};
}

PolicyDecision AuthorizePrivileged(const Policy& policy, const UserInfo& user,
                                   const std::string& target, const PrivilegeFacts& facts) {
  if (!facts.any()) return {true, ""};
  if (IsAdmin(policy, user)) return {true, "cluster admin: " + facts.Describe()};
  return {false, "Forbidden (user=" + user.name + "): exec into privileged container " + target +
                     " is only allowed for cluster admins (groups " + Join(policy.admin_groups) +
                     "): " + facts.Describe()};
}

}  // namespace airlock::nodeapi
