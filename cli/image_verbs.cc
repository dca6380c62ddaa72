// image import / images / rmi: the ImageService verbs.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <ostream>

#include "cli/table.h"
#include "cli/tar_sniff.h"
#include "cli/verbs.h"

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;

Result<std::string> AbsolutePath(const std::string& path) {
  // The daemon opens the file itself, from its own working directory: send a canonical path.
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) {
    return ErrnoError("resolve " + path, errno, ErrorCode::kInvalidArgument);
  }
  std::string abs(buf);
  // ':' separates the transport's fields (oci-archive:PATH:REF); a path with one is ambiguous.
  if (abs.find(':') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "import " + abs + ": path must not contain ':' (rename or link it)");
  }
  return abs;
}

// "registry:5000/a/b:tag" -> {"registry:5000/a/b", "tag"}; "a@sha256:..." -> {"a", "<none>"}.
std::pair<std::string, std::string> SplitRepoTag(const std::string& ref) {
  if (auto at = ref.find('@'); at != std::string::npos) return {ref.substr(0, at), "<none>"};
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return {ref.substr(0, colon), ref.substr(colon + 1)};
  }
  return {ref, "latest"};
}

// What to send RemoveImage for `text`: the full tag when it names one (the daemon then removes
// that name only, and the image with its last name), the full id for an id or a unique id prefix,
// else the text itself so the daemon reports NotFound.
Result<std::string> ResolveImage(const v1::ListImagesResponse& list, const std::string& text) {
  // "busybox" should also find "docker.io/library/busybox:latest", as other tools do.
  std::vector<std::string> names = {text, text + ":latest"};
  for (const char* registry : {"docker.io/library/", "docker.io/"}) {
    names.push_back(registry + text);
    names.push_back(registry + text + ":latest");
  }
  std::vector<const v1::Image*> prefix;
  for (const auto& img : list.images()) {
    if (img.id() == text || img.id() == "sha256:" + text) return img.id();
    for (const auto& tag : img.repo_tags()) {
      if (std::find(names.begin(), names.end(), tag) != names.end()) return tag;
    }
    std::string id = img.id().rfind("sha256:", 0) == 0 ? img.id().substr(7) : img.id();
    if (id.rfind(text, 0) == 0) prefix.push_back(&img);
  }
  if (prefix.size() == 1) return prefix[0]->id();
  if (prefix.size() > 1) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        "\"" + text + "\" matches " + std::to_string(prefix.size()) + " images; use a longer id");
  }
  return text;
}

}  // namespace

Status ImageImportVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock image import [options] FILE",
              "Import an OCI archive or a `docker save` tarball into the daemon's image store\n"
              "and print the image id.");
  p.Option("tag", 0, "REF", "pick the image in the archive by this name and tag it so");
  AddOutputOption(p);
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, 1, p));
  auto format = ParseOutputFormat(a.Value("output"));
  if (!format.ok()) return format.error();

  auto path = AbsolutePath(a.positionals[0]);
  if (!path.ok()) return path.error();
  auto kind = SniffArchive(*path);
  if (!kind.ok()) return kind.error();
  std::string image = std::string(ArchiveTransport(*kind)) + ":" + *path;
  if (a.Has("tag")) image += ":" + a.Value("tag");

  v1::PullImageRequest req;
  req.mutable_image()->set_image(image);
  CriClient client(env.globals.endpoint, env.globals.timeout);
  auto resp = client.PullImage(req);
  if (!resp.ok()) return resp.error().Wrap("import " + image);
  if (*format == OutputFormat::kJson) return PrintJson(*resp, env);
  env.out << resp->image_ref() << "\n";
  return Status::Ok();
}

Status ImagesVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock images [options]", "List the images in the daemon's store.");
  AddOutputOption(p);
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 0, 0, p));
  auto format = ParseOutputFormat(a.Value("output"));
  if (!format.ok()) return format.error();

  CriClient client(env.globals.endpoint, env.globals.timeout);
  auto list = client.ListImages();
  if (!list.ok()) return list.error().Wrap("list images");
  if (*format == OutputFormat::kJson) return PrintJson(*list, env);

  Table t({"IMAGE", "TAG", "IMAGE ID", "SIZE"});
  for (const auto& img : list->images()) {
    const std::string id = ShortId(img.id());
    const std::string size = FormatSize(img.size());
    if (img.repo_tags().empty()) {
      std::string repo = "<none>";
      if (!img.repo_digests().empty()) repo = SplitRepoTag(img.repo_digests(0)).first;
      t.AddRow({repo, "<none>", id, size});
    }
    for (const auto& tag : img.repo_tags()) {
      auto [repo, version] = SplitRepoTag(tag);
      t.AddRow({repo, version, id, size});
    }
  }
  env.out << t.Render();
  return Status::Ok();
}

Status RmiVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock rmi [options] IMAGE...",
              "Remove images. By name: that name goes, and the image with its last name.\n"
              "By id or id prefix: the image with all its names.");
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, SIZE_MAX, p));

  CriClient client(env.globals.endpoint, env.globals.timeout);
  auto list = client.ListImages();
  if (!list.ok()) return list.error().Wrap("list images");
  std::string failures;
  for (const auto& text : a.positionals) {
    auto id = ResolveImage(*list, text);
    Status s = id.ok() ? client.RemoveImage(*id) : Status(id.error());
    if (s.ok()) {
      env.out << "Deleted: " << *id << "\n";
    } else {
      failures +=
          (failures.empty() ? "" : "; ") + ("remove image " + text + ": ") + s.error().message;
    }
  }
  if (!failures.empty()) return MakeError(ErrorCode::kInternal, failures);
  return Status::Ok();
}

}  // namespace airlock::cli
