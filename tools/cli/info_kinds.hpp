// `cbk info` per model kind: info.cpp describes transformers and dispatches the other kinds here.
#pragma once

#include <string>

#include "bindings/c/include/cbk.h"

namespace cbk::cli {

int info_dkvb(const std::string& path, const cbk_model* model, bool json);  // tools/cli/info_dkvb.cpp

}  // namespace cbk::cli
