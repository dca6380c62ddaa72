// Linux capability names for OCI specs: the known table, the CRI add/drop arithmetic, and the
// set this daemon is able to hand out (runc cannot grant a capability its caller lacks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock::oci {

// "CAP_CHOWN" ... "CAP_CHECKPOINT_RESTORE", indexed by capability number.
const std::vector<std::string>& KnownCapabilities();

// The 14 capabilities containerd and Docker give a non-privileged container.
const std::vector<std::string>& DefaultCapabilities();

// "chown", "CHOWN", "cap_chown" -> "CAP_CHOWN". Unknown names are kInvalidArgument.
Result<std::string> NormalizeCapability(const std::string& name);

// Names of the bits set in a capability mask (as printed in /proc/<pid>/status).
std::vector<std::string> CapabilitiesFromMask(uint64_t mask);

// The permitted set of the calling process, from /proc/self/status. runc runs as our child
// and can only keep what we hold: on hosts without CAP_SYS_RESOURCE "all capabilities" must
// mean "all capabilities we have".
Result<std::vector<std::string>> CurrentProcessCapabilities();

// The capability set of a container process, sorted by number.
// Order as containerd applies it: start from the default set; "ALL" in add -> every grantable
// capability; "ALL" in drop -> none; then individual adds; then individual drops (a name in
// both lists ends up dropped). `grantable` is what the daemon may hand out; an explicit add of
// a capability outside it fails instead of making runc fail later. `field` prefixes errors.
Result<std::vector<std::string>> ComputeCapabilities(const runtime::v1::Capability& cri,
                                                     const std::vector<std::string>& grantable,
                                                     const std::string& field);

// True when `set` holds `cap` (normalized form).
bool HasCapability(const std::vector<std::string>& set, const std::string& cap);

}  // namespace airlock::oci
