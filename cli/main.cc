// airlock: parse the global options, pick the verb, run it, print its error.
// Exit status: 0 on success, 1 on any error ("airlock: <verb>: <message>" on stderr).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/verbs.h"

namespace airlock::cli {
namespace {

struct VerbEntry {
  const char* name;
  const char* summary;
  Status (*run)(const VerbArgs&, VerbEnv&);
};

constexpr VerbEntry kVerbs[] = {
    {"run", "run an image in a new pod", RunVerb},
    {"ps", "list containers", PsVerb},
    {"pods", "list pods", PodsVerb},
    {"exec", "run a command in a container", ExecVerb},
    {"logs", "print a container's logs", LogsVerb},
    {"stop", "stop containers or pods", StopVerb},
    {"rm", "remove containers or pods", RmVerb},
    {"images", "list images", ImagesVerb},
    {"rmi", "remove images", RmiVerb},
    {"image", "image import FILE | image ls | image rm IMAGE", nullptr},
    {"version", "print client and runtime versions", VersionVerb},
};

ArgParser GlobalParser() {
  ArgParser p("airlock [global options] VERB [options] [args]",
              "airlock talks CRI to airlockd (or any CRI runtime). Verbs:");
  for (const auto& spec : GlobalOptionSpecs()) p.AddIfAbsent(spec);
  p.StopAtFirstPositional();
  return p;
}

std::string TopHelp() {
  std::string help = GlobalParser().Help();
  std::string verbs;
  for (const auto& v : kVerbs) {
    std::string name = v.name;
    verbs += "  " + name + std::string(10 - name.size(), ' ') + v.summary + "\n";
  }
  // Verbs go after the summary line, before the options.
  auto at = help.find("\nOptions:");
  help.insert(at, verbs);
  return help + "\nRun 'airlock VERB --help' for a verb's options.\n";
}

// `image import|ls|rm` map onto the verbs; returns nullptr for an unknown subverb.
Status (*ImageSubverb(const std::string& sub))(const VerbArgs&, VerbEnv&) {
  if (sub == "import") return ImageImportVerb;
  if (sub == "ls" || sub == "list") return ImagesVerb;
  if (sub == "rm" || sub == "remove") return RmiVerb;
  return nullptr;
}

int Fail(const std::string& verb, const Error& e) {
  std::cerr << "airlock: " << (verb.empty() ? "" : verb + ": ") << e.message << "\n";
  return 1;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  VerbEnv env{GlobalOptions{}, std::cout, std::cerr, SystemClock::Instance()};
  if (const char* ep = std::getenv("AIRLOCK_RUNTIME_ENDPOINT"); ep != nullptr && *ep != '\0') {
    env.globals.endpoint = ep;
  }

  auto global = GlobalParser().Parse(args);
  if (!global.ok()) return Fail("", global.error());
  if (Status s = ApplyGlobalOptions(*global, &env.globals); !s.ok()) return Fail("", s.error());
  if (global->help || global->rest.empty()) {
    (global->help ? std::cout : std::cerr) << TopHelp();
    return global->help ? 0 : 1;
  }

  std::string verb = global->rest[0];
  VerbArgs verb_args(global->rest.begin() + 1, global->rest.end());
  Status (*run)(const VerbArgs&, VerbEnv&) = nullptr;
  if (verb == "image") {
    if (verb_args.empty() || verb_args[0] == "-h" || verb_args[0] == "--help") {
      std::cout << "Usage: airlock image import FILE [--tag REF] | image ls | image rm IMAGE...\n";
      return verb_args.empty() ? 1 : 0;
    }
    run = ImageSubverb(verb_args[0]);
    if (run == nullptr) {
      return Fail(verb, MakeError(ErrorCode::kInvalidArgument,
                                  "unknown subcommand \"" + verb_args[0] + "\" (import, ls, rm)"));
    }
    verb += " " + verb_args[0];
    verb_args.erase(verb_args.begin());
  } else {
    for (const auto& v : kVerbs) {
      if (verb == v.name) run = v.run;
    }
  }
  if (run == nullptr) {
    return Fail("", MakeError(ErrorCode::kInvalidArgument,
                              "unknown verb \"" + verb + "\" (see airlock --help)"));
  }
  Status s = run(verb_args, env);
  if (!s.ok()) return Fail(verb, s.error());
  return env.exit_code;
}

}  // namespace
}  // namespace airlock::cli

int main(int argc, char** argv) { return airlock::cli::Main(argc, argv); }
