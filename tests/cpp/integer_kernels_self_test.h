// Randomized comparison of every integer kernel with its reference twin, bit for bit, on
// sentinel-filled outputs: conv windows (1x1, odd sizes, strides, dilation, same/valid padding,
// channel counts that are not multiples of 4/8/16), dense rows, depthwise, the float -> code
// conversion on values on and off the grid (NaN, infinities, out of range), and the fixed-point
// quantizer of the fused epilogues.
//
// The very same cases run natively (tests/cpp/kernel_integer_test.cpp, against qkw_core) and compiled
// to WebAssembly under Node (the test-only module build/wasm/kernel_selftest.mjs, target
// qkw_kernel_selftest, linked with the shipped module's kernel objects; tests/js/integer_kernels.test.js).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qkw {

struct KernelSelfTestResult {
  int64_t cases = 0;                  // comparisons made
  int64_t macs = 0;                   // multiply-accumulates checked
  std::vector<std::string> failures;  // one line per mismatching case (kernel, shape, first difference)
};

KernelSelfTestResult runIntegerKernelSelfTest(uint32_t seed, int rounds);

}  // namespace qkw
