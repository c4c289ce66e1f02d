// Registers the QKeras layers and the Keras compute layers that share their code
// (Dense, Conv*, BatchNormalization, Activation, ReLU family, Softmax).
#include "layers/layer_factories.h"
#include "layers/output_select.h"

namespace qkw {

void registerQKerasLayers(LayerRegistry& registry) {
  registry.add("InputLayer", makeInputLayer);
  for (const char* c : {"QDense", "Dense"}) registry.add(c, makeDenseLayer);
  registry.add("QDenseBatchnorm", makeDenseBatchnormLayer);
  for (const char* c : {"QConv1D", "Conv1D", "QConv2D", "Conv2D"}) registry.add(c, makeConvLayer);
  for (const char* c : {"QConv2DTranspose", "Conv2DTranspose"}) registry.add(c, makeConv2DTransposeLayer);
  registry.add("QDepthwiseConv2DTranspose", makeQDepthwiseConv2DTransposeLayer);
  registry.add("QSeparableConv2DTranspose", makeQSeparableConv2DTransposeLayer);
  // QKeras master 2024-09-23..10-14 exported a TPU (grouped convolution) and a CPU (per-channel)
  // variant; the CPU one's call is exactly today's QSeparableConv2DTranspose, which QKeras's
  // docstring calls the TPU one's inference equivalent (TF's CPU kernels cannot run the TPU one).
  registry.add("QSeparableConv2DTransposeCPU", makeQSeparableConv2DTransposeLayer);
  registry.add("QSeparableConv2DTransposeTPU", [](const LayerContext& ctx) {
    ctx.warn("ignored-setting", "QSeparableConv2DTransposeTPU runs as QSeparableConv2DTransposeCPU, QKeras's stated "
                                "inference equivalent: TensorFlow's CPU kernels cannot run its grouped convolution");
    return makeQSeparableConv2DTransposeLayer(ctx);
  });
  for (const char* c : {"QDepthwiseConv2D", "DepthwiseConv2D"}) registry.add(c, makeDepthwiseConv2DLayer);
  for (const char* c : {"QSeparableConv1D", "QSeparableConv2D", "SeparableConv1D", "SeparableConv2D"})
    registry.add(c, makeSeparableConvLayer);
  for (const char* c : {"QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm"}) registry.add(c, makeConvBatchnormLayer);
  for (const char* c : {"QBatchNormalization", "BatchNormalization"}) registry.add(c, makeBatchNormalizationLayer);
  for (const char* c : {"QActivation", "Activation"}) registry.add(c, makeActivationLayer);
  for (const char* c : {"ReLU", "LeakyReLU"}) registry.add(c, makeReLULayer);
  registry.add("PReLU", makePReLULayer);
  registry.add("Softmax", makeSoftmaxLayer);
  for (const char* c : {"QAveragePooling2D", "QGlobalAveragePooling2D"}) registry.add(c, makeQAveragePoolingLayer);
  for (const char* c : {"QSimpleRNN", "QLSTM", "QGRU", "SimpleRNN", "LSTM", "GRU", "RNN"}) registry.add(c, makeRecurrentLayer);
  for (const char* c : {"QBidirectional", "Bidirectional"}) registry.add(c, makeBidirectionalLayer);
  // A cell is a layer class too, but a model holds it inside RNN(cell=...) (handled there); as a
  // layer of its own it runs one step on explicit states.
  for (const char* c : {"QSimpleRNNCell", "QLSTMCell", "QGRUCell", "SimpleRNNCell", "LSTMCell", "GRUCell"})
    registry.add(c, [](const LayerContext& ctx) -> LayerPtr {
      throw Unsupported(ctx.errorPrefix() + "a recurrent cell used as a layer on its own (one step on explicit "
                                            "states) is not supported; inside RNN(cell=...) or as the matching "
                                            "sequence layer (QSimpleRNN, QLSTM, QGRU, ...) it is");
    });
  registry.add("QScaleShift", makeQScaleShiftLayer);
  registry.add("QAdaptiveActivation", makeQAdaptiveActivationLayer);
  registry.add("OutputSelect", makeOutputSelectLayer);  // graph-made: output #k of a multi-output layer
}

}  // namespace qkw
