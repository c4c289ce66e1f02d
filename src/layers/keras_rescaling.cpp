#include "layers/keras_rescaling.h"

#include <algorithm>
#include <cmath>

#include "kernels/scale_offset_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

// A number, or a flat list broadcast on the last axis. Keras stores Python floats; TF casts
// them to float32 before the multiply (tf.cast(self.scale, compute_dtype)).
std::vector<float> readScalarOrList(const LayerContext& ctx, const std::string& key, float fallback) {
  const qkw::Json* v = ctx.find(key);
  if (!v || v->is_null()) return {fallback};
  auto number = [&](const qkw::Json& e) {
    if (!e.is_number())
      throw Error(ctx.errorPrefix() + "config '" + key + "' must be a number or a list of numbers, got " + v->dump());
    return static_cast<float>(e.get<double>());
  };
  if (!v->is_array()) return {number(*v)};
  if (v->empty()) throw Error(ctx.errorPrefix() + "config '" + key + "' is an empty list");
  std::vector<float> values;
  for (const qkw::Json& e : *v) values.push_back(number(e));
  return values;
}

class Rescaling : public KerasLayer {
 public:
  explicit Rescaling(const LayerContext& ctx)
      : KerasLayer(ctx), scale_(readScalarOrList(ctx, "scale", 1.0f)), offset_(readScalarOrList(ctx, "offset", 0.0f)) {
    if (!ctx.find("scale")) fail("config has no 'scale'");
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    const Shape& in = inputShapes[0];
    const int64_t channels = in.empty() ? 1 : in.back();
    for (const auto* values : {&scale_, &offset_}) {
      const int64_t n = static_cast<int64_t>(values->size());
      if (n != 1 && n != channels)
        fail(std::string(values == &scale_ ? "scale" : "offset") + " has " + std::to_string(n) +
             " values but the input's last axis has " + std::to_string(channels) + " (input shape " +
             shapeToString(in) + ")");
    }
    return in;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int64_t channels = x.rank() > 1 ? x.shape.back() : 1;
    kernels::scaleOffsetF32Reference(x.size(), channels, x.data.data(), scale_, offset_, output.data.data());
  }

  // x*s + o maps a dyadic grid onto a dyadic grid when s and o are short dyadic numbers and the
  // products fit float32's mantissa.
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    const TensorAnalysis& in = ctx.input(0);
    if (in.status == TensorAnalysis::Status::Float) return ctx.floatBecauseInput(in, "Rescaling of float values");
    if (scale_.size() != 1) return ctx.floatResult("Rescaling with a per-channel or missing scale is not tracked");
    if (offset_.size() != 1) return ctx.floatResult("Rescaling with a per-channel offset is not tracked");
    const float s = scale_[0], o = offset_[0];
    if (!isUniformDyadic(in))
      return ctx.floatResult("Rescaling of a non-uniform or data-dependent grid is not tracked");
    const GridSummary& g = *in.grid;
    const double maxAbs = std::max(std::fabs(g.min), std::fabs(g.max));
    double step = s == 0 ? sumStep(g) : sumStep(g) * dyadicStep(s);
    const bool productExact = s == 0 || bitsForMagnitude(maxAbs / sumStep(g)) + significandBits(s) <= kFloat32Mantissa;
    double lo = std::min(g.min * s, g.max * s) + o, hi = std::max(g.min * s, g.max * s) + o;
    if (o != 0) step = std::min(step, dyadicStep(o));
    const std::string call = "Rescaling(scale=" + formatNumber(s) + ", offset=" + formatNumber(o) + ")";
    if (!productExact || bitsForMagnitude(std::max(std::fabs(lo), std::fabs(hi)) / step) > kFloat32Mantissa)
      return ctx.floatResult(call + " multiplies by a scale that is not a short dyadic number (e.g. 1/255): the "
                                    "products need more than float32's 24-bit mantissa, so the output is float");
    return ctx.exactResult(uniformGrid(step, lo, hi), call + " maps the grid of " + quote(in.name) + " exactly",
                           sourceOf(in));
  }

 private:
  std::vector<float> scale_;
  std::vector<float> offset_;
};

}  // namespace

void registerKerasRescalingLayers(LayerRegistry& registry) {
  registry.add("Rescaling", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<Rescaling>(ctx); });
}

}  // namespace qkw
