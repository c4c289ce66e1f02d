// Embind surface of the test-only WASM module build/wasm/kernel_selftest.{mjs,wasm} (CMake target
// qkw_kernel_selftest; never shipped, not in web/wasm/ nor the npm package). It runs the kernel
// self-tests (tests/cpp/*_kernels_self_test.cpp) against the very kernel objects the shipped
// module links (qkw_core, same flags), so tests/js checks the product's kernels compiled to WASM.
// No logic here: each function returns the result as JSON; a C++ exception becomes a JS Error.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <exception>
#include <string>

#include "core/json.h"
#include "float_kernels_self_test.h"
#include "integer_kernels_self_test.h"
#include "kernels/f32_conv2d_igemm.h"
#include "kernels/qs16_igemm_dot16x2.h"

namespace {

std::string toJson(const qkw::KernelSelfTestResult& r, const char* isa) {
  return qkw::Json{{"cases", r.cases}, {"macs", r.macs}, {"failures", r.failures}, {"isa", isa}}.dump();
}

template <typename F>
std::string guarded(F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    emscripten::val::global("Error").new_(emscripten::val(std::string("kernel self-test: ") + e.what())).throw_();
    __builtin_unreachable();
  }
}

// The integer kernels against their reference twins.
std::string selfTestKernels(int seed, int rounds) {
  return guarded([&] { return toJson(qkw::runIntegerKernelSelfTest(static_cast<uint32_t>(seed), rounds), qkw::qs16KernelIsa()); });
}

// The float32 conv kernels against conv2d_f32_reference.
std::string selfTestFloatKernels(int seed, int rounds) {
  return guarded([&] { return toJson(qkw::runFloatKernelSelfTest(static_cast<uint32_t>(seed), rounds), qkw::kF32ConvIsa); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(qkw_kernel_selftest) {
  emscripten::function("selfTestKernels", &selfTestKernels);
  emscripten::function("selfTestFloatKernels", &selfTestFloatKernels);
}
