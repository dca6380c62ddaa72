#include "cli/exec_status.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string>

namespace airlock::cli {
namespace {

using nlohmann::json;

// A string member, or "" when it is missing or not a string (json::value would throw).
std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error ProtocolError(std::string_view payload, const std::string& why) {
  return MakeError(ErrorCode::kInternal,
                   "decode exec status: " + why + " in \"" + std::string(payload) + "\"");
}

// The ExitCode cause of a NonZeroExitCode failure; client-go parses it as an 8-bit unsigned.
Result<int> ExitCodeCause(const json& status, std::string_view payload) {
  auto details = status.find("details");
  if (details == status.end() || !details->is_object())
    return ProtocolError(payload, "NonZeroExitCode without details");
  auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array())
    return ProtocolError(payload, "NonZeroExitCode without causes");
  for (const json& cause : *causes) {
    if (!cause.is_object() || StringField(cause, "reason") != "ExitCode") continue;
    std::string text = StringField(cause, "message");
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 255)
      return ProtocolError(payload, "exit code \"" + text + "\" is not a number 0..255");
    return static_cast<int>(value);
  }
  return ProtocolError(payload, "NonZeroExitCode without an ExitCode cause");
}

}  // namespace

Result<int> ExitCodeFromStatus(std::string_view payload) {
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) return 0;
  // Parse without exceptions: a malformed status must not escape as one.
  json status = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (status.is_discarded() || !status.is_object()) return ProtocolError(payload, "not JSON");
  std::string state = StringField(status, "status");
  if (state == "Success") return 0;
  if (state != "Failure") return ProtocolError(payload, "unknown status \"" + state + "\"");
  if (StringField(status, "reason") == "NonZeroExitCode") return ExitCodeCause(status, payload);
  std::string message = StringField(status, "message");
  if (message.empty()) message = "the server reported a failure without a message";
  return MakeError(ErrorCode::kInternal, message);
}

}  // namespace airlock::cli
