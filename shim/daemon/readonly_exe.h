// Run airlockd from a read-only bind mount of its own binary.
//
// Exec children are cloned from airlockd and share its memory image, so until their
// execve completes, /proc/self/exe names airlockd's binary. A container file starting with
// "#!/proc/self/exe" (or an ELF whose interpreter is that path) makes the kernel load the
// airlockd binary inside the container, where code from the container's own libraries runs
// and can keep a handle on /proc/self/exe to overwrite the host binary later
// (CVE-2019-5736 against runc). Re-executing airlockd from a read-only bind mount makes every
// such handle refuse writes (EROFS), at no memory cost (runc 1.1 copies itself to a memfd).
#pragma once

#include <string>

#include "shim/base/result.h"

namespace airlock {

// Call early in main, before any thread starts. If airlockd does not yet run from a
// read-only mount, bind-mounts /proc/self/exe read-only at <state>/bin/airlockd and
// re-executes from there (does not return on success). `original_dir` is where the binary
// really lives (helpers are found beside it); after the re-exec it comes back through the
// environment. Returns the directory to use as "beside airlockd".
Result<std::string> RunFromReadOnlyExe(const std::string& state_dir, char** argv);

}  // namespace airlock
