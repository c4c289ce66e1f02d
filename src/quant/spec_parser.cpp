#include "quant/spec_parser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "core/error.h"
#include "quant/quantizer_classes.h"

namespace qkw {

using quant::ClassInfo;
using quant::quantizerLabel;

namespace {

const std::vector<const ClassInfo*>& allClasses() {
  static const std::vector<const ClassInfo*> list = [] {
    std::vector<const ClassInfo*> l = {
        &quant::quantizedBitsClass(),   &quant::quantizedHswishClass(),   &quant::quantizedLinearClass(),
        &quant::quantizedReluClass(),   &quant::quantizedUlawClass(),     &quant::quantizedTanhClass(),
        &quant::quantizedSigmoidClass(), &quant::quantizedPo2Class(),     &quant::quantizedReluPo2Class(),
        &quant::binaryClass(),          &quant::stochasticBinaryClass(), &quant::ternaryClass(),
        &quant::stochasticTernaryClass(), &quant::bernoulliClass()};
    for (const ClassInfo* f : quant::sigmoidFunctionClasses()) l.push_back(f);
    return l;
  }();
  return list;
}

const ClassInfo* findClass(const std::string& name) {
  for (const ClassInfo* c : allClasses())
    if (c->name == name) return c;
  return nullptr;
}

std::string knownNames() {
  std::string s;
  for (const ClassInfo* c : allClasses()) s += (s.empty() ? "" : ", ") + c->name;
  return s;
}

bool isPySpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string pyStrip(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && isPySpace(s[b])) ++b;
  while (e > b && isPySpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Digits with single underscores between them (PEP 515), as int()/float() accept.
bool digitRun(const std::string& s, size_t& i, std::string& out) {
  const size_t start = i;
  while (i < s.size()) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      out += s[i++];
    } else if (s[i] == '_' && i > start && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isdigit(static_cast<unsigned char>(s[i - 1]))) {
      ++i;
    } else {
      break;
    }
  }
  return i > start;
}

// Python's int(s) (base 10).
bool pyParseInt(const std::string& text, long long& value) {
  const std::string s = pyStrip(text);
  size_t i = 0;
  std::string digits;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) digits += s[i++];
  if (!digitRun(s, i, digits) || i != s.size()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtoll(digits.c_str(), &end, 10);
  return errno == 0;
}

// Python's float(s).
bool pyParseFloat(const std::string& text, double& value) {
  const std::string s = pyStrip(text);
  size_t i = 0;
  std::string clean;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
  std::string rest = s.substr(i);
  for (char& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (rest == "inf" || rest == "infinity" || rest == "nan") {
    value = std::strtod((clean + rest).c_str(), nullptr);
    return true;
  }
  const bool intPart = digitRun(s, i, clean);
  bool fracPart = false;
  if (i < s.size() && s[i] == '.') {
    clean += s[i++];
    fracPart = digitRun(s, i, clean);
  }
  if (!intPart && !fracPart) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean += s[i++];
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
    if (!digitRun(s, i, clean)) return false;
  }
  if (i != s.size()) return false;
  value = std::strtod(clean.c_str(), nullptr);
  return true;
}

bool pyIsNum(const std::string& s) {
  long long i;
  double d;
  return pyParseInt(s, i) || pyParseFloat(s, d);
}

json pyNum(const std::string& s) {
  long long i;
  double d;
  if (pyParseInt(s, i)) return i;
  if (pyParseFloat(s, d)) return d;
  // QKeras's Num asserts the string is quoted and strips the quotes.
  return s.size() >= 2 ? s.substr(1, s.size() - 2) : std::string();
}

std::string removeBrackets(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '[' && c != ']') out += c;
  return out;
}

std::vector<std::string> splitOnSpace(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t p = s.find(' ', start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return parts;
}

}  // namespace

json parseSafeEvalArg(const std::string& s) {
  if (s == "True" || s == "False") return s == "True";
  if (pyIsNum(s)) return pyNum(s);
  if (s == "None") return nullptr;
  const std::vector<std::string> parts = splitOnSpace(removeBrackets(s));
  if (parts.size() > 1) {
    bool allNumbers = true;
    for (const auto& p : parts) allNumbers = allNumbers && pyIsNum(p);
    if (allNumbers) {
      json list = json::array();
      for (const auto& p : parts) list.push_back(pyNum(p));
      return list;
    }
  }
  return s.size() >= 2 ? s.substr(1, s.size() - 2) : std::string();
}

ParsedQuantizerString parseQuantizerString(const std::string& spec) {
  ParsedQuantizerString out;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t p = spec.find('(', start);
    parts.push_back(spec.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  out.name = parts[0];
  if (parts.size() > 2)
    out.surprises.push_back("QKeras reads '" + spec + "' as " + pyStrip(parts[0]) +
                            "() with all defaults (its parser drops every argument of a string with more than one '(')");
  if (parts.size() != 2) return out;  // no "(" or several: no arguments at all (QKeras quirk)
  out.called = true;

  // pyparsing: "(" [item ("," item)*] ")", whitespace skipped before each token; item is
  // NAME [ "=" VALUE ] with NAME = [^=,)\s]+ and VALUE = [^,)]* (trailing blanks kept).
  const std::string t = "(" + parts[1];
  size_t pos = 1;
  auto skipWs = [&](size_t p) {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r')) ++p;
    return p;
  };
  auto nameAt = [&](size_t p, std::string& name) {
    size_t e = p;
    while (e < t.size() && t[e] != '=' && t[e] != ',' && t[e] != ')' && !isPySpace(t[e])) ++e;
    name = t.substr(p, e - p);
    return e;
  };
  struct Item {
    std::string name;
    bool hasValue = false;
    std::string value;
  };
  std::vector<Item> items;
  auto parseItem = [&](size_t p, Item& item) -> size_t {
    const size_t e = nameAt(p, item.name);
    if (e == p) return std::string::npos;
    size_t q = skipWs(e);
    if (q < t.size() && t[q] == '=') {
      q = skipWs(q + 1);
      size_t v = q;
      while (v < t.size() && t[v] != ',' && t[v] != ')') ++v;
      item.hasValue = true;
      item.value = t.substr(q, v - q);
      return v;
    }
    return e;
  };
  Item first;
  size_t p = parseItem(skipWs(pos), first);
  if (p != std::string::npos) {
    items.push_back(first);
    pos = p;
    while (true) {
      size_t c = skipWs(pos);
      if (c >= t.size() || t[c] != ',') break;
      Item next;
      const size_t after = parseItem(skipWs(c + 1), next);
      if (after == std::string::npos) break;
      items.push_back(next);
      pos = after;
    }
  }
  pos = skipWs(pos);
  if (pos >= t.size() || t[pos] != ')')
    throw Error(quantizerLabel(spec) + ": cannot parse the arguments: expected ')' at position " +
                std::to_string(parts[0].size() + pos) + " (QKeras's safe_eval raises a ParseException)");
  for (size_t i = 1; i < items.size(); ++i)
    if (!items[i].hasValue && items[i - 1].hasValue)
      throw Error(quantizerLabel(spec) + ": positional argument '" + items[i].name +
                  "' follows a keyword argument (QKeras's safe_eval raises SyntaxError)");
  // GetArg strips the first and last character of anything that is not a number, bool, None or
  // number list, meant for quotes: an unquoted (or trailing-blank) string comes out mangled.
  auto noteMangled = [&](const std::string& text, const json& value) {
    if (!value.is_string()) return;
    const bool quoted = text.size() >= 2 && (text[0] == '\'' || text[0] == '"') && text.back() == text[0];
    if (!quoted)
      out.surprises.push_back("QKeras reads the argument " + text + " of '" + spec + "' as the string '" +
                              value.get<std::string>() + "' (its parser strips the first and last character, meant for quotes)");
  };
  for (const auto& item : items) {
    if (!item.hasValue) {
      out.args.push_back(parseSafeEvalArg(item.name));
      noteMangled(item.name, out.args.back());
    } else {
      const json value = parseSafeEvalArg(item.value);
      noteMangled(item.value, value);
      bool replaced = false;
      for (auto& kv : out.kwargs)
        if (kv.first == item.name) {
          kv.second = value;
          replaced = true;
        }
      if (!replaced) out.kwargs.emplace_back(item.name, value);
    }
  }
  return out;
}

std::vector<std::string> quantizerNames() {
  std::vector<std::string> names;
  for (const ClassInfo* c : allClasses()) names.push_back(c->name);
  return names;
}

bool isQuantizerName(const std::string& name) { return findClass(name) != nullptr; }

namespace {

QuantizerPtr build(const ClassInfo& info, const std::string& specText, const std::vector<json>& args,
                   const std::vector<std::pair<std::string, json>>& kwargs, const QuantizerOptions& options) {
  const std::string label = quantizerLabel(specText);
  if (args.size() > info.params.size())
    throw Error(label + ": " + info.name + " takes at most " + std::to_string(info.params.size()) +
                " positional arguments (" + info.paramList() + "), " + std::to_string(args.size()) + " given");
  json values = json::object();
  for (size_t i = 0; i < args.size(); ++i) values[info.params[i].name] = args[i];
  for (const auto& [key, value] : kwargs) {
    const bool extra = std::find(info.extraConfigKeys.begin(), info.extraConfigKeys.end(), key) != info.extraConfigKeys.end();
    if (!info.param(key) && !extra)
      throw Error(label + ": unknown argument '" + key + "' (" + info.name + " takes " + info.paramList() + ")");
    if (values.contains(key)) throw Error(label + ": " + info.name + " got multiple values for argument '" + key + "'");
    values[key] = value;
  }
  for (const auto& p : info.params)
    if (!values.contains(p.name)) values[p.name] = p.defaultValue;

  if (options.weightSlot && info.rewrite != quant::WeightRewrite::None && values["alpha"].is_null()) {
    values["alpha"] = "auto_po2";
    if (info.rewrite == quant::WeightRewrite::AlphaAndSymmetric) values["symmetric"] = true;
  }
  if (options.qnoiseFactor && info.hasQnoise) values["qnoise_factor"] = static_cast<double>(*options.qnoiseFactor);
  return info.make(quant::Args(info, specText, std::move(values)), options);
}

QuantizerPtr fromString(const std::string& spec, const QuantizerOptions& options) {
  const ParsedQuantizerString parsed = parseQuantizerString(spec);
  if (options.parserNotes)
    for (const std::string& s : parsed.surprises)
      if (std::find(options.parserNotes->begin(), options.parserNotes->end(), s) == options.parserNotes->end())
        options.parserNotes->push_back(s);
  const ClassInfo* info = findClass(parsed.name);
  if (!info)
    throw Error(quantizerLabel(spec) + ": unknown quantizer '" + parsed.name + "' (known: " + knownNames() + ")");
  const bool called = parsed.called || !parsed.args.empty() || !parsed.kwargs.empty();
  if (info->isFunction) {
    if (called)
      throw Error(quantizerLabel(spec) + ": " + info->name +
                  " is a function applied to the tensor, it takes no arguments (write just '" + info->name + "')");
    return build(*info, spec, {}, {}, options);
  }
  return build(*info, spec, parsed.args, parsed.kwargs, options);
}

QuantizerPtr fromDict(const json& spec, const QuantizerOptions& options) {
  const std::string specText = spec.dump();
  const std::string label = quantizerLabel(specText);
  if (!spec.contains("class_name") || !spec["class_name"].is_string())
    throw Error(label + ": a quantizer object needs a string \"class_name\"");
  std::string name = spec["class_name"].get<std::string>();
  const json config = spec.contains("config") ? spec["config"] : json(nullptr);
  // Keras >= 2.13 serializes a plain function as {"class_name": "function", "config": "<name>"}.
  if (name == "function" && config.is_string()) name = config.get<std::string>();
  const ClassInfo* info = findClass(name);
  if (!info) throw Error(label + ": unknown quantizer class '" + name + "' (known: " + knownNames() + ")");
  std::vector<std::pair<std::string, json>> kwargs;
  if (config.is_object()) {
    for (const auto& [key, value] : config.items()) {
      if (key == "shared_object_id" || key == "__passive_serialization__") continue;
      kwargs.emplace_back(key, value);
    }
  } else if (!config.is_null() && !(info->isFunction && config.is_string())) {
    throw Error(label + ": \"config\" must be an object");
  }
  if (info->isFunction && !kwargs.empty()) throw Error(label + ": " + info->name + " is a function and takes no arguments");
  return build(*info, specText, {}, kwargs, options);
}

}  // namespace

QuantizerPtr makeQuantizer(const json& spec, const QuantizerOptions& options) {
  if (spec.is_string()) return fromString(spec.get<std::string>(), options);
  if (spec.is_object()) return fromDict(spec, options);
  throw Error("quantizer " + spec.dump() + ": expected a constructor string or a {\"class_name\", \"config\"} object");
}

}  // namespace qkw
