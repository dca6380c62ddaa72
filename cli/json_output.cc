#include "cli/json_output.h"

#include <google/protobuf/util/json_util.h>

namespace airlock::cli {

Result<OutputFormat> ParseOutputFormat(const std::string& text) {
  if (text.empty() || text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  return MakeError(ErrorCode::kInvalidArgument,
                   "parse --output \"" + text + "\": want table or json");
}

Result<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  // A stable shape for scripts: zero values are printed instead of silently missing.
  options.always_print_primitive_fields = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return MakeError(ErrorCode::kInternal, "encode " + message.GetTypeName() +
                                               " as JSON: " + std::string(status.message()));
  }
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

}  // namespace airlock::cli
