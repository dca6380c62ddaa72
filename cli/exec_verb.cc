// exec: run a command in a container and pass its exit status through, like `kubectl exec`.
// By default through CRI Exec and the streaming server (HTTP/2 unless --transport says
// otherwise): output as it happens, stdout and stderr apart, -i forwards stdin, -t a
// terminal. --sync keeps the CRI ExecSync path (output collected, capped at 16 MiB).
#include <unistd.h>

#include <cstdio>
#include <ostream>

#include "cli/cri_exec.h"
#include "cli/inventory.h"
#include "cli/remote_exec.h"
#include "cli/stream_exec.h"
#include "cli/verbs.h"

namespace airlock::cli {
namespace {

Status RunSync(CriClient& client, const std::string& id, const std::vector<std::string>& cmd,
               VerbEnv& env) {
  int64_t timeout = env.globals.timeout ? env.globals.timeout->count() : 0;
  auto resp = client.ExecSync(id, cmd, timeout);
  if (!resp.ok()) return resp.error();
  // Bytes as they are: the command's output may be binary.
  env.out.write(resp->stdout().data(), static_cast<std::streamsize>(resp->stdout().size()));
  env.err.write(resp->stderr().data(), static_cast<std::streamsize>(resp->stderr().size()));
  env.out.flush();
  env.err.flush();
  env.exit_code = resp->exit_code();
  return Status::Ok();
}

// Remote mode (--server): no CRI to resolve names, so POD and -c name the target as they are.
Status RunRemote(const ParsedArgs& a, ExecTransport transport, bool want_stdin, bool want_tty,
                 VerbEnv& env) {
  if (a.Flag("sync"))
    return MakeError(ErrorCode::kInvalidArgument, "--sync is CRI ExecSync: not with --server");
  if (!a.Has("container"))
    return MakeError(ErrorCode::kInvalidArgument,
                     "with --server name the container with -c (the node API cannot look up a "
                     "pod's containers for us)");
  RemoteServer server;
  server.url = env.globals.server;
  server.token = env.globals.token;
  if (!env.globals.token_file.empty()) {
    auto token = ReadTokenFile(env.globals.token_file);
    if (!token.ok()) return token.error();
    server.token = *token;
  }
  server.tls.ca_file = env.globals.certificate_authority;
  server.tls.client_cert_file = env.globals.client_certificate;
  server.tls.client_key_file = env.globals.client_key;
  server.tls.insecure_skip_verify = env.globals.insecure_skip_tls_verify;
  if (want_tty && want_stdin && !isatty(STDIN_FILENO)) {
    env.err << "Unable to use a TTY - input is not a terminal or the right kind of file\n";
    want_tty = false;
  }
  RemoteExecRequest request;
  request.namespace_name = a.Value("namespace", "default");
  request.pod = a.positionals[0];
  request.container = a.Value("container");
  request.command = a.rest;
  request.streams = ExecStreams{want_stdin, true, !want_tty, want_tty};
  ExecSessionIo io;
  io.stdin_fd = want_stdin ? STDIN_FILENO : -1;
  if (want_tty) io.tty_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO;
  env.out.flush();
  env.err.flush();
  auto outcome = RunRemoteExec(server, request, transport, io);
  if (!outcome.ok()) return outcome.error();
  env.exit_code = outcome->exit_code;
  return Status::Ok();
}

}  // namespace

Status ExecVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock exec [options] POD|CONTAINER -- COMMAND [ARGS...]",
              "Run a command in a container and exit with its exit status.\n"
              "POD|CONTAINER may be a pod name (its only container, its default-container\n"
              "annotation, or -c), a container name, or a container id or id prefix.\n"
              "With --server (remote mode: the node's exec API, no CRI) POD is a pod name\n"
              "and -c CONTAINER is required; -n defaults to \"default\".");
  p.Option("container", 'c', "CONTAINER", "container of the pod to run in")
      .Option("namespace", 'n', "NAMESPACE", "namespace of the pod")
      .Option("transport", 0, "h2|spdy|websocket", "streaming protocol (default h2)")
      .Flag("sync", 0, "run through CRI ExecSync: output is collected, then printed")
      .Flag("stdin", 'i', "pass stdin to the command")
      .Flag("tty", 't', "allocate a terminal (raw local terminal, window size followed)");
  env.speaks_remote = true;
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, 1, p));
  if (a.rest.empty())
    return MakeError(ErrorCode::kInvalidArgument, "no command given (airlock exec POD -- COMMAND)");
  bool want_stdin = a.Flag("stdin");
  bool want_tty = a.Flag("tty");
  if (a.Flag("sync") && (want_stdin || want_tty || a.Has("transport")))
    return MakeError(ErrorCode::kInvalidArgument,
                     "--sync collects output through ExecSync: it takes no -i, -t or --transport");
  ExecTransport transport = ExecTransport::kH2;
  if (a.Has("transport")) {
    auto t = ParseExecTransport(a.Value("transport"));
    if (!t.ok()) return t.error();
    transport = *t;
  }
  if (!env.globals.server.empty()) return RunRemote(a, transport, want_stdin, want_tty, env);

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
  if (a.Flag("sync")) return RunSync(client, *id, a.rest, env);

  // kubectl's rule: a terminal needs a terminal on this side; otherwise run without one.
  if (want_tty && want_stdin && !isatty(STDIN_FILENO)) {
    env.err << "Unable to use a TTY - input is not a terminal or the right kind of file\n";
    want_tty = false;
  }
  runtime::v1::ExecRequest req;
  req.set_container_id(*id);
  for (const auto& word : a.rest) req.add_cmd(word);
  req.set_stdin(want_stdin);
  req.set_stdout(true);
  req.set_stderr(!want_tty);
  req.set_tty(want_tty);
  auto url = RequestExecUrl(env.globals.endpoint, req, env.globals.timeout);
  if (!url.ok()) return url.error();

  StreamExecOptions options;
  options.url = *url;
  options.transport = transport;
  options.streams = ExecStreams{want_stdin, true, !want_tty, want_tty};
  // A daemon with TLS hands out https URLs: verify it as the remote mode does.
  options.tls.ca_file = env.globals.certificate_authority;
  options.tls.client_cert_file = env.globals.client_certificate;
  options.tls.client_key_file = env.globals.client_key;
  options.tls.insecure_skip_verify = env.globals.insecure_skip_tls_verify;
  ExecSessionIo io;
  io.stdin_fd = want_stdin ? STDIN_FILENO : -1;
  if (want_tty) io.tty_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO;
  // The session writes to fds 1 and 2 directly: anything buffered in the streams goes first.
  env.out.flush();
  env.err.flush();
  auto outcome = RunStreamingExec(options, io);
  if (!outcome.ok()) return outcome.error();
  env.exit_code = outcome->exit_code;
  return Status::Ok();
}

}  // namespace airlock::cli
