#include "cli/resolve.h"

#include <algorithm>

namespace airlock::cli {
namespace {

template <typename T>
using Matches = std::vector<const T*>;

bool InNamespace(const Inventory& inv, const ContainerInfo& c, const std::string& ns) {
  if (ns.empty()) return true;
  const PodInfo* pod = inv.FindPod(c.pod_id);
  return pod != nullptr && pod->ns == ns;
}

std::string Describe(const PodInfo& p) { return p.ns + "/" + p.name + " (" + p.id + ")"; }

std::string Describe(const Inventory& inv, const ContainerInfo& c) {
  const PodInfo* pod = inv.FindPod(c.pod_id);
  std::string where = pod ? pod->ns + "/" + pod->name + "/" : "";
  return where + c.name + " (" + c.id + ")";
}

Matches<PodInfo> PodsWhere(const Inventory& inv, const std::string& ns, auto pred) {
  Matches<PodInfo> out;
  for (const auto& p : inv.pods) {
    if ((ns.empty() || p.ns == ns) && pred(p)) out.push_back(&p);
  }
  return out;
}

Matches<ContainerInfo> ContainersWhere(const Inventory& inv, const std::string& ns, auto pred) {
  Matches<ContainerInfo> out;
  for (const auto& c : inv.containers) {
    if (InNamespace(inv, c, ns) && pred(c)) out.push_back(&c);
  }
  return out;
}

bool HasPrefix(const std::string& id, const std::string& prefix) {
  return !prefix.empty() && id.rfind(prefix, 0) == 0;
}

Error Ambiguous(const Query& q, const std::vector<std::string>& candidates) {
  std::string msg = "\"" + q.text + "\" is ambiguous; it matches ";
  for (size_t i = 0; i < candidates.size(); ++i) {
    msg += (i ? ", " : "") + candidates[i];
  }
  msg += q.ns.empty() ? " (use a longer id, or -n NAMESPACE)" : " (use a longer id)";
  return MakeError(ErrorCode::kFailedPrecondition, msg);
}

Error NoMatch(const Query& q, const std::string& what) {
  std::string in = q.ns.empty() ? "" : " in namespace " + q.ns;
  return MakeError(ErrorCode::kNotFound, "no " + what + " matches \"" + q.text + "\"" + in);
}

std::vector<std::string> Names(const Inventory& inv, const Matches<ContainerInfo>& m) {
  std::vector<std::string> out;
  for (const auto* c : m) out.push_back(Describe(inv, *c));
  return out;
}

std::vector<std::string> Names(const Matches<PodInfo>& m) {
  std::vector<std::string> out;
  for (const auto* p : m) out.push_back(Describe(*p));
  return out;
}

// Pod by name, exact id or unique id prefix; nullopt (not an error) when nothing matches so
// callers can try other kinds of objects.
Result<std::optional<std::string>> TryPod(const Inventory& inv, const Query& q, bool prefixes) {
  auto by_id = PodsWhere(inv, q.ns, [&](const PodInfo& p) { return p.id == q.text; });
  if (by_id.size() == 1) return std::optional<std::string>(by_id[0]->id);
  auto by_name = PodsWhere(inv, q.ns, [&](const PodInfo& p) { return p.name == q.text; });
  if (by_name.size() > 1) return Ambiguous(q, Names(by_name));
  if (by_name.size() == 1) return std::optional<std::string>(by_name[0]->id);
  if (prefixes) {
    auto by_prefix =
        PodsWhere(inv, q.ns, [&](const PodInfo& p) { return HasPrefix(p.id, q.text); });
    if (by_prefix.size() > 1) return Ambiguous(q, Names(by_prefix));
    if (by_prefix.size() == 1) return std::optional<std::string>(by_prefix[0]->id);
  }
  return std::optional<std::string>();
}

}  // namespace

const PodInfo* Inventory::FindPod(const std::string& id) const {
  for (const auto& p : pods) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const ContainerInfo* Inventory::FindContainer(const std::string& id) const {
  for (const auto& c : containers) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

Result<std::string> PickContainer(const Inventory& inv, const std::string& pod_id,
                                  const std::string& container) {
  const PodInfo* pod = inv.FindPod(pod_id);
  std::string pod_name = pod ? pod->ns + "/" + pod->name : pod_id;
  Matches<ContainerInfo> in_pod;
  for (const auto& c : inv.containers) {
    if (c.pod_id == pod_id) in_pod.push_back(&c);
  }
  auto named = [&](const std::string& name) -> const ContainerInfo* {
    auto it = std::find_if(in_pod.begin(), in_pod.end(),
                           [&](const ContainerInfo* c) { return c->name == name; });
    return it == in_pod.end() ? nullptr : *it;
  };
  std::string names;
  for (const auto* c : in_pod) names += (names.empty() ? "" : ", ") + c->name;

  if (!container.empty()) {
    if (const ContainerInfo* c = named(container)) return c->id;
    return MakeError(ErrorCode::kNotFound, "pod " + pod_name + " has no container \"" + container +
                                               "\" (it has: " + names + ")");
  }
  if (in_pod.empty()) {
    return MakeError(ErrorCode::kNotFound, "pod " + pod_name + " has no containers");
  }
  if (in_pod.size() == 1) return in_pod[0]->id;
  if (pod != nullptr) {
    auto it = pod->annotations.find(kDefaultContainerAnnotation);
    if (it != pod->annotations.end()) {
      if (const ContainerInfo* c = named(it->second)) return c->id;
    }
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   "pod " + pod_name + " has several containers; choose one of: " + names);
}

Result<std::string> ResolveContainer(const Inventory& inv, const Query& q) {
  auto by_id = ContainersWhere(inv, q.ns, [&](const ContainerInfo& c) { return c.id == q.text; });
  if (by_id.size() == 1) return by_id[0]->id;
  auto by_name =
      ContainersWhere(inv, q.ns, [&](const ContainerInfo& c) { return c.name == q.text; });
  if (by_name.size() > 1) return Ambiguous(q, Names(inv, by_name));
  if (by_name.size() == 1) return by_name[0]->id;
  auto by_prefix =
      ContainersWhere(inv, q.ns, [&](const ContainerInfo& c) { return HasPrefix(c.id, q.text); });
  if (by_prefix.size() > 1) return Ambiguous(q, Names(inv, by_prefix));
  if (by_prefix.size() == 1) return by_prefix[0]->id;
  auto pod = TryPod(inv, q, /*prefixes=*/true);
  if (!pod.ok()) return pod.error();
  if (pod->has_value()) return PickContainer(inv, **pod, "");
  return NoMatch(q, "container or pod");
}

Result<std::string> ResolvePod(const Inventory& inv, const Query& q) {
  auto pod = TryPod(inv, q, /*prefixes=*/true);
  if (!pod.ok()) return pod.error();
  if (pod->has_value()) return **pod;
  return NoMatch(q, "pod");
}

Result<Target> ResolveTarget(const Inventory& inv, const Query& q) {
  using Kind = Target::Kind;
  auto c_id = ContainersWhere(inv, q.ns, [&](const ContainerInfo& c) { return c.id == q.text; });
  if (c_id.size() == 1) return Target{Kind::kContainer, c_id[0]->id};

  auto pod = TryPod(inv, q, /*prefixes=*/false);
  if (!pod.ok()) return pod.error();
  if (pod->has_value()) return Target{Kind::kPod, **pod};

  auto c_name =
      ContainersWhere(inv, q.ns, [&](const ContainerInfo& c) { return c.name == q.text; });
  if (c_name.size() > 1) return Ambiguous(q, Names(inv, c_name));
  if (c_name.size() == 1) return Target{Kind::kContainer, c_name[0]->id};

  auto c_prefix =
      ContainersWhere(inv, q.ns, [&](const ContainerInfo& c) { return HasPrefix(c.id, q.text); });
  auto p_prefix = PodsWhere(inv, q.ns, [&](const PodInfo& p) { return HasPrefix(p.id, q.text); });
  if (c_prefix.size() + p_prefix.size() > 1) {
    auto names = Names(inv, c_prefix);
    for (auto& n : Names(p_prefix)) names.push_back("pod " + n);
    return Ambiguous(q, names);
  }
  if (c_prefix.size() == 1) return Target{Kind::kContainer, c_prefix[0]->id};
  if (p_prefix.size() == 1) return Target{Kind::kPod, p_prefix[0]->id};
  return NoMatch(q, "container or pod");
}

}  // namespace airlock::cli
