// stop / rm: act on a container or a whole pod, whichever the name resolves to (resolve.h).
#include <ostream>

#include "cli/inventory.h"
#include "cli/verbs.h"

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;

constexpr int64_t kDefaultGraceSeconds = 10;

// Runs `act` for each positional; keeps going after a failure so that `rm a b c` removes what
// it can, then reports every failure in one error.
template <typename Act>
Status ForEachTarget(const ParsedArgs& a, CriClient& client, VerbEnv& env, Act act) {
  auto inv = LoadInventory(client);
  if (!inv.ok()) return inv.error();
  std::string failures;
  for (const auto& text : a.positionals) {
    auto target = ResolveTarget(*inv, Query{text, a.Value("namespace")});
    Status s = target.ok() ? act(*target) : Status(target.error());
    if (s.ok()) {
      env.out << text << "\n";
    } else {
      failures += (failures.empty() ? "" : "; ") + s.error().message;
    }
  }
  if (!failures.empty()) return MakeError(ErrorCode::kInternal, failures);
  return Status::Ok();
}

Status Wrapped(Status s, const std::string& what) {
  if (s.ok()) return s;
  return s.error().Wrap(what);
}

}  // namespace

Status StopVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock stop [options] CONTAINER|POD...",
              "Stop containers, or every container of a pod and the pod itself.");
  p.Option("timeout", 0, "N", "seconds between SIGTERM and SIGKILL for a container (default 10)")
      .Option("namespace", 'n', "NAMESPACE", "namespace of the pod names");
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, SIZE_MAX, p));
  int64_t grace = kDefaultGraceSeconds;
  if (a.Has("timeout")) {
    auto g = ParseSeconds(a.Value("timeout"), "--timeout");
    if (!g.ok()) return g.error();
    grace = *g;
  }

  CriClient client(env.globals.endpoint, env.globals.timeout);
  return ForEachTarget(a, client, env, [&](const Target& t) {
    if (t.kind == Target::Kind::kPod) {
      return Wrapped(client.StopPodSandbox(t.id), "stop pod " + t.id);
    }
    return Wrapped(client.StopContainer(t.id, grace), "stop container " + t.id);
  });
}

Status RmVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock rm [options] CONTAINER|POD...",
              "Remove containers, or pods with all their containers (pods are stopped first).\n"
              "A running container is only removed with -f, which kills it first.");
  p.Flag("force", 'f', "kill a running container before removing it")
      .Option("namespace", 'n', "NAMESPACE", "namespace of the pod names");
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, SIZE_MAX, p));
  const bool force = a.Flag("force");

  CriClient client(env.globals.endpoint, env.globals.timeout);
  return ForEachTarget(a, client, env, [&](const Target& t) -> Status {
    if (t.kind == Target::Kind::kPod) {
      AIRLOCK_RETURN_IF_ERROR(Wrapped(client.StopPodSandbox(t.id), "stop pod " + t.id));
      return Wrapped(client.RemovePodSandbox(t.id), "remove pod " + t.id);
    }
    if (force) {
      AIRLOCK_RETURN_IF_ERROR(Wrapped(client.StopContainer(t.id, 0), "kill container " + t.id));
    } else {
      // CRI's RemoveContainer kills a running container; the CLI asks for -f first, as docker.
      auto status = client.ContainerStatus(t.id);
      if (!status.ok()) return status.error().Wrap("inspect container " + t.id);
      if (status->status().state() == v1::CONTAINER_RUNNING) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "remove container " + t.id + ": it is running; stop it first or use -f");
      }
    }
    return Wrapped(client.RemoveContainer(t.id), "remove container " + t.id);
  });
}

}  // namespace airlock::cli
