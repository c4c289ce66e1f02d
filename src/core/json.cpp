// The JSON value, parser and serializer declared in json.h. The parser is a plain recursive
// descent bounded by the depth limit; numbers go through strtod (as nlohmann's lexer did), and
// dump() prints each double in its shortest form that strtod reads back to the same double.
#include "core/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>

namespace qkw {

namespace {

const Json& nullJson() {
  static const Json n;
  return n;
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, surrogates or > U+10FFFF),
// or 0 when it is not one.
size_t utf8Length(const std::string& s, size_t i) {
  const auto at = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c = at(i);
  const auto cont = [&](size_t k, unsigned lo, unsigned hi) { const unsigned b = at(k); return b >= lo && b <= hi; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2, 0x80, 0xBF) && cont(i + 3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(const std::string& text, int64_t maxDepth) : t_(text), maxDepth_(maxDepth) {}

  Json run() {
    if (t_.compare(0, 3, "\xEF\xBB\xBF") == 0) p_ = 3;
    Json v = value(0);
    skipSpace();
    if (p_ != t_.size()) fail("unexpected '" + tokenAt(p_) + "' after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what, size_t at = std::string::npos) const {
    if (at == std::string::npos) at = p_;
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at && i < t_.size(); ++i) {
      if (t_[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    throw Json::exception("parse error at byte " + std::to_string(at) + " (line " + std::to_string(line) + ", column " +
                          std::to_string(column) + "): " + what);
  }
  std::string tokenAt(size_t at) const {
    if (at >= t_.size()) return "end of input";
    const unsigned char c = static_cast<unsigned char>(t_[at]);
    if (c < 0x20 || c >= 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      return hex;
    }
    return std::string(1, static_cast<char>(c));
  }
  void skipSpace() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  void expect(char c, const char* where) {
    skipSpace();
    if (p_ >= t_.size() || t_[p_] != c)
      fail(std::string("expected '") + c + "' " + where + ", got " + (p_ >= t_.size() ? "end of input" : "'" + tokenAt(p_) + "'"));
    ++p_;
  }

  Json value(int64_t depth) {
    skipSpace();
    if (p_ >= t_.size()) fail("expected a value, got end of input");
    const char c = t_[p_];
    if (c == '{' || c == '[') {
      if (depth >= maxDepth_ || depth >= Json::kMaxDepth)
        throw Json::depth_error("JSON nested deeper than " + std::to_string(std::min(maxDepth_, Json::kMaxDepth)) + " levels", p_);
      ++p_;
      return c == '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c == '"') return Json(string());
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (const char* word : {"true", "false", "null"}) {
      const size_t n = std::strlen(word);
      if (t_.compare(p_, n, word) == 0) {
        p_ += n;
        return word[0] == 'n' ? Json() : Json(word[0] == 't');
      }
    }
    fail("expected a value, got '" + tokenAt(p_) + "'");
  }

  Json object(int64_t depth) {
    Json::Object members;
    skipSpace();
    if (p_ < t_.size() && t_[p_] == '}') {
      ++p_;
      return Json(std::move(members));
    }
    for (;;) {
      skipSpace();
      if (p_ >= t_.size() || t_[p_] != '"') fail("expected a string key in an object, got " + (p_ >= t_.size() ? std::string("end of input") : "'" + tokenAt(p_) + "'"));
      std::string key = string();
      expect(':', "after an object key");
      members[std::move(key)] = value(depth);  // a duplicate key keeps the last value
      skipSpace();
      if (p_ < t_.size() && t_[p_] == ',') { ++p_; continue; }
      expect('}', "or ',' in an object");
      return Json(std::move(members));
    }
  }

  Json array(int64_t depth) {
    Json::Array elements;
    skipSpace();
    if (p_ < t_.size() && t_[p_] == ']') {
      ++p_;
      return Json(std::move(elements));
    }
    for (;;) {
      elements.push_back(value(depth));
      skipSpace();
      if (p_ < t_.size() && t_[p_] == ',') { ++p_; continue; }
      expect(']', "or ',' in an array");
      return Json(std::move(elements));
    }
  }

  uint32_t hex4() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k, ++p_) {
      const char c = p_ < t_.size() ? t_[p_] : 0;
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) fail("\\u must be followed by 4 hex digits");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  std::string string() {
    const size_t start = p_++;
    std::string out;
    for (;;) {
      if (p_ >= t_.size()) fail("unterminated string", start);
      const unsigned char c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') { ++p_; return out; }
      if (c < 0x20) fail("control character " + tokenAt(p_) + " in a string must be escaped");
      if (c == '\\') {
        const char e = p_ + 1 < t_.size() ? t_[p_ + 1] : 0;
        const char* simple = std::strchr("\"\\/bfnrt", e);
        if (e && simple) {
          out += "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
          p_ += 2;
          continue;
        }
        if (e != 'u') fail("invalid escape in a string");
        const size_t escape = p_;
        p_ += 2;
        uint32_t cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail("\\u escape is a lone low surrogate", escape);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (t_.compare(p_, 2, "\\u") != 0) fail("\\u escape is a high surrogate without its low surrogate", escape);
          p_ += 2;
          const uint32_t lo = hex4();
          if (lo < 0xDC00 || lo > 0xDFFF) fail("\\u escape is a high surrogate without its low surrogate", escape);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(out, cp);
        continue;
      }
      const size_t n = utf8Length(t_, p_);
      if (n == 0) fail("invalid UTF-8 byte " + tokenAt(p_) + " in a string");
      out.append(t_, p_, n);
      p_ += n;
    }
  }

  Json number() {
    const size_t start = p_;
    const auto digits = [&] {
      const size_t from = p_;
      while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
      return p_ - from;
    };
    bool integer = true;
    if (t_[p_] == '-') ++p_;
    if (p_ < t_.size() && t_[p_] == '0') {
      ++p_;
    } else if (digits() == 0) {
      fail("invalid number: expected a digit", start);
    }
    if (p_ < t_.size() && t_[p_] == '.') {
      integer = false;
      ++p_;
      if (digits() == 0) fail("invalid number: expected a digit after '.'", start);
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      integer = false;
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (digits() == 0) fail("invalid number: expected a digit in the exponent", start);
    }
    const std::string token = t_.substr(start, p_ - start);
    if (integer) {
      char* end = nullptr;
      errno = 0;
      if (token[0] == '-') {
        const long long v = std::strtoll(token.c_str(), &end, 10);
        if (errno == 0 && end == token.c_str() + token.size()) return Json(static_cast<int64_t>(v));
      } else {
        const unsigned long long v = std::strtoull(token.c_str(), &end, 10);
        if (errno == 0 && end == token.c_str() + token.size()) return Json(static_cast<uint64_t>(v));
      }
    }
    const double d = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(d)) fail("number " + token + " is out of the range of a double", start);
    return Json(d);
  }

  const std::string& t_;
  const int64_t maxDepth_;
  size_t p_ = 0;
};

// Shortest decimal digits of d (> 0, finite) that read back exactly, and the decimal exponent e
// such that d = 0.DIGITS * 10^e ... written as nlohmann's dump() writes doubles.
void appendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  if (d == 0) {
    out += std::signbit(d) ? "-0.0" : "0.0";
    return;
  }
  // Round-tripping is monotonic in the digit count (17 always does). Most values written here
  // are float32 stats and weights, whose doubles mostly need 17 digits: test 16 first, then
  // binary search the fewest below it, keeping the text of the best one found so far.
  char buf[40], best[40];
  std::snprintf(best, sizeof best, "%.16e", d);
  std::snprintf(buf, sizeof buf, "%.15e", d);
  if (std::strtod(buf, nullptr) == d) {
    std::memcpy(best, buf, sizeof buf);
    int lo = 1, hi = 16;
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      std::snprintf(buf, sizeof buf, "%.*e", mid - 1, d);
      if (std::strtod(buf, nullptr) == d) {
        hi = mid;
        std::memcpy(best, buf, sizeof buf);
      } else {
        lo = mid + 1;
      }
    }
  }
  std::memcpy(buf, best, sizeof buf);
  // buf is "[-]D[.DDD]e[+-]XX": collect the digits and the exponent.
  const char* p = buf;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  std::string digits;
  for (; *p != 'e'; ++p)
    if (*p != '.') digits += *p;
  const int exp10 = std::atoi(p + 1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // d = 0.DIGITS * 10^n
  if (k <= n && n <= 15) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
    out += ".0";
  } else if (0 < n && n <= 15) {
    out.append(digits, 0, static_cast<size_t>(n));
    out += '.';
    out.append(digits, static_cast<size_t>(n), std::string::npos);
  } else if (-4 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    const int e = n - 1;
    out += e < 0 ? "e-" : "e+";
    const int a = e < 0 ? -e : e;
    if (a < 10) out += '0';
    out += std::to_string(a);
  }
}

void appendString(std::string& out, const std::string& s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const char* esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : nullptr;
    if (esc) {
      out += esc;
      ++i;
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
      ++i;
    } else {
      const size_t n = utf8Length(s, i);
      if (n == 0) throw Json::exception("cannot write a string as JSON: invalid UTF-8 byte at index " + std::to_string(i));
      out.append(s, i, n);
      i += n;
    }
  }
  out += '"';
}

}  // namespace

Json::Json(const char* s) : type_(Type::String) { v_.s = new std::string(s); }
Json::Json(const std::string& s) : type_(Type::String) { v_.s = new std::string(s); }
Json::Json(std::string&& s) : type_(Type::String) { v_.s = new std::string(std::move(s)); }
Json::Json(Array a) : type_(Type::Array) { v_.a = new Array(std::move(a)); }
Json::Json(Object o) : type_(Type::Object) { v_.o = new Object(std::move(o)); }

Json::Json(std::initializer_list<Json> init) {
  bool pairs = true;
  for (const Json& e : init) pairs = pairs && e.is_array() && e.v_.a->size() == 2 && (*e.v_.a)[0].is_string();
  if (pairs) {
    Object o;
    for (const Json& e : init) o[*(*e.v_.a)[0].v_.s] = (*e.v_.a)[1];
    *this = Json(std::move(o));
  } else {
    *this = Json(Array(init.begin(), init.end()));
  }
}

Json::Json(const Json& other) : type_(other.type_), v_(other.v_) {
  if (type_ == Type::String) v_.s = new std::string(*other.v_.s);
  else if (type_ == Type::Array) v_.a = new Array(*other.v_.a);
  else if (type_ == Type::Object) v_.o = new Object(*other.v_.o);
}

void Json::destroy() noexcept {
  if (type_ == Type::String) delete v_.s;
  else if (type_ == Type::Array) delete v_.a;
  else if (type_ == Type::Object) delete v_.o;
  type_ = Type::Null;
}

Json Json::array(std::initializer_list<Json> init) { return Json(Array(init.begin(), init.end())); }

Json Json::object(std::initializer_list<Json> init) {
  Json j = init.size() ? Json(init) : Json(Object());
  if (!j.is_object()) throw exception("cannot create an object from a list that is not [key, value] pairs");
  return j;
}

Json Json::parse(const std::string& text, int64_t maxDepth) { return Parser(text, maxDepth).run(); }

const char* Json::type_name() const noexcept {
  switch (type_) {
    case Type::Null: return "null";
    case Type::Object: return "object";
    case Type::Array: return "array";
    case Type::String: return "string";
    case Type::Boolean: return "boolean";
    default: return "number";
  }
}

void Json::typeError(const char* wanted) const {
  throw exception(std::string("type must be ") + wanted + ", but is " + type_name());
}

const std::string& Json::get_ref_string() const {
  if (type_ != Type::String) typeError("string");
  return *v_.s;
}

const Json* Json::findMember(const std::string& key, const char* what) const {
  if (type_ != Type::Object) throw exception(std::string("cannot use ") + what + " with " + type_name());
  const auto it = v_.o->find(key);
  return it == v_.o->end() ? nullptr : &it->second;
}

Json& Json::operator[](const std::string& key) {
  if (type_ == Type::Null) *this = Json(Object());
  if (type_ != Type::Object) throw exception(std::string("cannot use operator[] with a string argument with ") + type_name());
  return (*v_.o)[key];
}

const Json& Json::operator[](const std::string& key) const {
  const Json* member = findMember(key, "operator[] with a string argument");
  return member ? *member : nullJson();
}

Json& Json::element(size_t index) {
  if (type_ == Type::Null) *this = Json(Array());
  if (type_ != Type::Array) throw exception(std::string("cannot use operator[] with a numeric argument with ") + type_name());
  if (index >= v_.a->size()) v_.a->resize(index + 1);
  return (*v_.a)[index];
}

Json& Json::at(const std::string& key) { return const_cast<Json&>(static_cast<const Json&>(*this).at(key)); }
const Json& Json::at(const std::string& key) const {
  const Json* member = findMember(key, "at() with a string argument");
  if (!member) throw exception("key '" + key + "' not found");
  return *member;
}
Json& Json::at(size_t index) { return const_cast<Json&>(static_cast<const Json&>(*this).at(index)); }
const Json& Json::at(size_t index) const {
  if (type_ != Type::Array) throw exception(std::string("cannot use at() with a numeric argument with ") + type_name());
  if (index >= v_.a->size()) throw exception("array index " + std::to_string(index) + " is out of range");
  return (*v_.a)[index];
}

bool Json::contains(const std::string& key) const { return type_ == Type::Object && v_.o->count(key) != 0; }

size_t Json::size() const noexcept {
  switch (type_) {
    case Type::Null: return 0;
    case Type::Array: return v_.a->size();
    case Type::Object: return v_.o->size();
    default: return 1;
  }
}

void Json::push_back(Json value) {
  if (type_ == Type::Null) *this = Json(Array());
  if (type_ != Type::Array) throw exception(std::string("cannot use push_back() with ") + type_name());
  v_.a->push_back(std::move(value));
}

Json& Json::back() {
  if (type_ == Type::Null || empty()) throw exception("cannot get back() of an empty or null value");
  if (type_ == Type::Array) return v_.a->back();
  if (type_ == Type::Object) return v_.o->rbegin()->second;
  return *this;
}

void Json::clear() noexcept {
  switch (type_) {
    case Type::Array: v_.a->clear(); break;
    case Type::Object: v_.o->clear(); break;
    case Type::String: v_.s->clear(); break;
    case Type::Boolean: v_.b = false; break;
    case Type::Integer: v_.i = 0; break;
    case Type::Unsigned: v_.u = 0; break;
    case Type::Float: v_.d = 0; break;
    default: break;
  }
}

size_t Json::erase(const std::string& key) {
  if (type_ != Type::Object) throw exception(std::string("cannot use erase() with ") + type_name());
  return v_.o->erase(key);
}

Json::iterator Json::begin() {
  if (type_ == Type::Object) return iterator(this, v_.o->begin(), {}, 0);
  if (type_ == Type::Array) return iterator(this, {}, v_.a->begin(), 0);
  return iterator(this, {}, {}, type_ == Type::Null ? 1 : 0);
}
Json::iterator Json::end() {
  if (type_ == Type::Object) return iterator(this, v_.o->end(), {}, 0);
  if (type_ == Type::Array) return iterator(this, {}, v_.a->end(), 0);
  return iterator(this, {}, {}, 1);
}
Json::const_iterator Json::begin() const { return const_cast<Json*>(this)->begin(); }
Json::const_iterator Json::end() const { return const_cast<Json*>(this)->end(); }

Json::iterator Json::find(const std::string& key) {
  if (type_ == Type::Object) return iterator(this, v_.o->find(key), {}, 0);
  return end();
}
Json::const_iterator Json::find(const std::string& key) const { return const_cast<Json*>(this)->find(key); }

Json::iterator Json::erase(iterator it) {
  if (it.owner_ != this) throw exception("iterator does not fit the current value");
  if (type_ == Type::Object) return iterator(this, v_.o->erase(it.o_), {}, 0);
  if (type_ == Type::Array) return iterator(this, {}, v_.a->erase(it.a_), 0);
  throw exception(std::string("cannot use erase() with ") + type_name());
}

const Json::Object& Json::items() const {
  if (type_ != Type::Object) throw exception(std::string("cannot use items() with ") + type_name());
  return *v_.o;
}

std::string Json::dump() const {
  std::string out;
  dumpTo(out);
  return out;
}

void Json::dumpTo(std::string& out) const {
  switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Boolean: out += v_.b ? "true" : "false"; break;
    case Type::Integer: out += std::to_string(v_.i); break;
    case Type::Unsigned: out += std::to_string(v_.u); break;
    case Type::Float: appendDouble(out, v_.d); break;
    case Type::String: appendString(out, *v_.s); break;
    case Type::Array: {
      out += '[';
      bool first = true;
      for (const Json& e : *v_.a) {
        if (!first) out += ',';
        first = false;
        e.dumpTo(out);
      }
      out += ']';
      break;
    }
    case Type::Object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : *v_.o) {
        if (!first) out += ',';
        first = false;
        appendString(out, key);
        out += ':';
        value.dumpTo(out);
      }
      out += '}';
      break;
    }
  }
}

bool operator==(const Json& a, const Json& b) noexcept {
  using T = Json::Type;
  if (a.is_number() && b.is_number()) {
    if (a.type_ == b.type_) return a.type_ == T::Float ? a.v_.d == b.v_.d : a.v_.u == b.v_.u;
    if (a.type_ == T::Float || b.type_ == T::Float)
      return a.get<double>() == b.get<double>();
    // int64 against uint64: equal only when the signed one is non-negative.
    const Json& s = a.type_ == T::Integer ? a : b;
    const Json& u = a.type_ == T::Integer ? b : a;
    return s.v_.i >= 0 && static_cast<uint64_t>(s.v_.i) == u.v_.u;
  }
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case T::Null: return true;
    case T::Boolean: return a.v_.b == b.v_.b;
    case T::String: return *a.v_.s == *b.v_.s;
    case T::Array: return *a.v_.a == *b.v_.a;
    case T::Object: return *a.v_.o == *b.v_.o;
    default: return false;
  }
}

}  // namespace qkw
