// Remote mode of `airlock exec` (issue #6): with --server, exec goes straight to a node's exec
// endpoint instead of through CRI —
//
//   <server>/exec/<namespace>/<pod>/<container>?command=..&input=1&output=1&error=1&tty=1
//
// over TLS (https) with `authorization: Bearer <token>` on every request, or a client
// certificate (mTLS). The node authenticates, authorizes and audits the request; its
// refusals (401, 403, 404, 400) come back as errors carrying the node's own words. A path in
// --server is kept as a prefix, so --server https://NODE:PORT/proxy/nodes/<name> uses the
// API-server-style path. There is no CRI here: the container is named, never looked up.
#pragma once

#include <string>
#include <vector>

#include "cli/exec_protocol.h"
#include "cli/exec_session.h"
#include "cli/stream_exec.h"
#include "cli/tls_dial.h"
#include "shim/base/result.h"

namespace airlock::cli {

struct RemoteServer {
  std::string url;    // --server: "https://node:10250", optionally with a path prefix
  std::string token;  // --token, or what --token-file holds; "" = none (mTLS only)
  TlsDialOptions tls;
};

struct RemoteExecRequest {
  std::string namespace_name = "default";
  std::string pod;
  std::string container;
  std::vector<std::string> command;
  ExecStreams streams;
};

// Percent-encodes every byte outside RFC 3986's unreserved set.
std::string PercentEncode(const std::string& text);

// "/exec/<ns>/<pod>/<container>?command=..&command=..&input=1&output=1&error=1&tty=1": the
// kubelet's parameter names, each enabled stream as "1", disabled ones left out.
std::string NodeExecPath(const RemoteExecRequest& request);

// The server URL with the exec path appended: scheme http or https, no query or fragment.
Result<std::string> NodeExecUrl(const std::string& server, const RemoteExecRequest& request);

// A token file holds the token alone (surrounding whitespace ignored), as kubectl's.
Result<std::string> ReadTokenFile(const std::string& path);

// The StreamExecOptions of one remote exec: URL, authorization header, TLS settings.
Result<StreamExecOptions> RemoteExecOptions(const RemoteServer& server,
                                            const RemoteExecRequest& request,
                                            ExecTransport transport);

// Runs the exec like local `airlock exec` does (exit code through, -i, -t). A refusal is an
// error naming the status and the server's message.
Result<ExecOutcome> RunRemoteExec(const RemoteServer& server, const RemoteExecRequest& request,
                                  ExecTransport transport, const ExecSessionIo& io);

}  // namespace airlock::cli
