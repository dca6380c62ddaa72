#include "streaming/remotecommand_status.h"

#include <cstdio>

namespace airlock::streaming {
namespace {

// "[sh -c exit 3]": Go's fmt %v of a []string, as the peers put it in the message.
std::string GoList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += items[i];
  }
  out += ']';
  return out;
}

std::string NonZeroMessage(int code, const std::vector<std::string>& command) {
  return "command terminated with non-zero exit code: error executing command " +
         GoList(command) + ", exit code " + std::to_string(code);
}

std::string InternalMessage(const std::string& error) {
  return "Internal error occurred: error executing command in container: " + error;
}

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);  // UTF-8 passes through; clients decode it as Go does
        }
    }
  }
}

std::string StatusJson(const SessionOutcome& outcome, const std::vector<std::string>& command) {
  std::string out;
  if (!outcome.error.empty()) {
    out = R"({"status":"Failure","message":")";
    AppendJsonEscaped(out, InternalMessage(outcome.error));
    out += R"(","reason":"InternalError","code":500})";
    return out;
  }
  if (!outcome.exit_code || *outcome.exit_code == 0) return R"({"status":"Success"})";
  const int code = *outcome.exit_code & 0xff;
  out = R"({"status":"Failure","message":")";
  AppendJsonEscaped(out, NonZeroMessage(code, command));
  out += R"(","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":")";
  out += std::to_string(code);
  out += R"("}]}})";
  return out;
}

std::string StatusText(const SessionOutcome& outcome, const std::vector<std::string>& command) {
  if (!outcome.error.empty()) return InternalMessage(outcome.error);
  if (!outcome.exit_code || *outcome.exit_code == 0) return {};
  return NonZeroMessage(*outcome.exit_code & 0xff, command);
}

}  // namespace airlock::streaming
