// libFuzzer target: quantizer specs as model files hold them. The input is a constructor
// string as QKeras's safe_eval parses it ("quantized_bits(4,0,1,alpha='auto_po2')"), or, when
// it starts with '{', a {"class_name", "config"} object. The first byte picks the options
// (weight slot, internal sigmoid). A spec that builds is then described, its grid and range
// taken, and applied to a small tensor, so the fuzzer reaches every quantizer's math.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "graph/model.h"
#include "quant/quantizer.h"
#include "quant/quantizer_description.h"
#include "quant/spec_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  qkw::QuantizerOptions options;
  options.weightSlot = data[0] & 1;
  options.sigmoid = static_cast<qkw::SigmoidMode>((data[0] >> 1) % 3);
  options.parserNotes = std::make_shared<std::vector<std::string>>();
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    (void)qkw::parseQuantizerString(text);
  }
  QKW_FUZZ_EXPECTED_ERRORS
  try {
    const qkw::Json spec = !text.empty() && text[0] == '{' ? qkw::parseJsonWithDepthLimit(text, 64, "spec") : qkw::Json(text);
    const qkw::QuantizerPtr q = qkw::makeQuantizer(spec, options);
    (void)q->str();
    (void)q->config().dump();
    (void)qkw::describeQuantizer(*q).dump();
    (void)q->grid();
    (void)q->min();
    (void)q->max();
    try {
      (void)q->range();
    }
    QKW_FUZZ_EXPECTED_ERRORS
    float x[8] = {-3.5f, -1.0f, -0.26f, 0.0f, 0.125f, 0.74f, 2.0f, 1e30f};
    float y[8];
    qkw::ScaleInfo scale;
    q->apply(x, y, {2, 4}, &scale);
    float z[4] = {NAN, INFINITY, -INFINITY, -0.0f};
    q->apply(z, z, {4});
  }
  QKW_FUZZ_EXPECTED_ERRORS
  return 0;
}
