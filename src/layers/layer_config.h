// Reading Keras layer configs: typed accessors that fill Keras's constructor defaults and
// name the layer and key in every error, plus the conventions shared by the conv family
// (kernel_size as int or list, padding names, channels_last only).
#pragma once
#include <string>
#include <vector>

#include "layers/layer.h"

namespace qkw {

// The largest size-like config value (pad, crop) accepted at all: 2^53, so that sums of a few
// stay exact in int64 and in JS numbers. The limits (core/limits.h) then bound the outputs.
constexpr int64_t kMaxConfigSize = int64_t{1} << 53;

// Missing key or null -> fallback. Wrong type -> qkw::Error naming layer and key.
int configInt(const LayerContext& ctx, const std::string& key, int fallback);
float configFloat(const LayerContext& ctx, const std::string& key, float fallback);
bool configBool(const LayerContext& ctx, const std::string& key, bool fallback);
std::string configString(const LayerContext& ctx, const std::string& key, const std::string& fallback);
// A JSON integer (or integral float) as a checked int64; throws naming the layer and key when it
// is not an integer or lies outside the int64 range (unsigned JSON values above 2^63-1).
int64_t configInt64Value(const LayerContext& ctx, const std::string& key, const qkw::Json& v);
// Required integer (e.g. Dense units).
int requiredInt(const LayerContext& ctx, const std::string& key);

// An int or a list of `count` ints (kernel_size, strides, dilation_rate, pool_size).
std::vector<int> configIntTuple(const LayerContext& ctx, const std::string& key, size_t count,
                                const std::vector<int>& fallback);

// A Keras `axis` value (int or single-element list); negative axes are kept negative.
int configAxis(const LayerContext& ctx, const std::string& key, int fallback);

enum class Padding { Valid, Same, Causal, Full };
// Lower-cases ("VALID" from old QDepthwiseConv2D configs) and checks against `allowed`.
Padding configPadding(const LayerContext& ctx, const std::vector<Padding>& allowed);
std::string paddingName(Padding p);

// True when the config carries "qkw_effective_weights": true (converted files): the weights
// are stored as forward() uses them, so the factory must not quantize, fold or mask again.
bool usesEffectiveWeights(const LayerContext& ctx);

// Throws qkw::Unsupported for data_format "channels_first".
void requireChannelsLast(const LayerContext& ctx);

// Throws qkw::Error naming the layer and weight when `t` does not have shape `expected`.
void checkWeightShape(const LayerContext& ctx, const std::string& role, const Tensor& t, const Shape& expected);

// Resolves a (possibly negative) axis against a rank that includes the batch axis;
// throws naming the layer when out of range or the batch axis.
int resolveFeatureAxis(const std::string& layerPrefix, int axis, int rankWithBatch);

}  // namespace qkw
