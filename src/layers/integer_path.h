// The integer path of the linear layers (conv2d, dense, depthwise), chosen at prepare().
//
// Exactness (why the integer result is QKeras's float32 result, bit for bit):
//  - the analysis proves the input is on a uniform grid k * s_in, s_in a power of two, and
//    forward() re-checks every value while converting it to its int16 code k (a value off the grid,
//    NaN or infinite sends that call down the float path);
//  - each output channel c's effective weights are k * s_w[c], s_w[c] the largest power of two
//    dividing all of them (so the codes are integers, checked to fit int16);
//  - the analysis' bound (AccumulatorBound, without bias) says every partial sum of every channel
//    needs at most 24 bits of grid units s_in * s_w[c]. Then every product and every partial sum
//    the float kernels form is an integer times that power of two below 2^24: exact in float32, in
//    any order. So the float sum equals int_acc * (s_in * s_w[c]) exactly (0 comes out as +0.0f in
//    both), and the integer kernel's epilogue float(acc) * scale[c] is exact too;
//  - what follows runs as in the float path, per element and in the same order: + bias (TF's
//    conv/matmul then bias_add: the float kernels add the bias to the finished sum), then the
//    layer's activation.
// Otherwise the float kernel runs and KernelChoice::reason says why.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/conv2d_f32_reference.h"
#include "kernels/qs16_igemm_dot16x2.h"
#include "kernels/qt2_igemm_popcnt.h"
#include "layers/layer.h"

namespace qkw {

// How the integer path reads its input: codes x / step in [lo, hi].
struct IntegerInput {
  float step = 1, invStep = 1;
  int32_t lo = 0, hi = 0;
  bool fitsInt8 = false;
  bool zeroFree = false;  // no value is 0 (InputFacts::zeroFree)
};

// Per output channel weight codes: channel of element i is i % channels.
struct WeightCodes {
  std::vector<int16_t> codes;  // same layout as the kernel
  std::vector<double> steps;   // s_w per channel (1 for an all-zero channel)
  bool fitsInt8 = false;
};

// The integer plan of one layer, or the reason there is none.
struct IntegerPlan {
  bool active = false;
  IntegerInput input;
  std::vector<float> scale;  // s_in * s_w[c], exact powers of two
  int accumulatorBits = 0;
};

// Reads inputs[0]'s facts into an IntegerInput, or returns why the integer path cannot read it.
std::optional<std::string> integerInputProblem(const PrepareContext& ctx, IntegerInput* input);
// Splits the weights into codes and per-channel power-of-two steps, or returns why it cannot.
std::optional<std::string> weightCodesProblem(const Tensor& kernel, int64_t channels, WeightCodes* codes);
// Checks the analysis' accumulator bound and the epilogue scales; fills plan (active on success).
std::optional<std::string> finishPlan(const PrepareContext& ctx, const Tensor& kernel, int64_t channels,
                                      bool zeroTerms, const IntegerInput& input, const WeightCodes& weights,
                                      IntegerPlan* plan);

// "qs8" when both operands' codes fit int8, else "qs16" (both run on int16 lanes).
std::string integerTypeName(const IntegerInput& input, const WeightCodes& weights);

// The popcount path (kernels/qt2_igemm_popcnt.h): every input code and every weight code in
// {-1, 0, 1}. Same plan, same exactness argument; only the kernel differs.
bool popcountCodes(const IntegerInput& input, const WeightCodes& weights);
// "qb1_<op>_igemm_4x16c8_<isa>_xor_popcnt" for binary weights on a zero-free input, else
// "qt2_<op>_igemm_4x16c8_<isa>_popcnt" (whose xor loop still runs on calls whose input holds no 0).
std::string popcountKernelName(const std::string& op, bool binaryWeights, const IntegerInput& input);

}  // namespace qkw
