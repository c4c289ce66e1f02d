#include "layers/layer_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace qkw {

namespace {

const qkw::Json* present(const LayerContext& ctx, const std::string& key) {
  const qkw::Json* v = ctx.find(key);
  return (v && !v->is_null()) ? v : nullptr;
}

[[noreturn]] void badType(const LayerContext& ctx, const std::string& key, const std::string& expected,
                          const qkw::Json& value) {
  throw Error(ctx.errorPrefix() + "config '" + key + "' must be " + expected + ", got " + value.dump());
}

// Config integers are read as checked 64-bit values, then must fit an int: a value that does
// not is an error, never truncated (4294967360 used to load as 64).
int toInt(const LayerContext& ctx, const std::string& key, const qkw::Json& v) {
  const int64_t i = configInt64Value(ctx, key, v);
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
    throw Error(ctx.errorPrefix() + "config '" + key + "' is " + v.dump() + ", out of the supported range [" +
                std::to_string(std::numeric_limits<int>::min()) + ", " + std::to_string(std::numeric_limits<int>::max()) +
                "]");
  return static_cast<int>(i);
}

}  // namespace

int64_t configInt64Value(const LayerContext& ctx, const std::string& key, const qkw::Json& v) {
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(ctx.errorPrefix() + "config '" + key + "' is " + v.dump() + ", out of the 64-bit integer range");
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    // Integral floats (2.0) count as integers when exactly representable as int64.
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) return static_cast<int64_t>(d);
  }
  badType(ctx, key, "an integer", v);
}

int configInt(const LayerContext& ctx, const std::string& key, int fallback) {
  const qkw::Json* v = present(ctx, key);
  return v ? toInt(ctx, key, *v) : fallback;
}

int requiredInt(const LayerContext& ctx, const std::string& key) {
  const qkw::Json* v = present(ctx, key);
  if (!v) throw Error(ctx.errorPrefix() + "config has no '" + key + "'");
  return toInt(ctx, key, *v);
}

float configFloat(const LayerContext& ctx, const std::string& key, float fallback) {
  const qkw::Json* v = present(ctx, key);
  if (!v) return fallback;
  if (!v->is_number()) badType(ctx, key, "a number", *v);
  // Keras stores Python floats (float64); TF casts them to float32 where they meet tensors.
  return static_cast<float>(v->get<double>());
}

bool configBool(const LayerContext& ctx, const std::string& key, bool fallback) {
  const qkw::Json* v = present(ctx, key);
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer()) return v->get<int>() != 0;
  badType(ctx, key, "a boolean", *v);
}

std::string configString(const LayerContext& ctx, const std::string& key, const std::string& fallback) {
  const qkw::Json* v = present(ctx, key);
  if (!v) return fallback;
  if (!v->is_string()) badType(ctx, key, "a string", *v);
  return v->get<std::string>();
}

std::vector<int> configIntTuple(const LayerContext& ctx, const std::string& key, size_t count,
                                const std::vector<int>& fallback) {
  const qkw::Json* v = present(ctx, key);
  if (!v) return fallback;
  if (v->is_number()) return std::vector<int>(count, toInt(ctx, key, *v));
  if (!v->is_array() || v->size() != count)
    badType(ctx, key, "an integer or a list of " + std::to_string(count) + " integers", *v);
  std::vector<int> out;
  for (const auto& e : *v) out.push_back(toInt(ctx, key, e));
  return out;
}

int configAxis(const LayerContext& ctx, const std::string& key, int fallback) {
  const qkw::Json* v = present(ctx, key);
  if (!v) return fallback;
  if (v->is_array()) {
    if (v->size() != 1) throw Unsupported(ctx.errorPrefix() + "'" + key + "' with several axes " + v->dump());
    return toInt(ctx, key, (*v)[0]);
  }
  return toInt(ctx, key, *v);
}

Padding configPadding(const LayerContext& ctx, const std::vector<Padding>& allowed) {
  std::string p = configString(ctx, "padding", "valid");
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Padding result;
  if (p == "valid") result = Padding::Valid;
  else if (p == "same") result = Padding::Same;
  else if (p == "causal") result = Padding::Causal;
  else if (p == "full") result = Padding::Full;
  else throw Error(ctx.errorPrefix() + "unknown padding '" + p + "'");
  if (std::find(allowed.begin(), allowed.end(), result) == allowed.end())
    throw Error(ctx.errorPrefix() + "padding '" + p + "' is not valid for this layer");
  return result;
}

std::string paddingName(Padding p) {
  switch (p) {
    case Padding::Valid: return "valid";
    case Padding::Same: return "same";
    case Padding::Causal: return "causal";
    case Padding::Full: return "full";
  }
  return "?";
}

bool usesEffectiveWeights(const LayerContext& ctx) { return configBool(ctx, "qkw_effective_weights", false); }

void requireChannelsLast(const LayerContext& ctx) {
  std::string f = configString(ctx, "data_format", "channels_last");
  if (f != "channels_last")
    throw Unsupported(ctx.errorPrefix() + "data_format '" + f + "' (only channels_last is supported)");
}

void checkWeightShape(const LayerContext& ctx, const std::string& role, const Tensor& t, const Shape& expected) {
  if (t.shape != expected)
    throw Error(ctx.errorPrefix() + "weight '" + role + "' has shape " + shapeToString(t.shape) + ", expected " +
                shapeToString(expected));
  if (t.size() != numElements(expected))
    throw Error(ctx.errorPrefix() + "weight '" + role + "' holds " + std::to_string(t.size()) +
                " values for shape " + shapeToString(expected));
}

int resolveFeatureAxis(const std::string& layerPrefix, int axis, int rankWithBatch) {
  int a = axis < 0 ? axis + rankWithBatch : axis;
  if (a <= 0 || a >= rankWithBatch)
    throw Error(layerPrefix + "axis " + std::to_string(axis) + " is out of range for an input of rank " +
                std::to_string(rankWithBatch) + " (batch axis included)");
  return a;
}

}  // namespace qkw
