// The one place where airlock errors become gRPC statuses (DESIGN.md §4.3).
#pragma once

#include <grpcpp/support/status.h>

#include "shim/base/result.h"

namespace airlock {

grpc::Status ToGrpcStatus(const Status& status);
grpc::StatusCode ToGrpcCode(ErrorCode code);

}  // namespace airlock
