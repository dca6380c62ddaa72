// exec: run a command in a container and pass its exit status through, like `kubectl exec`.
// For now every exec goes through CRI ExecSync (output collected by the daemon, capped at
// 16 MiB, no stdin, no tty); interactive -i/-t sessions need the streaming server.
#include <cstdio>
#include <ostream>

#include "cli/inventory.h"
#include "cli/verbs.h"

namespace airlock::cli {

Status ExecVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock exec [options] POD|CONTAINER -- COMMAND [ARGS...]",
              "Run a command in a container and exit with its exit status.\n"
              "POD|CONTAINER may be a pod name (its only container, its default-container\n"
              "annotation, or -c), a container name, or a container id or id prefix.");
  p.Option("container", 'c', "CONTAINER", "container of the pod to run in")
      .Option("namespace", 'n', "NAMESPACE", "namespace of the pod")
      .Flag("sync", 0, "run through CRI ExecSync: output is collected, then printed")
      .Flag("stdin", 'i', "pass stdin to the command (needs the streaming server)")
      .Flag("tty", 't', "allocate a terminal (needs the streaming server)");
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, 1, p));
  if (a.rest.empty())
    return MakeError(ErrorCode::kInvalidArgument, "no command given (airlock exec POD -- COMMAND)");
  if (a.Flag("stdin") || a.Flag("tty"))
    return MakeError(ErrorCode::kUnimplemented,
                     "-i/-t need interactive streaming exec, which this airlock does not have yet; "
                     "run without them (output is collected through ExecSync)");

  CriClient client(env.globals.endpoint, std::nullopt);
  auto inv = LoadInventory(client);
  if (!inv.ok()) return inv.error();
  Query q{a.positionals[0], a.Value("namespace")};
  Result<std::string> id = MakeError(ErrorCode::kNotFound, "");
  if (a.Has("container")) {
    auto pod = ResolvePod(*inv, q);
    if (!pod.ok()) return pod.error();
    id = PickContainer(*inv, *pod, a.Value("container"));
  } else {
    id = ResolveContainer(*inv, q);
  }
  if (!id.ok()) return id.error();

  int64_t timeout = env.globals.timeout ? env.globals.timeout->count() : 0;
  auto resp = client.ExecSync(*id, a.rest, timeout);
  if (!resp.ok()) return resp.error();
  // Bytes as they are: the command's output may be binary.
  env.out.write(resp->stdout().data(), static_cast<std::streamsize>(resp->stdout().size()));
  env.err.write(resp->stderr().data(), static_cast<std::streamsize>(resp->stderr().size()));
  env.out.flush();
  env.err.flush();
  env.exit_code = resp->exit_code();
  return Status::Ok();
}

}  // namespace airlock::cli
