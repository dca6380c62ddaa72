#include "cli/spdy_exec_client.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace airlock::cli {
namespace {

using streaming::SpdyControlType;
using streaming::SpdyFrameHeader;

// Offered most preferred first; the server picks the first one it supports.
constexpr const char* kOfferedProtocols[] = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                             "v2.channel.k8s.io", "channel.k8s.io"};
// A status is a few hundred bytes; a server that sends more is broken.
constexpr size_t kMaxStatusBytes = 64 * 1024;
// Control frames are buffered whole; ours are tiny, and a header block beyond this is abuse.
constexpr uint32_t kMaxControlPayload = 256 * 1024;

Error Broken(const std::string& why) {
  return MakeError(ErrorCode::kUnavailable, "read spdy from the streaming server: " + why);
}

}  // namespace

SpdyExecClient::SpdyExecClient(ExecTarget target, ExecStreams streams,
                               std::optional<TerminalSize> initial_size,
                               streaming::SpdyHeaderDeflater deflater,
                               streaming::SpdyHeaderInflater inflater)
    : target_(std::move(target)),
      streams_(streams),
      initial_size_(initial_size),
      deflater_(std::move(deflater)),
      inflater_(std::move(inflater)) {}

SpdyExecClient::~SpdyExecClient() = default;

Result<std::unique_ptr<SpdyExecClient>> SpdyExecClient::Create(
    ExecTarget target, ExecStreams streams, std::optional<TerminalSize> initial_size) {
  auto deflater = streaming::SpdyHeaderDeflater::Create();
  if (!deflater.ok()) return deflater.error().Wrap("create spdy client");
  auto inflater = streaming::SpdyHeaderInflater::Create();
  if (!inflater.ok()) return inflater.error().Wrap("create spdy client");
  return std::unique_ptr<SpdyExecClient>(new SpdyExecClient(
      std::move(target), streams, initial_size, std::move(*deflater), std::move(*inflater)));
}

Status SpdyExecClient::Start() {
  output_ += "POST " + target_.path + " HTTP/1.1\r\n";
  output_ += "Host: " + target_.authority + "\r\n";
  for (const auto& [name, value] : target_.headers) output_ += name + ": " + value + "\r\n";
  output_ +=
      "Connection: Upgrade\r\n"
      "Upgrade: SPDY/3.1\r\n";
  // One line per protocol, as client-go sends them.
  for (const char* p : kOfferedProtocols)
    output_ += std::string("X-Stream-Protocol-Version: ") + p + "\r\n";
  output_ += "User-Agent: airlock\r\nContent-Length: 0\r\n\r\n";
  return Status::Ok();
}

Status SpdyExecClient::CheckUpgrade(const UpgradeResponse& response) {
  const std::string op = "upgrade to spdy";
  if (response.status != 101) return UpgradeRefused(op, response);
  if (!HeaderHasToken(response.headers, "Connection", "upgrade") ||
      !HeaderHasToken(response.headers, "Upgrade", "spdy/3.1"))
    return MakeError(ErrorCode::kUnavailable,
                     op + ": the 101 answer lacks Connection: Upgrade / Upgrade: SPDY/3.1");
  protocol_ = std::string(response.headers.Get("X-Stream-Protocol-Version").value_or(""));
  // client-go: no protocol in the answer means the oldest one.
  if (protocol_.empty()) protocol_ = "channel.k8s.io";
  static constexpr int kVersions[] = {4, 3, 2, 1};
  for (size_t i = 0; i < std::size(kOfferedProtocols); ++i) {
    if (protocol_ == kOfferedProtocols[i]) version_ = kVersions[i];
  }
  if (version_ == 0)
    return MakeError(ErrorCode::kUnavailable, op + ": the server chose protocol \"" + protocol_ +
                                                  "\", which we did not offer");
  return Status::Ok();
}

Status SpdyExecClient::Open(Role role, uint32_t* id) {
  auto block = deflater_.Compress({{"streamtype", streaming::StreamTypeName(role)}});
  if (!block.ok()) return block.error().Wrap(std::string("open ") + streaming::StreamTypeName(role) + " stream");
  uint32_t stream_id = next_stream_id_;
  next_stream_id_ += 2;
  streaming::AppendSpdySynStream(output_, streaming::SpdySynStreamPrefix{stream_id, 0, 0, 0}, 0,
                                 *block);
  streams_by_id_[stream_id].role = role;
  if (id != nullptr) *id = stream_id;
  return Status::Ok();
}

Status SpdyExecClient::OpenStreams() {
  // The order client-go uses; servers count streams by role, some expect error first.
  AIRLOCK_RETURN_IF_ERROR(Open(Role::kError, nullptr));
  if (streams_.stdin) AIRLOCK_RETURN_IF_ERROR(Open(Role::kStdin, &stdin_id_));
  if (streams_.stdout) AIRLOCK_RETURN_IF_ERROR(Open(Role::kStdout, nullptr));
  if (streams_.stderr && !streams_.tty) AIRLOCK_RETURN_IF_ERROR(Open(Role::kStderr, nullptr));
  // Resizing came with v3; an older server would not count the stream.
  if (streams_.tty && version_ >= 3) {
    AIRLOCK_RETURN_IF_ERROR(Open(Role::kResize, &resize_id_));
    if (initial_size_) AIRLOCK_RETURN_IF_ERROR(SendResize(*initial_size_));
  }
  return Status::Ok();
}

bool SpdyExecClient::Ready() const {
  if (!upgraded_) return false;
  return std::all_of(streams_by_id_.begin(), streams_by_id_.end(),
                     [](const auto& entry) { return entry.second.replied; });
}

bool SpdyExecClient::Finished() const {
  if (!upgraded_) return false;
  return std::all_of(streams_by_id_.begin(), streams_by_id_.end(), [](const auto& entry) {
    Role r = entry.second.role;
    bool output = r == Role::kError || r == Role::kStdout || r == Role::kStderr;
    return !output || entry.second.ended;
  });
}

void SpdyExecClient::EmitData(uint32_t id, Stream& stream, std::string_view bytes, bool fin) {
  // A DATA frame's length has 24 bits.
  while (bytes.size() > streaming::kSpdyMaxPayload) {
    streaming::AppendSpdyData(output_, id, 0, bytes.substr(0, streaming::kSpdyMaxPayload));
    bytes.remove_prefix(streaming::kSpdyMaxPayload);
  }
  if (!bytes.empty() || fin)
    streaming::AppendSpdyData(output_, id, fin ? streaming::kSpdyFlagFin : 0, bytes);
  if (fin) stream.local_fin = true;
}

Status SpdyExecClient::QueueData(uint32_t id, std::string_view bytes, bool fin) {
  auto it = streams_by_id_.find(id);
  if (id == 0 || it == streams_by_id_.end()) return Status::Ok();  // not requested
  Stream& s = it->second;
  // After our FIN or the server's reset the stream takes nothing more; dropping is what a
  // closed pipe would do, and the session learns the outcome from the status.
  if (s.local_fin || s.fin_pending || s.reset) return Status::Ok();
  if (!s.replied) {
    s.pending.append(bytes);
    s.fin_pending = fin;
    return Status::Ok();
  }
  EmitData(id, s, bytes, fin);
  return Status::Ok();
}

Status SpdyExecClient::SendStdin(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();  // an empty DATA frame would mean nothing
  return QueueData(stdin_id_, bytes, false);
}

Status SpdyExecClient::CloseStdin() { return QueueData(stdin_id_, {}, true); }

Status SpdyExecClient::SendResize(TerminalSize size) {
  if (!streams_.tty) return Status::Ok();
  if (!upgraded_) {
    initial_size_ = size;  // the latest size before the streams exist goes first
    return Status::Ok();
  }
  const std::string line = ResizeMessage(size);
  return QueueData(resize_id_, line, false);
}

Status SpdyExecClient::Feed(std::string_view bytes, ExecProtocolEvents& events) {
  events_ = &events;
  Status result = Status::Ok();
  if (upgraded_) {
    result = FeedFrames(bytes);
  } else {
    auto rest = FeedUpgradeAnswer(upgrade_, bytes,
                                  [this](const UpgradeResponse& r) { return CheckUpgrade(r); });
    if (!rest.ok()) {
      result = rest.error();
    } else if (*rest) {
      upgraded_ = true;
      result = OpenStreams();
      if (result.ok()) result = FeedFrames(**rest);
    }
  }
  events_ = nullptr;
  return result;
}

Status SpdyExecClient::FeedFrames(std::string_view bytes) {
  while (!bytes.empty()) {
    if (data_remaining_ > 0) {
      size_t n = std::min<size_t>(data_remaining_, bytes.size());
      data_remaining_ -= static_cast<uint32_t>(n);
      AIRLOCK_RETURN_IF_ERROR(HandleData(header_.stream_id, bytes.substr(0, n)));
      bytes.remove_prefix(n);
      if (data_remaining_ == 0 && (header_.flags & streaming::kSpdyFlagFin) != 0)
        EndStream(header_.stream_id);
      continue;
    }
    if (!have_header_) {
      size_t n = std::min(streaming::kSpdyFrameHeaderSize - frame_buf_.size(), bytes.size());
      frame_buf_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (frame_buf_.size() < streaming::kSpdyFrameHeaderSize) break;
      header_ = streaming::DecodeSpdyFrameHeader(frame_buf_);
      frame_buf_.clear();
      if (!header_.control) {
        // DATA: passed through as it arrives; an empty one may still carry FIN.
        data_remaining_ = header_.length;
        if (data_remaining_ == 0 && (header_.flags & streaming::kSpdyFlagFin) != 0)
          EndStream(header_.stream_id);
        continue;
      }
      if (header_.length > kMaxControlPayload)
        return Broken(std::string("a ") + streaming::SpdyControlTypeName(header_.type) +
                      " frame of " + std::to_string(header_.length) + " bytes");
      have_header_ = true;
    }
    size_t n = std::min(header_.length - frame_buf_.size(), bytes.size());
    frame_buf_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (frame_buf_.size() < header_.length) break;
    have_header_ = false;
    std::string payload = std::move(frame_buf_);
    frame_buf_.clear();
    AIRLOCK_RETURN_IF_ERROR(HandleControl(header_, payload));
  }
  if (Finished()) return Conclude();
  return Status::Ok();
}

Status SpdyExecClient::HandleData(uint32_t id, std::string_view bytes) {
  auto it = streams_by_id_.find(id);
  if (it == streams_by_id_.end() || it->second.ended) return Status::Ok();
  switch (it->second.role) {
    case Role::kStdout:
      if (events_ != nullptr) events_->OnStdout(bytes);
      break;
    case Role::kStderr:
      if (events_ != nullptr) events_->OnStderr(bytes);
      break;
    case Role::kError:
      if (status_raw_.size() + bytes.size() > kMaxStatusBytes)
        return Broken("the error stream exceeds 64 KiB");
      status_raw_.append(bytes);
      break;
    case Role::kStdin:
    case Role::kResize:
      break;  // the server has nothing to say on these
  }
  return Status::Ok();
}

void SpdyExecClient::EndStream(uint32_t id) {
  auto it = streams_by_id_.find(id);
  if (it != streams_by_id_.end()) it->second.ended = true;
}

Status SpdyExecClient::HandleControl(const SpdyFrameHeader& header, std::string_view payload) {
  switch (static_cast<SpdyControlType>(header.type)) {
    case SpdyControlType::kSynReply:
    case SpdyControlType::kHeaders: {
      auto id = streaming::DecodeSpdyStreamIdPrefix(payload);
      if (!id.ok()) return Broken(id.error().message);
      // Every header block goes through the inflater, or its state drifts from the server's.
      std::string_view block = payload.substr(streaming::kSpdyStreamIdPrefixSize);
      if (!block.empty()) {
        auto headers = inflater_.Decompress(block);
        if (!headers.ok()) return Broken(headers.error().message);
      }
      auto it = streams_by_id_.find(*id);
      if (it == streams_by_id_.end()) return Status::Ok();
      Stream& s = it->second;
      if (header.type == static_cast<uint16_t>(SpdyControlType::kSynReply) && !s.replied) {
        s.replied = true;
        if (!s.pending.empty() || s.fin_pending) {
          std::string pending = std::move(s.pending);
          s.pending.clear();
          bool fin = s.fin_pending;
          s.fin_pending = false;
          EmitData(*id, s, pending, fin);
        }
      }
      if ((header.flags & streaming::kSpdyFlagFin) != 0) s.ended = true;
      return Status::Ok();
    }
    case SpdyControlType::kSynStream: {
      auto prefix = streaming::DecodeSpdySynStreamPrefix(payload);
      if (!prefix.ok()) return Broken(prefix.error().message);
      auto headers = inflater_.Decompress(payload.substr(streaming::kSpdySynStreamPrefixSize));
      if (!headers.ok()) return Broken(headers.error().message);
      // remotecommand servers open no streams; refuse one politely.
      streaming::AppendSpdyRstStream(output_, prefix->stream_id,
                                     streaming::SpdyRstStatus::kRefusedStream);
      return Status::Ok();
    }
    case SpdyControlType::kRstStream: {
      auto rst = streaming::DecodeSpdyRstStream(payload);
      if (!rst.ok()) return Broken(rst.error().message);
      auto it = streams_by_id_.find(rst->stream_id);
      if (it == streams_by_id_.end()) return Status::Ok();
      Stream& s = it->second;
      if (!s.replied)
        return MakeError(ErrorCode::kUnavailable,
                         std::string("open ") + streaming::StreamTypeName(s.role) +
                             " stream: the streaming server refused it (RST_STREAM status " +
                             std::to_string(rst->status) + ")");
      // After the output, servers reset every stream on the way out: that is an end.
      s.ended = true;
      s.reset = true;
      return Status::Ok();
    }
    case SpdyControlType::kPing: {
      auto id = streaming::DecodeSpdyPing(payload);
      if (!id.ok()) return Broken(id.error().message);
      // Even ids are the server's own pings: echo them. Odd ones would answer ours.
      if (*id % 2 == 0) streaming::AppendSpdyPing(output_, *id);
      return Status::Ok();
    }
    case SpdyControlType::kGoAway: {
      auto goaway = streaming::DecodeSpdyGoAway(payload);
      if (!goaway.ok()) return Broken(goaway.error().message);
      // spdystream drains what arrived, then ends every stream's read side: so do we.
      for (auto& [id, s] : streams_by_id_) s.ended = true;
      return Status::Ok();
    }
    default:
      // SETTINGS and WINDOW_UPDATE carry nothing Kubernetes uses; unknown types are noise.
      return Status::Ok();
  }
}

Status SpdyExecClient::Conclude() {
  if (concluded_) return Status::Ok();
  concluded_ = true;
  if (version_ >= 4) {
    // v4 servers always write a status, success included; without one the outcome is unknown.
    if (status_raw_.empty()) return Broken("the server ended the session without an exit status");
    status_payload_ = status_raw_;
    return Status::Ok();
  }
  // v1-v3: the text of a failure, nothing on success.
  if (!status_raw_.empty()) {
    nlohmann::json status = {{"status", "Failure"}, {"message", status_raw_}};
    status_payload_ = status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return Status::Ok();
}

}  // namespace airlock::cli
