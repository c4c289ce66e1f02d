// Shared plumbing of the quantizer implementations: Python-style formatting (so str() matches
// QKeras's __str__), the bound constructor arguments with typed, error-reporting accessors,
// and the per-class description the spec parser binds arguments with.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "quant/quantizer.h"

namespace qkw::quant {

// Python's repr(float): shortest round-trip digits, "1.0" for integral values, exponent form
// outside 1e-4 <= |v| < 1e16.
std::string pyFloatRepr(double v);
// Python's str(v) / repr(v) for the values a QKeras argument can hold (None, bool, int,
// float, str, list). Integers and floats stay distinct, as qkw::Json keeps them.
std::string pyStr(const json& v);
std::string pyRepr(const json& v);
// Python truthiness and int(v) (truncation) for bool / number values.
bool pyTruthy(const json& v);
long long pyInt(const json& v);

struct ParamSpec {
  std::string name;
  json defaultValue;
};

// What _set_trainable_parameter() does to the class in a weight slot (semantics §1.6).
enum class WeightRewrite { None, AlphaAndSymmetric, AlphaOnly };

class Args;

struct ClassInfo {
  std::string name;
  std::vector<ParamSpec> params;        // constructor order, defaults
  std::vector<std::string> serialized;  // get_config() keys
  WeightRewrite rewrite = WeightRewrite::None;
  bool hasQnoise = false;               // update_qnoise_factor() has an effect
  bool isFunction = false;              // a module function (hard_sigmoid, ...), not a class
  // Extra config keys accepted (and checked by the class) besides the constructor's, e.g.
  // the keys quantized_hswish's own get_config() writes but its __init__ rejects.
  std::vector<std::string> extraConfigKeys;
  std::function<QuantizerPtr(const Args&, const QuantizerOptions&)> make;

  const ParamSpec* param(const std::string& n) const;
  std::string paramList() const;  // "bits, integer, ..."
};

// The bound constructor arguments of one quantizer (every parameter present, defaults filled
// in), with accessors that throw qkw::Error naming the spec and the argument.
class Args {
 public:
  Args(const ClassInfo& info, std::string specText, json values)
      : info_(&info), specText_(std::move(specText)), values_(std::move(values)) {}

  const ClassInfo& info() const { return *info_; }
  const std::string& specText() const { return specText_; }
  const json& values() const { return values_; }
  const json& raw(const std::string& name) const;
  void set(const std::string& name, json value) { values_[name] = std::move(value); }

  [[noreturn]] void fail(const std::string& name, const std::string& problem) const;

  // An integer (an integral float is accepted, as Python would mostly accept it).
  int integer(const std::string& name, int lo, int hi) const;
  double number(const std::string& name) const;
  std::optional<double> optNumber(const std::string& name) const;
  // Python truthiness of a bool or number (QKeras uses 0/1 and False/True interchangeably).
  bool boolean(const std::string& name) const;
  std::string string(const std::string& name) const;

 private:
  const ClassInfo* info_;
  std::string specText_;
  json values_;
};

// Base of every implementation: remembers the bound arguments for config(), str() and errors.
class QuantizerBase : public Quantizer {
 public:
  explicit QuantizerBase(const Args& args) : info_(&args.info()), args_(args.values()), specText_(args.specText()) {}
  std::string className() const override { return info_->name; }
  json config() const override;

 protected:
  const json& arg(const std::string& name) const { return args_.at(name); }
  [[noreturn]] void failApply(const std::string& problem) const;
  // range() lists every grid value: refuse (a clear error, nothing allocated) past
  // kMaxRangeValues rather than allocate gigabytes (quantized_bits(32) has 2^32 values).
  static constexpr int64_t kMaxRangeValues = int64_t{1} << 20;
  void checkRangeLength(int64_t n) const {
    if (n > kMaxRangeValues)
      failApply("range() would list " + std::to_string(n) + " values, over the limit of " +
                std::to_string(kMaxRangeValues) + " (2^20); use a quantizer with at most 20 bits");
  }

  const ClassInfo* info_;
  json args_;
  std::string specText_;
};

// The alpha argument of quantized_bits/linear, binary, ternary: None, a number, a list of
// numbers (per channel, broadcast on the last axis) or "auto"/"auto_po2".
struct AlphaArg {
  enum class Kind { None, Scalar, Vector, Auto, AutoPo2 };
  Kind kind = Kind::None;
  float scalar = 1.0f;
  std::vector<float> vector;
  bool isAuto() const { return kind == Kind::Auto || kind == Kind::AutoPo2; }
  std::string autoName() const { return kind == Kind::Auto ? "auto" : "auto_po2"; }
};
AlphaArg parseAlpha(const Args& args, bool allowVector);

// "quantizer \"<spec>\"" prefix used by every error message.
std::string quantizerLabel(const std::string& specText);

}  // namespace qkw::quant
