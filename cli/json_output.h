// `-o json`: CRI response messages printed with protobuf's JSON mapping (camelCase field names,
// every field present), the same shape `crictl -o json` gives, so scripts can share parsers.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "shim/base/result.h"

namespace airlock::cli {

enum class OutputFormat { kTable, kJson };

// "table" (or empty) / "json"; anything else is an error naming the value.
Result<OutputFormat> ParseOutputFormat(const std::string& text);

// Pretty JSON of `message`, ending in a newline.
Result<std::string> ToJson(const google::protobuf::Message& message);

}  // namespace airlock::cli
