// Resource limits for untrusted model files, and checked 64-bit size arithmetic.
//
// Every shape, size, stride, pad and count read from a file is an int64 checked against these
// limits before anything is allocated. The WASM target is 32-bit (size_t is 32 bits there), so
// an element count is only ever narrowed to size_t through toSizeT(), which throws instead of
// wrapping. The defaults fit every real QKeras model by a wide margin; loadModel's
// `limits` option raises them (web/model.js -> ModelOptions::limits).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"

namespace qkw {

struct Limits {
  // Elements of one tensor per batch sample (every layer output), and of one weight tensor.
  // 2^28 float32 = 1 GiB.
  int64_t maxTensorElements = int64_t{1} << 28;
  // Bytes of all activation buffers of one predict (batch included): 1 GiB.
  int64_t maxArenaBytes = int64_t{1} << 30;
  // Bytes of all weights of a model as the file stores them (float32): 1 GiB.
  int64_t maxWeightBytes = int64_t{1} << 30;
  // Layers in a model (InputLayers included).
  int64_t maxLayers = 100000;
  // Nesting depth of the model's graph JSON (the deepest real config nests about 8 levels).
  int64_t maxConfigDepth = 64;

  // "maxTensorElements=268435456": how errors name a limit.
  static std::string describe(const char* name, int64_t value) { return std::string(name) + "=" + std::to_string(value); }
  // The sentence every limit error ends with.
  static std::string howToRaise(const char* name) {
    return "(raise it with loadModel(..., { limits: { " + std::string(name) + " } }))";
  }
};

// a * b, or throws `what` + " overflows 64 bits" (operands must be non-negative).
inline int64_t checkedMul(int64_t a, int64_t b, const std::string& what) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) throw Error(what + ": size overflows 64 bits");
  return r;
}

inline int64_t checkedAdd(int64_t a, int64_t b, const std::string& what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw Error(what + ": size overflows 64 bits");
  return r;
}

// An element count narrowed to size_t for allocation (32 bits in WASM); throws instead of
// wrapping when the bytes would not be addressable.
inline size_t toSizeT(int64_t count, size_t elementBytes, const std::string& what) {
  if (count < 0 || static_cast<uint64_t>(count) > std::numeric_limits<size_t>::max() / elementBytes)
    throw Error(what + ": " + std::to_string(count) + " elements do not fit in this platform's memory (" +
                std::to_string(sizeof(size_t) * 8) + "-bit addresses)");
  return static_cast<size_t>(count);
}

}  // namespace qkw
