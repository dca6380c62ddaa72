// Fills the resolver's snapshot (resolve.h) from the daemon: one ListPodSandbox and one
// ListContainers call, every state included, so any name a user sees in `pods`/`ps -a` resolves.
#pragma once

#include "cli/cri_client.h"
#include "cli/resolve.h"

namespace airlock::cli {

Inventory MakeInventory(const runtime::v1::ListPodSandboxResponse& pods,
                        const runtime::v1::ListContainersResponse& containers);

Result<Inventory> LoadInventory(CriClient& client);

}  // namespace airlock::cli
