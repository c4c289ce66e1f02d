// Arena planning: which activation buffer each layer writes, so that buffers are reused once
// every consumer of their value has run. Planned once per model from per-sample sizes; the
// arena only grows (reallocates) when a larger batch arrives.
#pragma once
#include <cstdint>
#include <vector>

#include "core/limits.h"
#include "core/tensor.h"

namespace qkw {

struct ArenaPlan {
  std::vector<int> bufferOfStep;                  // step (execution index) -> buffer id
  std::vector<int64_t> bufferElementsPerSample;   // buffer id -> capacity per batch sample
  // step -> buffers that become free after the step ran (their values' last consumer was it).
  std::vector<std::vector<int>> releasedAfterStep;
};

// inputsOfStep[i] lists the steps whose outputs step i reads (all < i); elementsPerSample[i] is
// step i's output size per sample; pinned[i] keeps step i's buffer alive to the end (model
// outputs). A step never writes into a buffer it reads.
ArenaPlan planArena(const std::vector<std::vector<size_t>>& inputsOfStep, const std::vector<int64_t>& elementsPerSample,
                    const std::vector<bool>& pinned);

// The buffers themselves: Tensors whose capacity is planned for `batch` samples.
class Arena {
 public:
  // maxBytes bounds all buffers together at any batch size (Limits::maxArenaBytes).
  void configure(const ArenaPlan& plan, int64_t maxBytes = Limits().maxArenaBytes);
  // Makes every buffer hold `batch` samples without reallocating later; reallocates only
  // when batch exceeds every batch seen before. Throws qkw::Error (nothing allocated) when the
  // buffers would need more than maxArenaBytes.
  void ensureBatch(int64_t batch);
  // Shapes buffer `id` as {batch, sampleShape...} within its capacity (no allocation).
  Tensor& bind(int id, int64_t batch, const Shape& sampleShape);

  size_t bufferCount() const { return buffers_.size(); }
  int64_t plannedBatch() const { return plannedBatch_; }
  size_t reallocations() const { return reallocations_; }
  int64_t totalElementsPerSample() const;

 private:
  std::vector<Tensor> buffers_;
  std::vector<int64_t> elementsPerSample_;
  int64_t plannedBatch_ = 0;
  size_t reallocations_ = 0;
  int64_t maxBytes_ = Limits().maxArenaBytes;
};

}  // namespace qkw
