// Shared by the libFuzzer targets: which exceptions are the library's designed way of refusing
// an input (a qkw::Error, or malformed JSON: both become a JS Error in the bindings). Anything
// else escaping (std::length_error, std::out_of_range, bad_alloc past the limits, a crash or a
// sanitizer report) is a bug the fuzzer should stop on.
#pragma once
#include "core/json.h"

#include "core/error.h"

#define QKW_FUZZ_EXPECTED_ERRORS \
  catch (const qkw::Error&) {    \
  }                              \
  catch (const qkw::Json::exception&) {}
