// ImageReference: a parsed, normalized image name as the CRI peers spell it
// ("busybox" -> "docker.io/library/busybox:latest"). Grammar from distribution/reference.
#pragma once

#include <string>
#include <string_view>

#include "shim/base/result.h"

namespace airlock {

struct ImageReference {
  std::string domain;  // "docker.io", "registry:5000", "localhost"
  std::string path;    // "library/busybox"
  std::string tag;     // empty only when a digest is given
  std::string digest;  // "sha256:<64 hex>" or empty

  // "docker.io/library/busybox"
  std::string Repository() const { return domain + "/" + path; }
  // "docker.io/library/busybox:latest", "registry:5000/x@sha256:..." (tag and digest when both).
  std::string String() const;
  // "repo:tag", empty without a tag: the form stored in an image's repo_tags.
  std::string TagString() const { return tag.empty() ? "" : Repository() + ":" + tag; }
};

// Parses and normalizes `text`. A missing domain becomes docker.io (plus "library/" for
// single-component names), a missing tag becomes "latest" unless a digest is present.
// Rejects upper-case repositories, bad tags, non-sha256 digests and bare 64-hex names
// (those are image ids, not names).
Result<ImageReference> ParseImageReference(std::string_view text);

}  // namespace airlock
