// What this host lets containers have, probed once when airlockd starts.
#pragma once

#include "shim/oci/spec_input.h"

namespace airlock {

oci::HostFeatures DetectHostFeatures();

}  // namespace airlock
