#include "layers/keras_common.h"

#include <algorithm>
#include <cmath>

namespace qkw {

void KerasLayer::requireInputCount(size_t actual, size_t count) const {
  if (actual != count)
    fail("expects " + std::to_string(count) + " input" + (count == 1 ? "" : "s") + ", got " + std::to_string(actual));
}

void KerasLayer::requireRank(const Shape& shape, size_t rank, const std::string& what) const {
  if (shape.size() != rank)
    fail("expects " + what + " (rank " + std::to_string(rank + 1) + " with the batch axis), got input shape " +
         shapeToString(shape) + " without the batch axis");
}

int64_t pooledLength(int64_t in, int64_t pool, int64_t stride, Padding padding) {
  const int64_t length = (padding == Padding::Same) ? in : in - pool + 1;
  if (length <= 0) return length;
  return (length + stride - 1) / stride;
}

int64_t samePaddingBefore(int64_t in, int64_t pool, int64_t stride, int64_t out) {
  const int64_t total = std::max<int64_t>((out - 1) * stride + pool - in, 0);
  return total / 2;
}

namespace {

[[noreturn]] void badPadding(const LayerContext& ctx, const std::string& key, size_t spatialAxes,
                             const qkw::Json& value) {
  const std::string forms = spatialAxes == 1
                                ? "an integer or a pair of integers"
                                : "an integer, a pair of integers, or a pair of (before, after) pairs";
  throw Error(ctx.errorPrefix() + "config '" + key + "' must be " + forms + ", got " + value.dump());
}

int64_t nonNegativeInt(const LayerContext& ctx, const std::string& key, size_t spatialAxes,
                       const qkw::Json& value, const qkw::Json& whole) {
  if (!value.is_number_integer() && !(value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()))
    badPadding(ctx, key, spatialAxes, whole);
  const int64_t v = configInt64Value(ctx, key, value);
  if (v < 0) throw Error(ctx.errorPrefix() + "config '" + key + "' has a negative value: " + whole.dump());
  // A pad or crop larger than any tensor can be is an error here; sums of two stay in int64.
  if (v > kMaxConfigSize)
    throw Error(ctx.errorPrefix() + "config '" + key + "' value " + std::to_string(v) + " is over the largest supported size " +
                std::to_string(kMaxConfigSize) + ": " + whole.dump());
  return v;
}

}  // namespace

std::vector<std::array<int64_t, 2>> configPadPairs(const LayerContext& ctx, const std::string& key,
                                                   size_t spatialAxes,
                                                   const std::vector<std::array<int64_t, 2>>& fallback) {
  const qkw::Json* found = ctx.find(key);
  if (!found || found->is_null()) return fallback;
  const qkw::Json& v = *found;
  std::vector<std::array<int64_t, 2>> pairs;
  if (v.is_number()) {
    const int64_t p = nonNegativeInt(ctx, key, spatialAxes, v, v);
    return std::vector<std::array<int64_t, 2>>(spatialAxes, {p, p});
  }
  if (!v.is_array()) badPadding(ctx, key, spatialAxes, v);
  if (spatialAxes == 1) {
    if (v.size() == 2 && v[0].is_number() && v[1].is_number())
      return {{nonNegativeInt(ctx, key, 1, v[0], v), nonNegativeInt(ctx, key, 1, v[1], v)}};
    badPadding(ctx, key, spatialAxes, v);
  }
  if (v.size() != spatialAxes) badPadding(ctx, key, spatialAxes, v);
  for (const qkw::Json& axis : v) {
    if (axis.is_number()) {
      const int64_t p = nonNegativeInt(ctx, key, spatialAxes, axis, v);
      pairs.push_back({p, p});
    } else if (axis.is_array() && axis.size() == 2) {
      pairs.push_back({nonNegativeInt(ctx, key, spatialAxes, axis[0], v), nonNegativeInt(ctx, key, spatialAxes, axis[1], v)});
    } else {
      badPadding(ctx, key, spatialAxes, v);
    }
  }
  // Keras rejects mixing a symmetric int with a pair for 2D ((1, (2, 3)) is not a valid form).
  const bool allInts = std::all_of(v.begin(), v.end(), [](const qkw::Json& a) { return a.is_number(); });
  const bool allPairs = std::all_of(v.begin(), v.end(), [](const qkw::Json& a) { return a.is_array(); });
  if (!allInts && !allPairs) badPadding(ctx, key, spatialAxes, v);
  return pairs;
}

}  // namespace qkw
