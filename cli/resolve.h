// Turns what a user typed (an id, an id prefix, a container name or a pod name) into the
// CRI id a verb needs. Works on a plain snapshot of the daemon's pods and containers so that
// every rule is testable without a daemon; inventory.h fills the snapshot over CRI.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock::cli {

// Pod annotation naming the container `exec`/`logs` pick by default (kubectl's convention).
inline constexpr char kDefaultContainerAnnotation[] = "kubectl.kubernetes.io/default-container";

struct PodInfo {
  std::string id;
  std::string name;
  std::string ns;
  std::string uid;
  std::map<std::string, std::string> annotations;
};

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string pod_id;
};

struct Inventory {
  std::vector<PodInfo> pods;
  std::vector<ContainerInfo> containers;

  const PodInfo* FindPod(const std::string& id) const;
  const ContainerInfo* FindContainer(const std::string& id) const;
};

// `ns` empty = any namespace (an ambiguity across namespaces is an error asking for -n).
struct Query {
  std::string text;
  std::string ns;
};

// Container verbs (logs, exec, ...). Order: exact container id, container name, unique
// container id prefix, then a pod (name, exact id or unique id prefix) -> PickContainer.
Result<std::string> ResolveContainer(const Inventory& inv, const Query& q);

// Pod verbs. Order: exact pod id, pod name, unique pod id prefix.
Result<std::string> ResolvePod(const Inventory& inv, const Query& q);

struct Target {
  enum class Kind { kContainer, kPod };
  Kind kind = Kind::kContainer;
  std::string id;
};

// Verbs that take CONTAINER|POD (stop, rm). A name that is both a pod and a container
// (what `airlock run --name X` creates) means the pod, so `rm X` undoes `run --name X`.
// Order: exact container id, exact pod id, pod name, container name, then unique prefix of
// either kind of id.
Result<Target> ResolveTarget(const Inventory& inv, const Query& q);

// The container of pod `pod_id` named `container` or, when empty, the default one: the only
// container, else the one the pod's default-container annotation names; else an error that
// lists the names to choose from with -c.
Result<std::string> PickContainer(const Inventory& inv, const std::string& pod_id,
                                  const std::string& container);

}  // namespace airlock::cli
