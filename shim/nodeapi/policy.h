// Policy: who may exec through the node API, read from a small TOML file:
//
//   # Members of these groups may exec in every namespace, and they alone may exec into a
//   # privileged container or one whose pod shares the host's PID, network or IPC namespace.
//   # Default when the key is absent: ["system:masters", "cluster-admin"].
//   admin_groups = ["system:masters", "cluster-admin"]
//
//   # Each [[allow]] rule lets the listed users and members of the listed groups exec in the
//   # listed namespaces. "*" is every namespace; "team-*" every namespace starting "team-".
//   [[allow]]
//   users = ["alice"]
//   groups = ["developers"]
//   namespaces = ["dev", "team-*"]
//
// Nothing is allowed unless a rule (or admin membership) allows it. Unknown keys are an
// error: a misspelt key in a security policy must not silently change who gets in.
// The privileged rule follows the product's documented behaviour: "exec does not work when
// accessing privileged containers except when the command is executed by a cluster-admin
// user" (issue #6) — the CRI Exec call carries no caller identity, so it is enforced here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"
#include "shim/nodeapi/token_file.h"

namespace airlock::nodeapi {

struct PolicyRule {
  std::vector<std::string> users;
  std::vector<std::string> groups;
  std::vector<std::string> namespaces;
};

struct Policy {
  std::vector<std::string> admin_groups = {"system:masters", "cluster-admin"};
  std::vector<PolicyRule> rules;
};

// Why a container counts as privileged for exec; all false: an ordinary container.
struct PrivilegeFacts {
  bool privileged = false;  // SecurityContext.privileged (container or pod)
  bool host_pid = false;    // the pod's PID namespace is the node's
  bool host_network = false;
  bool host_ipc = false;
  bool any() const { return privileged || host_pid || host_network || host_ipc; }
  // "the container is privileged", "the pod shares the host's PID and network namespaces".
  std::string Describe() const;
};

struct PolicyDecision {
  bool allowed = false;
  std::string reason;  // allowed: which rule; denied: the message for the 403 body
};

Result<Policy> ParsePolicy(std::string_view toml_text, const std::string& what);
Result<Policy> LoadPolicy(const std::string& path);

bool IsAdmin(const Policy& policy, const UserInfo& user);

// May `user` exec in `namespace_name` at all? Denied: "Forbidden (user=bob, verb=exec,
// resource=pods, subresource(s)=[exec], namespace=prod): ..." — the kubelet's wording, with
// the namespace added because the policy is per namespace.
PolicyDecision AuthorizeNamespace(const Policy& policy, const UserInfo& user,
                                  const std::string& namespace_name);

// The privileged rule, once the target is known: `target` is "<ns>/<pod>/<container>".
PolicyDecision AuthorizePrivileged(const Policy& policy, const UserInfo& user,
                                   const std::string& target, const PrivilegeFacts& facts);

}  // namespace airlock::nodeapi
