// Helpers for the layer, kernel and graph tests: build a registered layer from a config and
// weights (through the global registry, or through a registry holding only the Keras utility
// layers), run it on batch-first tensors, compare floats exactly, check error messages.
#pragma once
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace qkw::layer_test {

inline LayerPtr build(const std::string& className, const qkw::Json& config,
                      std::vector<WeightInput> weights = {}, const std::string& name = "layer_under_test") {
  const LayerFactory* factory = LayerRegistry::instance().find(className);
  if (!factory) throw std::runtime_error("class not registered: " + className);
  LayerContext ctx{name, className, config, std::move(weights), {}};
  return (*factory)(ctx);
}

// A Keras utility layer built from a registry that holds only registerKerasLayers' classes, so
// the test exercises exactly those factories.
inline LayerPtr makeLayer(const std::string& className, const qkw::Json& config,
                          const std::string& name = "my_layer") {
  LayerRegistry registry;
  registerKerasLayers(registry);
  const LayerFactory* factory = registry.find(className);
  if (!factory) throw std::runtime_error("class not registered: " + className);
  LayerContext ctx{name, className, config, {}, {}};
  return (*factory)(ctx);
}

inline WeightInput weight(const std::string& role, Shape shape, std::vector<float> values, int index = 0) {
  return WeightInput{role, index, Tensor(std::move(shape), std::move(values))};
}

inline Shape withoutBatch(const Shape& s) { return Shape(s.begin() + 1, s.end()); }

// Output cells start as NaN so a cell the layer forgets to write fails the comparison.
inline Tensor run(const Layer& layer, const std::vector<Tensor>& inputs) {
  std::vector<Shape> shapes;
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) {
    shapes.push_back(withoutBatch(t.shape));
    pointers.push_back(&t);
  }
  Shape outShape = layer.outputShape(shapes);
  outShape.insert(outShape.begin(), inputs.at(0).shape.at(0));
  Tensor output(outShape, std::vector<float>(static_cast<size_t>(numElements(outShape)),
                                             std::numeric_limits<float>::quiet_NaN()));
  layer.forward(pointers, output);
  return output;
}

inline Tensor run(const Layer& layer, const Tensor& input) { return run(layer, std::vector<Tensor>{input}); }

// start, start+1, ... in row-major order.
inline Tensor counting(const Shape& shape, float start = 1.0f) {
  Tensor t(shape);
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = start + static_cast<float>(i);
  return t;
}

// Exact float comparison (bit-level equality except for NaN, which never matches): all test
// values are dyadic or computed with the same float ops.
inline void expectValues(const Tensor& actual, const Shape& shape, const std::vector<float>& expected) {
  EXPECT_EQ(actual.shape, shape);
  ASSERT_EQ(actual.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual.data[i], expected[i]) << "at flat index " << i;
}

// Runs f and checks it throws E with a message containing every part.
template <typename E = Error, typename F>
void expectThrowsWith(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string message = e.what();
    for (const std::string& part : parts)
      EXPECT_NE(message.find(part), std::string::npos) << "message '" << message << "' lacks '" << part << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace qkw::layer_test
