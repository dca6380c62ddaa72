// Tells an OCI image layout archive from a `docker save` archive by the member names in the
// tar, without unpacking it: only the 512-byte headers are read, bodies are skipped with
// lseek, so a multi-GiB image is sniffed in a few reads.
#pragma once

#include <string>
#include <vector>

#include "shim/base/result.h"

namespace airlock::cli {

enum class ArchiveKind { kOciArchive, kDockerArchive };

// "oci-archive" / "docker-archive": the transport prefix PullImage understands.
const char* ArchiveTransport(ArchiveKind kind);

// Member names of a ustar/GNU/PAX tar, in order, normalised ("./index.json" -> "index.json").
// GNU long names ('L') and PAX `path=` records are honoured. Compressed input is rejected
// with a message saying so, because the daemon receives the path, not the bytes.
Result<std::vector<std::string>> ListTarMembers(const std::string& path);

// oci-layout or index.json at the top level -> OCI; else manifest.json -> docker; else error.
// Docker 25+ writes both layouts into one tarball; the OCI reading is preferred there because
// it is the standard one and carries the tag in index.json annotations.
Result<ArchiveKind> ClassifyMembers(const std::vector<std::string>& members);

Result<ArchiveKind> SniffArchive(const std::string& path);

}  // namespace airlock::cli
