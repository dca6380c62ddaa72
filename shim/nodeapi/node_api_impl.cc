#include "shim/nodeapi/node_api_impl.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace airlock::nodeapi {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

int HttpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kFailedPrecondition:
      return 404;
    case ErrorCode::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

}  // namespace

std::optional<std::string> BearerToken(std::string_view authorization) {
  // apiserver bearertoken.go: TrimSpace, split on " " into at most 3 parts, the scheme
  // compared lowercased; an empty token is no token.
  std::string_view value = Trim(authorization);
  size_t space = value.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (!EqualsIgnoreCase(value.substr(0, space), "bearer")) return std::nullopt;
  std::string_view rest = value.substr(space + 1);
  std::string_view token = rest.substr(0, rest.find(' '));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

Result<std::unique_ptr<NodeApiImpl>> NodeApiImpl::Create(const NodeApiConfig& config,
                                                         ExecTargetResolver& resolver,
                                                         const Clock& clock) {
  if (config.node_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "configure node API: node name is empty");
  }
  if (config.token_file.empty() && !config.client_certificates) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "configure node API: no token file and no client CA: nobody could "
                     "authenticate (set a token file, a client CA, or turn the endpoint off)");
  }
  if (config.policy_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "configure node API: no policy file");
  }
  Deps deps;
  if (!config.token_file.empty()) {
    auto tokens = TokenFile::Load(config.token_file);
    if (!tokens.ok()) return tokens.error().Wrap("configure node API");
    deps.tokens = std::move(*tokens);
  }
  auto policy = LoadPolicy(config.policy_file);
  if (!policy.ok()) return policy.error().Wrap("configure node API");
  deps.policy = std::move(*policy);
  auto audit = AuditLog::Open(config.audit);
  if (!audit.ok()) return audit.error().Wrap("configure node API");
  deps.audit = std::move(*audit);
  deps.resolver = &resolver;
  deps.clock = &clock;
  return std::make_unique<NodeApiImpl>(config.node_name, config.recording, std::move(deps));
}

NodeApiImpl::NodeApiImpl(std::string node_name, RecordingOptions recording, Deps deps)
    : node_name_(std::move(node_name)), recording_(std::move(recording)), deps_(std::move(deps)) {}

bool NodeApiImpl::Handles(std::string_view path) const { return IsNodeExecPath(path); }

streaming::NodeDecision NodeApiImpl::Deny(AuditRecord& record, int http_status, std::string message,
                                          std::string reason) {
  record.allowed = false;
  record.http_status = http_status;
  record.reason = std::move(reason);
  spdlog::info("nodeapi: exec denied status={} user={} source={} path={} reason=\"{}\"",
               http_status, record.user.empty() ? "-" : record.user, record.source, record.path,
               record.reason);
  if (deps_.audit) (void)deps_.audit->Write(record);
  streaming::NodeDecision decision;
  decision.http_status = http_status;
  decision.message = std::move(message);
  return decision;
}

streaming::NodeDecision NodeApiImpl::Authorize(const streaming::NodeRequest& request) {
  AuditRecord record;
  record.wall_nanos = deps_.clock->WallNanos();
  record.source = request.peer;
  record.transport = request.transport;
  record.path = request.path;

  // The path is read first only to fill the audit line; nothing is answered from it before
  // the caller is authenticated.
  auto path = ParseNodeExecPath(request.path, node_name_);
  if (path.ok()) {
    record.namespace_name = path->namespace_name;
    record.pod = path->pod;
    record.container = path->container;
  }

  // 1. Authentication.
  std::optional<UserInfo> user;
  if (request.client_certificate && !request.client_certificate->user.empty()) {
    user = UserInfo{request.client_certificate->user, "", request.client_certificate->groups};
    record.auth = "certificate";
  } else {
    std::optional<std::string_view> header;
    if (request.headers) header = request.headers->Get("Authorization");
    std::optional<std::string> token = header ? BearerToken(*header) : std::nullopt;
    if (!token) {
      return Deny(record, 401, "Unauthorized",
                  header ? "Authorization header is not a bearer token" : "no credentials");
    }
    if (deps_.tokens) user = deps_.tokens->Authenticate(*token);
    if (!user) return Deny(record, 401, "Unauthorized", "invalid bearer token");
    record.auth = "token";
  }
  record.user = user->name;
  record.groups = user->groups;

  // 2. Path and query.
  if (!path.ok())
    return Deny(record, HttpStatusOf(path.error().code), path.error().message,
                path.error().message);
  auto options = ParseNodeExecQuery(request.query);
  if (!options.ok()) {
    return Deny(record, 400, options.error().message, options.error().message);
  }
  record.command = options->command;
  record.tty = options->tty;
  record.stdin = options->stdin;
  record.stdout = options->stdout;
  record.stderr = options->stderr;

  // 3. Who may exec in this namespace.
  PolicyDecision ns = AuthorizeNamespace(deps_.policy, *user, path->namespace_name);
  if (!ns.allowed) return Deny(record, 403, ns.reason, ns.reason);

  // 4. The target.
  PodContainerRef ref{path->namespace_name, path->pod, path->pod_uid, path->container};
  auto target = deps_.resolver->Resolve(ref);
  if (!target.ok()) {
    const int status = HttpStatusOf(target.error().code);
    // A 500 carries a generic body: internal details stay in the logs.
    return Deny(record, status, status == 500 ? "Internal error" : target.error().message,
                target.error().message);
  }
  record.container_id = target->container_id;

  // 5. The privileged rule.
  const std::string target_name = path->namespace_name + "/" + path->pod + "/" + path->container;
  PolicyDecision priv = AuthorizePrivileged(deps_.policy, *user, target_name, target->privilege);
  if (!priv.allowed) return Deny(record, 403, priv.reason, priv.reason);

  record.allowed = true;
  record.reason = priv.reason.empty() ? ns.reason : ns.reason + "; " + priv.reason;
  spdlog::info("nodeapi: exec allowed user={} source={} target={} container={} tty={}", record.user,
               record.source, target_name, record.container_id, record.tty);

  streaming::ExecRequest exec;
  exec.container_id = target->container_id;
  exec.cmd = options->command;
  exec.tty = options->tty;
  exec.stdin = options->stdin;
  exec.stdout = options->stdout;
  exec.stderr = options->stderr;

  streaming::NodeDecision decision;
  decision.request = std::move(exec);
  decision.observer =
      std::make_shared<SessionAudit>(std::move(record), deps_.audit, recording_, *deps_.clock);
  return decision;
}

}  // namespace airlock::nodeapi
