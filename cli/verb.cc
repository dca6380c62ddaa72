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
      OptionSpec{"server", 0, true, false, "URL",
                 "remote mode: exec through this node's exec API (https://NODE:PORT) "
                 "instead of CRI"},
      OptionSpec{"token", 0, true, false, "TOKEN", "remote mode: bearer token"},
      OptionSpec{"token-file", 0, true, false, "FILE", "remote mode: read the bearer token here"},
      OptionSpec{"certificate-authority", 0, true, false, "FILE",
                 "remote mode: PEM CA that verifies the node (default: the system's)"},
      OptionSpec{"client-certificate", 0, true, false, "FILE",
                 "remote mode: PEM client certificate (mTLS; user = CN, groups = O)"},
      OptionSpec{"client-key", 0, true, false, "FILE", "remote mode: PEM key of it"},
      OptionSpec{"insecure-skip-tls-verify", 0, false, false, "",
                 "remote mode: do not verify the node's certificate"},
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
  for (auto [name, field] :
       {std::pair{"server", &globals->server}, std::pair{"token", &globals->token},
        std::pair{"token-file", &globals->token_file},
        std::pair{"certificate-authority", &globals->certificate_authority},
        std::pair{"client-certificate", &globals->client_certificate},
        std::pair{"client-key", &globals->client_key}}) {
    if (!args.values.count(name)) continue;
    *field = args.Value(name);
    if (field->empty())
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("--") + name + " must not be empty");
  }
  if (args.Flag("insecure-skip-tls-verify")) globals->insecure_skip_tls_verify = true;
  if (!globals->token.empty() && !globals->token_file.empty())
    return MakeError(ErrorCode::kInvalidArgument, "give --token or --token-file, not both");
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
  if (!env.globals.server.empty() && !env.speaks_remote) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--server (remote mode, a node's exec API) works with exec only; this verb "
                     "talks to a CRI runtime: use --runtime-endpoint");
  }
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
