#include "cli/verb.h"

#include <ostream>

namespace airlock::cli {

std::vector<OptionSpec> GlobalOptionSpecs() {
  return {
      OptionSpec{"runtime-endpoint", 0, true, false, "URL",
                 std::string("CRI endpoint (env AIRLOCK_RUNTIME_ENDPOINT; default ") +
                     kDefaultEndpoint + ")"},
      OptionSpec{"timeout", 0, true, false, "SECONDS",
                 "deadline of each call to the daemon (default: 30, image import 600)"},
  };
}

Status ApplyGlobalOptions(const ParsedArgs& args, GlobalOptions* globals) {
  if (args.values.count("runtime-endpoint")) {
    globals->endpoint = args.Value("runtime-endpoint");
    if (globals->endpoint.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "--runtime-endpoint must not be empty");
    }
  }
  if (args.values.count("timeout")) {
    auto s = ParseSeconds(args.Value("timeout"), "--timeout");
    if (!s.ok()) return s.error();
    if (*s == 0) return MakeError(ErrorCode::kInvalidArgument, "--timeout must be at least 1");
    globals->timeout = std::chrono::seconds(*s);
  }
  return Status::Ok();
}

Result<std::optional<ParsedArgs>> ParseVerbArgs(ArgParser parser,
                                                const std::vector<std::string>& args,
                                                VerbEnv& env) {
  // Global options after the verb are only honoured where the verb does not use the name.
  std::vector<std::string> own;
  for (const auto& o : parser.options()) own.push_back(o.name);
  for (const auto& g : GlobalOptionSpecs()) parser.AddIfAbsent(g);
  auto parsed = parser.Parse(args);
  if (!parsed.ok()) return parsed.error();
  if (parsed->help) {
    env.out << parser.Help();
    return std::optional<ParsedArgs>();
  }
  ParsedArgs globals_only = *parsed;
  for (const auto& name : own) globals_only.values.erase(name);
  AIRLOCK_RETURN_IF_ERROR(ApplyGlobalOptions(globals_only, &env.globals));
  return std::optional<ParsedArgs>(std::move(*parsed));
}

void AddOutputOption(ArgParser& parser) {
  parser.Option("output", 'o', "FORMAT", "table (default) or json");
}

Status PrintJson(const google::protobuf::Message& message, VerbEnv& env) {
  auto json = ToJson(message);
  if (!json.ok()) return json.error();
  env.out << *json;
  return Status::Ok();
}

Status ExpectPositionals(const ParsedArgs& args, size_t min, size_t max, const ArgParser& parser) {
  size_t n = args.positionals.size();
  if (n >= min && n <= max) return Status::Ok();
  std::string want = min == max ? std::to_string(min) : std::to_string(min) + " or more";
  std::string usage = parser.Help().substr(0, parser.Help().find('\n'));
  return MakeError(ErrorCode::kInvalidArgument,
                   "want " + want + " argument(s), got " + std::to_string(n) + " (" + usage + ")");
}

}  // namespace airlock::cli
