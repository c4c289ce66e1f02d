#include "quant/keras_batch.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.h"
#include "quant/quantizer.h"
#include "quant/tf_math.h"

namespace qkw {

namespace {
thread_local CallPosition current;
}  // namespace

const CallPosition& callPosition() { return current; }

CallPositionScope::CallPositionScope(int64_t firstSample, int64_t callSamples) : saved_(current) {
  if (firstSample < 0 || callSamples < 0 || (callSamples != 0 && firstSample >= callSamples))
    throw Error("predict: the first sample's index must be 0 to the call's sample count - 1");
  current = {firstSample, callSamples};
}

CallPositionScope::~CallPositionScope() { current = saved_; }

KerasBatchPart kerasBatchPart(int64_t local, int64_t samples) {
  const int64_t first = current.firstSample;
  const int64_t total = std::max(current.callSamples, first + samples);
  const int64_t global = first + local;
  const int64_t batchStart = global - global % quant::kKerasPredictBatch;
  const int64_t batchEnd = std::min(batchStart + quant::kKerasPredictBatch, total);
  return {std::min(batchEnd, first + samples) - global, global - batchStart, batchEnd - batchStart};
}

bool runsPerKerasBatch(const Quantizer& q) {
  static const char* const positional[] = {"quantized_po2",  "quantized_relu_po2", "quantized_sigmoid",
                                           "quantized_tanh", "quantized_ulaw",     "quantized_relu"};
  const std::string cls = q.className();
  // A quantized_bits / quantized_linear without a fixed grid (alpha='auto'/'auto_po2') takes its
  // scale from the tensor it is given, batch axis included: in model.predict that is one Keras
  // batch. (A run holding part of a batch gets the scale of the samples it holds: the zeros around
  // them change neither the max nor the least-squares sums.)
  if (!q.grid() && (cls == "quantized_bits" || cls == "quantized_linear")) return true;
  return std::find(std::begin(positional), std::end(positional), cls) != std::end(positional);
}

void applyPerKerasBatch(const Quantizer& q, const float* in, float* out, const Shape& shape) {
  const int64_t n = numElements(shape);
  const int64_t samples = shape.size() > 1 ? shape.front() : 0;
  if (samples < 1 || n % samples != 0) {
    q.apply(in, out, shape);
    return;
  }
  const int64_t perSample = n / samples;
  KerasBatchPart part{};
  for (int64_t first = 0; first < samples; first += part.count) {
    part = kerasBatchPart(first, samples);
    Shape batchShape = shape;
    batchShape[0] = part.batchSamples;
    const float* x = in + first * perSample;
    float* y = out + first * perSample;
    if (part.offset == 0 && part.count == part.batchSamples) {
      q.apply(x, y, batchShape);
      continue;
    }
    std::vector<float> batch(static_cast<size_t>(part.batchSamples * perSample), 0.0f);
    const int64_t at = part.offset * perSample, size = part.count * perSample;
    std::copy(x, x + size, batch.begin() + at);
    q.apply(batch.data(), batch.data(), batchShape);
    std::copy(batch.begin() + at, batch.begin() + at + size, y);
  }
}

}  // namespace qkw
