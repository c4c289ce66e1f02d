// Reference twins of the integer kernels in qs16_igemm_dot16x2.h: plain loops, int32 sums,
// the same float32 epilogue.
#include <cmath>

#include "kernels/qs16_igemm_dot16x2.h"

namespace qkw {

namespace {

inline float epilogue(int32_t acc, float scale, const float* bias, int64_t n) {
  float v = static_cast<float>(acc) * scale;
  if (bias) v = v + bias[n];
  return v;
}

}  // namespace

void qs16_igemm_reference(int64_t m, const int16_t* base, const int32_t* offsets, int64_t ks, int64_t kcIn,
                          const int16_t* codes, int64_t n, const float* scale, const float* bias, float* y,
                          int64_t ldy) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      int32_t acc = 0;
      for (int64_t t = 0; t < ks; ++t) {
        const int16_t* a = base + offsets[r * ks + t];
        for (int64_t k = 0; k < kcIn; ++k) acc += int32_t(a[k]) * int32_t(codes[(t * kcIn + k) * n + j]);
      }
      y[r * ldy + j] = epilogue(acc, scale[j], bias, j);
    }
  }
}

bool f32_to_qs16_codes_reference(const float* x, int64_t pixels, int64_t channels, int64_t paddedChannels, float step,
                                 int32_t lo, int32_t hi, int16_t* codes) {
  for (int64_t p = 0; p < pixels; ++p) {
    for (int64_t c = 0; c < paddedChannels; ++c) {
      if (c >= channels) {
        codes[p * paddedChannels + c] = 0;
        continue;
      }
      const double v = static_cast<double>(x[p * channels + c]) / step;  // exact for a power-of-two step
      if (!(v >= lo && v <= hi) || v != std::floor(v)) return false;
      codes[p * paddedChannels + c] = static_cast<int16_t>(v);
    }
  }
  return true;
}

void qs16_dwconv2d_reference(int64_t pixels, const int16_t* base, const int32_t* offsets, int64_t ks,
                             const int16_t* w, int64_t channels, const float* scale, const float* bias, float* y) {
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t c = 0; c < channels; ++c) {
      int32_t acc = 0;
      for (int64_t t = 0; t < ks; ++t) acc += int32_t(base[offsets[p * ks + t] + c]) * int32_t(w[t * channels + c]);
      y[p * channels + c] = epilogue(acc, scale[c], bias, c);
    }
}

}  // namespace qkw
