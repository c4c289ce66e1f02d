#include "layers/keras_reshape.h"

#include <algorithm>

#include "core/limits.h"
#include "kernels/transpose_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

void copyValues(const Tensor& from, Tensor& to) {
  if (from.data.data() != to.data.data()) std::copy(from.data.begin(), from.data.end(), to.data.begin());
}

// The analysis rule of all three: the values are the input's, at other positions (so per-channel
// steps no longer line up with the last axis).
TensorAnalysis movesValues(const AnalysisContext& ctx) { return ctx.carry(ctx.className() + " only moves values", false); }

// Row-major over (H, W, C): with channels_last, flattening keeps the memory order.
class Flatten : public KerasLayer {
 public:
  explicit Flatten(const LayerContext& ctx) : KerasLayer(ctx) { requireChannelsLast(ctx); }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    return {numElements(inputShapes[0])};  // a batch-only input becomes (batch, 1), as in Keras
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    copyValues(*inputs[0], output);
  }
  bool isIdentityOnValues() const override { return true; }
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override { return movesValues(ctx); }
};

std::vector<int64_t> readIntList(const LayerContext& ctx, const std::string& key) {
  const qkw::Json* v = ctx.find(key);
  if (!v || v->is_null()) throw Error(ctx.errorPrefix() + "config has no '" + key + "'");
  std::vector<int64_t> values;
  auto take = [&](const qkw::Json& e) {
    if (!e.is_number_integer()) throw Error(ctx.errorPrefix() + "config '" + key + "' must be a list of integers, got " + v->dump());
    values.push_back(e.get<int64_t>());
  };
  if (v->is_array()) {
    for (const qkw::Json& e : *v) take(e);
  } else {
    take(*v);
  }
  return values;
}

class Reshape : public KerasLayer {
 public:
  explicit Reshape(const LayerContext& ctx) : KerasLayer(ctx), target_(readIntList(ctx, "target_shape")) {
    int unknown = 0;
    for (int64_t d : target_) {
      if (d == -1) ++unknown;
      else if (d <= 0) fail("target_shape " + shapeToString(target_) + " has an invalid dimension " + std::to_string(d));
    }
    if (unknown > 1) fail("target_shape " + shapeToString(target_) + " has more than one -1");
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    const int64_t total = numElements(inputShapes[0]);
    Shape out = target_;
    int64_t known = 1;
    size_t unknownAxis = out.size();
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == -1) unknownAxis = i;
      else known = checkedMul(known, out[i], prefix() + "target_shape " + shapeToString(target_));
    }
    if (unknownAxis < out.size()) {
      if (known == 0 || total % known != 0)
        fail("cannot reshape input shape " + shapeToString(inputShapes[0]) + " (" + std::to_string(total) +
             " values) to target_shape " + shapeToString(target_));
      out[unknownAxis] = total / known;
    } else if (known != total) {
      fail("cannot reshape input shape " + shapeToString(inputShapes[0]) + " (" + std::to_string(total) +
           " values) to target_shape " + shapeToString(target_) + " (" + std::to_string(known) + " values)");
    }
    return out;
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    copyValues(*inputs[0], output);
  }
  bool isIdentityOnValues() const override { return true; }
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override { return movesValues(ctx); }

 private:
  Shape target_;
};

// dims are 1-based feature axes (the batch axis stays first).
class Permute : public KerasLayer {
 public:
  explicit Permute(const LayerContext& ctx) : KerasLayer(ctx) {
    const std::vector<int64_t> dims = readIntList(ctx, "dims");
    std::vector<int64_t> sorted = dims;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int64_t>(i + 1))
        fail("dims " + shapeToString(dims) + " is not a permutation of 1.." + std::to_string(dims.size()));
    if (dims.size() + 1 > kernels::kMaxTransposeRank)
      throw Unsupported(prefix() + "dims " + shapeToString(dims) + " (at most " +
                        std::to_string(kernels::kMaxTransposeRank - 1) + " axes besides the batch axis)");
    permutation_.push_back(0);  // the batch axis stays first
    for (int64_t d : dims) permutation_.push_back(static_cast<int>(d));
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    const Shape& in = inputShapes[0];
    if (in.size() + 1 != permutation_.size())
      fail("dims has " + std::to_string(permutation_.size() - 1) + " axes but the input shape " + shapeToString(in) +
           " (without batch) has " + std::to_string(in.size()));
    Shape out(in.size());
    for (size_t i = 0; i < in.size(); ++i) out[i] = in[permutation_[i + 1] - 1];
    return out;
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    kernels::transposeF32Reference(inputs[0]->shape, permutation_, inputs[0]->data.data(), output.data.data());
  }
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override { return movesValues(ctx); }

 private:
  std::vector<int> permutation_;  // over the full shape, batch axis included
};

}  // namespace

void registerKerasReshapeLayers(LayerRegistry& registry) {
  registry.add("Flatten", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<Flatten>(ctx); });
  registry.add("Reshape", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<Reshape>(ctx); });
  registry.add("Permute", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<Permute>(ctx); });
}

}  // namespace qkw
