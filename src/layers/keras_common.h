// Shared by the plain Keras utility layers (keras_*.cpp): a Layer base that keeps the
// error prefix, input-count checks, Keras's pooling length arithmetic and the
// int / pair / pair-of-pairs forms of ZeroPadding and Cropping configs.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "layers/layer_config.h"

namespace qkw {

class KerasLayer : public Layer {
 protected:
  explicit KerasLayer(const LayerContext& ctx) : Layer(ctx.name, ctx.className), prefix_(ctx.errorPrefix()) {}

  const std::string& prefix() const { return prefix_; }
  [[noreturn]] void fail(const std::string& message) const { throw Error(prefix_ + message); }

  // Throws naming the layer unless there are exactly `count` inputs.
  void requireInputCount(size_t actual, size_t count) const;
  // Throws naming the layer unless the input (without batch) has rank `rank`.
  void requireRank(const Shape& shape, size_t rank, const std::string& what) const;

 private:
  std::string prefix_;
};

// Keras conv_utils.conv_output_length for pooling (dilation 1): 'valid' -> ceil((in-k+1)/s),
// 'same' -> ceil(in/s). Returns a value <= 0 when the window does not fit.
int64_t pooledLength(int64_t in, int64_t pool, int64_t stride, Padding padding);

// TF's 'same' padding before the first element: total = max((out-1)*s + k - in, 0), before = total/2.
int64_t samePaddingBefore(int64_t in, int64_t pool, int64_t stride, int64_t out);

// One (before, after) pair per spatial axis from `key`, accepting every form Keras accepts:
//   spatialAxes == 1: int, or (a, b);
//   spatialAxes == 2: int, (sym_h, sym_w), or ((top, bottom), (left, right)).
// Negative values are an error naming the layer and key.
std::vector<std::array<int64_t, 2>> configPadPairs(const LayerContext& ctx, const std::string& key,
                                                   size_t spatialAxes,
                                                   const std::vector<std::array<int64_t, 2>>& fallback);

}  // namespace qkw
