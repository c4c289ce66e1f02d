// Parsing of quantizer specs as saved models hold them (semantics §3): QKeras's safe_eval
// constructor strings, with their quirks, and Keras's {"class_name", "config"} dicts.
// makeQuantizer / isQuantizerName are declared in quant/quantizer.h.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "quant/quantizer.h"

namespace qkw {

// One constructor string as QKeras's safe_eval sees it: s.split("(")[0] is the name; only
// when there is exactly one "(" are the arguments parsed (pyparsing grammar of GetParams),
// otherwise there are none ("quantized_bits(4,alpha=f(1))" silently means quantized_bits()).
struct ParsedQuantizerString {
  std::string name;
  bool called = false;  // QKeras calls op(*args, **kwargs) rather than returning op / op()
  std::vector<json> args;
  std::vector<std::pair<std::string, json>> kwargs;  // in order; a repeated name keeps the last value
  // How QKeras's parser silently departs from what the string seems to say, in plain words
  // ("QKeras reads '...' as quantized_bits() with all defaults"); empty when it does not.
  std::vector<std::string> surprises;
};
// Throws qkw::Error (naming the string) on what safe_eval would reject with a parse or
// syntax error.
ParsedQuantizerString parseQuantizerString(const std::string& spec);

// QKeras's GetArg: "True"/"False" -> bool, Python int()/float() -> number, "None" -> null,
// "[1 2 3]" -> list of numbers, anything else -> s[1:-1] (meant to strip quotes).
json parseSafeEvalArg(const std::string& text);

// All names makeQuantizer accepts (classes, then the sigmoid-like functions).
std::vector<std::string> quantizerNames();

}  // namespace qkw
