// Stream tokens: single use, 60 s TTL on an injected clock, 1,000 in flight, unguessable.
#include "streaming/request_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace airlock::streaming {
namespace {

using std::chrono::seconds;

ExecRequest Exec(const std::string& id) {
  ExecRequest r;
  r.container_id = id;
  r.cmd = {"sh", "-c", "date"};
  r.stdout = true;
  return r;
}

TEST(RequestCacheTest, ConsumeReturnsTheRequestOnce) {
  FakeClock clock;
  RequestCache cache(clock);
  auto token = cache.Insert(Exec("c1"));
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto got = cache.Consume(RequestKind::kExec, *token);
  ASSERT_TRUE(got.ok()) << got.error().message;
  const auto& exec = std::get<ExecRequest>(*got);
  EXPECT_EQ(exec.container_id, "c1");
  EXPECT_EQ(exec.cmd, (std::vector<std::string>{"sh", "-c", "date"}));
  EXPECT_TRUE(exec.stdout);
  EXPECT_FALSE(exec.stdin);

  auto again = cache.Consume(RequestKind::kExec, *token);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(RequestCacheTest, ExpiresAfterTheTtl) {
  FakeClock clock;
  RequestCache cache(clock);
  auto at_limit = cache.Insert(Exec("a"));
  auto past_limit = cache.Insert(Exec("b"));
  ASSERT_TRUE(at_limit.ok() && past_limit.ok());
  clock.Advance(seconds(60));
  // Exactly at the TTL the token is still good (upstream: expired when now > expiry).
  EXPECT_TRUE(cache.Consume(RequestKind::kExec, *at_limit).ok());
  clock.Advance(std::chrono::nanoseconds(1));
  auto late = cache.Consume(RequestKind::kExec, *past_limit);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kNotFound);
}

TEST(RequestCacheTest, WrongKindIsNotFoundAndBurnsTheToken) {
  FakeClock clock;
  RequestCache cache(clock);
  auto token = cache.Insert(Exec("c1"));
  ASSERT_TRUE(token.ok());
  auto wrong = cache.Consume(RequestKind::kAttach, *token);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);
  EXPECT_NE(wrong.error().message.find("issued for exec, presented for attach"), std::string::npos);
  EXPECT_FALSE(cache.Consume(RequestKind::kExec, *token).ok());

  PortForwardRequest pf{"sandbox-1", {80, 443}};
  auto pf_token = cache.Insert(pf);
  ASSERT_TRUE(pf_token.ok());
  auto got = cache.Consume(RequestKind::kPortForward, *pf_token);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::get<PortForwardRequest>(*got).ports, (std::vector<int32_t>{80, 443}));
  EXPECT_FALSE(cache.Consume(RequestKind::kExec, "never-issued").ok());
}

TEST(RequestCacheTest, ThousandInFlightThenResourceExhaustedUntilSomeExpire) {
  FakeClock clock;
  RequestCache cache(clock);
  std::vector<std::string> first_half;
  for (int i = 0; i < 500; ++i) {
    auto t = cache.Insert(AttachRequest{"c", false, false, true, false});
    ASSERT_TRUE(t.ok());
    first_half.push_back(*t);
  }
  clock.Advance(seconds(30));
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(cache.Insert(Exec("c")).ok());
  auto full = cache.Insert(Exec("c"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kResourceExhausted);

  // Consuming one frees one slot.
  ASSERT_TRUE(cache.Consume(RequestKind::kAttach, first_half[0]).ok());
  EXPECT_TRUE(cache.Insert(Exec("c")).ok());
  EXPECT_FALSE(cache.Insert(Exec("c")).ok());

  // Once the first half expires, their slots are free again.
  clock.Advance(seconds(31));
  EXPECT_EQ(cache.size(), 501u);
  EXPECT_TRUE(cache.Insert(Exec("c")).ok());
}

TEST(RequestCacheTest, TokensAre128BitBase64UrlAndDistinct) {
  FakeClock clock;
  RequestCache cache(clock, RequestCache::Options{seconds(60), 100000});
  std::set<std::string> seen;
  std::array<int, 256> char_count{};
  for (int i = 0; i < 2000; ++i) {
    auto t = cache.Insert(Exec("c"));
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->size(), 22u) << *t;  // 16 bytes, unpadded base64url
    for (char c : *t) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << *t;
      ++char_count[static_cast<unsigned char>(c)];
    }
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 2000u);
  // 2000 tokens × 21 full-entropy characters spread over 64 symbols: every symbol shows up
  // (expected ~650 each); a constant or low-entropy source fails this.
  int symbols = 0;
  for (int n : char_count) symbols += n > 0;
  EXPECT_EQ(symbols, 64);
}

TEST(RequestCacheTest, CollisionsAreRetriedAndRandomFailureIsReported) {
  FakeClock clock;
  int calls = 0;
  // The same bytes for the first three draws, then new ones.
  RequestCache cache(clock, RequestCache::Options{}, [&](std::span<uint8_t> out) -> Status {
    std::fill(out.begin(), out.end(), static_cast<uint8_t>(calls < 3 ? 7 : calls));
    ++calls;
    return Status::Ok();
  });
  auto a = cache.Insert(Exec("a"));
  auto b = cache.Insert(Exec("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(calls, 4);

  RequestCache broken(clock, RequestCache::Options{},
                      [](std::span<uint8_t>) -> Status { return ErrnoError("getrandom", ENOSYS); });
  auto t = broken.Insert(Exec("a"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("generate streaming token: getrandom"), std::string::npos)
      << t.error().message;
}

TEST(RequestCacheTest, BuildStreamUrl) {
  EXPECT_EQ(*BuildStreamUrl("http://127.0.0.1:41235", RequestKind::kExec, "tok"),
            "http://127.0.0.1:41235/exec/tok");
  EXPECT_EQ(*BuildStreamUrl("https://[::1]:10010/", RequestKind::kAttach, "tok"),
            "https://[::1]:10010/attach/tok");
  EXPECT_EQ(*BuildStreamUrl("http://h:1/cri/", RequestKind::kPortForward, "tok"),
            "http://h:1/cri/portforward/tok");
  // As Go's ResolveReference: the last segment of a base without a trailing slash is replaced.
  EXPECT_EQ(*BuildStreamUrl("http://h:1/cri", RequestKind::kExec, "tok"), "http://h:1/exec/tok");
  for (const char* bad :
       {"//127.0.0.1:1", "ws://h:1", "127.0.0.1:1", "http://", "http:///x", "http://h:1/?q=1"}) {
    auto url = BuildStreamUrl(bad, RequestKind::kExec, "tok");
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace airlock::streaming
