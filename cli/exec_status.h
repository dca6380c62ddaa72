// The remotecommand v4 status the server writes on the error stream at the end of an exec
// (mission-anchors §3.4), decoded the way client-go's errorDecoderV4 does it.
#pragma once

#include <string_view>

#include "shim/base/result.h"

namespace airlock::cli {

// The remote command's exit status (0..255), or an error carrying the server's message.
// Empty payload and {"status":"Success"} mean 0; a NonZeroExitCode failure yields the
// number from its ExitCode cause; any other failure is an error with the server's message.
Result<int> ExitCodeFromStatus(std::string_view payload);

}  // namespace airlock::cli
