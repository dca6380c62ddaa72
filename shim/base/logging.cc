#include "shim/base/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace airlock {

Status SetupLogging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (lvl == spdlog::level::off && level != "off")
    return MakeError(
        ErrorCode::kInvalidArgument,
        "log level \"" + level + "\": expected trace, debug, info, warn, error or off");
  auto logger = spdlog::stderr_logger_mt("airlock");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("time=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::info);
  return Status::Ok();
}

}  // namespace airlock
