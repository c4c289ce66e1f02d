// Shape arithmetic shared by the convolution layers (Keras/TF conventions, channels_last).
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/conv2d_f32_reference.h"
#include "kernels/depthwise_conv2d_transpose_f32_reference.h"
#include "layers/layer_config.h"

namespace qkw {

// Output length and padding-before of one spatial axis of a forward conv or pooling window.
// causal = pad (k-1)*d on the left, then valid (Keras Conv1D). Throws when nothing fits.
inline int64_t convOutputLength(const std::string& prefix, int64_t in, int64_t k, int64_t stride, int64_t dilation,
                                Padding padding, int64_t* padBefore) {
  int64_t out = 0;
  *padBefore = 0;
  switch (padding) {
    case Padding::Same: out = samePadding(in, k, stride, dilation, padBefore); break;
    case Padding::Causal:
      *padBefore = (k - 1) * dilation;
      out = validOutputLength(in + *padBefore, k, stride, dilation);
      break;
    default: out = validOutputLength(in, k, stride, dilation); break;
  }
  if (out <= 0)
    throw Error(prefix + "input length " + std::to_string(in) + " is smaller than the kernel window (" +
                std::to_string((k - 1) * dilation + 1) + ")");
  return out;
}

// The common conv hyper-parameters, read for rank 1 (Conv1D) or 2 (Conv2D). For rank 1 the
// height entries are 1 so the 2D kernels serve both.
struct ConvParams {
  int rank = 2;
  int64_t kH = 1, kW = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  Padding padding = Padding::Valid;

  static ConvParams read(const LayerContext& ctx, int rank, const std::vector<Padding>& allowedPadding) {
    ConvParams p;
    p.rank = rank;
    auto k = configIntTuple(ctx, "kernel_size", rank, {});
    if (k.empty()) throw Error(ctx.errorPrefix() + "config has no 'kernel_size'");
    auto s = configIntTuple(ctx, "strides", rank, std::vector<int>(rank, 1));
    auto d = configIntTuple(ctx, "dilation_rate", rank, std::vector<int>(rank, 1));
    for (int i = 0; i < rank; ++i)
      if (k[i] <= 0 || s[i] <= 0 || d[i] <= 0)
        throw Error(ctx.errorPrefix() + "kernel_size, strides and dilation_rate must be positive");
    if (rank == 2) {
      p.kH = k[0]; p.kW = k[1]; p.strideH = s[0]; p.strideW = s[1]; p.dilationH = d[0]; p.dilationW = d[1];
    } else {
      p.kW = k[0]; p.strideW = s[0]; p.dilationW = d[0];
    }
    p.padding = configPadding(ctx, allowedPadding);
    return p;
  }

  // Fills spatial input/output sizes and padding from an input shape without batch axis:
  // (L, C) for rank 1, (H, W, C) for rank 2.
  Conv2DGeometry geometry(const std::string& prefix, const Shape& in) const {
    if (static_cast<int>(in.size()) != rank + 1)
      throw Error(prefix + "expects an input of rank " + std::to_string(rank + 2) + " (batch included), got " +
                  shapeToString(in) + " without batch");
    Conv2DGeometry g;
    g.inH = rank == 2 ? in[0] : 1;
    g.inW = rank == 2 ? in[1] : in[0];
    g.inC = in.back();
    g.kH = kH; g.kW = kW; g.strideH = strideH; g.strideW = strideW; g.dilationH = dilationH; g.dilationW = dilationW;
    g.outH = rank == 2 ? convOutputLength(prefix, g.inH, kH, strideH, dilationH, padding, &g.padTop) : 1;
    g.outW = convOutputLength(prefix, g.inW, kW, strideW, dilationW, padding, &g.padLeft);
    return g;
  }

  // Transposed-conv geometry (rank 2 only) from an input without batch axis (H, W, C): Keras's
  // deconv_output_length per axis (outputPadding empty = None, as QKeras's transposed layers
  // that ignore it pass), then the padding of the matching forward conv. `kernelName` names the
  // weight whose input-channel count `kernelInChannels` is, for the error message.
  Conv2DGeometry transposedGeometry(const std::string& prefix, const Shape& in, const std::vector<int>& outputPadding,
                                    int64_t kernelInChannels, const std::string& kernelName) const {
    if (in.size() != 3)
      throw Error(prefix + "expects an input of rank 4 (batch included), got " + shapeToString(in) +
                  " without batch");
    if (in[2] != kernelInChannels)
      throw Error(prefix + "input has " + std::to_string(in[2]) + " channels, the " + kernelName + " expects " +
                  std::to_string(kernelInChannels));
    // (in - 1) * stride below must stay in int64: strides are ints, so bound the input side.
    if (in[0] > std::numeric_limits<int32_t>::max() || in[1] > std::numeric_limits<int32_t>::max())
      throw Error(prefix + "input shape " + shapeToString(in) + " is too large for a transposed convolution");
    Conv2DGeometry g;
    g.inH = in[0];
    g.inW = in[1];
    g.inC = in[2];
    g.kH = kH; g.kW = kW; g.strideH = strideH; g.strideW = strideW; g.dilationH = dilationH; g.dilationW = dilationW;
    const bool same = padding == Padding::Same;
    const bool inferred = outputPadding.empty();
    g.outH = deconvOutputLength(g.inH, g.kH, g.strideH, g.dilationH, same, inferred ? -1 : outputPadding[0]);
    g.outW = deconvOutputLength(g.inW, g.kW, g.strideW, g.dilationW, same, inferred ? -1 : outputPadding[1]);
    if (g.outH <= 0 || g.outW <= 0) throw Error(prefix + "output size is not positive");
    setConv2DTransposePadding(g, same);
    return g;
  }

  Shape outputShape(const Conv2DGeometry& g, int64_t channels) const {
    return rank == 2 ? Shape{g.outH, g.outW, channels} : Shape{g.outW, channels};
  }
};

// Geometry for forward(): the input tensor includes the batch axis.
inline Conv2DGeometry batchedGeometry(const ConvParams& p, const std::string& prefix, const Tensor& x) {
  Shape noBatch(x.shape.begin() + 1, x.shape.end());
  Conv2DGeometry g = p.geometry(prefix, noBatch);
  g.batch = x.shape[0];
  return g;
}

}  // namespace qkw
