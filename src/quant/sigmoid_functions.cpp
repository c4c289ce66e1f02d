// QKeras's module functions accepted wherever a quantizer is (semantics §1.7, §2.11):
// hard_sigmoid (slope 0.5), smooth_sigmoid, binary_sigmoid, hard_tanh, smooth_tanh,
// binary_tanh. str() is the bare name, as Keras serializes a function.
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/sigmoid.h"

namespace qkw::quant {

namespace {

enum class Fn { HardSigmoid, SmoothSigmoid, BinarySigmoid, HardTanh, SmoothTanh, BinaryTanh };

float evaluate(Fn fn, float x) {
  switch (fn) {
    case Fn::HardSigmoid: return hardSigmoid(x);
    case Fn::SmoothSigmoid: return smoothSigmoid(x);
    case Fn::BinarySigmoid: return roundThrough(hardSigmoid(x));
    case Fn::HardTanh: return 2.0f * hardSigmoid(x) - 1.0f;
    case Fn::SmoothTanh: return 2.0f * smoothSigmoid(x) - 1.0f;
    case Fn::BinaryTanh: return 2.0f * roundThrough(hardSigmoid(x)) - 1.0f;
  }
  return x;
}

class SigmoidFunction : public QuantizerBase {
 public:
  SigmoidFunction(const Args& args, Fn fn) : QuantizerBase(args), fn_(fn) {}

  std::string str() const override { return className(); }
  json config() const override { return json::object(); }
  double min() const override { return tanhLike() ? -1.0 : 0.0; }
  double max() const override { return 1.0; }
  int bits() const override { return binaryValued() ? 1 : 0; }
  bool isSigned() const override { return tanhLike(); }

  std::optional<Grid> grid() const override {
    if (!binaryValued()) return std::nullopt;
    return uniformGrid(1, tanhLike(), tanhLike() ? 2.0 : 1.0, min(), 1.0);
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    for (int64_t i = 0; i < n; ++i) y[i] = evaluate(fn_, x[i]);
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }

 private:
  bool tanhLike() const { return fn_ == Fn::HardTanh || fn_ == Fn::SmoothTanh || fn_ == Fn::BinaryTanh; }
  bool binaryValued() const { return fn_ == Fn::BinarySigmoid || fn_ == Fn::BinaryTanh; }
  Fn fn_;
};

ClassInfo makeFunctionInfo(const char* name, Fn fn) {
  ClassInfo c;
  c.name = name;
  c.isFunction = true;
  c.make = [fn](const Args& a, const QuantizerOptions&) -> QuantizerPtr { return std::make_shared<SigmoidFunction>(a, fn); };
  return c;
}

}  // namespace

const std::vector<const ClassInfo*>& sigmoidFunctionClasses() {
  static const ClassInfo infos[] = {
      makeFunctionInfo("hard_sigmoid", Fn::HardSigmoid), makeFunctionInfo("smooth_sigmoid", Fn::SmoothSigmoid),
      makeFunctionInfo("binary_sigmoid", Fn::BinarySigmoid), makeFunctionInfo("hard_tanh", Fn::HardTanh),
      makeFunctionInfo("smooth_tanh", Fn::SmoothTanh), makeFunctionInfo("binary_tanh", Fn::BinaryTanh)};
  static const std::vector<const ClassInfo*> list = {&infos[0], &infos[1], &infos[2], &infos[3], &infos[4], &infos[5]};
  return list;
}

}  // namespace qkw::quant
