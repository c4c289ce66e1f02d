// qt2_pack_igemm_weights and qt2_planes_to_codes (qt2_igemm_popcnt.h): prepare-time packing and
// a test helper, not inner loops (the WASM build compiles this file for size).
#include <cstddef>

#include "kernels/qt2_igemm_popcnt.h"

namespace qkw {

Qt2PackedWeights qt2_pack_igemm_weights(const int16_t* codes, int64_t ks, int64_t kcIn, int64_t n) {
  Qt2PackedWeights p;
  p.n = n;
  p.ks = ks;
  p.kcIn = kcIn;
  p.kcb = (kcIn + 7) / 8;
  p.binary = true;
  for (int64_t i = 0; i < ks * kcIn * n; ++i) p.binary = p.binary && codes[i] != 0;
  const int64_t blocks = (n + kQt2GemmNR - 1) / kQt2GemmNR;
  p.data.assign(static_cast<size_t>(blocks * ks * p.kcb * 2 * kQt2GemmNR), 0);
  p.tapSums.assign(static_cast<size_t>(blocks * ks * kQt2GemmNR), 0);
  for (int64_t t = 0; t < ks; ++t)
    for (int64_t k = 0; k < kcIn; ++k)
      for (int64_t col = 0; col < n; ++col)
        p.tapSums[((col / kQt2GemmNR) * ks + t) * kQt2GemmNR + col % kQt2GemmNR] += codes[(t * kcIn + k) * n + col];
  uint8_t* out = p.data.data();
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t t = 0; t < ks; ++t)
      for (int64_t k = 0; k < p.kcb; ++k, out += 2 * kQt2GemmNR)
        for (int64_t j = 0; j < kQt2GemmNR; ++j) {
          const int64_t col = b * kQt2GemmNR + j;
          if (col >= n) continue;
          for (int64_t bit = 0; bit < 8 && 8 * k + bit < kcIn; ++bit) {
            const int16_t c = codes[(t * kcIn + 8 * k + bit) * n + col];
            if (c != 0) out[j] |= static_cast<uint8_t>(1u << bit);
            if (c < 0) out[kQt2GemmNR + j] |= static_cast<uint8_t>(1u << bit);
          }
        }
  return p;
}

void qt2_planes_to_codes(const uint8_t* planes, int64_t pixels, int64_t channels, int16_t* codes,
                         int64_t codeStride) {
  const int64_t kcb = (channels + 7) / 8;
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t c = 0; c < channels; ++c) {
      const uint8_t* row = planes + p * 2 * kcb;
      const int nz = (row[c / 8] >> (c % 8)) & 1, neg = (row[kcb + c / 8] >> (c % 8)) & 1;
      codes[p * codeStride + c] = static_cast<int16_t>(nz ? (neg ? -1 : 1) : 0);
    }
}

}  // namespace qkw
