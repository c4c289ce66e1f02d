// Where a WASM run's samples sit in the user's whole model.predict call.
//
// Why: Keras's model.predict runs a call in batches of kKerasPredictBatch samples, and some
// results depend on a sample's position in its batch (TF's packet/scalar split in softmax and
// the element-wise activations, src/quant/tf_math.h) or in the call (QAdaptiveActivation's
// first batch). The JS API runs one user call as several runs (trace's batchSize pieces,
// threads' pieces, a worker's sub-chunks); each run declares its place with a
// CallPositionScope and position-dependent code reads callPosition().
#pragma once
#include <algorithm>
#include <cstdint>

#include "quant/tf_math.h"

namespace qkw {

struct CallPosition {
  int64_t firstSample = 0;  // index, in the whole call, of this run's sample 0
  int64_t callSamples = 0;  // samples in the whole call; 0: the call ends with this run
};

// The position of the run in progress on this thread ({0, 0} outside any scope: the run is the
// whole call).
const CallPosition& callPosition();

// Sets callPosition() for its lifetime (one predict or trace), restoring the previous one.
class CallPositionScope {
 public:
  CallPositionScope(int64_t firstSample, int64_t callSamples);
  ~CallPositionScope();
  CallPositionScope(const CallPositionScope&) = delete;
  CallPositionScope& operator=(const CallPositionScope&) = delete;

 private:
  CallPosition saved_;
};

// Calls f(localFirst, count, offsetInBatch, batchSamples) for each part of the local samples
// [0, samples) that lies in one Keras predict batch of the call: the part is local samples
// [localFirst, localFirst + count), which are samples [offsetInBatch, offsetInBatch + count) of a
// batch of batchSamples samples.
template <class F>
void forEachKerasBatch(int64_t samples, F&& f) {
  const CallPosition& at = callPosition();
  const int64_t first = at.firstSample;
  const int64_t total = std::max(at.callSamples, first + samples);
  for (int64_t local = 0; local < samples;) {
    const int64_t global = first + local;
    const int64_t batchStart = global - global % quant::kKerasPredictBatch;
    const int64_t batchEnd = std::min(batchStart + quant::kKerasPredictBatch, total);
    const int64_t count = std::min(batchEnd, first + samples) - global;
    f(local, count, global - batchStart, batchEnd - batchStart);
    local += count;
  }
}

}  // namespace qkw
