// Dense / tf.matmul on the last axis, vectorized across output units (4 float32 lanes: SSE4.1
// natively, wasm SIMD through Emscripten's SSE lowering).
//
// Exactness: Keras's kernel is (in, units), so units u..u+3 of one input row i are contiguous.
// Each lane owns one output unit and performs exactly the reference's scalar sequence for it:
// start from 0, add x[i] * w[i][u] for ascending i (a multiply rounded to float32, then an add
// rounded to float32; never fused, the build has -ffp-contract=off and SSE has no FMA), then add
// the bias. Lanes never combine with each other, so no sum is reassociated and every output is
// bit-identical to dense_f32_reference (which remains the spec the tests compare against).
#pragma once
#include <cstdint>

namespace qkw {

// Same contract as dense_f32_reference.
void dense_f32_simd(const float* x, int64_t rows, int64_t in, const float* kernel, int64_t units, const float* bias,
                    float* y);

}  // namespace qkw
