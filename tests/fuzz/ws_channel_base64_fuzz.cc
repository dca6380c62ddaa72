// Fuzz target: WebSocketChannelCodec::Receive with the base64 channel protocols
// (base64.channel.k8s.io, v4.base64.channel.k8s.io); see ws_channel_fuzz.h.
#include "tests/fuzz/ws_channel_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return airlock::fuzz::FuzzChannelCodec(data, size, /*base64=*/true);
}
