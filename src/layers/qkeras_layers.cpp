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
  // QKeras master's 2024-09/10 variants of it (see the factory).
  for (const char* c : {"QSeparableConv2DTransposeCPU", "QSeparableConv2DTransposeTPU"})
    registry.add(c, makeQSeparableConv2DTransposeLayer);
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
  // A cell is a layer class too, normally nested in RNN(cell=...); makeRecurrentLayer rejects it alone.
  for (const char* c : {"QSimpleRNNCell", "QLSTMCell", "QGRUCell", "SimpleRNNCell", "LSTMCell", "GRUCell"})
    registry.add(c, makeRecurrentLayer);
  registry.add("QScaleShift", makeQScaleShiftLayer);
  registry.add("QAdaptiveActivation", makeQAdaptiveActivationLayer);
  registry.add("OutputSelect", makeOutputSelectLayer);  // graph-made: output #k of a multi-output layer
}

}  // namespace qkw
