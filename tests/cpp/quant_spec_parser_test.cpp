// The safe_eval grammar and its quirks, dict specs, option rewrites and error messages.
#include <gtest/gtest.h>

#include "core/error.h"
#include "quant/quantizer.h"
#include "quant/quantizer_base.h"
#include "quant/spec_parser.h"

namespace qkw {
namespace {

std::string errorOf(const json& spec, const QuantizerOptions& o = {}) {
  try {
    makeQuantizer(spec, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(QuantSpecParser, SafeEvalArgumentConversion) {
  EXPECT_EQ(parseSafeEvalArg("True"), json(true));
  EXPECT_EQ(parseSafeEvalArg("4"), json(4));
  EXPECT_TRUE(parseSafeEvalArg("4").is_number_integer());
  EXPECT_TRUE(parseSafeEvalArg("1.0").is_number_float());
  EXPECT_EQ(parseSafeEvalArg("1e-3"), json(0.001));
  EXPECT_EQ(parseSafeEvalArg("1_000"), json(1000));
  EXPECT_EQ(parseSafeEvalArg("None"), json(nullptr));
  EXPECT_EQ(parseSafeEvalArg("[1 2.5 3]"), json::parse("[1, 2.5, 3]"));
  EXPECT_EQ(parseSafeEvalArg("'auto_po2'"), json("auto_po2"));
  // Anything else loses its first and last character (meant for quotes).
  EXPECT_EQ(parseSafeEvalArg("auto"), json("ut"));
  EXPECT_EQ(parseSafeEvalArg("'auto_po2' "), json("auto_po2'"));
}

TEST(QuantSpecParser, StringGrammar) {
  ParsedQuantizerString p = parseQuantizerString("quantized_bits(4,0,1,alpha='auto_po2')");
  EXPECT_EQ(p.name, "quantized_bits");
  EXPECT_EQ(p.args, (std::vector<json>{4, 0, 1}));
  ASSERT_EQ(p.kwargs.size(), 1u);
  EXPECT_EQ(p.kwargs[0].second, json("auto_po2"));
  p = parseQuantizerString("quantized_relu_po2(6, quadratic_approximation = True)");
  EXPECT_EQ(p.args, (std::vector<json>{6}));
  EXPECT_EQ(p.kwargs[0], (std::pair<std::string, json>{"quadratic_approximation", true}));
  EXPECT_TRUE(parseQuantizerString("binary()").called);
  EXPECT_FALSE(parseQuantizerString("binary").called);
  // Text after the closing parenthesis is ignored (pyparsing without parseAll).
  EXPECT_EQ(parseQuantizerString("quantized_relu(4) junk").args, (std::vector<json>{4}));
}

TEST(QuantSpecParser, QkerasQuirksAreReproduced) {
  // A name without parentheses constructs with defaults.
  EXPECT_EQ(makeQuantizer(json("quantized_relu"))->str(), "quantized_relu(8,0)");
  // More than one '(' : safe_eval parses no arguments at all and silently uses the defaults.
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,0,1,alpha=foo(1))"))->str(), "quantized_bits(8,0,0)");
  // Unquoted strings are mangled: alpha=auto becomes 'ut', which quantized_bits rejects.
  EXPECT_NE(errorOf(json("quantized_bits(4,alpha=auto)")).find("'ut'"), std::string::npos);
  // A repeated keyword keeps the last value (Python dict comprehension).
  EXPECT_EQ(makeQuantizer(json("quantized_relu(bits=3,bits=5)"))->bits(), 5);
  // Keras >= 2.13 form of a function reference.
  EXPECT_EQ(makeQuantizer(json::parse(R"({"module":"qkeras.quantizers","class_name":"function","config":"hard_sigmoid","registered_name":"function"})"))->str(),
            "hard_sigmoid");
}

TEST(QuantSpecParser, ErrorsNameTheSpecAndTheArgument) {
  const std::string e = errorOf(json("quantized_bits(4,0,1,alfa=1)"));
  EXPECT_NE(e.find("quantizer \"quantized_bits(4,0,1,alfa=1)\""), std::string::npos) << e;
  EXPECT_NE(e.find("unknown argument 'alfa'"), std::string::npos) << e;
  EXPECT_NE(e.find("bits, integer, symmetric"), std::string::npos) << e;
  EXPECT_NE(errorOf(json("quantised_bits(4)")).find("unknown quantizer 'quantised_bits'"), std::string::npos);
  EXPECT_NE(errorOf(json("ternary(1,2,3,4,5)")).find("at most 4 positional"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(4,bits=5)")).find("multiple values for argument 'bits'"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(bits=4,0)")).find("follows a keyword"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(4,")).find("cannot parse"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(4,,1)")).find("cannot parse"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(bits='x')")).find("argument 'bits' must be an integer"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(0)")).find("argument 'bits'"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_relu(4,negative_slope=0.3)")).find("power of 2"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_po2(4,-1)")).find("max_value"), std::string::npos);
  EXPECT_NE(errorOf(json("quantized_bits(4,alpha=1,post_training_scale=2)")).find("post_training_scale"), std::string::npos);
  EXPECT_NE(errorOf(json("hard_sigmoid(2)")).find("takes no arguments"), std::string::npos);
  EXPECT_NE(errorOf(json::parse(R"({"class_name":"quantized_bits","config":{"bitz":4}})")).find("unknown argument 'bitz'"),
            std::string::npos);
  EXPECT_THROW(makeQuantizer(json(3)), Error);
}

TEST(QuantSpecParser, BernoulliIsUnsupported) {
  EXPECT_THROW(makeQuantizer(json("bernoulli()")), Unsupported);
  EXPECT_TRUE(isQuantizerName("bernoulli"));
}

TEST(QuantSpecParser, DictSpecsOfAllKerasVersions) {
  // Keras 2.4: no qnoise_factor / post_training_scale; marker keys are ignored.
  const json legacy = json::parse(R"({"class_name": "quantized_bits", "config": {"bits": 6, "integer": 0, "symmetric": 0,
      "alpha": 1, "keep_negative": true, "use_stochastic_rounding": false}, "__passive_serialization__": true})");
  const QuantizerPtr q = makeQuantizer(legacy);
  EXPECT_EQ(q->str(), "quantized_bits(6,0,0,alpha=1)");
  EXPECT_EQ(q->config()["qnoise_factor"], json(1.0));
  EXPECT_TRUE(q->config()["post_training_scale"].is_null());
  const json keras3 = json::parse(R"({"module": "qkeras", "class_name": "quantized_relu", "config": {"bits": 4, "integer": 0,
      "shared_object_id": 12}, "registered_name": "qkeras>quantized_relu"})");
  EXPECT_EQ(makeQuantizer(keras3)->str(), "quantized_relu(4,0)");
}

TEST(QuantSpecParser, WeightSlotRewriteAndOptions) {
  QuantizerOptions weight;
  weight.weightSlot = true;
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,0,1)"), weight)->str(), "quantized_bits(4,0,1,alpha='auto_po2')");
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,0,0)"), weight)->config()["symmetric"], json(true));
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,0,1,alpha=1)"), weight)->str(), "quantized_bits(4,0,1,alpha=1)");
  EXPECT_EQ(makeQuantizer(json("binary()"), weight)->str(), "binary(alpha='auto_po2')");
  EXPECT_EQ(makeQuantizer(json("ternary"), weight)->str(), "ternary(alpha='auto_po2')");
  EXPECT_EQ(makeQuantizer(json("quantized_relu(4)"), weight)->str(), "quantized_relu(4,0)");
  QuantizerOptions noise;
  noise.qnoiseFactor = 0.5f;
  const QuantizerPtr q = makeQuantizer(json("quantized_bits(4,1,1,alpha=1)"), noise);
  EXPECT_EQ(q->config()["qnoise_factor"], json(0.5));
  EXPECT_EQ((*q)(Tensor({1}, {0.6f})).data[0], 0.5f * (0.6f + 0.5f));
  EXPECT_FALSE(q->grid().has_value());
}

TEST(QuantSpecParser, PythonFloatRepr) {
  using quant::pyFloatRepr;
  EXPECT_EQ(pyFloatRepr(1.0), "1.0");
  EXPECT_EQ(pyFloatRepr(0.1), "0.1");
  EXPECT_EQ(pyFloatRepr(0.0625), "0.0625");
  EXPECT_EQ(pyFloatRepr(1e-5), "1e-05");
  EXPECT_EQ(pyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(pyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(pyFloatRepr(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(pyFloatRepr(-2.5), "-2.5");
  EXPECT_EQ(quant::pyStr(json::parse("[1.0, 2]")), "[1.0, 2]");
}

}  // namespace
}  // namespace qkw
