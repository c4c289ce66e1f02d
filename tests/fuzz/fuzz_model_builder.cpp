// libFuzzer target: the model builder (graph JSON + weights), then analysis and predict.
//
// Input format (scripts/fuzz-seeds.mjs writes real models in it):
//   <normalized graph JSON, as web/io produces it>  SEPARATOR  <weight records>
// SEPARATOR is the 8 bytes "\n#QKWW#\n". Each weight record is
//   u8 layer  (index into graph.layers, modulo their count)
//   u8 role   (index into kRoles; 255 = no role, positional: the next byte is the index)
//   u8 rank   (<= 6), rank x u16 LE dims
//   u8 n, n x f32 LE values, repeated cyclically to fill the tensor (zeros when n = 0)
// so that a few bytes describe a tensor of any shape and the fuzzer mutates shapes directly.
// Limits are tightened so the fuzzer explores logic, not the machine's memory.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "graph/analysis.h"
#include "graph/model.h"

namespace {

const char* const kRoles[] = {"kernel",   "bias",          "gamma",           "beta",         "moving_mean",
                              "moving_variance", "depthwise_kernel", "pointwise_kernel", "alpha", "iteration",
                              "recurrent_kernel"};
constexpr size_t kRoleCount = sizeof(kRoles) / sizeof(kRoles[0]);
constexpr char kSeparator[] = "\n#QKWW#\n";
constexpr size_t kSeparatorLength = 8;

struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool take(void* out, size_t n) {
    if (static_cast<size_t>(end - p) < n) return false;
    std::memcpy(out, p, n);
    p += n;
    return true;
  }
};

std::map<std::string, std::vector<qkw::WeightInput>> readWeights(Reader r, const qkw::Json& graph) {
  std::map<std::string, std::vector<qkw::WeightInput>> weights;
  const qkw::Json* layers = graph.is_object() && graph.contains("layers") ? &graph["layers"] : nullptr;
  if (!layers || !layers->is_array() || layers->empty()) return weights;
  uint8_t layer, role, rank, n;
  while (r.take(&layer, 1) && r.take(&role, 1)) {
    qkw::WeightInput w;
    if (role == 255) {
      uint8_t index;
      if (!r.take(&index, 1)) break;
      w.index = index;
    } else {
      w.role = kRoles[role % kRoleCount];
    }
    if (!r.take(&rank, 1) || rank > 6) break;
    qkw::Shape shape;
    int64_t count = 1;
    for (uint8_t i = 0; i < rank; ++i) {
      uint16_t d;
      if (!r.take(&d, 2)) return weights;
      shape.push_back(d);
      count = std::min<int64_t>(count * d, int64_t{1} << 40);  // 6 dims of 2^16 would overflow
    }
    if (!r.take(&n, 1)) break;
    std::vector<float> pool(n);
    if (n && !r.take(pool.data(), 4u * n)) break;
    // Big real weights make one build take over 20 s under ASan at -O0; the weight limits have
    // their own unit tests.
    if (count > (int64_t{1} << 17)) continue;
    std::vector<float> values(static_cast<size_t>(count), 0.0f);
    for (size_t i = 0; n && i < values.size(); ++i) values[i] = pool[i % n];
    w.tensor = qkw::Tensor(shape, std::move(values));
    const qkw::Json& entry = (*layers)[layer % layers->size()];
    const std::string name = entry.is_object() && entry.contains("name") && entry["name"].is_string()
                                 ? entry["name"].get<std::string>()
                                 : std::string();
    weights[name].push_back(std::move(w));
  }
  return weights;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* end = data + size;
  const uint8_t* sep = static_cast<const uint8_t*>(memmem(data, size, kSeparator, kSeparatorLength));
  const std::string graphText(reinterpret_cast<const char*>(data), sep ? static_cast<size_t>(sep - data) : size);
  try {
    qkw::ModelOptions options;
    options.limits.maxTensorElements = int64_t{1} << 18;
    options.limits.maxArenaBytes = int64_t{1} << 24;
    options.limits.maxWeightBytes = int64_t{1} << 26;
    options.limits.maxLayers = 2000;
    const qkw::Json graph = qkw::parseJsonWithDepthLimit(graphText, options.limits.maxConfigDepth, "model graph");
    auto weights = readWeights(Reader{sep ? sep + kSeparatorLength : end, end}, graph);
    auto model = qkw::Model::build(graph, std::move(weights), options);
    (void)model->warnings();
    (void)qkw::toJson(qkw::analyzeModel(*model, &graph)).dump();
    // Real models (the seeds) take seconds per predict under ASan at -O0: their build and
    // analysis are fuzzed, predict only runs on small graphs.
    if (model->arenaStats().elementsPerSample > (int64_t{1} << 15)) return 0;
    std::vector<qkw::Tensor> inputs;
    for (const qkw::TensorInfo& info : model->inputs()) {
      qkw::Shape shape = info.shape;
      shape.insert(shape.begin(), 2);
      qkw::Tensor t(shape);
      for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(static_cast<int>(i % 17) - 8) * 0.37f;
      inputs.push_back(std::move(t));
    }
    (void)model->predict(inputs);
  }
  QKW_FUZZ_EXPECTED_ERRORS
  return 0;
}
