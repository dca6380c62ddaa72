#include "shim/stream/stream_server_options.h"

namespace airlock {

streaming::StreamServerOptions StreamServerOptionsFromConfig(const StreamingSection& section) {
  streaming::StreamServerOptions o;  // knobs the config does not name keep the server's defaults
  o.address = section.address;
  o.port = static_cast<uint16_t>(section.port);  // the config parser bounds it to 0..65535
  o.idle_timeout = section.stream_idle_timeout;
  o.stream_creation_timeout = section.stream_creation_timeout;
  o.initial_resize_wait = section.initial_resize_wait;
  o.drain_timeout = section.drain_timeout;
  o.disconnect_grace = section.disconnect_grace;
  if (section.enable_tls) {
    streaming::TlsOptions tls;
    tls.cert_file = section.tls_cert_file;
    tls.key_file = section.tls_key_file;
    tls.client_ca_file = section.tls_client_ca_file;
    tls.require_client_cert = section.require_client_cert;
    o.tls = tls;
  }
  return o;
}

}  // namespace airlock
