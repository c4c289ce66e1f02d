// Where a WASM run's samples sit in the user's whole model.predict call.
//
// Why: Keras's model.predict runs a call in batches of kKerasPredictBatch samples, and some
// results depend on a sample's position in its batch (TF's packet/scalar split in softmax and
// the element-wise activations, src/quant/tf_math.h) or in the call (QAdaptiveActivation's
// first batch). The JS API runs one user call as several runs (trace's batchSize pieces,
// threads' pieces, a worker's sub-chunks); each run declares its place with a
// CallPositionScope and position-dependent code reads callPosition().
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace qkw {

struct CallPosition {
  int64_t firstSample = 0;  // index, in the whole call, of this run's sample 0
  int64_t callSamples = 0;  // samples in the whole call; 0: the call ends with this run
};

// The position of the run in progress on this thread ({0, 0} outside any scope: the run is the
// whole call). Local sample s of a forward() is sample callPosition().firstSample + s of the call
// (e.g. QAdaptiveActivation: that index < quant::kKerasPredictBatch means the first batch).
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

// The part of a run's local samples [0, samples) that starts at local sample `local` and lies in
// one Keras predict batch of the call: local samples [local, local + count), which are samples
// [offset, offset + count) of a batch of batchSamples samples (positions per callPosition()).
// A run's parts: KerasBatchPart part{};
//   for (int64_t s = 0; s < samples; s += part.count) { part = kerasBatchPart(s, samples); ... }
struct KerasBatchPart {
  int64_t count, offset, batchSamples;
};
KerasBatchPart kerasBatchPart(int64_t local, int64_t samples);

class Quantizer;
// Whether q must run per Keras batch of the call (decided once, when a layer is built): the
// quantizers that are element-wise but take TF's log (po2) or sigmoid (real or internal 'real'
// sigmoid) by position in the batch, and grid-less quantized_bits / quantized_linear
// (alpha='auto'/'auto_po2': the scale comes from the batch).
bool runsPerKerasBatch(const Quantizer& q);
// q.apply(in, out, shape) on activations (batch first) once per Keras batch of the call, for a q
// that runsPerKerasBatch. A run that holds only part of a batch applies q to that batch's layout,
// zeros around its samples: exact for the path choice (zeros do not move it); a batch scale is
// then the scale of the samples the run holds.
void applyPerKerasBatch(const Quantizer& q, const float* in, float* out, const Shape& shape);

}  // namespace qkw
