// qkw::Json (src/core/json.h) against nlohmann::json 3.11, the library it replaced in the WASM
// module: natively, nlohmann (Debian's nlohmann-json3-dev) is the oracle for what parses, to which
// value, and what dump() writes. Plus the limits nlohmann did not have (depth cap, error positions).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/json.h"

namespace {

using qkw::Json;

// Parses with both; both must accept or both reject, and on accept dump the same text.
void expectSameAsNlohmann(const std::string& text) {
  SCOPED_TRACE("input: " + text.substr(0, 200));
  bool oursOk = true, theirsOk = true;
  std::string ours, theirs;
  try {
    ours = Json::parse(text).dump();
  } catch (const Json::exception& e) {
    oursOk = false;
    ours = e.what();
  }
  try {
    theirs = nlohmann::json::parse(text).dump();
  } catch (const nlohmann::json::exception& e) {
    theirsOk = false;
    theirs = e.what();
  }
  ASSERT_EQ(oursOk, theirsOk) << "ours: " << ours << "\nnlohmann: " << theirs;
  if (oursOk) EXPECT_EQ(ours, theirs);
}

TEST(Json, NumbersParseAndDumpAsNlohmann) {
  for (const char* text :
       {"0", "-0", "-0.0", "0.0", "1", "-1", "1.0", "1.5", "100", "1e2", "1E2", "1e+2", "1e-2", "-1.25e-7", "0.1", "0.001",
        "0.0001", "0.00001", "1e15", "1e16", "123456789012345.0", "1234567890123456.0", "1e21", "1.7976931348623157e308",
        "2.2250738585072014e-308", "4.9e-324", "5e-324", "2.4703282292062327e-324", "1e-400", "-1e-400",
        "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890", "0.30000000000000004", "3.4028234663852886e38",
        "1.401298464324817e-45", "1e308", "1e309", "-1e309", "01", "-", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10",
        "1.0e", "NaN", "Infinity", "[1,2.5,-3e-3]", "{\"a\":1e-5,\"b\":[0.5,1e100]}"})
    expectSameAsNlohmann(text);
}

void expectSameTextOrShorter(const std::string& ours, const std::string& theirs, int& same, int& total) {
  ++total;
  if (ours == theirs) {
    ++same;
    return;
  }
  EXPECT_LE(ours.size(), theirs.size()) << ours << " vs nlohmann " << theirs;
  EXPECT_EQ(std::strtod(ours.c_str(), nullptr), std::strtod(theirs.c_str(), nullptr)) << ours << " vs nlohmann " << theirs;
}

TEST(Json, Float32WeightsRoundTripExactly) {
  // Every float32 written into JSON (weights, stats) must read back to the same float, and the
  // text must equal nlohmann's (the JS side and the tests compare analyze()/summary output).
  // nlohmann prints Grisu2's digits; ours are the shortest round-trip digits printf rounds to.
  // They differ in the last digit when the 17-digit decimal is a tie (...62 against Grisu's ...63)
  // or where Grisu2 is not shortest: always the same double, never longer.
  int same = 0, total = 0;
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 20000; ++i) {
    uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, sizeof f);
    if (!std::isfinite(f)) continue;
    const std::string ours = Json(f).dump();
    expectSameTextOrShorter(ours, nlohmann::json(f).dump(), same, total);
    ASSERT_EQ(static_cast<float>(Json::parse(ours).get<double>()), f) << ours;
  }
  std::uniform_real_distribution<double> unit(-1, 1);
  for (int i = 0; i < 20000; ++i) {
    const double d = unit(rng) * std::pow(10.0, static_cast<int>(rng() % 40) - 20);
    const std::string ours = Json(d).dump();
    expectSameTextOrShorter(ours, nlohmann::json(d).dump(), same, total);
    ASSERT_EQ(Json::parse(ours).get<double>(), d) << ours;
  }
  EXPECT_GE(same, total * 9 / 10) << "texts differing from nlohmann's: " << total - same << " of " << total;
  EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).dump(), "null");
  EXPECT_EQ(Json(std::nan("")).dump(), "null");
  EXPECT_EQ(Json(-0.0).dump(), "-0.0");
  EXPECT_TRUE(std::signbit(Json::parse("-0.0").get<double>()));
  EXPECT_TRUE(Json::parse("-0").is_number_integer());
  EXPECT_EQ(Json::parse("4.9e-324").get<double>(), std::numeric_limits<double>::denorm_min());
}

TEST(Json, IntegerKindsAsNlohmann) {
  EXPECT_TRUE(Json::parse("5").is_number_unsigned());
  EXPECT_TRUE(Json::parse("-5").is_number_integer());
  EXPECT_FALSE(Json::parse("-5").is_number_unsigned());
  EXPECT_TRUE(Json::parse("5.0").is_number_float());
  EXPECT_TRUE(Json::parse("18446744073709551616").is_number_float());  // overflow -> double
  EXPECT_EQ(Json::parse("18446744073709551615").get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(Json::parse("-9223372036854775808").get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Json::parse("3.7").get<int>(), 3);           // static_cast, as nlohmann
  EXPECT_EQ(Json::parse("true").get<int>(), 1);          // get<int> accepts booleans (nlohmann too)
  EXPECT_THROW(Json::parse("true").get<double>(), Json::exception);  // get<double> does not
  EXPECT_THROW(Json::parse("1").get<bool>(), Json::exception);
  EXPECT_THROW(Json::parse("\"1\"").get<double>(), Json::exception);
  EXPECT_TRUE(Json::parse("1") == Json::parse("1.0"));
  EXPECT_FALSE(Json::parse("-1") == Json::parse("18446744073709551615"));
}

TEST(Json, StringsEscapesAndUtf8AsNlohmann) {
  for (const std::string& text : std::vector<std::string>{
           R"("plain")", R"("\"\\\/\b\f\n\r\t")", R"("\u0000")", R"("\u001f\u007f\u0080")", R"("\u00e9\u20ac")",
           R"("\ud83d\ude00")", R"("\ud83d")", R"("\ude00")", R"("\ud83dx")", R"("\ud83d\u0041")", R"("\u12")",
           R"("\x")", R"("\U0041")", "\"tab\there\"", "\"nl\nhere\"", "\"\x01\"", "\"caf\xC3\xA9\"",
           "\"\xE2\x82\xAC\"", "\"\xF0\x9F\x98\x80\"", "\"\xC3\"", "\"\xC0\xAF\"", "\"\xE0\x80\xAF\"",
           "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\"\x80\"", "\"unterminated",
           "\"\xEF\xBB\xBF\"", "\xEF\xBB\xBF\"after a BOM\"", "\xEF\xBB\"bad BOM\""})
    expectSameAsNlohmann(text);
  // dump() rejects invalid UTF-8 that did not come from parse (nlohmann: type_error 316).
  EXPECT_THROW(Json(std::string("\xFF")).dump(), Json::exception);
  EXPECT_EQ(Json(std::string("a\x01" "b\x7f")).dump(), nlohmann::json(std::string("a\x01" "b\x7f")).dump());
}

TEST(Json, StructureAndSyntaxAsNlohmann) {
  for (const char* text :
       {"", " ", "null", "true", "false", "nul", "truex", "[]", "{}", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}",
        "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "[1]]", "[1] x", " \t\r\n[ 1 , { } ] \n", "{\"b\":1,\"a\":2}",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"x\":1},\"a\":[3]}", "[[[[]]]]", "[{\"\":null}]", "/* c */ 1", "[1]\x00",
        "{\"k\":\"v\",\"n\":[true,false,null,-0.5,7]}"})
    expectSameAsNlohmann(text);
}

TEST(Json, DuplicateKeysKeepTheLastValue) {
  const Json j = Json::parse(R"({"a":1,"b":2,"a":{"c":3}})");
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j["a"]["c"].get<int>(), 3);
}

TEST(Json, DepthLimitChecksEachContainerAsItOpens) {
  auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  EXPECT_NO_THROW(Json::parse(nested(3), 3));
  try {
    Json::parse(nested(4), 3);
    FAIL() << "expected depth_error";
  } catch (const Json::depth_error& e) {
    EXPECT_EQ(e.offset, 3u);  // the 4th '[' opens at byte 3
  }
  // Malformed text past the limit still reports the depth first (as the nlohmann callback did).
  EXPECT_THROW(Json::parse("[[[[ x", 3), Json::depth_error);
  // The fixed cap holds whatever the caller asks: a million '[' is an error, not a stack overflow.
  EXPECT_THROW(Json::parse(std::string(1000000, '['), std::numeric_limits<int64_t>::max()), Json::depth_error);
  EXPECT_NO_THROW(Json::parse(nested(static_cast<int>(Json::kMaxDepth))));
  EXPECT_THROW(Json::parse(nested(static_cast<int>(Json::kMaxDepth) + 1)), Json::depth_error);
}

TEST(Json, ParseErrorsNamePosition) {
  try {
    Json::parse("{\n  \"a\": [1, 2,, 3]\n}");
    FAIL() << "expected a parse error";
  } catch (const Json::exception& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("byte 15 (line 2, column 14)"), std::string::npos) << m;
    EXPECT_NE(m.find("expected a value, got ','"), std::string::npos) << m;
  }
  try {
    Json::parse("[1e999]");
    FAIL() << "expected a parse error";
  } catch (const Json::exception& e) {
    EXPECT_NE(std::string(e.what()).find("1e999 is out of the range of a double"), std::string::npos) << e.what();
  }
}

TEST(Json, BuildingAndAccessAsNlohmann) {
  Json j = {{"name", "d"}, {"units", 3}, {"shape", std::vector<int64_t>{1, 2}}, {"w", std::vector<float>{0.1f, -2.5f}}};
  nlohmann::json n = {{"name", "d"}, {"units", 3}, {"shape", std::vector<int64_t>{1, 2}}, {"w", std::vector<float>{0.1f, -2.5f}}};
  EXPECT_EQ(j.dump(), n.dump());
  EXPECT_EQ(Json::array({{"a", 1}, {"b", 2}}).dump(), nlohmann::json::array({{"a", 1}, {"b", 2}}).dump());
  EXPECT_EQ(Json({1, "x", nullptr, true}).dump(), nlohmann::json({1, "x", nullptr, true}).dump());
  EXPECT_EQ(j.value("units", 0), 3);
  EXPECT_EQ(j.value("missing", std::string("dflt")), "dflt");
  EXPECT_EQ(j.value("name", ""), "d");
  EXPECT_THROW(j.value("name", 0), Json::exception);  // present but the wrong type
  EXPECT_THROW(Json(1).value("x", 0), Json::exception);
  EXPECT_THROW(j.at("missing"), Json::exception);
  EXPECT_THROW(j["shape"].at(2), Json::exception);
  EXPECT_EQ(j["shape"].get<std::vector<int64_t>>(), (std::vector<int64_t>{1, 2}));
  const Json& cj = j;
  EXPECT_TRUE(cj["missing"].is_null());
  EXPECT_FALSE(j.contains("missing"));
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "shape", "units", "w"}));
  auto it = j.find("units");
  ASSERT_NE(it, j.end());
  j.erase(it);
  EXPECT_FALSE(j.contains("units"));
  Json a;
  a.push_back(1);
  a[3] = "x";
  EXPECT_EQ(a.dump(), "[1,null,null,\"x\"]");
  int count = 0;
  for (const Json& e : Json(5)) count += e.get<int>();  // a primitive iterates as itself
  for (const Json& e : Json()) count += e.get<int>();   // null as nothing
  EXPECT_EQ(count, 5);
  EXPECT_EQ(Json(std::vector<std::string>{"a", "b"}).dump(), "[\"a\",\"b\"]");
  EXPECT_TRUE(Json("x") == "x");
  EXPECT_TRUE(Json(2) == 2.0);
  EXPECT_TRUE(Json(2) != 3);
}

}  // namespace
