#include "cli/remote_exec.h"

#include "shim/base/file_util.h"

namespace airlock::cli {
namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string Trim(const std::string& s) {
  const char* space = " \t\r\n";
  auto begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

}  // namespace

std::string PercentEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (Unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string NodeExecPath(const RemoteExecRequest& request) {
  std::string path = "/exec/" + PercentEncode(request.namespace_name) + "/" +
                     PercentEncode(request.pod) + "/" + PercentEncode(request.container);
  std::string query;
  auto add = [&query](const std::string& name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + name + "=" + value;
  };
  for (const auto& word : request.command) add("command", PercentEncode(word));
  // The kubelet reads these as true only when "1"; a stream not asked for is left out.
  const ExecStreams& s = request.streams;
  if (s.stdin) add("input", "1");
  if (s.stdout) add("output", "1");
  if (s.stderr && !s.tty) add("error", "1");
  if (s.tty) add("tty", "1");
  return path + query;
}

Result<std::string> NodeExecUrl(const std::string& server, const RemoteExecRequest& request) {
  auto bad = [&server](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "--server \"" + server + "\": " + why);
  };
  auto sep = server.find("://");
  if (sep == std::string::npos) return bad("not a URL (want https://HOST:PORT)");
  std::string scheme = server.substr(0, sep);
  if (scheme != "https" && scheme != "http") return bad("scheme must be https (or http)");
  if (server.find_first_of("?#") != std::string::npos) return bad("no query or fragment allowed");
  std::string base = server;
  while (base.size() > sep + 3 && base.back() == '/') base.pop_back();
  if (base.size() == sep + 3) return bad("no host");
  return base + NodeExecPath(request);
}

Result<std::string> ReadTokenFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.error().Wrap("read --token-file");
  std::string token = Trim(*text);
  if (token.empty())
    return MakeError(ErrorCode::kInvalidArgument, "read --token-file " + path + ": it is empty");
  if (token.find_first_of(" \t\r\n") != std::string::npos)
    return MakeError(ErrorCode::kInvalidArgument,
                     "read --token-file " + path + ": want the token alone on one line");
  return token;
}

Result<StreamExecOptions> RemoteExecOptions(const RemoteServer& server,
                                            const RemoteExecRequest& request,
                                            ExecTransport transport) {
  if (request.pod.empty() || request.container.empty() || request.namespace_name.empty())
    return MakeError(ErrorCode::kInvalidArgument,
                     "remote exec needs a namespace, a pod and a container (-c)");
  if (request.command.empty())
    return MakeError(ErrorCode::kInvalidArgument, "remote exec needs a command");
  auto url = NodeExecUrl(server.url, request);
  if (!url.ok()) return url.error();
  StreamExecOptions options;
  options.url = *url;
  options.transport = transport;
  options.streams = request.streams;
  options.tls = server.tls;
  if (!server.token.empty()) {
    // A bearer token in clear text is as good as a password: plain http would leak it.
    if (url->rfind("https://", 0) != 0)
      return MakeError(ErrorCode::kInvalidArgument,
                       "--server \"" + server.url +
                           "\": a token is only sent over https (it would travel in clear text)");
    options.headers.emplace_back("authorization", "Bearer " + server.token);
  }
  return options;
}

Result<ExecOutcome> RunRemoteExec(const RemoteServer& server, const RemoteExecRequest& request,
                                  ExecTransport transport, const ExecSessionIo& io) {
  auto options = RemoteExecOptions(server, request, transport);
  if (!options.ok()) return options.error();
  auto outcome = RunStreamingExec(*options, io);
  if (outcome.ok()) return outcome;
  Error e = outcome.error();
  // The protocol clients report a refusal as "... answered <status>: <server's text>".
  if (e.message.find("answered 401") != std::string::npos) {
    e.message +=
        " (the node did not accept the credentials: check --token, --token-file or "
        "--client-certificate)";
  }
  return e.Wrap(request.namespace_name + "/" + request.pod + "/" + request.container + " on " +
                server.url);
}

}  // namespace airlock::cli
