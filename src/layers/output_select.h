// OutputSelect: the graph step behind a reference [layer, node, k] with k >= 1 to a layer with
// several outputs (RNN return_state, Bidirectional). It copies the producer's extra output #k
// (Layer::extraOutput) after the producer ran; its trace name is "<layer>/<output name>".
#pragma once
#include "layers/layer.h"

namespace qkw {

class OutputSelectLayer : public Layer {
 public:
  OutputSelectLayer(const std::string& name, size_t index) : Layer(name, "OutputSelect"), index_(index) {}

  // Called by the graph once the producer is built.
  void bind(const Layer* producer) { producer_ = producer; }
  size_t index() const { return index_; }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

 private:
  size_t index_;
  const Layer* producer_ = nullptr;
};

LayerPtr makeOutputSelectLayer(const LayerContext& ctx);

}  // namespace qkw
