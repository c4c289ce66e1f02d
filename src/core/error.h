// Errors carry a message meant for the end user: it names the file part,
// layer, quantizer or field that was wrong. The bindings turn them into JS Errors.
#pragma once
#include <stdexcept>
#include <string>

namespace qkw {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown for things QKeras itself supports but we deliberately do not (never approximated).
class Unsupported : public Error {
 public:
  explicit Unsupported(const std::string& message) : Error(message) {}
};

}  // namespace qkw
