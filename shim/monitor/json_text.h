// The little JSON the monitor speaks: it writes flat objects (sync report, exit file) and reads
// the "msg" of the runtime's JSON log lines. Not a general parser on purpose: the monitor stays
// free of exceptions and of a JSON library.
#pragma once

#include <string>
#include <string_view>

namespace airlock::monitor {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string_view text, std::string* out);

// runc/crun `--log-format json` lines: {"level":"error","msg":"...","time":"..."}. Returns the
// msg of every error/fatal line joined with "; ", or "" when there is none.
std::string ExtractRuntimeErrors(std::string_view json_lines);

}  // namespace airlock::monitor
