// The CRI Exec call of `airlock exec`: asks the runtime for a streaming URL. Kept beside
// CriClient (which has no Exec yet) on its own channel to the same endpoint.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "proto/cri_api.h"
#include "shim/base/result.h"

namespace airlock::cli {

// Calls RuntimeService/Exec and returns the URL it answers. `timeout` bounds the call
// (default 30 s); gRPC errors read "<Code>: <daemon's message>" like CriClient's.
Result<std::string> RequestExecUrl(const std::string& endpoint,
                                   const runtime::v1::ExecRequest& request,
                                   std::optional<std::chrono::seconds> timeout);

}  // namespace airlock::cli
