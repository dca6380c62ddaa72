#include "cli/cri_exec.h"

#include <grpcpp/grpcpp.h>

#include "cli/cri_client.h"

namespace airlock::cli {

Result<std::string> RequestExecUrl(const std::string& endpoint,
                                   const runtime::v1::ExecRequest& request,
                                   std::optional<std::chrono::seconds> timeout) {
  std::string target = NormalizeEndpoint(endpoint);
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = runtime::v1::RuntimeService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout.value_or(std::chrono::seconds(30)));
  runtime::v1::ExecResponse response;
  grpc::Status s = stub->Exec(&ctx, request, &response);
  if (!s.ok()) return FromGrpcStatus(s, target);
  if (response.url().empty())
    return MakeError(ErrorCode::kInternal, "exec in container " + request.container_id() +
                                               ": the runtime answered an empty URL");
  return response.url();
}

}  // namespace airlock::cli
