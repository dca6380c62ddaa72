// What the server writes on the error stream when an exec or attach ends (mission-anchors
// §3.4). v4 and later (and our HTTP/2 protocol) carry a metav1.Status-shaped JSON object
// always; v1–v3 carry plain text, and only on failure. The exit code travels as the
// "ExitCode" cause, which clients parse as an unsigned 8-bit number.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::streaming {

// How a session ended, from the server's point of view.
struct SessionOutcome {
  std::optional<int> exit_code;  // exec: 0..255 (128+signal); attach: nullopt
  std::string error;             // non-empty: the runtime failed (no exit code then)
};

// `command` is the exec's argv (quoted in the message as Go's %v prints a []string).
std::string StatusJson(const SessionOutcome& outcome, const std::vector<std::string>& command);
// v1–v3: empty on success.
std::string StatusText(const SessionOutcome& outcome, const std::vector<std::string>& command);

// Appends `text` JSON-escaped (RFC 8259) without the surrounding quotes.
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace airlock::streaming
