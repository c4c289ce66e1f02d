#include "quant/helper_functions.h"

#include "core/error.h"
#include "quant/scale.h"

namespace qkw {

namespace {

const qkw::Json& arg(const qkw::Json& args, const std::string& helper, const std::string& key) {
  if (!args.contains(key)) throw Error(helper + ": missing argument '" + key + "'");
  return args.at(key);
}

std::vector<int64_t> intList(const qkw::Json& v, const std::string& what) {
  if (!v.is_array()) throw Error(what + " must be a list of integers");
  std::vector<int64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer()) throw Error(what + " must be a list of integers");
    out.push_back(e.get<int64_t>());
  }
  return out;
}

std::vector<float> floatList(const qkw::Json& v, const std::string& what) {
  if (!v.is_array()) throw Error(what + " must be a list of numbers");
  std::vector<float> out;
  for (const auto& e : v) {
    if (!e.is_number()) throw Error(what + " must be a list of numbers");
    out.push_back(e.get<float>());
  }
  return out;
}

qkw::Json getScaleHelper(const qkw::Json& args, const std::vector<Tensor>& tensors) {
  const std::string helper = "_get_scale";
  if (tensors.size() != 2) throw Error(helper + ": needs two tensors, x and q");
  if (tensors[0].shape != tensors[1].shape) throw Error(helper + ": x and q must have the same shape");
  LeastSquaresOptions options;
  options.scaleAxis = AxisSpec::fromJson(args.value("scale_axis", qkw::Json()), helper + ": scale_axis");
  options.elementsPerScale = AxisSpec::fromJson(args.value("elements_per_scale", qkw::Json()), helper + ": elements_per_scale");
  options.perChannelScale = args.value("per_channel_scale", true);
  if (args.contains("min_po2_exponent") && !args["min_po2_exponent"].is_null()) options.minPo2Exponent = args["min_po2_exponent"].get<int>();
  if (args.contains("max_po2_exponent") && !args["max_po2_exponent"].is_null()) options.maxPo2Exponent = args["max_po2_exponent"].get<int>();
  const ScaleInfo s = getScale(args.value("alpha", qkw::Json()), tensors[0].data.data(), tensors[1].data.data(), tensors[0].shape, options);
  return {{"scale", s.values}, {"shape", s.shape}};
}

}  // namespace

qkw::Json callQkerasHelper(const std::string& name, const qkw::Json& args, const std::vector<Tensor>& tensors) {
  if (!args.is_object()) throw Error(name + ": arguments must be an object");
  if (name == "_get_scale") return getScaleHelper(args, tensors);
  if (name == "_get_integer_bits") {
    const std::vector<float> lo = floatList(arg(args, name, "min_value"), name + ": min_value");
    const std::vector<float> hi = floatList(arg(args, name, "max_value"), name + ": max_value");
    if (lo.size() != hi.size()) throw Error(name + ": min_value and max_value must have the same length");
    return getIntegerBits(lo, hi, arg(args, name, "bits").get<int>(), args.value("symmetric", false),
                          args.value("keep_negative", true), args.value("is_clipping", true));
  }
  if (name == "_get_unrolled_shape") {
    const auto [shape, axis] = getUnrolledShape(intList(arg(args, name, "input_shape"), name + ": input_shape"),
                                                AxisSpec::fromJson(arg(args, name, "unroll_factor"), name + ": unroll_factor"),
                                                AxisSpec::fromJson(arg(args, name, "unroll_axis"), name + ": unroll_axis"));
    return qkw::Json::array({shape, axis.toJson()});
  }
  if (name == "_get_rolled_back_shape") {
    return getRolledBackShape(intList(arg(args, name, "input_shape"), name + ": input_shape"),
                              AxisSpec::fromJson(arg(args, name, "roll_axis"), name + ": roll_axis"));
  }
  throw Error("unknown QKeras helper '" + name + "' (known: _get_scale, _get_integer_bits, _get_unrolled_shape, _get_rolled_back_shape)");
}

}  // namespace qkw
