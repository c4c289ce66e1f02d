#include "quant/keras_batch.h"

#include <algorithm>

#include "core/error.h"
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

}  // namespace qkw
