// quantize_fixed_point_f32_reference on 4 float32 lanes (SSE4.1 natively, wasm SIMD through
// Emscripten). Exact because every step is the same IEEE float32 operation per lane:
// multiply/divide/add are correctly rounded either way (the divisions by the powers of two m and mi
// are multiplications by their exact reciprocals: the same real result, so the same rounding; a
// non-power of two takes the reference); round half to even is _mm_round_ps with
// _MM_FROUND_TO_NEAREST_INT (Emscripten lowers it to f32x4.nearest, also ties-to-even), the
// scalar code's nearbyintf under the default rounding mode; clip, ReLU and the cap are written
// as compare-and-select with the scalar code's comparisons, so NaN (comparisons false) and -0
// (compares equal to 0) take the same branch as in the scalar code; subnormals are kept (no
// FTZ/DAZ is set natively, and wasm has none).
#pragma once
#include <cstdint>

#include "kernels/quantize_fixed_point_f32_reference.h"

namespace qkw {

void quantize_fixed_point_f32_simd(const FixedPointQuantizer& q, const float* x, int64_t n, float* y);

}  // namespace qkw
