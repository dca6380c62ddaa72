// version: the client's own version, then what the daemon reports (CRI Version).
#include <ostream>

#include "cli/verbs.h"

namespace airlock::cli {

Status VersionVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock version [options]", "Print the client version and the runtime's version.");
  AddOutputOption(p);
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 0, 0, p));
  auto format = ParseOutputFormat(a.Value("output"));
  if (!format.ok()) return format.error();

  // The client's version is printed before asking the daemon: useful even when it is down.
  if (*format == OutputFormat::kTable) env.out << "ClientVersion:  " << AIRLOCK_VERSION << "\n";
  CriClient client(env.globals.endpoint, env.globals.timeout);
  auto v = client.Version();
  if (!v.ok()) return v.error().Wrap("query runtime version");
  if (*format == OutputFormat::kJson) return PrintJson(*v, env);
  env.out << "Version:  " << v->version() << "\n"
          << "RuntimeName:  " << v->runtime_name() << "\n"
          << "RuntimeVersion:  " << v->runtime_version() << "\n"
          << "RuntimeApiVersion:  " << v->runtime_api_version() << "\n";
  return Status::Ok();
}

}  // namespace airlock::cli
