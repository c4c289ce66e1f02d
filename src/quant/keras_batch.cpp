#include "quant/keras_batch.h"

#include "core/error.h"

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

}  // namespace qkw
