#include "quant/quantizer_description.h"

#include <cmath>

#include "core/error.h"

namespace qkw {

json gridToJson(const Grid& grid) {
  const char* kind = grid.kind == Grid::Kind::Uniform      ? "uniform"
                     : grid.kind == Grid::Kind::PowerOfTwo ? "powerOfTwo"
                                                           : "custom";
  json j = {{"kind", kind},       {"bits", grid.bits}, {"integer", grid.integer},
            {"signed", grid.isSigned}, {"min", grid.min}, {"max", grid.max}};
  j["step"] = grid.kind == Grid::Kind::Uniform ? json(grid.step) : json(nullptr);
  return j;
}

json describeQuantizer(const Quantizer& quantizer) {
  json j;
  j["className"] = quantizer.className();
  j["config"] = quantizer.config();
  j["str"] = quantizer.str();
  j["min"] = quantizer.min();
  j["max"] = quantizer.max();
  j["bits"] = quantizer.bits();
  j["signed"] = quantizer.isSigned();
  const std::optional<Grid> grid = quantizer.grid();
  j["step"] = grid && grid->kind == Grid::Kind::Uniform ? json(grid->step) : json(nullptr);
  j["grid"] = grid ? gridToJson(*grid) : json(nullptr);
  return j;
}

QuantizerOptions quantizerOptionsFromJson(const json& options) {
  QuantizerOptions result;
  if (options.is_null()) return result;
  if (!options.is_object()) throw Error("quantizer options must be an object");
  for (const auto& [key, value] : options.items()) {
    if (key == "weight") {
      if (!value.is_boolean()) throw Error("option 'weight' must be true or false");
      result.weightSlot = value.get<bool>();
    } else if (key == "internalSigmoid") {
      const std::string mode = value.is_string() ? value.get<std::string>() : "";
      if (mode == "hard") result.sigmoid = SigmoidMode::Hard;
      else if (mode == "smooth") result.sigmoid = SigmoidMode::Smooth;
      else if (mode == "real") result.sigmoid = SigmoidMode::Real;
      else throw Error("option 'internalSigmoid' must be 'hard', 'smooth' or 'real', got " + value.dump());
    } else if (key == "qnoiseFactor") {
      if (value.is_null()) continue;
      if (!value.is_number()) throw Error("option 'qnoiseFactor' must be a number, got " + value.dump());
      if (!std::isfinite(value.get<double>()))
        throw Error("option 'qnoiseFactor' must be a finite number, got " + value.dump());
      result.qnoiseFactor = value.get<float>();
    } else if (key == "tfKernels") {
      const std::string kernels = value.is_string() ? value.get<std::string>() : "";
      if (kernels == "eigen") result.oneDnnKernels = false;
      else if (kernels == "onednn") result.oneDnnKernels = true;
      else throw Error("option 'tfKernels' must be 'eigen' or 'onednn', got " + value.dump());
    } else {
      throw Error("unknown quantizer option '" + key + "' (known: weight, internalSigmoid, qnoiseFactor, tfKernels)");
    }
  }
  return result;
}

}  // namespace qkw
