#include "quant/quantizer_base.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace qkw {

std::vector<float> Quantizer::range() const {
  throw Error("quantizer " + str() + " has no range() in QKeras");
}

namespace quant {

std::string pyFloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  const bool negative = s[0] == '-';
  if (negative) s.erase(0, 1);
  const size_t e = s.find('e');
  const int exp10 = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') digits += s[i];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int decpt = exp10 + 1;
  std::string out;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out = "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
    } else if (decpt >= static_cast<int>(digits.size())) {
      out = digits + std::string(static_cast<size_t>(decpt) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int ae = std::abs(exp10);
    out += exp10 < 0 ? "e-" : "e+";
    if (ae < 10) out += '0';
    out += std::to_string(ae);
  }
  return negative ? "-" + out : out;
}

std::string pyRepr(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    const char q = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
    std::string out(1, q);
    for (char c : s) {
      if (c == '\\' || c == q) out += '\\';
      out += c;
    }
    return out + q;
  }
  return pyStr(v);
}

std::string pyStr(const json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return pyFloatRepr(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + pyRepr(v[i]);
    return out + "]";
  }
  return v.dump();
}

bool pyTruthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<long long>() != 0;
  if (v.is_number_float()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

long long pyInt(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float()) {
    const double t = std::trunc(v.get<double>());
    // Python's int() has no bound; ours is 64-bit (casting a larger double is undefined behaviour).
    if (!(t >= -0x1p63 && t < 0x1p63)) throw Error("int() of " + v.dump() + ": out of the range of a 64-bit integer");
    return static_cast<long long>(t);
  }
  throw Error("int() of " + v.dump());
}

const ParamSpec* ClassInfo::param(const std::string& n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

std::string ClassInfo::paramList() const {
  std::string out;
  for (const auto& p : params) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

std::string quantizerLabel(const std::string& specText) { return "quantizer \"" + specText + "\""; }

const json& Args::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error(quantizerLabel(specText_) + ": internal: no argument '" + name + "'");
  return *it;
}

void Args::fail(const std::string& name, const std::string& problem) const {
  throw Error(quantizerLabel(specText_) + ": argument '" + name + "' " + problem);
}

int Args::integer(const std::string& name, int lo, int hi) const {
  const json& v = raw(name);
  double d;
  if (v.is_number_integer()) d = static_cast<double>(v.get<long long>());
  else if (v.is_number_float()) d = v.get<double>();
  else fail(name, "must be an integer, got " + pyRepr(v));
  if (std::floor(d) != d) fail(name, "must be an integer, got " + pyRepr(v));
  if (d < lo || d > hi)
    fail(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + pyRepr(v));
  return static_cast<int>(d);
}

double Args::number(const std::string& name) const {
  const json& v = raw(name);
  if (v.is_number() && !v.is_boolean()) return v.get<double>();
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  fail(name, "must be a number, got " + pyRepr(v));
}

std::optional<double> Args::optNumber(const std::string& name) const {
  if (raw(name).is_null()) return std::nullopt;
  return number(name);
}

bool Args::boolean(const std::string& name) const {
  const json& v = raw(name);
  if (v.is_boolean() || v.is_number()) return pyTruthy(v);
  fail(name, "must be True/False or a number, got " + pyRepr(v));
}

std::string Args::string(const std::string& name) const {
  const json& v = raw(name);
  if (!v.is_string()) fail(name, "must be a string, got " + pyRepr(v));
  return v.get<std::string>();
}

AlphaArg parseAlpha(const Args& args, bool allowVector) {
  const json& v = args.raw("alpha");
  AlphaArg a;
  if (v.is_null()) return a;
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "auto") a.kind = AlphaArg::Kind::Auto;
    else if (s == "auto_po2") a.kind = AlphaArg::Kind::AutoPo2;
    else args.fail("alpha", "must be None, a number, 'auto' or 'auto_po2', got " + pyRepr(v));
    return a;
  }
  if (v.is_number() && !v.is_boolean()) {
    a.kind = AlphaArg::Kind::Scalar;
    a.scalar = static_cast<float>(v.get<double>());
    return a;
  }
  if (v.is_array() && allowVector && !v.empty()) {
    a.kind = AlphaArg::Kind::Vector;
    for (const auto& e : v) {
      if (!e.is_number() || e.is_boolean()) args.fail("alpha", "list must hold numbers, got " + pyRepr(v));
      a.vector.push_back(static_cast<float>(e.get<double>()));
    }
    return a;
  }
  if (v.is_array())
    args.fail("alpha", "cannot be a list here (QKeras calls float(alpha) on it), got " + pyRepr(v));
  args.fail("alpha", "must be None, a number, 'auto' or 'auto_po2', got " + pyRepr(v));
}

json QuantizerBase::config() const {
  json out = json::object();
  for (const auto& key : info_->serialized) out[key] = args_.at(key);
  // Arguments QKeras does not serialize but that we honour: written only when they differ
  // from the default, so config() stays QKeras's get_config() in the common case.
  for (const auto& p : info_->params) {
    if (out.contains(p.name) || p.name == "var_name" || p.name == "use_variables") continue;
    if (args_.at(p.name) != p.defaultValue) out[p.name] = args_.at(p.name);
  }
  return out;
}

void QuantizerBase::failApply(const std::string& problem) const {
  throw Error(quantizerLabel(specText_) + ": " + problem);
}

}  // namespace quant
}  // namespace qkw
