// Glue between gRPC's callback API and airlock's blocking managers.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "shim/base/work_pool.h"
#include "shim/server/status_map.h"

namespace airlock {

// Runs `fn` (returning Status) on the work pool and finishes the call with its result.
template <typename Fn>
grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* ctx, WorkPool& pool, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  pool.Post([reactor, fn = std::move(fn)]() mutable { reactor->Finish(ToGrpcStatus(fn())); });
  return reactor;
}

// Finishes at once on the callback thread; only for work that never blocks.
inline grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx, const Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

inline grpc::ServerUnaryReactor* Unimplemented(grpc::CallbackServerContext* ctx,
                                               const std::string& method, const std::string& why) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                               method + " is not implemented by airlock: " + why));
  return reactor;
}

// A server-streaming call that sends the given messages and finishes; the list calls'
// streaming twins are just the list cut into one message.
template <typename Response>
class ListWriteReactor : public grpc::ServerWriteReactor<Response> {
 public:
  explicit ListWriteReactor(Response response, grpc::Status status = grpc::Status::OK)
      : response_(std::move(response)), status_(std::move(status)) {
    if (status_.ok()) {
      this->StartWrite(&response_);
    } else {
      this->Finish(status_);
    }
  }
  void OnWriteDone(bool ok) override {
    this->Finish(ok ? grpc::Status::OK
                    : grpc::Status(grpc::StatusCode::UNAVAILABLE, "client went away"));
  }
  void OnDone() override { delete this; }

 private:
  Response response_;
  grpc::Status status_;
};

template <typename Response>
grpc::ServerWriteReactor<Response>* UnimplementedStream(const std::string& method,
                                                        const std::string& why) {
  return new ListWriteReactor<Response>(
      Response(), grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                               method + " is not implemented by airlock: " + why));
}

}  // namespace airlock
