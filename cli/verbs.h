// One function per verb; main.cc maps the words on the command line to these.
// Each parses its own arguments (ParseVerbArgs) and returns a Status that main prints as
// "airlock: <verb>: <message>".
#pragma once

#include <string>
#include <vector>

#include "cli/verb.h"

namespace airlock::cli {

using VerbArgs = std::vector<std::string>;

Status VersionVerb(const VerbArgs& args, VerbEnv& env);  // version_verb.cc

Status ImageImportVerb(const VerbArgs& args, VerbEnv& env);  // image_verbs.cc
Status ImagesVerb(const VerbArgs& args, VerbEnv& env);
Status RmiVerb(const VerbArgs& args, VerbEnv& env);

Status RunVerb(const VerbArgs& args, VerbEnv& env);  // run_verb.cc

Status PodsVerb(const VerbArgs& args, VerbEnv& env);  // list_verbs.cc
Status PsVerb(const VerbArgs& args, VerbEnv& env);

Status StopVerb(const VerbArgs& args, VerbEnv& env);  // lifecycle_verbs.cc
Status RmVerb(const VerbArgs& args, VerbEnv& env);

Status LogsVerb(const VerbArgs& args, VerbEnv& env);

Status ExecVerb(const VerbArgs& args, VerbEnv& env);  // exec_verb.cc  // logs_verb.cc

}  // namespace airlock::cli
