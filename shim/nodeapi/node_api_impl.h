// NodeApiImpl: the shim's streaming::NodeApi — the node exec endpoint's authentication,
// authorization, target resolution and audit (issue #6). For each request, in this order:
//
//   1. authenticate: a verified client certificate (CN = user, O = groups), else
//      `Authorization: Bearer <token>` from the token file; neither -> 401 "Unauthorized".
//      Certificates come first, as in kube-apiserver's authenticator chain (x509 before
//      tokens). Authentication runs before anything else is looked at, so an anonymous
//      client learns nothing about pods, nodes or the policy.
//   2. path shape and node name -> 404; query (command, stdin/stdout/stderr, tty) -> 400;
//   3. namespace policy -> 403 "Forbidden (user=..., verb=exec, ...)";
//   4. resolve pod + container (ready sandbox, running container) -> 404 naming what;
//   5. the privileged rule (privileged container or host PID/network/IPC) -> 403 unless the
//      user is in an admin group.
// Every refusal is written to the audit log at once; an allowed request gets a SessionAudit
// observer that writes its line when the session ends.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "shim/base/clock.h"
#include "shim/nodeapi/audit_log.h"
#include "shim/nodeapi/exec_target.h"
#include "shim/nodeapi/node_exec_query.h"
#include "shim/nodeapi/policy.h"
#include "shim/nodeapi/session_audit.h"
#include "shim/nodeapi/token_file.h"
#include "streaming/node_api.h"

namespace airlock::nodeapi {

// What airlockd's config says about the node API ([node_api] in airlock.toml).
struct NodeApiConfig {
  std::string node_name;             // the <node> of /proxy/nodes/<node>/exec/...
  std::string token_file;            // kube-apiserver static token CSV; "" = no bearer tokens
  bool client_certificates = false;  // the streaming server verifies client certs (a CA is set)
  std::string policy_file;           // TOML, see policy.h; required
  AuditLog::Options audit;           // audit.path required
  RecordingOptions recording;
};

class NodeApiImpl final : public streaming::NodeApi {
 public:
  struct Deps {
    std::unique_ptr<TokenFile> tokens;  // null: bearer tokens are never accepted
    Policy policy;
    std::shared_ptr<AuditLog> audit;  // shared with the sessions, which may outlive us
    ExecTargetResolver* resolver = nullptr;
    const Clock* clock = nullptr;
  };

  // Loads the token file, policy and audit log named by `config`. An endpoint with no way
  // to authenticate anyone (no token file, no client certificates) is a config error.
  static Result<std::unique_ptr<NodeApiImpl>> Create(const NodeApiConfig& config,
                                                     ExecTargetResolver& resolver,
                                                     const Clock& clock);
  NodeApiImpl(std::string node_name, RecordingOptions recording, Deps deps);

  bool Handles(std::string_view path) const override;
  streaming::NodeDecision Authorize(const streaming::NodeRequest& request) override;

 private:
  // Writes the refusal to the audit log and the daemon log, and returns it.
  streaming::NodeDecision Deny(AuditRecord& record, int http_status, std::string message,
                               std::string reason);

  const std::string node_name_;
  const RecordingOptions recording_;
  Deps deps_;
};

// The bearer token of an Authorization header value ("Bearer <token>", scheme in any case,
// as apiserver's bearertoken authenticator reads it); nullopt when it is not one.
std::optional<std::string> BearerToken(std::string_view authorization);

}  // namespace airlock::nodeapi
