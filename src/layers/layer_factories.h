// Factories of the layers registered by registerQKerasLayers (src/layers/qkeras_layers.cpp).
// Each is defined in its layer's own file.
#pragma once
#include "layers/layer.h"

namespace qkw {

LayerPtr makeInputLayer(const LayerContext& ctx);
LayerPtr makeDenseLayer(const LayerContext& ctx);           // QDense, Dense
LayerPtr makeDenseBatchnormLayer(const LayerContext& ctx);  // QDenseBatchnorm
LayerPtr makeConvLayer(const LayerContext& ctx);            // QConv1D, Conv1D, QConv2D, Conv2D
LayerPtr makeConv2DTransposeLayer(const LayerContext& ctx); // QConv2DTranspose, Conv2DTranspose
LayerPtr makeDepthwiseConv2DLayer(const LayerContext& ctx); // QDepthwiseConv2D, DepthwiseConv2D
LayerPtr makeSeparableConvLayer(const LayerContext& ctx);   // QSeparableConv1D/2D, SeparableConv1D/2D
LayerPtr makeConvBatchnormLayer(const LayerContext& ctx);   // QConv2DBatchnorm, QDepthwiseConv2DBatchnorm
LayerPtr makeBatchNormalizationLayer(const LayerContext& ctx);  // QBatchNormalization, BatchNormalization
LayerPtr makeActivationLayer(const LayerContext& ctx);      // QActivation, Activation
LayerPtr makeReLULayer(const LayerContext& ctx);            // ReLU, LeakyReLU
LayerPtr makePReLULayer(const LayerContext& ctx);           // PReLU
LayerPtr makeSoftmaxLayer(const LayerContext& ctx);         // Softmax
LayerPtr makeQAveragePoolingLayer(const LayerContext& ctx); // QAveragePooling2D, QGlobalAveragePooling2D
LayerPtr makeQDepthwiseConv2DTransposeLayer(const LayerContext& ctx);  // QDepthwiseConv2DTranspose
LayerPtr makeQSeparableConv2DTransposeLayer(const LayerContext& ctx);  // QSeparableConv2DTranspose
LayerPtr makeRecurrentLayer(const LayerContext& ctx);       // QSimpleRNN, QLSTM, QGRU, SimpleRNN, LSTM, GRU
LayerPtr makeBidirectionalLayer(const LayerContext& ctx);   // QBidirectional, Bidirectional
LayerPtr makeQScaleShiftLayer(const LayerContext& ctx);     // QScaleShift
LayerPtr makeQAdaptiveActivationLayer(const LayerContext& ctx);  // QAdaptiveActivation

}  // namespace qkw
