// TensorFlow's CPU float32 log, as QKeras's po2 rounding sees it.
//
// Why: QKeras rounds exponents with round(log(x) / log(2)); at ties (x = 2^(k+1/2), e.g. a
// quadratic-approximation variance of 0.5 or 2) one ulp of log decides the power of two.
// TF evaluates tf.math.log with Eigen: whole packets of 8 floats (AVX) go through Eigen's
// vectorized plog (a rational approximation, not correctly rounded), the tail through the C
// library's logf. For sqrt(0.5) they differ: Eigen gives -0.346573591 (-> exponent 0, so
// 0.5 -> 1 as QKeras users observe), logf gives -0.346573621 (-> 0.25).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "quant/rounding.h"

namespace qkw::quant {

// Eigen's plog_impl_float (frexp, shift to [sqrt(1/2), sqrt(2)), rational (3,3) fit of
// log(1+x), add e*ln2), evaluated without FMA; 0 -> -inf, negative/NaN -> NaN, inf -> inf.
float eigenLogf(float x);

// The exp TF computes for element `index` of a tensor of `count` elements: Eigen's pexp on whole
// packets of 8, the C library's expf on the tail.
float tfExpf(float x, int64_t index, int64_t count);

// The log TF computes for element `index` of a tensor of `count` elements.
float tfLogf(float x, int64_t index, int64_t count);

constexpr int64_t kTfPacketSize = 8;

// ---- Float activations as TensorFlow's CPU kernels compute them --------------------------------
//
// TensorFlow's x86 wheels are built with -mavx and without -mfma, so Eigen works on 8-float
// packets (Packet8f) and pmadd(a, b, c) is a rounded multiply then a rounded add. Element-wise
// ops run whole packets over the flat tensor and the remainder (count % 8) through the scalar
// functor, which for exp is the C library's expf. Where an Eigen or oneDNN routine is emulated
// below, the constants and the order of operations are those of the named source version; no
// FMA contraction happens here (-ffp-contract=off), explicit std::fma only where the emulated
// code executes a fused multiply-add.

// Eigen's pexp_float (GenericPacketMathFunctions.h, Eigen from 2021-12 to 2024-11):
// m = floor(x*log2(e) + 1/2); r = x - m*ln2 in two parts (Cephes C1, C2);
// exp(r) ~ 1 + r + r^2*(p2 + r*p3 + r^2*(p4 + r*p5 + r^2*p6)) with even/odd split; 2^m by
// exponent arithmetic. x < -104 gives 0, x > 88.723 is clamped (overflow to inf via ldexp).
// TensorFlow flushes denormal results to zero, so does this.
float eigenExpf(float x);

// The x86 RCPPS/VRCPPS approximate reciprocal as Intel processors compute it: the result
// keeps 12 significant fraction bits, 1/(1.f) with f the top 11 fraction bits of the input
// plus a half step, rounded to nearest at the 12th bit; exponent 253 - e. Zero and denormals
// give a signed infinity, infinities a signed zero. This formula reproduces all 2048 entries of
// the Intel table the Bochs emulator uses. (AMD processors return different low bits, so
// TensorFlow's Eigen results differ between the two vendors.)
float x86RcpApprox(float x);

// Eigen's preciprocal<Packet8f> with EIGEN_FAST_MATH (Eigen from 2022-01 on): one Newton step
// x1 = x0 * (2 - a*x0) from x86RcpApprox, without FMA. This is what
// TensorFlow's `tensor.inverse()` computes on whole packets; the tail uses 1.0f / a.
float eigenReciprocalf(float x);

// oneDNN's JIT exp (jit_uni_eltwise_injector, exp_compute_vector_fwd) on an FMA machine:
// clamp to [ln(FLT_MIN), ln(FLT_MAX)], n = floor(x*log2(e) + 1/2) with a separate multiply and
// add, r = fma(-n, ln2, x), degree-5 polynomial by FMA Horner steps, times 2^n; inputs below
// ln(FLT_MIN) give 0.
float onednnExpf(float x);

// Eigen's generic_fast_tanh_float (TensorFlow's Tanh op, packets and scalars alike, Eigen
// 2019-12 to 2024-02): |x| < 0.0004 gives x; else x clamped to +-7.90531110763549805 (the
// non-FMA bound), odd degree-13 over even degree-6 rational in x^2, Horner steps without FMA.
float eigenTanhf(float x);

// Eigen's scalar_logistic_op<float> (TensorFlow's Sigmoid op, Eigen from 2022-01 on):
// packets compute e = exp(min(x, 16.6355324) / 2)^2 with a degree-5 polynomial and return
// e / (1 + e) (0 below -104); the scalar tail computes e = expf(min(x, 16.6355324)) and
// e / (1 + e).
float eigenSigmoidPacketf(float x);
float eigenSigmoidScalarf(float x);
// The sigmoid TF computes for element `index` of a tensor of `count` elements.
inline float tfSigmoidf(float x, int64_t index, int64_t count) {
  return index < (count / kTfPacketSize) * kTfPacketSize ? eigenSigmoidPacketf(x) : eigenSigmoidScalarf(x);
}

// Which CPU kernel TensorFlow ran. Stock TensorFlow uses Eigen; Linux x86 builds from 2.9 on
// rewrite Softmax to oneDNN's (_MklSoftmax) when oneDNN is enabled (the default on CPUs with
// AVX512-VNNI/BF16/AMX, or with TF_ENABLE_ONEDNN_OPTS=1).
enum class TfCpuKernels { Eigen, OneDnn };

// tf.nn.softmax over the rows of one `rows` x `n` matrix as TensorFlow computes it for one
// model.predict batch (Keras splits predict into batches of 32 samples):
//  - Eigen (softmax_op_functor.h): e = exp(x - max) over the flat matrix, packets of 8 then
//    libm expf for the last (rows*n) % 8 elements; per-row sum by Eigen's inner-most reducer
//    (8-lane packet accumulators, four of them from 32 values on, combined in order, then a
//    scalar tail, then tail + horizontal packet sum); inv = 1/sum with eigenReciprocalf on whole
//    packets of 8 rows and 1.0f/sum on the rest; out = e * inv.
//  - oneDNN (jit_uni_softmax, AVX-512: 16 lanes): e = onednnExpf(x - max), lane-wise sums then
//    the xor-8/4/2/1 butterfly, inv = 1.0f / sum, out = e * inv.
// Rows are independent but for those paths: with firstRow/batchRows, the `rows` rows given are
// rows [firstRow, firstRow + rows) of a batch matrix of batchRows rows (-1: of `rows` rows).
void tfSoftmaxRows(const float* in, float* out, int64_t rows, int64_t n, TfCpuKernels kernels,
                   int64_t firstRow = 0, int64_t batchRows = -1);

constexpr int64_t kKerasPredictBatch = 32;

// The auto_po2 rounding of a scale tensor: s = 2^round(log(s + 1e-7) / log(2)), elementwise in
// the tensor's flat order (which decides Eigen packet vs scalar tail).
inline void roundScalesToPowersOfTwo(std::vector<float>& scales) {
  const int64_t count = static_cast<int64_t>(scales.size());
  for (int64_t i = 0; i < count; ++i) {
    float& v = scales[static_cast<size_t>(i)];
    v = std::pow(2.0f, roundHalfEven(tfLogf(v + kEpsilonf, i, count) / kLog2f));
  }
}

}  // namespace qkw::quant
