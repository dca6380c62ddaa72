// Fuzz target: HttpRequestParser (the request head before an upgrade).
//
// Input: one control byte (limits and split key), then the bytes a client sends. The parser
// is used as the connection uses it — the whole buffer so far, growing, on every call — and
// the outcome must equal the one-shot parse of the full buffer: how reads split a head must
// not change what it means. A parsed head must describe itself consistently (path + query
// rebuild the target, head_bytes within the buffer and the limit, a Host on 1.1).
#include <cstdint>
#include <string>

#include "streaming/http_request.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using airlock::streaming::HttpLimits;
using airlock::streaming::HttpRequestParser;
using State = HttpRequestParser::State;

void CheckDone(const airlock::streaming::HttpRequest& req, std::string_view buffered,
               const HttpLimits& limits) {
  FUZZ_CHECK(req.head_bytes > 0 && req.head_bytes <= buffered.size(), "head_bytes %zu of %zu",
             req.head_bytes, buffered.size());
  FUZZ_CHECK(req.head_bytes <= limits.max_head_bytes, "head of %zu bytes, limit %zu",
             req.head_bytes, limits.max_head_bytes);
  FUZZ_CHECK(buffered[req.head_bytes - 1] == '\n', "the head does not end at a line end");
  FUZZ_CHECK(!req.method.empty(), "empty method");
  FUZZ_CHECK(req.version == 10 || req.version == 11, "version %d", req.version);
  FUZZ_CHECK(!req.path.empty() && req.path[0] == '/', "path \"%s\"", req.path.c_str());
  const std::string rebuilt =
      req.path + (req.target.find('?') != std::string::npos ? "?" + req.query : "");
  FUZZ_CHECK(rebuilt == req.target, "path+query \"%s\" != target \"%s\"", rebuilt.c_str(),
             req.target.c_str());
  FUZZ_CHECK(req.headers.size() <= limits.max_header_count, "%zu headers", req.headers.size());
  FUZZ_CHECK(req.headers.Count("host") <= 1, "several Host headers accepted");
  FUZZ_CHECK(req.version == 10 || req.headers.Has("HOST"), "1.1 without Host accepted");
}

std::string Describe(const HttpRequestParser::Outcome& out) {
  switch (out.state) {
    case State::kNeedMore:
      return "need more";
    case State::kError:
      return "error " + std::to_string(out.error.status) + " " + out.error.reason;
    case State::kDone:
      break;
  }
  std::string s = "done " + out.request.method + " " + out.request.target + " v" +
                  std::to_string(out.request.version) + " " +
                  std::to_string(out.request.head_bytes);
  for (const auto& [name, value] : out.request.headers.fields()) s += "\n" + name + ": " + value;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  airlock::fuzz::FuzzInput input(data, size);
  const uint8_t key = input.TakeByte();
  HttpLimits limits;
  if (key & 0x80) {
    limits.max_head_bytes = 256;
    limits.max_header_count = 4;
  }
  const std::string_view bytes = input.rest();

  const HttpRequestParser::Outcome whole = airlock::streaming::ParseHttpRequestHead(bytes, limits);
  if (whole.state == State::kDone) CheckDone(whole.request, bytes, limits);
  if (whole.state == State::kError) {
    FUZZ_CHECK(whole.error.status >= 400 && whole.error.status < 600, "status %d",
               whole.error.status);
    FUZZ_CHECK(!whole.error.reason.empty(), "error without a reason");
  }

  // The same bytes arriving in reads of several sizes.
  HttpRequestParser parser(limits);
  HttpRequestParser::Outcome last;
  size_t end = 0;
  for (std::string_view piece : airlock::fuzz::SplitPieces(bytes, key, 6)) {
    end += piece.size();
    last = parser.Parse(bytes.substr(0, end));
    if (last.state != State::kNeedMore) break;
  }
  // Tolerated: a head the one-shot parse refuses may still "need more" when it trickles in.
  // Beast looks for the end of a head as CRLF CRLF once it has seen a partial one, so a
  // bare-LF head waits for the size limit (or the server's head timeout) instead of a quick
  // 400; it is refused either way (seed bare_lf_split).
  if (whole.state == State::kError && last.state == State::kNeedMore) return 0;
  // Both refused: the reason may differ (a malformed line met early in pieces is reported
  // as the size limit when Beast waits for more), the answer must not.
  if (whole.state == State::kError && last.state == State::kError) {
    FUZZ_CHECK(whole.error.status == last.error.status, "split changed the status: %d vs %d",
               whole.error.status, last.error.status);
    return 0;
  }
  FUZZ_CHECK(Describe(whole) == Describe(last), "split changed the outcome:\nwhole: %s\nsplit: %s",
             Describe(whole).c_str(), Describe(last).c_str());
  return 0;
}
