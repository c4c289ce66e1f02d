// Integer kernels (qs16 IGEMM dot16x2, depthwise extmul, float -> code conversion; the popcount
// IGEMMs for binary/ternary codes) against the float32 SIMD kernels on the conv shapes of the
// issue's CIFAR-10 CNN (B), in GMAC/s.
//   build/native/qkw_bench --benchmark_filter='Qs16|Qt2|Qb1|F32ConvB'
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "conv_shapes.h"
#include "kernels/conv2d_f32_simd.h"
#include "kernels/qs16_igemm_dot16x2.h"
#include "kernels/qt2_igemm_popcnt.h"

namespace qkw {
namespace {

void setRate(benchmark::State& state, double macs) {
  state.counters["GMAC/s"] = benchmark::Counter(macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Args: spatial size, input channels, filters (3x3, same): (B)'s conv layers.
void BM_Qs16Conv2dIgemm4x8c2Dot16x2(benchmark::State& state) {
  const int64_t hw = state.range(0), c = state.range(1), n = state.range(2);
  const Conv2DGeometry g = sameConvGeometry(hw, c, 3);
  const int64_t stride = (c + 1) / 2 * 2;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> x4(0, 15), w4(-8, 7);
  std::vector<int16_t> image((hw * hw + 1) * stride, 0), w(9 * c * n);
  for (int64_t i = 0; i < hw * hw * stride; ++i) image[i] = static_cast<int16_t>(x4(rng));
  for (auto& v : w) v = static_cast<int16_t>(w4(rng));
  const Qs16PackedWeights packed = qs16_pack_igemm_weights(w.data(), 9, c, n);
  const std::vector<int32_t> offsets = qs16_conv_indirection(g, stride);
  std::vector<float> scale(n, 1.0f / 128), bias(n, 0.25f), y(hw * hw * n);
  for (auto _ : state) {
    qs16_igemm_4x8c2__dot16x2(hw * hw, image.data(), offsets.data(), packed, scale.data(), bias.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  setRate(state, static_cast<double>(hw * hw * 9 * c * n));
}

void BM_F32ConvB_conv2d_f32_simd(benchmark::State& state) {
  const int64_t hw = state.range(0), c = state.range(1), n = state.range(2);
  Conv2DGeometry g = sameConvGeometry(hw, c, 3);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> x4(0, 15), w4(-8, 7);
  std::vector<float> x(hw * hw * c), w(9 * c * n), bias(n, 0.25f), y(hw * hw * n);
  for (auto& v : x) v = x4(rng) / 16.0f;
  for (auto& v : w) v = w4(rng) / 8.0f;
  for (auto _ : state) {
    conv2d_f32_simd(x.data(), g, w.data(), n, 1, bias.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  setRate(state, static_cast<double>(hw * hw * 9 * c * n));
}

void cifarShapes(benchmark::internal::Benchmark* b) {
  b->Args({32, 32, 32})->Args({16, 32, 64})->Args({16, 64, 64})->Args({8, 64, 128})->Args({8, 128, 128});
}
BENCHMARK(BM_Qs16Conv2dIgemm4x8c2Dot16x2)->Apply(cifarShapes);
BENCHMARK(BM_F32ConvB_conv2d_f32_simd)->Apply(cifarShapes);

// The popcount kernels on the same shapes, codes in {-1, 0, 1} (qt2: and + popcount, every tile)
// or ±1 (qb1: xor + popcount; the driver sends the border tiles, which read 'same' padding, to
// qt2, as the layers run it).
void popcountConv(benchmark::State& state, bool binary) {
  const int64_t hw = state.range(0), c = state.range(1), n = state.range(2);
  const Conv2DGeometry g = sameConvGeometry(hw, c, 3);
  const int64_t kcb = (c + 7) / 8;
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> t(-1, 1), b(0, 1);
  auto code = [&] { return binary ? 2 * b(rng) - 1 : t(rng); };
  std::vector<float> x(hw * hw * c);
  for (auto& v : x) v = static_cast<float>(code());
  std::vector<int16_t> w(9 * c * n);
  for (auto& v : w) v = static_cast<int16_t>(code());
  std::vector<uint8_t> planes((hw * hw + 1) * 2 * kcb, 0);
  bool anyZero = false;
  if (!f32_to_qt2_planes(x.data(), hw * hw, c, 1.0f, -1, 1, planes.data(), &anyZero)) state.SkipWithError("codes");
  const Qt2PackedWeights packed = qt2_pack_igemm_weights(w.data(), 9, c, n);
  const std::vector<int32_t> offsets = qs16_conv_indirection(g, 2 * kcb);
  const auto zeroOffset = static_cast<int32_t>(hw * hw * 2 * kcb);
  std::vector<float> scale(n, 1.0f / 128), bias(n, 0.25f), y(hw * hw * n);
  for (auto _ : state) {
    qt2_igemm_4x16c8__popcnt(hw * hw, planes.data(), offsets.data(), zeroOffset, !anyZero, packed, scale.data(),
                             bias.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  setRate(state, static_cast<double>(hw * hw * 9 * c * n));
}
void BM_Qt2Conv2dIgemm4x16c8Popcnt_ternary(benchmark::State& state) { popcountConv(state, false); }
void BM_Qt2Conv2dIgemm4x16c8Popcnt_binary(benchmark::State& state) { popcountConv(state, true); }
BENCHMARK(BM_Qt2Conv2dIgemm4x16c8Popcnt_ternary)->Apply(cifarShapes);
BENCHMARK(BM_Qt2Conv2dIgemm4x16c8Popcnt_binary)->Apply(cifarShapes);

// Args: rows, in, units; codes ±1 (xor loop) or {-1, 0, 1} (and loop).
void popcountDense(benchmark::State& state, bool binary) {
  const int64_t rows = state.range(0), in = state.range(1), n = state.range(2);
  const int64_t kcb = (in + 7) / 8;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> t(-1, 1), b(0, 1);
  auto code = [&] { return binary ? 2 * b(rng) - 1 : t(rng); };
  std::vector<float> x(rows * in);
  for (auto& v : x) v = static_cast<float>(code());
  std::vector<int16_t> w(in * n);
  for (auto& v : w) v = static_cast<int16_t>(code());
  std::vector<uint8_t> planes(rows * 2 * kcb);
  bool anyZero = false;
  if (!f32_to_qt2_planes(x.data(), rows, in, 1.0f, -1, 1, planes.data(), &anyZero)) state.SkipWithError("codes");
  std::vector<int32_t> offsets(rows);
  for (int64_t r = 0; r < rows; ++r) offsets[r] = static_cast<int32_t>(r * 2 * kcb);
  const Qt2PackedWeights packed = qt2_pack_igemm_weights(w.data(), 1, in, n);
  std::vector<float> scale(n, 1.0f / 128), y(rows * n);
  for (auto _ : state) {
    qt2_igemm_4x16c8__popcnt(rows, planes.data(), offsets.data(), -1, !anyZero, packed, scale.data(), nullptr,
                             y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  setRate(state, static_cast<double>(rows * in * n));
}
void BM_Qt2DenseIgemm4x16c8Popcnt_ternary(benchmark::State& state) { popcountDense(state, false); }
void BM_Qt2DenseIgemm4x16c8Popcnt_binary(benchmark::State& state) { popcountDense(state, true); }
BENCHMARK(BM_Qt2DenseIgemm4x16c8Popcnt_ternary)->Args({1, 2048, 128})->Args({16, 784, 128});
BENCHMARK(BM_Qt2DenseIgemm4x16c8Popcnt_binary)->Args({1, 2048, 128})->Args({16, 784, 128});

// Elements per second of the checked float -> bit-plane conversion.
void BM_Qt2PlanesFromF32(benchmark::State& state) {
  const int64_t pixels = state.range(0), c = state.range(1);
  std::vector<float> x(pixels * c);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 3) - 1);
  std::vector<uint8_t> planes(pixels * 2 * ((c + 7) / 8));
  bool anyZero = false;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f32_to_qt2_planes(x.data(), pixels, c, 1.0f, -1, 1, planes.data(), &anyZero));
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] = benchmark::Counter(static_cast<double>(pixels * c) * 1e-9,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Qt2PlanesFromF32)->Args({1024, 32})->Args({256, 3});

// Args: rows, in, units.
void BM_Qs16DenseIgemm4x8c2Dot16x2(benchmark::State& state) {
  const int64_t rows = state.range(0), in = state.range(1), n = state.range(2);
  const int64_t stride = (in + 1) / 2 * 2;
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> x4(0, 15), w4(-8, 7);
  std::vector<int16_t> x(rows * stride, 0), w(in * n);
  for (auto& v : x) v = static_cast<int16_t>(x4(rng));
  for (auto& v : w) v = static_cast<int16_t>(w4(rng));
  std::vector<int32_t> offsets(rows);
  for (int64_t r = 0; r < rows; ++r) offsets[r] = static_cast<int32_t>(r * stride);
  const Qs16PackedWeights packed = qs16_pack_igemm_weights(w.data(), 1, in, n);
  std::vector<float> scale(n, 1.0f / 128), y(rows * n);
  for (auto _ : state) {
    qs16_igemm_4x8c2__dot16x2(rows, x.data(), offsets.data(), packed, scale.data(), nullptr, y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  setRate(state, static_cast<double>(rows * in * n));
}
BENCHMARK(BM_Qs16DenseIgemm4x8c2Dot16x2)->Args({1, 2048, 128})->Args({16, 784, 128});

// Args: spatial size, channels (3x3 depthwise, same).
void BM_Qs16Dwconv2d8cExtmul(benchmark::State& state) {
  const int64_t hw = state.range(0), c = state.range(1);
  const Conv2DGeometry g = sameConvGeometry(hw, c, 3);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> v8(-128, 127);
  std::vector<int16_t> image((hw * hw + 1) * c, 0), w(9 * c);
  for (int64_t i = 0; i < hw * hw * c; ++i) image[i] = static_cast<int16_t>(v8(rng));
  for (auto& v : w) v = static_cast<int16_t>(v8(rng));
  const std::vector<int32_t> offsets = qs16_conv_indirection(g, c);
  std::vector<float> scale(c, 1.0f / 128), y(hw * hw * c);
  for (auto _ : state) {
    qs16_dwconv2d_8c__extmul(hw * hw, image.data(), offsets.data(), 9, w.data(), c, scale.data(), nullptr, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  setRate(state, static_cast<double>(hw * hw * 9 * c));
}
BENCHMARK(BM_Qs16Dwconv2d8cExtmul)->Args({16, 64})->Args({32, 32});

// Elements per second of the checked float -> int16 code conversion.
void BM_Qs16CodesFromF32(benchmark::State& state) {
  const int64_t pixels = state.range(0), c = state.range(1);
  std::vector<float> x(pixels * c);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 16) / 16.0f;
  std::vector<int16_t> codes(pixels * ((c + 1) / 2 * 2));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        f32_to_qs16_codes__simd(x.data(), pixels, c, (c + 1) / 2 * 2, 1.0f / 16, 16.0f, 0, 15, codes.data()));
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] = benchmark::Counter(static_cast<double>(pixels * c) * 1e-9,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Qs16CodesFromF32)->Args({1024, 32})->Args({256, 3});

}  // namespace
}  // namespace qkw
