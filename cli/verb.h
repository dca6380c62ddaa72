// What every verb shares: the global options, the streams it writes to, the clock for ages,
// and one way to parse its arguments (verb options + global options, -h/--help).
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/cri_client.h"
#include "cli/json_output.h"
#include "shim/base/clock.h"
#include "shim/base/result.h"

namespace airlock::cli {

struct GlobalOptions {
  std::string endpoint = kDefaultEndpoint;
  std::optional<std::chrono::seconds> timeout;  // unset: each RPC's own default deadline
  // Remote mode (--server): exec goes to a node's exec endpoint, not through CRI.
  std::string server;
  std::string token;  // --token, or read from --token-file
  std::string token_file;
  std::string certificate_authority;
  std::string client_certificate;
  std::string client_key;
  bool insecure_skip_tls_verify = false;
};

// --runtime-endpoint, --timeout and the remote-mode options (--server, --token, ...): accepted
// before the verb and, unless the verb defines the same option (stop --timeout is the grace
// period), after it.
std::vector<OptionSpec> GlobalOptionSpecs();
// Applies the global options found in `args` on top of `globals` (flag beats environment).
Status ApplyGlobalOptions(const ParsedArgs& args, GlobalOptions* globals);

struct VerbEnv {
  GlobalOptions globals;
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
  // The process exit status when the verb succeeds (exec passes the command's through).
  int exit_code = 0;
  // Set by the verbs that have a remote mode (exec); the others refuse --server rather than
  // quietly talking to the local runtime instead of the node the user named.
  bool speaks_remote = false;
};

// Parses a verb's arguments. Returns nullopt after printing the help when -h/--help was given.
Result<std::optional<ParsedArgs>> ParseVerbArgs(ArgParser parser,
                                                const std::vector<std::string>& args, VerbEnv& env);

// The --output/-o option the listing verbs share.
void AddOutputOption(ArgParser& parser);

// Prints `message` as JSON to env.out.
Status PrintJson(const google::protobuf::Message& message, VerbEnv& env);

// Verbs that take exactly N positionals.
Status ExpectPositionals(const ParsedArgs& args, size_t min, size_t max, const ArgParser& parser);

}  // namespace airlock::cli
