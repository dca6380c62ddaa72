// run: RunPodSandbox + CreateContainer + StartContainer for one container, undoing what was
// created when a later step fails so a failed run leaves nothing behind.
#include <google/protobuf/struct.pb.h>

#include <cstdlib>
#include <ostream>

#include "cli/run_spec.h"
#include "cli/verbs.h"

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;

// "--env K=V", or "--env K" to pass the variable from this process's environment (docker's rule).
Result<std::pair<std::string, std::string>> ParseEnv(const std::string& text) {
  if (text.find('=') == std::string::npos) {
    const char* v = std::getenv(text.c_str());
    if (v == nullptr) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          "parse --env \"" + text + "\": want KEY=VALUE (" + text + " is not set here)");
    }
    return std::make_pair(text, std::string(v));
  }
  return ParseKeyValue(text, "--env");
}

Result<RunOptions> OptionsFrom(const ParsedArgs& a) {
  RunOptions opts;
  opts.image = a.positionals[0];
  // Words after IMAGE are the command too, so `run busybox sleep 60` works without "--".
  opts.command.assign(a.positionals.begin() + 1, a.positionals.end());
  opts.command.insert(opts.command.end(), a.rest.begin(), a.rest.end());
  opts.ns = a.Value("namespace", "default");
  AIRLOCK_RETURN_IF_ERROR(ValidateName(opts.ns, "namespace"));
  if (a.Has("name")) {
    opts.name = a.Value("name");
  } else {
    auto generated = GenerateName(opts.image);
    if (!generated.ok()) return generated.error();
    opts.name = *generated;
  }
  AIRLOCK_RETURN_IF_ERROR(ValidateName(opts.name, "name"));
  auto uid = NewUid();
  if (!uid.ok()) return uid.error();
  opts.uid = *uid;
  opts.tty = a.Flag("tty");
  opts.stdin = a.Flag("stdin");
  opts.privileged = a.Flag("privileged");
  for (const auto& e : a.Values("env")) {
    auto kv = ParseEnv(e);
    if (!kv.ok()) return kv.error();
    opts.envs.push_back(*kv);
  }
  for (const auto& l : a.Values("label")) {
    auto kv = ParseKeyValue(l, "--label");
    if (!kv.ok()) return kv.error();
    opts.labels.push_back(*kv);
  }
  return opts;
}

// Appends the outcome of the cleanup to the original error, so a user knows whether anything
// was left behind.
Error WithCleanup(Error err, const std::string& what, Status cleanup) {
  if (cleanup.ok()) return MakeError(err.code, err.message + " (" + what + " removed)");
  return MakeError(err.code, err.message + " (cleanup of " + what +
                                 " failed too: " + cleanup.error().message + ")");
}

Status RemovePod(CriClient& client, const std::string& pod_id) {
  AIRLOCK_RETURN_IF_ERROR(client.StopPodSandbox(pod_id));
  return client.RemovePodSandbox(pod_id);
}

}  // namespace

Status RunVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock run [options] IMAGE [-- CMD ARGS...]",
              "Run IMAGE in a new pod with one container and print the pod and container ids.\n"
              "Without CMD the image's entrypoint and cmd run; CMD[0] replaces the entrypoint.");
  p.Option("name", 0, "NAME", "pod and container name (default: <image>-<random>)")
      .Option("namespace", 'n', "NAMESPACE", "pod namespace (default \"default\")")
      .Flag("tty", 't', "allocate a terminal for the container")
      .Flag("stdin", 'i', "keep the container's stdin open")
      .Flag("privileged", 0, "run the container (and its pod) privileged")
      .Repeated("env", 'e', "KEY=VALUE", "environment variable")
      .Repeated("label", 'l', "KEY=VALUE", "label on the pod and the container");
  AddOutputOption(p);
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, SIZE_MAX, p));
  auto format = ParseOutputFormat(a.Value("output"));
  if (!format.ok()) return format.error();
  auto opts = OptionsFrom(a);
  if (!opts.ok()) return opts.error();

  CriClient client(env.globals.endpoint, env.globals.timeout);
  v1::RunPodSandboxRequest pod_req;
  *pod_req.mutable_config() = BuildPodConfig(*opts);
  auto pod_id = client.RunPodSandbox(pod_req);
  if (!pod_id.ok()) return pod_id.error().Wrap("run pod " + opts->ns + "/" + opts->name);

  v1::CreateContainerRequest ctr_req;
  ctr_req.set_pod_sandbox_id(*pod_id);
  *ctr_req.mutable_config() = BuildContainerConfig(*opts);
  *ctr_req.mutable_sandbox_config() = pod_req.config();
  auto ctr_id = client.CreateContainer(ctr_req);
  if (!ctr_id.ok()) {
    return WithCleanup(ctr_id.error().Wrap("create container " + opts->name + " in pod " + *pod_id),
                       "pod " + *pod_id, RemovePod(client, *pod_id));
  }
  if (Status s = client.StartContainer(*ctr_id); !s.ok()) {
    Status cleanup = client.RemoveContainer(*ctr_id);
    if (cleanup.ok()) cleanup = RemovePod(client, *pod_id);
    return WithCleanup(s.error().Wrap("start container " + *ctr_id), "container and pod " + *pod_id,
                       cleanup);
  }

  if (*format == OutputFormat::kJson) {
    google::protobuf::Struct out;
    auto& fields = *out.mutable_fields();
    fields["podSandboxId"].set_string_value(*pod_id);
    fields["containerId"].set_string_value(*ctr_id);
    fields["name"].set_string_value(opts->name);
    fields["namespace"].set_string_value(opts->ns);
    return PrintJson(out, env);
  }
  env.out << "pod " << *pod_id << "\ncontainer " << *ctr_id << "\n";
  return Status::Ok();
}

}  // namespace airlock::cli
