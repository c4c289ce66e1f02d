// A small JSON value, parser and serializer: the subset of qkw::Json's API this project uses
// (model graphs, layer configs, quantizer specs, options, analysis/trace reports), kept in-house
// because nlohmann's templates cost ~100 KB of the WASM module (issue 11, "Size").
//
// Behaviour kept from qkw::Json 3.11 (what the code and its tests relied on):
//  - numbers: "-?digits" without fraction/exponent is an integer (uint64 if non-negative, else
//    int64; "-0" is the integer 0); anything else, or an integer that overflows 64 bits, is a
//    double from strtod on the token (so every number parses to the same double as before);
//    a number that overflows to infinity is a parse error;
//  - objects are std::map: keys sorted in dump(); a duplicate key keeps the last value;
//  - strings must be valid UTF-8 (RFC 3629), control characters must be escaped, \u escapes
//    must pair surrogates; dump() rejects invalid UTF-8 too; a UTF-8 BOM before the text is skipped;
//  - dump(): compact; doubles in their shortest round-trip form ("1.0", "0.001", "1e-05",
//    "1.5e+20"), non-finite doubles as null; get<T>() converts numbers with static_cast, and
//    get<int>/get<float> also accept booleans (get<double>/get<int64_t>/get<uint64_t> do not);
//  - {{"k", v}, ...} brace lists of [string, value] pairs build objects, anything else an array.
// Nesting is limited on every parse (kMaxDepth, lower with the maxDepth argument), so copying,
// dumping and destroying a parsed value can recurse safely. Errors are Json::exception with a
// message naming the byte offset, line and column.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace qkw {

class Json {
 public:
  enum class Type : unsigned char { Null, Object, Array, String, Boolean, Integer, Unsigned, Float };
  using Object = std::map<std::string, Json>;
  using Array = std::vector<Json>;

  // Every error raised by this class (parse, type and missing-key errors).
  class exception : public std::runtime_error {
   public:
    explicit exception(const std::string& message) : std::runtime_error(message) {}
  };
  // The parse went deeper than its depth limit; offset is where the offending container opens.
  class depth_error : public exception {
   public:
    depth_error(const std::string& message, size_t at) : exception(message), offset(at) {}
    size_t offset;
  };

  static constexpr int64_t kMaxDepth = 512;  // hard cap: recursion in parse/copy/dump/destroy stays shallow (4096 overflowed an ASan build's 8 MB stack; model configs are limited to 64)

  Json() noexcept {}
  Json(std::nullptr_t) noexcept {}
  Json(bool b) noexcept : type_(Type::Boolean) { v_.b = b; }
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_signed_v<T>, int> = 0>
  Json(T i) noexcept : type_(Type::Integer) { v_.i = static_cast<int64_t>(i); }
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_unsigned_v<T>, int> = 0>
  Json(T u) noexcept : type_(Type::Unsigned) { v_.u = static_cast<uint64_t>(u); }
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Json(T d) noexcept : type_(Type::Float) { v_.d = static_cast<double>(d); }
  Json(const char* s);
  Json(const std::string& s);
  Json(std::string&& s);
  Json(Array a);
  Json(Object o);
  template <class T>
  Json(const std::vector<T>& v) : Json(Array(v.begin(), v.end())) {}
  template <class T>
  Json(const std::map<std::string, T>& m) : Json(Object(m.begin(), m.end())) {}
  // A brace list: an object when every element is a two-element array starting with a string.
  Json(std::initializer_list<Json> init);

  Json(const Json& other);
  Json(Json&& other) noexcept : type_(other.type_), v_(other.v_) { other.type_ = Type::Null; }
  Json& operator=(Json other) noexcept {
    std::swap(type_, other.type_);
    std::swap(v_, other.v_);
    return *this;
  }
  ~Json() { if (type_ == Type::Object || type_ == Type::Array || type_ == Type::String) destroy(); }

  static Json array(std::initializer_list<Json> init = {});
  static Json object(std::initializer_list<Json> init = {});
  // Parses a whole text (only whitespace may follow the value). maxDepth bounds how many
  // arrays/objects may be open at once (the outermost counts 1); over it throws depth_error.
  static Json parse(const std::string& text, int64_t maxDepth = kMaxDepth);

  Type type() const noexcept { return type_; }
  const char* type_name() const noexcept;
  bool is_null() const noexcept { return type_ == Type::Null; }
  bool is_object() const noexcept { return type_ == Type::Object; }
  bool is_array() const noexcept { return type_ == Type::Array; }
  bool is_string() const noexcept { return type_ == Type::String; }
  bool is_boolean() const noexcept { return type_ == Type::Boolean; }
  bool is_number() const noexcept { return type_ >= Type::Integer; }
  bool is_number_integer() const noexcept { return type_ == Type::Integer || type_ == Type::Unsigned; }
  bool is_number_unsigned() const noexcept { return type_ == Type::Unsigned; }
  bool is_number_float() const noexcept { return type_ == Type::Float; }
  bool is_primitive() const noexcept { return !is_object() && !is_array(); }
  bool is_structured() const noexcept { return is_object() || is_array(); }

  // Conversions (nlohmann's get<T>()): arithmetic types, bool, std::string, Json, std::vector<T>.
  template <class T>
  T get() const {
    if constexpr (std::is_same_v<T, Json>) {
      return *this;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (type_ != Type::Boolean) typeError("boolean");
      return v_.b;
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (type_ != Type::String) typeError("string");
      return *v_.s;
    } else if constexpr (std::is_arithmetic_v<T>) {
      constexpr bool strict = std::is_same_v<T, double> || std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>;
      switch (type_) {
        case Type::Integer: return static_cast<T>(v_.i);
        case Type::Unsigned: return static_cast<T>(v_.u);
        case Type::Float: return static_cast<T>(v_.d);
        case Type::Boolean: if (!strict) return static_cast<T>(v_.b); [[fallthrough]];
        default: typeError("number");
      }
    } else {
      static_assert(std::is_same_v<T, std::vector<typename T::value_type>>, "Json::get: unsupported type");
      if (type_ != Type::Array) typeError("array");
      T out;
      out.reserve(v_.a->size());
      for (const Json& e : *v_.a) out.push_back(e.get<typename T::value_type>());
      return out;
    }
  }
  const std::string& get_ref_string() const;
  // Implicit conversion, as nlohmann allowed (std::string s = j["name"]; double x = j[0];).
  template <class T, std::enable_if_t<!std::is_pointer_v<T> && !std::is_same_v<T, char> && !std::is_same_v<T, std::nullptr_t> &&
                                          !std::is_same_v<T, std::initializer_list<char>>, int> = 0>
  operator T() const {
    return get<T>();
  }

  // Object access. operator[] on a non-const null makes it an object; the const form returns
  // null for a missing key (nlohmann left that undefined).
  Json& operator[](const std::string& key);
  Json& operator[](const char* key) { return (*this)[std::string(key)]; }
  const Json& operator[](const std::string& key) const;
  const Json& operator[](const char* key) const { return (*this)[std::string(key)]; }
  // Array access: operator[] on a non-const null or short array grows it with nulls.
  template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  Json& operator[](I index) { return element(static_cast<size_t>(index)); }
  template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  const Json& operator[](I index) const { return at(static_cast<size_t>(index)); }
  Json& at(const std::string& key);
  const Json& at(const std::string& key) const;
  Json& at(size_t index);
  const Json& at(size_t index) const;

  bool contains(const std::string& key) const;
  size_t count(const std::string& key) const { return contains(key) ? 1 : 0; }
  // value(key, fallback): the member converted to the fallback's type, or the fallback when absent.
  template <class T>
  T value(const std::string& key, const T& fallback) const {
    const Json* member = findMember(key, "value()");
    return member ? member->get<T>() : fallback;
  }
  std::string value(const std::string& key, const char* fallback) const { return value(key, std::string(fallback)); }

  size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  void push_back(Json value);
  template <class... A>
  Json& emplace_back(A&&... args) {
    push_back(Json(std::forward<A>(args)...));
    return v_.a->back();
  }
  Json& back();  // the last array element (or object member, or the primitive itself)
  const Json& back() const { return const_cast<Json*>(this)->back(); }
  void clear() noexcept;
  size_t erase(const std::string& key);

  // Iteration: arrays by element, objects by member in key order (key() and value() name them),
  // a primitive as one element, null as none (as nlohmann).
  template <class J>
  class Iter {
   public:
    using ObjIt = std::conditional_t<std::is_const_v<J>, Object::const_iterator, Object::iterator>;
    using ArrIt = std::conditional_t<std::is_const_v<J>, Array::const_iterator, Array::iterator>;
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Json;
    using difference_type = std::ptrdiff_t;
    using pointer = J*;
    using reference = J&;
    Iter() = default;
    Iter(J* owner, ObjIt o, ArrIt a, size_t p) : owner_(owner), o_(o), a_(a), p_(p) {}
    operator Iter<const Json>() const { return Iter<const Json>(owner_, o_, a_, p_); }
    J& operator*() const { return owner_->is_object() ? o_->second : owner_->is_array() ? *a_ : *owner_; }
    J* operator->() const { return &**this; }
    J& value() const { return **this; }
    const std::string& key() const {
      if (!owner_->is_object()) throw exception("cannot use key() for non-object iterators");
      return o_->first;
    }
    Iter& operator++() {
      if (owner_->is_object()) ++o_; else if (owner_->is_array()) ++a_; else ++p_;
      return *this;
    }
    Iter& operator--() {
      if (owner_->is_object()) --o_; else if (owner_->is_array()) --a_; else --p_;
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iter& other) const {
      return owner_->is_object() ? o_ == other.o_ : owner_->is_array() ? a_ == other.a_ : p_ == other.p_;
    }
    bool operator!=(const Iter& other) const { return !(*this == other); }

   private:
    template <class>
    friend class Iter;
    friend class Json;
    J* owner_ = nullptr;
    ObjIt o_{};
    ArrIt a_{};
    size_t p_ = 0;
  };
  using iterator = Iter<Json>;
  using const_iterator = Iter<const Json>;
  iterator begin();
  iterator end();
  const_iterator begin() const;
  const_iterator end() const;
  iterator find(const std::string& key);
  const_iterator find(const std::string& key) const;
  iterator erase(iterator it);
  // items(): the members of an object as (key, value) pairs, for structured bindings.
  const Object& items() const;

  // Compact text; throws on strings that are not valid UTF-8.
  std::string dump() const;

  friend bool operator==(const Json& a, const Json& b) noexcept;
  friend bool operator!=(const Json& a, const Json& b) noexcept { return !(a == b); }
  template <class T, std::enable_if_t<std::is_scalar_v<T>, int> = 0>
  friend bool operator==(const Json& a, T b) noexcept { return a == Json(b); }
  template <class T, std::enable_if_t<std::is_scalar_v<T>, int> = 0>
  friend bool operator==(T a, const Json& b) noexcept { return Json(a) == b; }
  template <class T, std::enable_if_t<std::is_scalar_v<T>, int> = 0>
  friend bool operator!=(const Json& a, T b) noexcept { return !(a == Json(b)); }
  template <class T, std::enable_if_t<std::is_scalar_v<T>, int> = 0>
  friend bool operator!=(T a, const Json& b) noexcept { return !(Json(a) == b); }

 private:
  [[noreturn]] void typeError(const char* wanted) const;
  const Json* findMember(const std::string& key, const char* what) const;
  Json& element(size_t index);
  void destroy() noexcept;
  void dumpTo(std::string& out) const;

  Type type_ = Type::Null;
  union Value {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    std::string* s;
    Array* a;
    Object* o;
  } v_{};
};

}  // namespace qkw
