// The node exec endpoint's URL, read as the kubelet reads it (mission-anchors §2.5):
//
//   /exec/<namespace>/<pod>/<container>?command=date&command=-u&input=1&output=1&error=1&tty=1
//   /exec/<namespace>/<pod>/<pod-uid>/<container>?...
//   /proxy/nodes/<node>/exec/<namespace>/<pod>[/<pod-uid>]/<container>?...
//
// The second form is what a client sends to the cluster API server's node proxy; this node
// accepts it when <node> is its own name. Segments are percent-decoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"

namespace airlock::nodeapi {

struct NodeExecPath {
  std::string node;  // from the proxy form; "" for /exec/...
  std::string namespace_name;
  std::string pod;
  std::string pod_uid;  // "" when the path has none
  std::string container;
};

struct NodeExecOptions {
  std::vector<std::string> command;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  bool tty = false;
};

// True for the prefixes of the node API ("/exec/<a>/<b>/..." with at least three segments,
// "/proxy/nodes/..."). A CRI token URL "/exec/<token>" has one segment and is not one.
bool IsNodeExecPath(std::string_view path);

// kNotFound when the path is not one of the shapes above, names another node
// (`node_name`), or a segment is empty or not a valid name after decoding;
// kInvalidArgument for a broken percent-escape.
Result<NodeExecPath> ParseNodeExecPath(std::string_view path, std::string_view node_name);

// The query's options, kInvalidArgument (answered 400) with the kubelet's wording when:
// no `command`, or none of stdin/stdout/stderr. Parameter names and truth values:
//  - kubelet names `input`, `output`, `error`, `tty`: true only for the value "1" (kubelet
//    pkg/kubelet/cri/streaming/remotecommand/httpstream.go NewOptions:
//    `req.FormValue(api.ExecTTYParam) == "1"`; FormValue takes the first value);
//  - public API names `stdin`, `stdout`, `stderr` (PodExecOptions, as `kubectl` and client
//    libraries send them to the API server): false only for "0" or "false" (any case), any
//    other value, even empty, is true (apimachinery runtime/conversion.go
//    Convert_Slice_string_To_bool). A request that uses any of these names reads `tty` with
//    the same rule, since the public API calls it `tty` too;
//  - `command` repeats, one argv element each, in order (url.Values()["command"]).
// tty forces stderr off (NewOptions: logged, not an error). '+' decodes to a space, as Go's
// url.ParseQuery does; a broken percent-escape is kInvalidArgument.
Result<NodeExecOptions> ParseNodeExecQuery(std::string_view query);

// Percent-decoding; `plus_is_space` for query components (application/x-www-form-urlencoded).
Result<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace airlock::nodeapi
