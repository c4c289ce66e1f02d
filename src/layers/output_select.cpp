// OutputSelect (see output_select.h): y = producer's extra output #k, copied unchanged.
#include "layers/output_select.h"

#include <algorithm>

#include "layers/analysis_rules.h"
#include "layers/layer_config.h"

namespace qkw {

Shape OutputSelectLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  if (!producer_ || inputShapes.size() != 1) throw Error("output '" + name() + "': not bound to its layer");
  const std::vector<std::string> names = producer_->extraOutputNames();
  if (index_ < 1 || index_ > names.size())
    throw Error("layer '" + producer_->name() + "' (" + producer_->className() + ") has no output #" +
                std::to_string(index_) + " (it has " + std::to_string(names.size() + 1) + ")");
  return producer_->extraOutputShape(index_, inputShapes[0]);
}

void OutputSelectLayer::forward(const std::vector<const Tensor*>& /*inputs*/, Tensor& output) const {
  const Tensor* t = producer_->extraOutput(index_);
  if (!t || t->data.size() != output.data.size())
    throw Error("output '" + name() + "': layer '" + producer_->name() + "' did not produce output #" +
                std::to_string(index_));
  std::copy(t->data.begin(), t->data.end(), output.data.begin());
}

// Recurrent states are float (a state_quantizer acts inside the next step only).
TensorAnalysis OutputSelectLayer::analyzeOutput(const AnalysisContext& ctx) const {
  const std::string producer = ctx.inputCount() ? ctx.input(0).name : std::string("?");
  const std::string part = name().substr(name().rfind('/') + 1);
  if (part == "backward")
    return ctx.floatResult("the backward direction's output of " + quote(producer) +
                           " (merge_mode None): float like the forward output");
  return ctx.floatResult("final " + part + " returned by " + quote(producer) +
                         " (return_state): recurrent states are float; a state_quantizer only quantizes them "
                         "inside the next step");
}

LayerPtr makeOutputSelectLayer(const LayerContext& ctx) {
  const int index = requiredInt(ctx, "index");
  if (index < 1) throw Error(ctx.errorPrefix() + "'index' must be >= 1");
  return std::make_unique<OutputSelectLayer>(ctx.name, static_cast<size_t>(index));
}

}  // namespace qkw
