// pods / ps: tables of ListPodSandbox and ListContainers, newest first (as crictl sorts).
#include <algorithm>
#include <map>
#include <ostream>

#include "cli/table.h"
#include "cli/verbs.h"

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;

const char* PodStateName(v1::PodSandboxState s) {
  return s == v1::SANDBOX_READY ? "Ready" : "NotReady";
}

const char* ContainerStateName(v1::ContainerState s) {
  switch (s) {
    case v1::CONTAINER_CREATED:
      return "Created";
    case v1::CONTAINER_RUNNING:
      return "Running";
    case v1::CONTAINER_EXITED:
      return "Exited";
    default:
      return "Unknown";
  }
}

// The name the user asked for when the daemon kept it; image ids are shortened like ids.
std::string ImageColumn(const v1::ImageSpec& spec) {
  const std::string& name =
      spec.user_specified_image().empty() ? spec.image() : spec.user_specified_image();
  bool is_id =
      name.rfind("sha256:", 0) == 0 ||
      (name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos);
  return is_id ? ShortId(name) : name;
}

template <typename Repeated>
void NewestFirst(Repeated* items) {
  std::stable_sort(items->begin(), items->end(),
                   [](const auto& a, const auto& b) { return a.created_at() > b.created_at(); });
}

}  // namespace

Status PodsVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock pods [options]", "List pod sandboxes.");
  p.Option("namespace", 'n', "NAMESPACE", "only pods in this namespace");
  AddOutputOption(p);
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 0, 0, p));
  auto format = ParseOutputFormat(a.Value("output"));
  if (!format.ok()) return format.error();

  CriClient client(env.globals.endpoint, env.globals.timeout);
  auto list = client.ListPodSandbox();
  if (!list.ok()) return list.error().Wrap("list pods");
  if (a.Has("namespace")) {
    const std::string ns = a.Value("namespace");
    auto* items = list->mutable_items();
    items->erase(
        std::remove_if(items->begin(), items->end(),
                       [&](const v1::PodSandbox& s) { return s.metadata().namespace_() != ns; }),
        items->end());
  }
  NewestFirst(list->mutable_items());
  if (*format == OutputFormat::kJson) return PrintJson(*list, env);

  const int64_t now = env.clock.WallNanos();
  Table t({"POD ID", "CREATED", "STATE", "NAME", "NAMESPACE"});
  for (const auto& s : list->items()) {
    t.AddRow({ShortId(s.id()), FormatCreated(s.created_at(), now), PodStateName(s.state()),
              s.metadata().name(), s.metadata().namespace_()});
  }
  env.out << t.Render();
  return Status::Ok();
}

Status PsVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock ps [options]", "List running containers (all of them with -a).");
  p.Flag("all", 'a', "include created and exited containers");
  AddOutputOption(p);
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 0, 0, p));
  auto format = ParseOutputFormat(a.Value("output"));
  if (!format.ok()) return format.error();

  CriClient client(env.globals.endpoint, env.globals.timeout);
  v1::ListContainersRequest req;
  if (!a.Flag("all")) req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  auto list = client.ListContainers(req);
  if (!list.ok()) return list.error().Wrap("list containers");
  NewestFirst(list->mutable_containers());
  if (*format == OutputFormat::kJson) return PrintJson(*list, env);

  auto pods = client.ListPodSandbox();
  if (!pods.ok()) return pods.error().Wrap("list pods");
  std::map<std::string, std::string> pod_names;
  for (const auto& s : pods->items()) pod_names[s.id()] = s.metadata().name();

  const int64_t now = env.clock.WallNanos();
  Table t({"CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "POD ID", "POD NAME"});
  for (const auto& c : list->containers()) {
    auto pod = pod_names.find(c.pod_sandbox_id());
    t.AddRow({ShortId(c.id()), ImageColumn(c.image()), FormatCreated(c.created_at(), now),
              ContainerStateName(c.state()), c.metadata().name(), ShortId(c.pod_sandbox_id()),
              pod == pod_names.end() ? "" : pod->second});
  }
  env.out << t.Render();
  return Status::Ok();
}

}  // namespace airlock::cli
