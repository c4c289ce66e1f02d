// Reference vs SIMD kernels (bit-identical, see tests/cpp/kernel_simd_test.cpp) on shapes from
// typical QKeras models. Conv and dense kernels report GMAC/s (multiply-accumulates per second).
//   build/native/qkw_bench --benchmark_filter='Dense|Conv|Quantize'
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "conv_shapes.h"
#include "kernels/conv2d_f32_reference.h"
#include "kernels/conv2d_f32_simd.h"
#include "kernels/dense_f32_reference.h"
#include "kernels/dense_f32_simd.h"
#include "kernels/f32_conv2d_igemm.h"
#include "kernels/quantize_fixed_point_f32_reference.h"
#include "kernels/quantize_fixed_point_f32_simd.h"

namespace qkw {
namespace {

// Multiply-accumulates as a rate over CPU time: printed "GMAC=12.3/s", i.e. GMAC/s.
benchmark::Counter gmacPerSecond(int64_t macs) {
  return benchmark::Counter(static_cast<double>(macs) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

std::vector<float> randomValues(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

using DenseFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, const float*, float*);

// Args: rows, in, units.
template <DenseFn kKernel>
void BM_Dense(benchmark::State& state) {
  const int64_t rows = state.range(0), in = state.range(1), units = state.range(2);
  const auto x = randomValues(static_cast<size_t>(rows * in), 1);
  const auto w = randomValues(static_cast<size_t>(in * units), 2);
  const auto b = randomValues(static_cast<size_t>(units), 3);
  std::vector<float> y(static_cast<size_t>(rows * units));
  for (auto _ : state) {
    kKernel(x.data(), rows, in, w.data(), units, b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GMAC"] = gmacPerSecond(rows * in * units);
}
void denseShapes(benchmark::internal::Benchmark* b) {
  b->Args({1, 784, 128})->Args({1, 2048, 128})->Args({16, 784, 128})->Args({1, 64, 10});
}
BENCHMARK_TEMPLATE(BM_Dense, dense_f32_reference)->Apply(denseShapes);
BENCHMARK_TEMPLATE(BM_Dense, dense_f32_simd)->Apply(denseShapes);

using ConvFn = void (*)(const float*, const Conv2DGeometry&, const float*, int64_t, int64_t, const float*, float*);

// Args: height = width, input channels, filters, kernel size ('same', stride 1).
template <ConvFn kKernel>
void BM_Conv2D(benchmark::State& state) {
  const Conv2DGeometry g = sameConvGeometry(state.range(0), state.range(1), state.range(3));
  const int64_t filters = state.range(2);
  const auto x = randomValues(static_cast<size_t>(g.inH * g.inW * g.inC), 1);
  const auto w = randomValues(static_cast<size_t>(g.kH * g.kW * g.inC * filters), 2);
  const auto b = randomValues(static_cast<size_t>(filters), 3);
  std::vector<float> y(static_cast<size_t>(g.outH * g.outW * filters));
  for (auto _ : state) {
    kKernel(x.data(), g, w.data(), filters, 1, b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GMAC"] = gmacPerSecond(g.outH * g.outW * g.kH * g.kW * g.inC * filters);
}
void convShapes(benchmark::internal::Benchmark* b) { b->Args({32, 32, 32, 3})->Args({16, 64, 64, 3})->Args({32, 3, 16, 3}); }
BENCHMARK_TEMPLATE(BM_Conv2D, conv2d_f32_reference)->Apply(convShapes);
BENCHMARK_TEMPLATE(BM_Conv2D, conv2d_f32_simd)->Apply(convShapes);

// The float path's conv (ConvLayer's kernel for groups 1): weights packed once, as prepare does;
// the zero-padded input copy is part of every call.
void BM_Conv2D_f32_conv2d_igemm_4x8(benchmark::State& state) {
  const Conv2DGeometry g = sameConvGeometry(state.range(0), state.range(1), state.range(3));
  const int64_t filters = state.range(2);
  const auto x = randomValues(static_cast<size_t>(g.inH * g.inW * g.inC), 1);
  const auto w = randomValues(static_cast<size_t>(g.kH * g.kW * g.inC * filters), 2);
  const auto b = randomValues(static_cast<size_t>(filters), 3);
  const F32ConvPackedWeights packed = f32_conv2d_pack_weights(w.data(), g.kH, g.kW, g.inC, filters);
  std::vector<float> scratch(static_cast<size_t>(f32_conv2d_igemm_scratch(g)));
  std::vector<float> y(static_cast<size_t>(g.outH * g.outW * filters));
  for (auto _ : state) {
    f32_conv2d_igemm_4x8__simd(x.data(), g, packed, b.data(), y.data(), scratch.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GMAC"] = gmacPerSecond(g.outH * g.outW * g.kH * g.kW * g.inC * filters);
}
BENCHMARK(BM_Conv2D_f32_conv2d_igemm_4x8)->Apply(convShapes);

using DepthwiseFn = void (*)(const float*, const Conv2DGeometry&, const float*, int64_t, const float*, float*);

// Args: height = width, channels, kernel size (multiplier 1, 'same').
template <DepthwiseFn kKernel>
void BM_DepthwiseConv2D(benchmark::State& state) {
  const Conv2DGeometry g = sameConvGeometry(state.range(0), state.range(1), state.range(2));
  const auto x = randomValues(static_cast<size_t>(g.inH * g.inW * g.inC), 1);
  const auto w = randomValues(static_cast<size_t>(g.kH * g.kW * g.inC), 2);
  const auto b = randomValues(static_cast<size_t>(g.inC), 3);
  std::vector<float> y(static_cast<size_t>(g.outH * g.outW * g.inC));
  for (auto _ : state) {
    kKernel(x.data(), g, w.data(), 1, b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GMAC"] = gmacPerSecond(g.outH * g.outW * g.kH * g.kW * g.inC);
}
BENCHMARK_TEMPLATE(BM_DepthwiseConv2D, depthwise_conv2d_f32_reference)->Args({32, 32, 3});
BENCHMARK_TEMPLATE(BM_DepthwiseConv2D, depthwise_conv2d_f32_simd)->Args({32, 32, 3});

using QuantizeFn = void (*)(const FixedPointQuantizer&, const float*, int64_t, float*);

// Arg 0: quantized_bits(8,0,1); arg 1: quantized_relu(6,2) (ReLU base bounded at the clip top).
template <QuantizeFn kKernel>
void BM_QuantizeFixedPoint(benchmark::State& state) {
  FixedPointQuantizer q;
  if (state.range(0) == 0) {
    q.m = 128.0f;
    q.mi = 1.0f;
    q.lo = -127.0f;
    q.hi = 127.0f;
  } else {
    q.m = 64.0f;
    q.mi = 4.0f;
    q.lo = 0.0f;
    q.hi = 63.0f;
    q.base = FixedPointQuantizer::Base::ReluBounded;
    q.bound = 4.0f - 4.0f / 64.0f;
  }
  const int64_t n = 1 << 20;
  const auto x = randomValues(static_cast<size_t>(n), 4);
  std::vector<float> y(static_cast<size_t>(n));
  for (auto _ : state) {
    kKernel(q, x.data(), n, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK_TEMPLATE(BM_QuantizeFixedPoint, quantize_fixed_point_f32_reference)->Arg(0)->Arg(1);
BENCHMARK_TEMPLATE(BM_QuantizeFixedPoint, quantize_fixed_point_f32_simd)->Arg(0)->Arg(1);

}  // namespace
}  // namespace qkw
