#include "graph/planner.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace qkw {

ArenaPlan planArena(const std::vector<std::vector<size_t>>& inputsOfStep, const std::vector<int64_t>& elementsPerSample,
                    const std::vector<bool>& pinned) {
  const size_t n = inputsOfStep.size();
  constexpr size_t kForever = std::numeric_limits<size_t>::max();
  // lastUse[s]: the last step reading step s's output (s itself when nobody reads it).
  std::vector<size_t> lastUse(n);
  for (size_t s = 0; s < n; ++s) lastUse[s] = pinned[s] ? kForever : s;
  for (size_t i = 0; i < n; ++i)
    for (size_t s : inputsOfStep[i]) {
      if (s >= i) throw Error("internal: step " + std::to_string(i) + " reads a later step");
      if (lastUse[s] != kForever) lastUse[s] = std::max(lastUse[s], i);
    }

  ArenaPlan plan;
  plan.bufferOfStep.assign(n, -1);
  plan.releasedAfterStep.assign(n, {});
  std::vector<int> freeBuffers;
  for (size_t i = 0; i < n; ++i) {
    const int64_t need = elementsPerSample[i];
    // Best fit among free buffers: the smallest that is large enough, else the largest (grown).
    int chosen = -1;
    size_t chosenPos = 0;
    for (size_t k = 0; k < freeBuffers.size(); ++k) {
      const int b = freeBuffers[k];
      const int64_t cap = plan.bufferElementsPerSample[b];
      if (chosen < 0) {
        chosen = b, chosenPos = k;
        continue;
      }
      const int64_t best = plan.bufferElementsPerSample[chosen];
      const bool fits = cap >= need, bestFits = best >= need;
      if ((fits && (!bestFits || cap < best)) || (!fits && !bestFits && cap > best)) chosen = b, chosenPos = k;
    }
    if (chosen >= 0) {
      freeBuffers.erase(freeBuffers.begin() + static_cast<std::ptrdiff_t>(chosenPos));
      plan.bufferElementsPerSample[chosen] = std::max(plan.bufferElementsPerSample[chosen], need);
    } else {
      chosen = static_cast<int>(plan.bufferElementsPerSample.size());
      plan.bufferElementsPerSample.push_back(need);
    }
    plan.bufferOfStep[i] = chosen;

    // Release after the step: inputs whose last reader is this step, and an unread output.
    std::vector<int>& released = plan.releasedAfterStep[i];
    for (size_t s : inputsOfStep[i])
      if (lastUse[s] == i && std::find(released.begin(), released.end(), plan.bufferOfStep[s]) == released.end())
        released.push_back(plan.bufferOfStep[s]);
    if (lastUse[i] == i) released.push_back(chosen);
    for (int b : released) freeBuffers.push_back(b);
  }
  return plan;
}

void Arena::configure(const ArenaPlan& plan, int64_t maxBytes) {
  maxBytes_ = maxBytes;
  elementsPerSample_ = plan.bufferElementsPerSample;
  buffers_.assign(elementsPerSample_.size(), Tensor());
  for (Tensor& t : buffers_) t.shape.reserve(8);
  plannedBatch_ = 0;
}

void Arena::ensureBatch(int64_t batch) {
  if (batch <= plannedBatch_) return;
  // Every size checked before anything is freed or allocated.
  std::vector<size_t> capacity(buffers_.size());
  int64_t bytes = 0;
  for (size_t b = 0; b < buffers_.size(); ++b) {
    const int64_t elements = checkedMul(elementsPerSample_[b], batch, "predict: activation buffer");
    bytes = checkedAdd(bytes, checkedMul(elements, static_cast<int64_t>(sizeof(float)), "predict: activations"),
                       "predict: activations");
    capacity[b] = toSizeT(elements, sizeof(float), "predict: activation buffer for a batch of " + std::to_string(batch));
  }
  if (bytes > maxBytes_)
    throw Error("predict: a batch of " + std::to_string(batch) + " needs " + std::to_string(bytes) +
                " bytes of activations, over the limit " + Limits::describe("maxArenaBytes", maxBytes_) +
                " (use smaller batches, or " + Limits::howToRaise("maxArenaBytes").substr(1));
  plannedBatch_ = 0;  // until every buffer holds the new capacity (bad_alloc midway)
  for (size_t b = 0; b < buffers_.size(); ++b) {
    buffers_[b].data.clear();
    buffers_[b].data.shrink_to_fit();
    buffers_[b].data.reserve(capacity[b]);
  }
  plannedBatch_ = batch;
  ++reallocations_;
}

Tensor& Arena::bind(int id, int64_t batch, const Shape& sampleShape) {
  Tensor& t = buffers_[static_cast<size_t>(id)];
  t.shape.resize(sampleShape.size() + 1);
  t.shape[0] = batch;
  std::copy(sampleShape.begin(), sampleShape.end(), t.shape.begin() + 1);
  const int64_t count = checkedMul(batch, numElements(sampleShape), "activation buffer");
  if (count > static_cast<int64_t>(t.data.capacity()))
    throw Error("internal: activation buffer " + std::to_string(id) + " holds " + std::to_string(t.data.capacity()) +
                " values, " + std::to_string(count) + " needed");
  t.data.resize(static_cast<size_t>(count));
  return t;
}

int64_t Arena::totalElementsPerSample() const {
  int64_t total = 0;
  for (int64_t e : elementsPerSample_) total = checkedAdd(total, e, "activation arena");
  return total;
}

}  // namespace qkw
