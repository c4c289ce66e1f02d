// QAdaptiveActivation (qkeras/qlayers.py, semantics §4.3): recognised, and rejected with the
// reason. At inference its call() quantizes with the integer-bits variable's current value and
// only then recomputes that variable from the EMA min/max (and, while step <= ema_freeze_delay,
// even updates the EMAs during predict). The first call after loading therefore uses the
// build-time integer bits and later calls the EMA-derived ones: the output depends on how many
// calls came before, which a stateless predict() cannot reproduce exactly.
#include "layers/layer_factories.h"

namespace qkw {

LayerPtr makeQAdaptiveActivationLayer(const LayerContext& ctx) {
  throw Unsupported(ctx.errorPrefix() +
                    "QAdaptiveActivation is stateful at inference (each call quantizes with integer bits recomputed "
                    "from its EMA variables after the previous call, and may update the EMAs while step <= "
                    "ema_freeze_delay), so QKeras's output depends on how many predict calls came before; replace it "
                    "with QActivation(quantized_bits(total_bits, integer, alpha=1)) or quantized_relu(total_bits, "
                    "integer) using the integer bits the trained layer settled on");
}

}  // namespace qkw
