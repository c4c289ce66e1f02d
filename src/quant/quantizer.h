// The interface every QKeras quantizer implements, at inference (learning phase 0).
//
// Semantics: ../shared/qkeras/semantics.md §1-§3. Every implementation computes in
// float32 in QKeras's operation order (tf.round = round half to even, the STE
// expression x + qnoise*(xq - x), ...). The build sets -ffp-contract=off and never
// uses fast-math, so the compiler keeps that order.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

#include "core/tensor.h"

namespace qkw {

using json = qkw::Json;

// QKeras's module-level set_internal_sigmoid(): which sigmoid quantized_relu(use_sigmoid),
// quantized_tanh, quantized_sigmoid, quantized_ulaw use internally. Not saved in models.
enum class SigmoidMode { Hard, Smooth, Real };

struct QuantizerOptions {
  // The quantizer sits in a weight slot (kernel, depthwise, pointwise, recurrent, BN gamma and
  // variance): QKeras's _set_trainable_parameter() turns alpha=None into "auto_po2".
  bool weightSlot = false;
  SigmoidMode sigmoid = SigmoidMode::Hard;
  // QKeras's update_qnoise_factor(): overrides the serialized qnoise_factor.
  std::optional<float> qnoiseFactor;
  // Which TensorFlow CPU kernels float activations reproduce (softmax): stock Eigen or oneDNN.
  bool oneDnnKernels = false;
  // QAdaptiveActivation (loadModel's adaptiveActivation / predictBatchSize): how many samples of
  // each predict() call use QKeras's first-call-after-loading integer=0 (Keras's model.predict
  // batch size; 0 = option 'ema': every sample uses the bits derived from the saved EMAs).
  int64_t adaptiveFirstBatch = 32;
  // Where the spec parser records how QKeras's own parser silently mangles a constructor
  // string (several '(' or unquoted string arguments); null: not recorded. Shared so that
  // copies of the options (one per weight slot) record into the same list.
  std::shared_ptr<std::vector<std::string>> parserNotes;
};

// The set of values a quantizer can output, when it does not depend on the data.
struct Grid {
  enum class Kind {
    Uniform,     // min + k*step
    PowerOfTwo,  // ±2^e (plus 0 where reachable), step is meaningless
    Custom,      // a fixed, non-uniform value set (quantized_ulaw): see Quantizer::range()
  };
  Kind kind = Kind::Uniform;
  int bits = 0;
  int integer = 0;  // QKeras's integer bits argument (0 where it has none)
  bool isSigned = false;
  double step = 0;  // Uniform only
  double min = 0;   // the true smallest and largest outputs
  double max = 0;
};

// A Kind::Uniform grid, min + k*step up to max. `integer` is QKeras's integer-bits argument
// where the quantizer has one.
inline Grid uniformGrid(int bits, bool isSigned, double step, double min, double max, int integer = 0) {
  Grid g;
  g.kind = Grid::Kind::Uniform;
  g.bits = bits;
  g.integer = integer;
  g.isSigned = isSigned;
  g.step = step;
  g.min = min;
  g.max = max;
  return g;
}

// Per-channel scales computed by the auto / auto_po2 paths (QKeras's quantizer.scale).
struct ScaleInfo {
  Shape shape;  // keepdims shape, e.g. (1, units) for a Dense kernel
  std::vector<float> values;
};

class Quantizer {
 public:
  virtual ~Quantizer() = default;

  virtual std::string className() const = 0;
  // Every constructor parameter with defaults filled in, as QKeras's get_config() would
  // write it (plus the non-serialized ones we honour, none by default).
  virtual json config() const = 0;
  // QKeras's str(quantizer): the form QActivation configs and our traces show.
  virtual std::string str() const = 0;
  // QKeras's nominal min()/max() (§2.10): used by constraints, not the true output range.
  virtual double min() const = 0;
  virtual double max() const = 0;

  // Bit width and signedness as QKeras describes them (bits argument; 0 if none).
  virtual int bits() const = 0;
  virtual bool isSigned() const = 0;
  // The output grid when it is fixed; std::nullopt when it depends on the data (auto
  // alphas) or the quantizer is not on a grid at all.
  virtual std::optional<Grid> grid() const = 0;

  // QKeras's range(): the representable values, for quantizers that define it.
  virtual std::vector<float> range() const;

  // Applies the quantizer to x (row-major, Keras layout, `shape` including any batch axis).
  // y may alias x. Scales of the auto paths go to *scale when asked for.
  virtual void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const = 0;

  Tensor operator()(const Tensor& x, ScaleInfo* scale = nullptr) const {
    Tensor y(x.shape);
    apply(x.data.data(), y.data.data(), x.shape, scale);
    return y;
  }
};

using QuantizerPtr = std::shared_ptr<const Quantizer>;

// Builds a quantizer from a spec as it appears in saved models: a constructor string such as
// "quantized_bits(4,0,1,alpha='auto_po2')" (QKeras's safe_eval grammar and quirks), or a dict
// {"class_name", "config"} with optional module / registered_name / shared_object_id keys.
// Throws qkw::Error naming the spec and the argument that is wrong, qkw::Unsupported for
// quantizers that cannot be reproduced (bernoulli).
QuantizerPtr makeQuantizer(const json& spec, const QuantizerOptions& options = {});

// True when `name` is a quantizer or QKeras quantizer function makeQuantizer knows.
bool isQuantizerName(const std::string& name);

}  // namespace qkw
