// Keras PReLU: y = relu(x) + (-alpha) * relu(-x), alpha of the input's shape (batch excluded)
// with size 1 along shared_axes, broadcast.
#include "layers/layer_config.h"
#include "layers/layer_factories.h"

namespace qkw {

namespace {

class PReLULayer : public Layer {
 public:
  PReLULayer(const std::string& name, Tensor alpha) : Layer(name, "PReLU"), alpha_(std::move(alpha)) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    const std::string prefix = "layer '" + name() + "' (PReLU): ";
    if (inputShapes.size() != 1) throw Error(prefix + "expects exactly one input");
    const Shape& in = inputShapes[0];
    bool ok = in.size() == alpha_.shape.size();
    for (size_t d = 0; ok && d < in.size(); ++d) ok = alpha_.shape[d] == in[d] || alpha_.shape[d] == 1;
    if (!ok)
      throw Error(prefix + "weight 'alpha' " + shapeToString(alpha_.shape) + " does not broadcast to the input " +
                  shapeToString(in));
    return in;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int r = x.rank() - 1;  // without batch
    const int64_t sample = numElements(Shape(x.shape.begin() + 1, x.shape.end()));
    std::vector<int64_t> index(r);
    for (int64_t n = 0; n < x.shape[0]; ++n) {
      std::fill(index.begin(), index.end(), 0);
      for (int64_t i = 0; i < sample; ++i) {
        int64_t a = 0;
        for (int d = 0; d < r; ++d) a = a * alpha_.shape[d] + (alpha_.shape[d] == 1 ? 0 : index[d]);
        const float v = x.data[n * sample + i];
        const float pos = v > 0.0f ? v : 0.0f;
        const float negIn = -v;
        const float neg = negIn > 0.0f ? negIn : 0.0f;
        output.data[n * sample + i] = pos + (-alpha_.data[a]) * neg;
        for (int d = r - 1; d >= 0; --d) {
          if (++index[d] < x.shape[d + 1]) break;
          index[d] = 0;
        }
      }
    }
  }

  std::vector<WeightInput> effectiveWeights() const override { return {{"alpha", 0, alpha_}}; }

 private:
  Tensor alpha_;
};

}  // namespace

LayerPtr makePReLULayer(const LayerContext& ctx) {
  Tensor alpha = ctx.weight("alpha", {"alpha"});
  if (alpha.rank() == 0) throw Error(ctx.errorPrefix() + "weight 'alpha' must have the input's rank");
  return std::make_unique<PReLULayer>(ctx.name, std::move(alpha));
}

}  // namespace qkw
