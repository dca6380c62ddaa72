// Command-line parsing for airlock verbs: a small declarative parser in the spirit of
// kubectl/cobra flags (long `--name value` / `--name=value`, short `-n value` / `-nvalue`,
// bundled boolean shorts `-it`, repeated options, `--` ends the flags).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock::cli {

struct OptionSpec {
  std::string name;     // long name without dashes, also the lookup key
  char short_name = 0;  // 0 = no short form
  bool takes_value = false;
  bool repeated = false;   // values accumulate instead of the last one winning
  std::string value_name;  // shown in help, e.g. "SECONDS"
  std::string help;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> values;  // options that take a value
  std::map<std::string, bool> flags;                       // boolean options that were given
  std::vector<std::string> positionals;                    // before `--`
  std::vector<std::string> rest;                           // after `--` (or after the stop point)
  bool help = false;

  bool Flag(const std::string& name) const;
  bool Has(const std::string& name) const;
  // Last value given, or `fallback`.
  std::string Value(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> Values(const std::string& name) const;
};

class ArgParser {
 public:
  // `usage` is the synopsis line, e.g. "airlock rm [-f] CONTAINER|POD...".
  ArgParser(std::string usage, std::string summary);

  ArgParser& Flag(std::string name, char short_name, std::string help);
  ArgParser& Option(std::string name, char short_name, std::string value_name, std::string help);
  ArgParser& Repeated(std::string name, char short_name, std::string value_name, std::string help);
  // Adds `spec` unless an option with the same long or short name already exists; verbs use it
  // to accept global options after the verb without shadowing their own (`stop --timeout`).
  ArgParser& AddIfAbsent(const OptionSpec& spec);
  // The first positional ends option parsing; it and everything after land in `rest`
  // (used for the global part: `airlock [global options] VERB ...`).
  ArgParser& StopAtFirstPositional();

  Result<ParsedArgs> Parse(const std::vector<std::string>& args) const;
  std::string Help() const;
  const std::vector<OptionSpec>& options() const { return options_; }

 private:
  const OptionSpec* FindLong(const std::string& name) const;
  const OptionSpec* FindShort(char c) const;

  std::string usage_;
  std::string summary_;
  std::vector<OptionSpec> options_;
  bool stop_at_first_positional_ = false;
};

// Parses "KEY=VALUE" (value may be empty or contain '='). Error names `what`.
Result<std::pair<std::string, std::string>> ParseKeyValue(const std::string& text,
                                                          const std::string& what);

// Parses a non-negative integer number of seconds, e.g. "--timeout 10".
Result<int64_t> ParseSeconds(const std::string& text, const std::string& what);

}  // namespace airlock::cli
