// The REST codec of the v2 protocol: what it accepts, what it refuses (with a message
// naming the input), and what it writes back.
#include "serve/protocol/json_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace top::serve {
namespace {

Result<InferRequest> parse(const std::string& body, long long header = -1) {
  return parse_infer_request(body, header, "m", "");
}

void expect_refused(const std::string& body, const std::string& fragment, long long header = -1) {
  auto r = parse(body, header);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(JsonCodec, FlatAndNestedDataReadRowMajor) {
  for (const char* data : {"[1.5, -2, 3, 4, 5, 6]", "[[1.5, -2, 3], [4, 5, 6]]"}) {
    auto r = parse(std::string(R"({"id":"q7","inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":)") + data + "}]}");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->id, "q7");
    ASSERT_EQ(r->inputs.size(), 1u);
    const Tensor& t = r->inputs[0].tensor;
    EXPECT_EQ(t.shape(), (Shape{2, 3}));
    EXPECT_FLOAT_EQ(t.data<float>()[0], 1.5f);
    EXPECT_FLOAT_EQ(t.data<float>()[1], -2.f);
    EXPECT_FLOAT_EQ(t.data<float>()[5], 6.f);
  }
}

TEST(JsonCodec, IntegerBoolAndHalfTypes) {
  auto r = parse(R"({"inputs":[{"name":"i","shape":[3],"datatype":"INT64","data":[-9007199254740993, 0, 7]},
                                {"name":"b","shape":[2],"datatype":"BOOL","data":[true, false]},
                                {"name":"h","shape":[1],"datatype":"FP16","data":[0.5]},
                                {"name":"u","shape":[1],"datatype":"UINT8","data":[255]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->inputs[0].tensor.data<int64_t>()[0], -9007199254740993LL);  // exact, not through double
  EXPECT_TRUE(r->inputs[1].tensor.data<bool>()[0]);
  EXPECT_FALSE(r->inputs[1].tensor.data<bool>()[1]);
  EXPECT_EQ(r->inputs[2].tensor.data<uint16_t>()[0], 0x3800);  // 0.5 in IEEE half
  EXPECT_EQ(r->inputs[3].tensor.data<uint8_t>()[0], 255);
}

TEST(JsonCodec, BinaryTensorData) {
  const float values[4] = {1.f, -2.f, 3.5f, 1e-3f};
  const std::string header =
      R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":{"binary_data_size":16}}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":true}},{"name":"z"}]})";
  std::string body = header + std::string(reinterpret_cast<const char*>(values), sizeof(values));
  auto r = parse(body, static_cast<long long>(header.size()));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(std::memcmp(r->inputs[0].tensor.raw_data(), values, sizeof(values)), 0);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_TRUE(r->outputs[0].binary);
  EXPECT_FALSE(r->outputs[1].binary);

  expect_refused(body.substr(0, body.size() - 1), "runs past the end", static_cast<long long>(header.size()));
  expect_refused(body + "x", "bytes of binary data after", static_cast<long long>(header.size()));
  expect_refused(body, "longer than the body", static_cast<long long>(body.size() + 1));
}

TEST(JsonCodec, BinaryBoolsAreZeroOrOne) {
  const std::string header = R"({"inputs":[{"name":"b","shape":[3],"datatype":"BOOL","parameters":{"binary_data_size":3}}]})";
  auto r = parse(header + std::string("\x00\x02\xff", 3), static_cast<long long>(header.size()));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const uint8_t* b = static_cast<const uint8_t*>(r->inputs[0].tensor.raw_data());
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[2], 1);
}

TEST(JsonCodec, RefusalsNameTheProblem) {
  expect_refused("{", "not valid JSON");
  expect_refused("[]", "must be a JSON object");
  expect_refused(R"({"inputs":{}})", "'inputs' (an array)");
  expect_refused(R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})", "'name'");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["a"]}]})", "not supported");
  expect_refused(R"({"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]})", "dimensions are integers >= 0");
  expect_refused(R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2]}]})", "has 2 elements, its shape needs 3");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1,2]}]})", "more than the 1 elements");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT8","data":[300]}]})", "is not a INT8 value");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"UINT32","data":[-1]}]})", "is not a UINT32 value");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1.5]}]})", "is not a INT32 value");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[1]}]})", "is not a BOOL value");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["1"]}]})", "is not a FP32 value");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]})",
                 "given twice");
  expect_refused(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]})", "'data' is missing");
  expect_refused(R"({"inputs":[],"parameters":{"timeout":-5}})", "timeout");
  expect_refused(R"({"inputs":[],"parameters":{"binary_data_output":1}})", "binary_data_output");
  expect_refused(R"({"inputs":[],"outputs":[{"name":"y"},{"name":"y"}]})", "requested twice");
  // Sizes are checked before anything is allocated: 2^62 elements is refused, not attempted.
  expect_refused(R"({"inputs":[{"name":"x","shape":[4611686018427387904],"datatype":"FP32","data":[]}]})", "x");
  // A tiny body cannot make the server allocate a big tensor before it is refused.
  expect_refused(R"({"inputs":[{"name":"x","shape":[100000000],"datatype":"FP32","data":[]}]})", "cannot hold");
  expect_refused(std::string(100000, '['), "nests deeper than 64");
  expect_refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":" + std::string(70, '[') +
                     "1" + std::string(70, ']') + "}]}",
                 "nests deeper");
}

TEST(JsonCodec, ResponseJsonAndBinary) {
  InferResponse resp;
  resp.model = "m";
  resp.version = "3";
  resp.id = "r\"1";  // escaped
  resp.outputs.push_back({"y", Tensor::from_vector<float>({2}, {0.25f, -1.f}), false});
  resp.outputs.push_back({"b", Tensor::from_vector<int64_t>({1}, {-7}), true});
  long long header = 0;
  const std::string body = encode_infer_response(resp, &header);
  ASSERT_GT(header, 0);
  ASSERT_EQ(body.size(), static_cast<size_t>(header) + 8);
  const auto j = nlohmann::json::parse(body.substr(0, static_cast<size_t>(header)));
  EXPECT_EQ(j["model_name"], "m");
  EXPECT_EQ(j["model_version"], "3");
  EXPECT_EQ(j["id"], "r\"1");
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(j["outputs"][0]["data"][0], 0.25);
  EXPECT_EQ(j["outputs"][1]["parameters"]["binary_data_size"], 8);
  int64_t tail = 0;
  std::memcpy(&tail, body.data() + header, 8);
  EXPECT_EQ(tail, -7);

  resp.outputs.pop_back();
  resp.outputs[0].tensor.data<float>()[1] = NAN;  // JSON has no NaN: null
  const std::string json_only = encode_infer_response(resp, &header);
  EXPECT_EQ(header, -1);
  EXPECT_NE(json_only.find("[0.25,null]"), std::string::npos) << json_only;
}

TEST(JsonCodec, ErrorBodiesSurviveBytesThatAreNotUtf8) {
  const std::string body = encode_error("unknown model '\xff\xfe'");
  EXPECT_TRUE(nlohmann::json::accept(body)) << body;
}

}  // namespace
}  // namespace top::serve
