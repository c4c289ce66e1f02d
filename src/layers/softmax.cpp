// Keras Softmax layer: tf.nn.softmax along `axis` (default -1): e = exp(x - max),
// y = e * (1 / sum(e)), with TensorFlow's CPU exp, sum order and reciprocal (quant/tf_math.h).
#include "layers/activation_function.h"
#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"

namespace qkw {

namespace {

class SoftmaxLayer : public Layer {
 public:
  SoftmaxLayer(const std::string& name, int axis, quant::TfCpuKernels kernels)
      : Layer(name, "Softmax"), axis_(axis), kernels_(kernels) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    const std::string prefix = "layer '" + name() + "' (Softmax): ";
    if (inputShapes.size() != 1) throw Error(prefix + "expects exactly one input");
    resolveFeatureAxis(prefix, axis_, static_cast<int>(inputShapes[0].size()) + 1);
    return inputShapes[0];
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int a = resolveFeatureAxis("", axis_, x.rank());
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < a; ++d) outer *= x.shape[d];
    for (int d = a + 1; d < x.rank(); ++d) inner *= x.shape[d];
    softmaxAxis(x.data.data(), output.data.data(), outer, x.shape[a], inner, x.rank() > 1 ? x.shape[0] : 1, kernels_);
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    return ctx.floatResult("Softmax is a float function: its output is on no grid (a final float softmax is normal)");
  }

 private:
  int axis_;
  quant::TfCpuKernels kernels_;
};

}  // namespace

LayerPtr makeSoftmaxLayer(const LayerContext& ctx) {
  return std::make_unique<SoftmaxLayer>(ctx.name, configAxis(ctx, "axis", -1),
                                        ctx.quantizerOptions.oneDnnKernels ? quant::TfCpuKernels::OneDnn
                                                                           : quant::TfCpuKernels::Eigen);
}

}  // namespace qkw
