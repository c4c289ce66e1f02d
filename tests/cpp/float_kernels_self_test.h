// Randomized comparison of the optimized float32 conv kernel with conv2d_f32_reference, bit for
// bit (NaN payloads aside), on sentinel-filled outputs: f32_conv2d_igemm_4x8__simd (packed,
// zero-padded input, with and without its per-chunk epilogue) on conv windows 1x1 to 5x5, odd
// sizes, strides, dilation, same/valid padding, batch 1-2, channel counts that are not multiples
// of 4/8/16, and inputs/weights with IEEE special values (-0, all -0, subnormals, values whose
// products overflow; NaN and infinities in the input and the bias, and in the weights of convs
// without padding: with padding the kernel is only chosen for finite weights).
//
// The very same cases run natively (tests/cpp/kernel_float_test.cpp, against qkw_core) and compiled
// to WebAssembly under Node (the test-only module build/wasm/kernel_selftest.mjs, target
// qkw_kernel_selftest, linked with the shipped module's kernel objects; tests/js/float_kernels.test.js).
#pragma once
#include <cstdint>

#include "integer_kernels_self_test.h"  // KernelSelfTestResult

namespace qkw {

KernelSelfTestResult runFloatKernelSelfTest(uint32_t seed, int rounds);

}  // namespace qkw
