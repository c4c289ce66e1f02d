// Keras InputLayer: declares the model input's shape; at run time it passes the input through.
#include <algorithm>

#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"

namespace qkw {

namespace {

class InputLayer : public Layer {
 public:
  InputLayer(const std::string& name, Shape shape) : Layer(name, "InputLayer"), shape_(std::move(shape)) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (!inputShapes.empty() && inputShapes[0] != shape_)
      throw Error("layer '" + name() + "' (InputLayer): input has shape " + shapeToString(inputShapes[0]) +
                  ", the model expects " + shapeToString(shape_));
    return shape_;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    if (inputs.size() != 1 || inputs[0]->data.size() != output.data.size())
      throw Error("layer '" + name() + "' (InputLayer): input does not match shape " + shapeToString(shape_));
    std::copy(inputs[0]->data.begin(), inputs[0]->data.end(), output.data.begin());
  }

  bool isIdentityOnValues() const override { return true; }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    return ctx.floatResult("model input: float unless the data you feed is on a grid (the observed check will tell)");
  }

 private:
  Shape shape_;
};

}  // namespace

LayerPtr makeInputLayer(const LayerContext& ctx) {
  const qkw::Json* s = ctx.find("batch_input_shape");
  if (!s || s->is_null()) s = ctx.find("batch_shape");
  if (!s || !s->is_array() || s->empty())
    throw Error(ctx.errorPrefix() + "config has no 'batch_input_shape' or 'batch_shape' list");
  Shape shape;
  for (size_t i = 1; i < s->size(); ++i) {
    const auto& d = (*s)[i];
    if (d.is_null())
      throw Unsupported(ctx.errorPrefix() + "input dimension " + std::to_string(i) +
                        " is not fixed (None); only fixed input shapes besides the batch axis are supported");
    if (!d.is_number_integer() || d.get<int64_t>() <= 0)
      throw Error(ctx.errorPrefix() + "bad input dimension " + d.dump() + " in " + s->dump());
    shape.push_back(d.get<int64_t>());
  }
  return std::make_unique<InputLayer>(ctx.name, std::move(shape));
}

}  // namespace qkw
