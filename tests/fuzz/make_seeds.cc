// Writes the seed corpus of every fuzz target: tests/fuzz/corpus/<target>/<name>.
//
// Most seeds cannot be typed by hand: SPDY header blocks are zlib streams with the SPDY/3
// dictionary that continue from frame to frame, and client WebSocket frames are masked. So
// they are built here with the codecs' own encoders (a seed is valid input, the fuzzer breaks
// it) and checked in; rerun after a wire format change:
//   fuzz_make_seeds tests/fuzz/corpus
// Each file starts with the target's control byte(s); see each *_fuzz.cc for their meaning.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "streaming/http_base64.h"
#include "streaming/spdy_frame.h"
#include "streaming/spdy_header_block.h"

namespace {

using namespace airlock::streaming;
namespace fs = std::filesystem;

fs::path g_root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "write seed %s/%s: failed\n", target.c_str(), name.c_str());
    std::exit(1);
  }
}

std::string Byte(uint8_t b) { return std::string(1, static_cast<char>(b)); }

// One client connection: every header block goes through the same deflater.
class SpdyClient {
 public:
  SpdyClient() : deflater_(SpdyHeaderDeflater::Create().value()) {}

  SpdyClient& Syn(uint32_t id, const SpdyHeaderBlock& headers, uint8_t flags = 0) {
    AppendSpdySynStream(out_, {id, 0, 0, 0}, flags, *deflater_.Compress(headers));
    return *this;
  }
  SpdyClient& Headers(uint32_t id, const SpdyHeaderBlock& headers, uint8_t flags = 0) {
    AppendSpdyHeaders(out_, id, flags, *deflater_.Compress(headers));
    return *this;
  }
  SpdyClient& Data(uint32_t id, const std::string& bytes, uint8_t flags = 0) {
    AppendSpdyData(out_, id, flags, bytes);
    return *this;
  }
  SpdyClient& Rst(uint32_t id) {
    AppendSpdyRstStream(out_, id, SpdyRstStatus::kCancel);
    return *this;
  }
  SpdyClient& Ping(uint32_t id) {
    AppendSpdyPing(out_, id);
    return *this;
  }
  SpdyClient& Settings() {
    AppendSpdySettings(out_, {0, {{0, 7, 1000}, {0, 4, 100}}});
    return *this;
  }
  SpdyClient& Window(uint32_t id) {
    AppendSpdyWindowUpdate(out_, id, 65536);
    return *this;
  }
  SpdyClient& GoAway() {
    AppendSpdyGoAway(out_, 0, SpdyGoAwayStatus::kOk);
    return *this;
  }
  SpdyClient& Raw(const std::string& bytes) {
    out_ += bytes;
    return *this;
  }
  const std::string& bytes() const { return out_; }

 private:
  SpdyHeaderDeflater deflater_;
  std::string out_;
};

SpdyHeaderBlock Stream(const std::string& type, const std::string& extra_name = "requestid",
                       const std::string& extra = "0") {
  return {{"streamtype", type}, {extra_name, extra}};
}

void SpdyCodecSeeds() {
  const std::string t = "spdy_codec";
  // kubectl exec -i -t: error, stdin, stdout, resize (client-go opens them in this order).
  Write(t, "exec_tty",
        Byte(0x00) + SpdyClient()
                         .Syn(1, Stream("error"))
                         .Syn(3, Stream("stdin"))
                         .Syn(5, Stream("stdout"), kSpdyFlagFin)
                         .Syn(7, Stream("resize"))
                         .Data(7, "{\"Width\":80,\"Height\":24}\n")
                         .Data(3, "echo hi\n")
                         .Data(3, "", kSpdyFlagFin)
                         .Ping(1)
                         .Rst(7)
                         .bytes());
  Write(t, "port_forward",
        Byte(0x13) + SpdyClient()
                         .Syn(1, Stream("error", "port", "8080"), kSpdyFlagFin)
                         .Syn(3, Stream("data", "port", "8080"))
                         .Data(3, std::string(300, 'x'))
                         .Headers(3, {{"x-extra", "1"}}, kSpdyFlagFin)
                         .GoAway()
                         .bytes());
  Write(t, "refused",
        Byte(0x85) + SpdyClient()
                         .Syn(1, Stream("error"))
                         .Syn(3, Stream("stdin"))
                         .Syn(5, Stream("stdout"))
                         .Data(5, "late")
                         .Data(9, "never opened")
                         .bytes());
  Write(t, "control",
        Byte(0x42) + SpdyClient()
                         .Settings()
                         .Window(0)
                         .Ping(3)
                         .Ping(2)
                         .Syn(1, {{"a", std::string("x\0y", 3)}}, kSpdyFlagUnidirectional)
                         .Data(1, "uni")
                         .bytes());
  // Broken on purpose: version 2, an unknown type, DATA on stream 0, a huge control frame.
  std::string v2;
  AppendSpdyPing(v2, 1);
  v2[1] = 2;
  Write(t, "bad_version", Byte(0x01) + v2);
  std::string noop;
  AppendSpdyControlHeader(noop, SpdyControlType::kNoop, 0, 0);
  Write(t, "noop", Byte(0x02) + noop);
  std::string big;
  AppendSpdyControlHeader(big, SpdyControlType::kSettings, 0, 0xffffff);
  Write(t, "huge_control", Byte(0x03) + big + std::string(64, '\0'));
  Write(t, "data_stream0", Byte(0x04) + SpdyClient().Data(0, "zero").bytes());
  Write(t, "syn_even", Byte(0x05) + SpdyClient().Syn(2, Stream("error")).bytes());
  Write(t, "syn_twice",
        Byte(0x06) + SpdyClient().Syn(3, Stream("error")).Syn(3, Stream("stdin")).bytes());
  Write(t, "data_after_fin",
        Byte(0x07) +
            SpdyClient().Syn(1, Stream("stdin")).Data(1, "a", kSpdyFlagFin).Data(1, "b").bytes());
}

void SpdyStreamSeeds() {
  const std::string t = "spdy_codec_stream";
  // Continue the zlib stream the target's first SYN_STREAM started.
  auto client = [] {
    SpdyClient c;
    c.Syn(1, {{"streamtype", "error"}, {"requestid", "0"}});
    return c;
  };
  auto after_first = [](const SpdyClient& c) {
    SpdyClient ref;
    ref.Syn(1, {{"streamtype", "error"}, {"requestid", "0"}});
    return c.bytes().substr(ref.bytes().size());
  };
  // policy: 1 reply, 2 echo, 4 half-close on FIN, 8 reset on data, 16 ping, 32 goaway, 64 small.
  Write(t, "echo_close",
        Byte(0x07) + Byte(0x11) +
            after_first(client()
                            .Syn(3, Stream("stdin"))
                            .Data(3, "hello")
                            .Data(1, "error stream bytes")
                            .Data(3, "", kSpdyFlagFin)
                            .Data(1, "x", kSpdyFlagFin)));
  Write(t, "reset_mid_data",
        Byte(0x0b) + Byte(0x22) +
            after_first(client()
                            .Syn(3, Stream("stdin"))
                            .Data(3, std::string(1001, 'd'))
                            .Data(3, std::string(1000, 'e'))
                            .Syn(5, Stream("stdout"))
                            .Data(5, "q", kSpdyFlagFin)));
  Write(t, "goaway_fourth",
        Byte(0x31) + Byte(0x05) +
            after_first(client()
                            .Syn(3, Stream("stdin"))
                            .Syn(5, Stream("stdout"))
                            .Syn(7, Stream("stderr"))
                            .Syn(9, Stream("resize"))
                            .Ping(5)));
  Write(t, "small_limits",
        Byte(0x41) + Byte(0x09) +
            after_first(client()
                            .Syn(3, Stream("stdin"))
                            .Syn(5, Stream("stdout"))
                            .Syn(7, Stream("stderr"))
                            .Headers(3, {{"x", std::string(300, 'h')}})
                            .Data(3, "z")));
  Write(t, "headers_fin",
        Byte(0x05) + Byte(0x30) +
            after_first(client()
                            .Headers(1, {{"more", "1"}})
                            .Data(1, "a")
                            .Headers(1, {{"last", "1"}}, kSpdyFlagFin)
                            .Rst(1)
                            .Window(1)));
}

std::string Serialize(const SpdyHeaderBlock& block) { return *SerializeSpdyHeaderBlock(block); }

void SpdyHeaderBlockSeeds() {
  const std::string t = "spdy_header_block";
  // Mode 0: uncompressed blocks.
  Write(t, "parse_exec", Byte(0x00) + Serialize(Stream("stdin")));
  Write(t, "parse_empty", Byte(0x00) + Serialize({}));
  Write(t, "parse_multi",
        Byte(0x08) + Serialize({{"port", std::string("80\0"
                                                     "443",
                                                     6)}}));
  Write(t, "parse_short", Byte(0x00) + Serialize(Stream("stdout")).substr(0, 13));
  // Mode 1: compressed blocks of one connection, and bombs.
  {
    auto deflater = SpdyHeaderDeflater::Create();
    std::string two = *deflater->Compress(Stream("error"));
    two += *deflater->Compress(Stream("stdin"));
    Write(t, "inflate_two_blocks", Byte(0x01) + two);
  }
  {
    auto deflater = SpdyHeaderDeflater::Create();
    const std::string raw = Serialize({{"bomb", std::string(1 << 20, 'A')}});
    Write(t, "inflate_bomb_1mib", Byte(0x01) + *deflater->CompressSerialized(raw));
  }
  {
    auto deflater = SpdyHeaderDeflater::Create();
    const std::string raw = Serialize({{"edge", std::string(1024 - 16, 'B')}});  // exactly 1 KiB
    Write(t, "inflate_limit_edge", Byte(0x09) + *deflater->CompressSerialized(raw));
  }
  {
    auto deflater = SpdyHeaderDeflater::Create(9, 15, 8);  // a real peer's window
    std::string raw;
    AppendBigEndian32(raw, 100000);  // a pair count far over the limit
    raw += std::string(4000, '\0');
    Write(t, "inflate_count_bomb", Byte(0x01) + *deflater->CompressSerialized(raw));
  }
  // Mode 2: raw bytes to compress (repeated) and inflate under a limit.
  Write(t, "roundtrip_small", Byte(0x02) + Serialize(Stream("stdin")));
  Write(t, "roundtrip_repeat", Byte(0xf6) + std::string(100, 'r'));
  Write(t, "roundtrip_edge", Byte(0x1a) + std::string(57, 'e'));
}

void HttpRequestSeeds() {
  const std::string t = "http_request";
  const std::string spdy =
      "POST /exec/AbCdEf0123456789?command=sh&input=1&output=1&tty=1 HTTP/1.1\r\n"
      "Host: 127.0.0.1:10010\r\nUser-Agent: kubectl/v1.28.0\r\nContent-Length: 0\r\n"
      "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
      "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
      "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n\r\n";
  Write(t, "spdy_upgrade", Byte(0x03) + spdy + "\x80\x03\x00\x01");
  Write(t, "websocket_upgrade",
        Byte(0x11) +
            std::string("GET /attach/tok?stdout=1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
                        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io\r\n\r\n"));
  Write(t, "h2c_upgrade",
        Byte(0x24) + std::string("GET /portforward/t HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                 "HTTP2-Settings: AAMAAABkAAQAoAAA\r\n\r\nPRI * HTTP/2.0"));
  Write(t, "absolute_form",
        Byte(0x05) + std::string("GET http://host:1/exec/t?x=1 HTTP/1.1\r\nHost: host:1\r\n\r\n"));
  Write(t, "http10_no_host", Byte(0x06) + std::string("GET / HTTP/1.0\r\n\r\n"));
  Write(t, "missing_host", Byte(0x07) + std::string("GET / HTTP/1.1\r\nA: b\r\n\r\n"));
  Write(t, "two_hosts", Byte(0x08) + std::string("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"));
  Write(t, "folded", Byte(0x09) + std::string("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n"));
  Write(t, "bare_lf", Byte(0x0a) + std::string("GET /a HTTP/1.1\nHost: a\n\n"));
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 6; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  Write(t, "small_limits", Byte(0x8b) + many + "\r\n");
  Write(t, "asterisk", Byte(0x0c) + std::string("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"));
}

// A client frame (RFC 6455 §5.2): always masked, with the fixed key below.
std::string WsFrame(uint8_t opcode, const std::string& payload, bool fin = true,
                    bool masked = true) {
  static constexpr uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::string out = Byte(static_cast<uint8_t>((fin ? 0x80 : 0) | opcode));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += Byte(static_cast<uint8_t>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xffff) {
    out += Byte(mask_bit | 126) + Byte(static_cast<uint8_t>(payload.size() >> 8)) +
           Byte(static_cast<uint8_t>(payload.size()));
  } else {
    out += Byte(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      out += Byte(static_cast<uint8_t>(uint64_t{payload.size()} >> (8 * i)));
  }
  if (!masked) return out + payload;
  for (uint8_t k : kMask) out += Byte(k);
  for (size_t i = 0; i < payload.size(); ++i) {
    out += static_cast<char>(static_cast<uint8_t>(payload[i]) ^ kMask[i % 4]);
  }
  return out;
}

std::string Close(uint16_t code, const std::string& reason = "") {
  return WsFrame(8,
                 Byte(static_cast<uint8_t>(code >> 8)) + Byte(static_cast<uint8_t>(code)) + reason);
}

void WebSocketSeeds() {
  const std::string b = "ws_channel_binary";
  // key bits: 0-1 version (1, 4, 5, 5), 2 small message limit, rest split.
  Write(b, "stdin_then_close",
        Byte(0x02) + WsFrame(2, Byte(0) + "ls -l\n") +
            WsFrame(2, Byte(4) + "{\"Width\":1,\"Height\":2}") + WsFrame(2, Byte(255) + Byte(0)) +
            Close(1000, "bye"));
  Write(b, "ping_fragments",
        Byte(0x11) + WsFrame(9, "p") + WsFrame(2, Byte(0) + "frag", false) +
            WsFrame(0, "ment", false) + WsFrame(10, "unsolicited pong") + WsFrame(0, "ed", true));
  Write(b, "lengths",
        Byte(0x20) + WsFrame(2, Byte(0) + std::string(300, 'm')) +
            WsFrame(2, Byte(0) + std::string(70000, 'n')));
  Write(b, "too_big", Byte(0x06) + WsFrame(2, Byte(0) + std::string(100, 't')));
  Write(b, "unmasked", Byte(0x01) + WsFrame(2, Byte(0) + "x", true, false));
  Write(b, "bad_signal", Byte(0x03) + WsFrame(2, Byte(255) + "ab"));
  Write(b, "text_utf8", Byte(0x00) + WsFrame(1, "\x01\xc3\xa9") + WsFrame(1, "\x01\xff\xfe"));
  Write(b, "control_too_long", Byte(0x09) + WsFrame(9, std::string(126, 'c')));
  Write(b, "close_1byte", Byte(0x00) + WsFrame(8, "x"));
  Write(b, "empty_message", Byte(0x13) + WsFrame(2, "") + WsFrame(2, Byte(1)));

  const std::string t = "ws_channel_base64";
  // key bits: 0-1 version (1, 4, 4, 1), 2 small limit.
  Write(t, "stdin_b64",
        Byte(0x00) + WsFrame(1, "0" + Base64Encode("echo hi\n")) +
            WsFrame(1, "4" + Base64Encode("{\"Width\":3,\"Height\":4}")) + Close(1000));
  Write(t, "bad_b64", Byte(0x01) + WsFrame(1, "0aGVsbG8") + WsFrame(1, "0YQ=="));
  Write(t, "bad_channel", Byte(0x12) + WsFrame(1, "xaGk="));
  Write(t, "binary_in_b64", Byte(0x21) + WsFrame(2, "0aGk=") + WsFrame(9, "ping"));
  Write(t, "fragmented_text", Byte(0x31) + WsFrame(1, "0aG", false) + WsFrame(0, "k=", true));
}

void ChannelMessageSeeds() {
  const std::string t = "channel_message";
  // key: bit 0 base64, bits 1+ version index (1, 4, 5), bit 7 text message.
  Write(t, "binary_stdin", Byte(0x00) + Byte(0) + "data");
  Write(t, "v5_close", Byte(0x04) + Byte(255) + Byte(0));
  Write(t, "v5_close_long", Byte(0x04) + Byte(255) + "xy");
  Write(t, "v4_255", Byte(0x02) + Byte(255) + "x");
  Write(t, "b64_ok", Byte(0x81) + "1" + Base64Encode("stdout bytes"));
  Write(t, "b64_pad", Byte(0x83) + "0" + Base64Encode("ab"));
  Write(t, "b64_noncanonical", Byte(0x81) + "0YR==");
  Write(t, "b64_bad_digit", Byte(0x81) + ":aGk=");
  Write(t, "empty", Byte(0x00));
}

void ResizeSeeds() {
  const std::string t = "resize_decoder";
  Write(t, "two_objects",
        Byte(0x00) + "{\"Width\":80,\"Height\":24}\n{\"Width\":120,\"Height\":40}\n");
  Write(t, "case_and_extra", Byte(0x31) + " {\"width\":1,\"HEIGHT\":2,\"x\":{\"y\":\"}\"}}\n");
  Write(t, "negative", Byte(0x02) + "{\"Width\":-1,\"Height\":24}");
  Write(t, "too_big", Byte(0x03) + "{\"Width\":65536,\"Height\":1}");
  Write(t, "float", Byte(0x04) + "{\"Width\":8e1,\"Height\":2.0}");
  Write(t, "not_object", Byte(0x05) + "[1,2]");
  Write(t, "escaped_quote", Byte(0x06) + "{\"a\\\"}\":\"\\\\\",\"Width\":5}");
  Write(t, "partial", Byte(0x07) + "{\"Width\":80,\"Hei");
  Write(t, "long_pending", Byte(0x08) + "{\"x\":\"" + std::string(5000, 'p') + "\"}");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  SpdyCodecSeeds();
  SpdyStreamSeeds();
  SpdyHeaderBlockSeeds();
  HttpRequestSeeds();
  WebSocketSeeds();
  ChannelMessageSeeds();
  ResizeSeeds();
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
