#include "layers/keras_pad_crop_layer.h"

#include "kernels/pad_crop2d_f32_reference.h"

namespace qkw {

PadCropLayer::PadCropLayer(const LayerContext& ctx, Mode mode, std::vector<std::array<int64_t, 2>> pairs)
    : KerasLayer(ctx), mode_(mode), pairs_(std::move(pairs)) {}

Shape PadCropLayer::spatialOutput(const Shape& in) const {
  Shape out = in;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const int64_t change = pairs_[i][0] + pairs_[i][1];
    if (mode_ == Mode::ZeroPad) {
      out[i] = in[i] + change;
    } else {
      out[i] = in[i] - change;
      if (out[i] <= 0)
        fail("cropping (" + std::to_string(pairs_[i][0]) + ", " + std::to_string(pairs_[i][1]) +
             ") removes all of axis " + std::to_string(i + 1) + " of input shape " + shapeToString(in));
    }
  }
  return out;
}

Shape PadCropLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  requireInputCount(inputShapes.size(), 1);
  requireRank(inputShapes[0], pairs_.size() + 1, pairs_.size() == 1 ? "(steps, channels)" : "(height, width, channels)");
  return spatialOutput(inputShapes[0]);
}

void PadCropLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  const Shape in(x.shape.begin() + 1, x.shape.end());
  const Shape out = spatialOutput(in);
  const int64_t sign = mode_ == Mode::ZeroPad ? 1 : -1;
  kernels::PadCrop2dGeometry g;
  g.batch = x.shape[0];
  g.channels = in.back();
  if (pairs_.size() == 1) {
    g.inHeight = 1;
    g.outHeight = 1;
    g.inWidth = in[0];
    g.outWidth = out[0];
    g.offsetLeft = sign * pairs_[0][0];
  } else {
    g.inHeight = in[0];
    g.inWidth = in[1];
    g.outHeight = out[0];
    g.outWidth = out[1];
    g.offsetTop = sign * pairs_[0][0];
    g.offsetLeft = sign * pairs_[1][0];
  }
  kernels::padCrop2dF32Reference(g, x.data.data(), output.data.data());
}

}  // namespace qkw
