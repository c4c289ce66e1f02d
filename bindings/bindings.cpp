// Embind surface of the core. No logic lives here: every function converts JS values to core
// types, calls the core, and converts back. Every C++ exception becomes a JS Error carrying
// its message, so a bad input never aborts the WASM instance.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "graph/analysis.h"
#include "graph/model.h"
#include "graph/trace.h"
#include "quant/helper_functions.h"
#include "quant/keras_batch.h"
#include "quant/quantizer.h"
#include "quant/quantizer_description.h"

using emscripten::val;

namespace {

[[noreturn]] void throwJsError(const std::string& message) {
  val::global("Error").new_(val(message)).throw_();
  __builtin_unreachable();
}

template <typename F>
auto guarded(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    throwJsError("out of memory in the WASM heap");
  } catch (const std::length_error& e) {
    throwJsError(std::string("a size is too large for the WASM heap (") + e.what() + ")");
  } catch (const qkw::Json::exception& e) {
    throwJsError(std::string("malformed JSON: ") + e.what());
  } catch (const std::exception& e) {
    throwJsError(e.what());
  }
}

std::vector<float> toFloats(const val& typedArray) {
  return emscripten::convertJSArrayToNumberVector<float>(typedArray);
}

qkw::Shape toShape(const val& array) {
  std::vector<double> dims = emscripten::convertJSArrayToNumberVector<double>(array);
  qkw::Shape shape;
  for (double d : dims) {
    if (!(d >= 0 && d <= 9007199254740992.0) || d != std::floor(d))
      throw qkw::Error("shape entries must be non-negative integers up to 2^53");
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

val toFloat32Array(const float* data, size_t n) {
  // typed_memory_view aliases the heap; constructing a new Float32Array copies it out.
  return val::global("Float32Array").new_(emscripten::typed_memory_view(n, data));
}

val toJsShape(const qkw::Shape& shape) {
  val a = val::array();
  for (int64_t d : shape) a.call<void>("push", static_cast<double>(d));
  return a;
}

qkw::Tensor toTensor(const val& data, const val& shape, const std::string& what) {
  qkw::Tensor t(toShape(shape), toFloats(data));
  if (static_cast<int64_t>(t.data.size()) != qkw::numElements(t.shape))
    throw qkw::Error(what + ": data has " + std::to_string(t.data.size()) + " values but shape " +
                     qkw::shapeToString(t.shape) + " needs " + std::to_string(qkw::numElements(t.shape)));
  return t;
}

val quantize(const std::string& specJson, const val& data, const val& shape, const std::string& optionsJson) {
  return guarded([&] {
    const qkw::QuantizerPtr q =
        qkw::makeQuantizer(qkw::Json::parse(specJson), qkw::quantizerOptionsFromJson(qkw::Json::parse(optionsJson)));
    qkw::Tensor x = toTensor(data, shape, "quantize");
    qkw::ScaleInfo scale;
    q->apply(x.data.data(), x.data.data(), x.shape, &scale);
    val result = val::object();
    result.set("data", toFloat32Array(x.data.data(), x.data.size()));
    if (scale.values.empty()) {
      result.set("scale", val::null());
    } else {
      result.set("scale", toFloat32Array(scale.values.data(), scale.values.size()));
      result.set("scaleShape", toJsShape(scale.shape));
    }
    return result;
  });
}

std::string describe(const std::string& specJson, const std::string& optionsJson) {
  return guarded([&] {
    const qkw::QuantizerPtr q =
        qkw::makeQuantizer(qkw::Json::parse(specJson), qkw::quantizerOptionsFromJson(qkw::Json::parse(optionsJson)));
    return qkw::describeQuantizer(*q).dump();
  });
}

val quantizerRange(const std::string& specJson, const std::string& optionsJson) {
  return guarded([&] {
    const qkw::QuantizerPtr q =
        qkw::makeQuantizer(qkw::Json::parse(specJson), qkw::quantizerOptionsFromJson(qkw::Json::parse(optionsJson)));
    const std::vector<float> r = q->range();
    return toFloat32Array(r.data(), r.size());
  });
}

// tensors: array of {data: Float32Array, shape}. Returns the helper's JSON result as text.
std::string qkerasHelper(const std::string& name, const std::string& argsJson, const val& tensors) {
  return guarded([&] {
    std::vector<qkw::Tensor> ts;
    const size_t n = tensors["length"].as<size_t>();
    for (size_t i = 0; i < n; ++i) ts.push_back(toTensor(tensors[i]["data"], tensors[i]["shape"], name + " tensor " + std::to_string(i)));
    return qkw::callQkerasHelper(name, qkw::Json::parse(argsJson), ts).dump();
  });
}

// A built model, owned by JS through Embind (JS calls .delete(); web/ wraps it in dispose()).
class ModelHandle {
 public:
  ModelHandle(std::unique_ptr<qkw::Model> model, qkw::Json graph) : model_(std::move(model)), graph_(std::move(graph)) {}

  // The next predict() or trace() runs samples [first, first + batch) of a predict call of `total`
  // samples (web/model.js: trace and thread pieces); that run only, then back to a whole call.
  // (int: a batch of 2^31 samples cannot fit the 4 GB heap; CallPositionScope checks the values.)
  void setCallPosition(int first, int total) { position_ = {first, total}; }

  // The static quantization analysis, one entry per layer in execution order (JSON text).
  std::string analyze() {
    return guarded([&] { return qkw::toJson(analysis()).dump(); });
  }

  // Runs the model and reports every selected layer: {record: Float64Array view of
  // TraceRecorder::record() (layout in graph/trace.h), extras: JSON text or "", data: Float32Array
  // view of every traced output packed (or null)}. Both views alias the WASM heap: they are valid
  // until the next call into the module; web/trace.js decodes the record at once and copies the
  // data only when asked. layers: null or an array of layer names.
  val trace(const val& inputs, const val& shapes, const val& layers, bool includeData, int histogramBins, bool steps) {
    return guarded([&] {
      qkw::TraceOptions options;
      if (!layers.isNull() && !layers.isUndefined()) {
        const size_t n = layers["length"].as<size_t>();
        for (size_t i = 0; i < n; ++i) options.layers.push_back(layers[i].as<std::string>());
      }
      options.includeData = includeData;
      options.histogramBins = histogramBins;
      options.steps = steps;
      const qkw::CallPositionScope at = takePosition();
      recorder_.run(*model_, analysis(), toTensors(inputs, shapes), options);
      val result = val::object();
      const std::vector<double>& record = recorder_.record();
      result.set("record", val(emscripten::typed_memory_view(record.size(), record.data())));
      result.set("extras", recorder_.extras());
      result.set("data", options.includeData ? val(emscripten::typed_memory_view(recorder_.dataSize(), recorder_.data())) : val::null());
      return result;
    });
  }

  // What QKeras silently does with this model: JSON text of [{layer, code, message}].
  std::string warnings() const {
    return guarded([&] {
      qkw::Json a = qkw::Json::array();
      for (const qkw::ModelWarning& w : model_->warnings())
        a.push_back({{"layer", w.layer}, {"code", w.code}, {"message", w.message}});
      return a.dump();
    });
  }

  std::string info() const {
    return guarded([&] {
      qkw::Json j;
      auto tensorInfos = [](const std::vector<qkw::TensorInfo>& infos) {
        qkw::Json a = qkw::Json::array();
        for (const auto& t : infos) a.push_back({{"name", t.name}, {"shape", t.shape}});
        return a;
      };
      j["inputs"] = tensorInfos(model_->inputs());
      j["outputs"] = tensorInfos(model_->outputs());
      j["layers"] = qkw::Json::array();
      for (const qkw::LayerInfo& layer : model_->layers()) {
        qkw::Json l = {{"name", layer.name},
                            {"className", layer.className},
                            {"inbound", layer.inbound},
                            {"outputShape", layer.outputShape},
                            {"kernel", layer.kernel.empty() ? qkw::Json(nullptr) : qkw::Json(layer.kernel)},
                            {"kernelReason", layer.kernelReason.empty() ? qkw::Json(nullptr)
                                                                        : qkw::Json(layer.kernelReason)}};
        qkw::Json qs = qkw::Json::object();
        for (const auto& slot : layer.quantizers) qs[slot.slot] = slot.quantizer ? json_str(*slot.quantizer) : nullptr;
        l["quantizers"] = qs;
        l["outputQuantizer"] = layer.outputQuantizer ? json_str(*layer.outputQuantizer) : nullptr;
        j["layers"].push_back(l);
      }
      return j.dump();
    });
  }

  // inputs: array of Float32Array; shapes: array of shape arrays (batch first).
  val predict(const val& inputs, const val& shapes) {
    return guarded([&] {
      const qkw::CallPositionScope at = takePosition();
      const std::vector<qkw::Tensor> outputs = model_->predict(toTensors(inputs, shapes));
      val result = val::array();
      for (const qkw::Tensor& t : outputs) {
        val o = val::object();
        o.set("data", toFloat32Array(t.data.data(), t.data.size()));
        o.set("shape", toJsShape(t.shape));
        result.call<void>("push", o);
      }
      return result;
    });
  }

  // [{layer, role, index, shape, data}] as the layers use them (for the converter).
  val effectiveWeights() const {
    return guarded([&] {
      val result = val::array();
      for (const auto& [layer, weights] : model_->effectiveWeights()) {
        for (const qkw::WeightInput& w : weights) {
          val o = val::object();
          o.set("layer", layer);
          o.set("role", w.role);
          o.set("index", w.index);
          o.set("shape", toJsShape(w.tensor.shape));
          o.set("data", toFloat32Array(w.tensor.data.data(), w.tensor.data.size()));
          result.call<void>("push", o);
        }
      }
      return result;
    });
  }

  // [{layer, slot, clipped, scale, scaleShape}] for weight slots quantized at load time (JSON text).
  std::string weightReports() const {
    return guarded([&] {
      qkw::Json a = qkw::Json::array();
      for (const qkw::LayerInfo& layer : model_->layers())
        for (const qkw::QuantizerSlot& slot : layer.quantizers) {
          if (!slot.report) continue;
          a.push_back({{"layer", layer.name},
                       {"slot", slot.slot},
                       {"clipped", slot.report->clipped >= 0 ? qkw::Json(slot.report->clipped) : qkw::Json(nullptr)},
                       {"scale", slot.report->scale.values},
                       {"scaleShape", slot.report->scale.shape}});
        }
      return a.dump();
    });
  }

 private:
  static qkw::Json json_str(const qkw::Quantizer& q) { return q.str(); }

  std::vector<qkw::Tensor> toTensors(const val& inputs, const val& shapes) const {
    const size_t n = inputs["length"].as<size_t>();
    if (n != model_->inputs().size())
      throw qkw::Error("the model has " + std::to_string(model_->inputs().size()) + " inputs, got " + std::to_string(n));
    std::vector<qkw::Tensor> tensors;
    for (size_t i = 0; i < n; ++i)
      tensors.push_back(toTensor(inputs[i], shapes[i], "input '" + model_->inputs()[i].name + "'"));
    return tensors;
  }

  const std::vector<qkw::TensorAnalysis>& analysis() {
    if (const std::vector<qkw::TensorAnalysis>* built = model_->builtAnalysis()) return *built;
    if (!analysis_) analysis_ = qkw::analyzeModel(*model_, &graph_);
    return *analysis_;
  }

  qkw::CallPositionScope takePosition() {
    const qkw::CallPosition at = position_;
    position_ = {};
    return qkw::CallPositionScope(at.firstSample, at.callSamples);
  }

  std::unique_ptr<qkw::Model> model_;
  qkw::CallPosition position_;
  qkw::Json graph_;
  std::optional<std::vector<qkw::TensorAnalysis>> analysis_;
  qkw::TraceRecorder recorder_;
};

// Collects weights from JS one tensor at a time (no giant JS object crosses the boundary).
class ModelBuilder {
 public:
  void addWeight(const std::string& layer, const std::string& role, int index, const val& shape, const val& data) {
    guarded([&] {
      weights_[layer].push_back({role, index, toTensor(data, shape, "weight '" + layer + "/" + role + "'")});
      return 0;
    });
  }

  ModelHandle* build(const std::string& graphJson, const std::string& optionsJson) {
    return guarded([&] {
      const qkw::ModelOptions options =
          qkw::modelOptionsFromJson(qkw::parseJsonWithDepthLimit(optionsJson, qkw::Limits().maxConfigDepth, "model options"));
      qkw::Json graph = qkw::parseJsonWithDepthLimit(graphJson, options.limits.maxConfigDepth, "model graph");
      auto model = qkw::Model::build(graph, std::move(weights_), options);
      weights_.clear();
      return new ModelHandle(std::move(model), std::move(graph));
    });
  }

 private:
  std::map<std::string, std::vector<qkw::WeightInput>> weights_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(qkeras_wasm) {
  emscripten::function("quantize", &quantize);
  emscripten::function("describeQuantizer", &describe);
  emscripten::function("quantizerRange", &quantizerRange);
  emscripten::function("qkerasHelper", &qkerasHelper);
  emscripten::class_<ModelHandle>("ModelHandle")
      .function("info", &ModelHandle::info)
      .function("warnings", &ModelHandle::warnings)
      .function("predict", &ModelHandle::predict)
      .function("setCallPosition", &ModelHandle::setCallPosition)
      .function("effectiveWeights", &ModelHandle::effectiveWeights)
      .function("weightReports", &ModelHandle::weightReports)
      .function("analyze", &ModelHandle::analyze)
      .function("trace", &ModelHandle::trace);
  emscripten::class_<ModelBuilder>("ModelBuilder")
      .constructor<>()
      .function("addWeight", &ModelBuilder::addWeight)
      .function("build", &ModelBuilder::build, emscripten::allow_raw_pointers());
}
