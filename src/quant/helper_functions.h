// QKeras's module-level helpers exposed to JS (their own tests exercise them directly):
// _get_scale, _get_integer_bits, _get_unrolled_shape, _get_rolled_back_shape.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

#include "core/tensor.h"

namespace qkw {

// `args` holds the helper's keyword arguments as QKeras names them; `tensors` its tensor
// arguments in order (x, q for _get_scale). Returns the result as JSON. Throws qkw::Error
// naming the helper and argument on bad input.
qkw::Json callQkerasHelper(const std::string& name, const qkw::Json& args, const std::vector<Tensor>& tensors);

}  // namespace qkw
