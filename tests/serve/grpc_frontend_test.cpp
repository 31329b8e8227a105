// GrpcFrontend (serve/grpc): inference.GRPCInferenceService over loopback, against
// Session::run on the same inputs. Models built in C++ (tests/support/test_models.h);
// one test also serves the zoo's squeezenet1_1_small.onnx when it is there.
#include "serve/grpc/grpc_frontend.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include "grpc_predict_v2.grpc.pb.h"
#include "serve/core/inference_server.h"
#include "serve_test_util.h"
#include "test_models.h"
#include "top/session.h"

namespace top::serve {
namespace {

namespace pb = ::inference;
namespace fs = std::filesystem;

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::string as_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// The reference: Session::run on the same model and input.
std::vector<float> session_output(const Model& model, const Tensor& input) {
  auto session = Session::create(model);
  EXPECT_TRUE(session.ok()) << session.status().to_string();
  if (!session.ok()) return {};
  auto out = (*session)->run({input});
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return {};
  const Tensor& y = (*out)[0];
  return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
}

void expect_close(const std::string& raw, const std::vector<float>& ref) {
  ASSERT_EQ(raw.size(), ref.size() * sizeof(float));
  std::vector<float> got(ref.size());
  std::memcpy(got.data(), raw.data(), raw.size());
  size_t bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!(std::fabs(got[i] - ref[i]) <= 1e-5f * std::max(1.f, std::fabs(ref[i])))) {
      if (++bad <= 5) ADD_FAILURE() << "element " << i << ": " << got[i] << " vs Session::run " << ref[i];
    }
  }
  EXPECT_EQ(bad, 0u);
}

// Where the zoo models are: $TOP_MODELS_DIR, else the build's models folder.
std::string models_dir() {
  if (const char* env = std::getenv("TOP_MODELS_DIR"); env && *env) return env;
#ifdef TOP_TEST_MODELS_DIR
  return TOP_TEST_MODELS_DIR;
#else
  return "build/models";
#endif
}

class GrpcFrontendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.add("inception", 1, top::testing::inception_block_model(11));
    repo_.add("gather", 1, top::testing::gather_model());
    start();
  }

  void start(size_t max_message_bytes = 64u << 20) {
    ServerOptions opts;
    opts.repository = repo_.path();
    opts.runtime.num_streams = 2;
    auto server = InferenceServer::create(opts);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(*server);
    for (int i = 0; i < 3000 && !(server_->model_ready("inception", "") && server_->model_ready("gather", "")); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    GrpcOptions g;
    g.host = "127.0.0.1";
    g.port = 0;
    g.max_message_bytes = max_message_bytes;
    auto frontend = GrpcFrontend::start(server_.get(), g);
    ASSERT_TRUE(frontend.ok()) << frontend.status().to_string();
    frontend_ = std::move(*frontend);
    ASSERT_GT(frontend_->port(), 0);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(frontend_->port()),
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = pb::GRPCInferenceService::NewStub(channel_);
  }

  void TearDown() override {
    if (frontend_) frontend_->stop();
    if (server_) server_->shutdown();
  }

  // A context whose call fails after 30 s rather than hanging the test.
  static std::unique_ptr<grpc::ClientContext> context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  grpc::Status infer(const pb::ModelInferRequest& req, pb::ModelInferResponse* res) {
    auto ctx = context();
    return stub_->ModelInfer(ctx.get(), req, res);
  }

  // x[batch, 8, 10, 10] of the inception model as raw contents (one input, FP32).
  static pb::ModelInferRequest inception_request(const std::vector<float>& x, int64_t batch) {
    pb::ModelInferRequest req;
    req.set_model_name("inception");
    req.set_id("req-7");
    auto* in = req.add_inputs();
    in->set_name("x");
    in->set_datatype("FP32");
    for (int64_t d : {batch, int64_t{8}, int64_t{10}, int64_t{10}}) in->add_shape(d);
    req.add_raw_input_contents(as_bytes(x));
    return req;
  }

  // Sends `bytes` as the body of a ModelInfer call, whatever they are.
  grpc::Status infer_raw_bytes(const std::string& bytes) {
    grpc::GenericStub generic(channel_);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    auto ctx = context();
    std::promise<grpc::Status> done;
    generic.UnaryCall(ctx.get(), "/inference.GRPCInferenceService/ModelInfer", grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  testing::TempRepository repo_;
  std::unique_ptr<InferenceServer> server_;
  std::unique_ptr<GrpcFrontend> frontend_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::GRPCInferenceService::Stub> stub_;
};

TEST_F(GrpcFrontendTest, HealthAndMetadata) {
  {
    pb::ServerLiveResponse res;
    auto ctx = context();
    ASSERT_TRUE(stub_->ServerLive(ctx.get(), {}, &res).ok());
    EXPECT_TRUE(res.live());
  }
  {
    pb::ServerReadyResponse res;
    auto ctx = context();
    ASSERT_TRUE(stub_->ServerReady(ctx.get(), {}, &res).ok());
    EXPECT_TRUE(res.ready());
  }
  {
    pb::ServerMetadataResponse res;
    auto ctx = context();
    ASSERT_TRUE(stub_->ServerMetadata(ctx.get(), {}, &res).ok());
    EXPECT_EQ(res.name(), "toprt");
    EXPECT_EQ(res.version(), InferenceServer::version());
    EXPECT_EQ(res.extensions_size(), static_cast<int>(InferenceServer::extensions().size()));
  }
  {
    pb::ModelReadyRequest req;
    req.set_name("inception");
    pb::ModelReadyResponse res;
    auto ctx = context();
    ASSERT_TRUE(stub_->ModelReady(ctx.get(), req, &res).ok());
    EXPECT_TRUE(res.ready());
    req.set_version("1");
    auto ctx2 = context();
    ASSERT_TRUE(stub_->ModelReady(ctx2.get(), req, &res).ok());
    EXPECT_TRUE(res.ready());
    req.set_name("absent");
    req.clear_version();
    auto ctx3 = context();
    ASSERT_TRUE(stub_->ModelReady(ctx3.get(), req, &res).ok());
    EXPECT_FALSE(res.ready());
  }
  {
    pb::ModelMetadataRequest req;
    req.set_name("inception");
    pb::ModelMetadataResponse res;
    auto ctx = context();
    ASSERT_TRUE(stub_->ModelMetadata(ctx.get(), req, &res).ok());
    EXPECT_EQ(res.name(), "inception");
    ASSERT_EQ(res.versions_size(), 1);
    EXPECT_EQ(res.versions(0), "1");
    EXPECT_EQ(res.platform(), "onnx");
    ASSERT_EQ(res.inputs_size(), 1);
    EXPECT_EQ(res.inputs(0).name(), "x");
    EXPECT_EQ(res.inputs(0).datatype(), "FP32");
    ASSERT_EQ(res.inputs(0).shape_size(), 4);
    EXPECT_EQ(res.inputs(0).shape(0), -1);
    EXPECT_EQ(res.inputs(0).shape(1), 8);
    ASSERT_EQ(res.outputs_size(), 1);
    EXPECT_EQ(res.outputs(0).name(), "y");
    EXPECT_EQ(res.outputs(0).shape(1), 21);

    req.set_name("absent");
    auto ctx2 = context();
    EXPECT_EQ(stub_->ModelMetadata(ctx2.get(), req, &res).error_code(), grpc::StatusCode::NOT_FOUND);
    req.set_name("inception");
    req.set_version("9");
    auto ctx3 = context();
    EXPECT_EQ(stub_->ModelMetadata(ctx3.get(), req, &res).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(GrpcFrontendTest, RawContentsMatchSession) {
  const int64_t batch = 2;
  const std::vector<float> x = random_floats(batch * 8 * 10 * 10, 3);
  pb::ModelInferResponse res;
  grpc::Status st = infer(inception_request(x, batch), &res);
  ASSERT_TRUE(st.ok()) << st.error_code() << ": " << st.error_message();
  EXPECT_EQ(res.model_name(), "inception");
  EXPECT_EQ(res.model_version(), "1");
  EXPECT_EQ(res.id(), "req-7");
  ASSERT_EQ(res.outputs_size(), 1);
  EXPECT_EQ(res.outputs(0).name(), "y");
  EXPECT_EQ(res.outputs(0).datatype(), "FP32");
  ASSERT_EQ(res.outputs(0).shape_size(), 4);
  EXPECT_EQ(res.outputs(0).shape(0), batch);
  EXPECT_EQ(res.outputs(0).shape(1), 21);
  ASSERT_EQ(res.raw_output_contents_size(), 1);

  const Model model = top::testing::load_proto(top::testing::inception_block_model(11));
  const Tensor input = Tensor::from_vector<float>({batch, 8, 10, 10}, x);
  expect_close(res.raw_output_contents(0), session_output(model, input));
}

TEST_F(GrpcFrontendTest, TypedContentsMatchSession) {
  const int64_t batch = 1;
  const std::vector<float> x = random_floats(batch * 8 * 10 * 10, 5);
  pb::ModelInferRequest req = inception_request(x, batch);
  req.clear_raw_input_contents();
  auto* contents = req.mutable_inputs(0)->mutable_contents();
  for (float v : x) contents->add_fp32_contents(v);
  req.add_outputs()->set_name("y");
  pb::ModelInferResponse res;
  grpc::Status st = infer(req, &res);
  ASSERT_TRUE(st.ok()) << st.error_code() << ": " << st.error_message();
  ASSERT_EQ(res.raw_output_contents_size(), 1);
  const Model model = top::testing::load_proto(top::testing::inception_block_model(11));
  expect_close(res.raw_output_contents(0), session_output(model, Tensor::from_vector<float>({batch, 8, 10, 10}, x)));

  // INT64 through int64_contents: Gather rows of the model's table.
  pb::ModelInferRequest g;
  g.set_model_name("gather");
  auto* idx = g.add_inputs();
  idx->set_name("idx");
  idx->set_datatype("INT64");
  idx->add_shape(3);
  for (int64_t i : {7, 0, 3}) idx->mutable_contents()->add_int64_contents(i);
  pb::ModelInferResponse gres;
  st = infer(g, &gres);
  ASSERT_TRUE(st.ok()) << st.error_code() << ": " << st.error_message();
  ASSERT_EQ(gres.outputs_size(), 1);
  EXPECT_EQ(gres.outputs(0).shape_size(), 2);
  const Model gather = top::testing::load_proto(top::testing::gather_model());
  expect_close(gres.raw_output_contents(0), session_output(gather, Tensor::from_vector<int64_t>({3}, {7, 0, 3})));
}

TEST_F(GrpcFrontendTest, ErrorsAreStatusCodes) {
  const std::vector<float> x = random_floats(8 * 10 * 10, 9);
  pb::ModelInferResponse res;
  auto expect_code = [&](const pb::ModelInferRequest& req, grpc::StatusCode code, const std::string& needle) {
    grpc::Status st = infer(req, &res);
    EXPECT_EQ(st.error_code(), code) << st.error_message();
    EXPECT_NE(st.error_message().find(needle), std::string::npos) << st.error_message();
  };

  pb::ModelInferRequest req = inception_request(x, 1);
  req.set_model_name("absent");
  expect_code(req, grpc::StatusCode::NOT_FOUND, "absent");

  req = inception_request(x, 1);
  req.set_model_version("4");
  expect_code(req, grpc::StatusCode::NOT_FOUND, "");

  req = inception_request(x, 1);  // wrong byte count
  req.mutable_raw_input_contents(0)->resize(x.size() * 4 - 4);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");

  req = inception_request(x, 1);  // one raw entry per input
  req.add_raw_input_contents("abcd");
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "raw_input_contents");

  req = inception_request(x, 1);  // wrong element count in contents
  req.clear_raw_input_contents();
  for (size_t i = 0; i + 1 < x.size(); ++i) req.mutable_inputs(0)->mutable_contents()->add_fp32_contents(x[i]);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");

  req = inception_request(x, 1);  // contents in the field of another datatype
  req.clear_raw_input_contents();
  for (size_t i = 0; i < x.size(); ++i) req.mutable_inputs(0)->mutable_contents()->add_int_contents(1);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "fp32_contents");

  req = inception_request(x, 1);  // both raw and typed contents
  req.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.f);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");

  req = inception_request(x, 1);  // no data at all
  req.clear_raw_input_contents();
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");

  req = inception_request(x, 1);
  req.mutable_inputs(0)->set_datatype("BYTES");
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "BYTES");

  req = inception_request(x, 1);
  req.mutable_inputs(0)->set_shape(2, -10);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "-10");

  // A huge declared shape in a tiny message: refused before anything is allocated.
  req = inception_request(x, 1);
  req.clear_raw_input_contents();
  req.mutable_inputs(0)->set_shape(0, int64_t{1} << 40);
  req.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.f);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");
  req.clear_raw_input_contents();  // the same as raw contents of 4 bytes
  req.mutable_inputs(0)->clear_contents();
  req.add_raw_input_contents("abcd");
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");
  req.mutable_inputs(0)->set_shape(1, int64_t{1} << 40);  // and one whose byte count overflows
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "input 'x'");

  // A shape the model does not take: the core's InvalidArgument.
  const std::vector<float> small = random_floats(8 * 5 * 5, 2);
  req = inception_request(small, 1);
  req.mutable_inputs(0)->set_shape(2, 5);
  req.mutable_inputs(0)->set_shape(3, 5);
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "");

  req = inception_request(x, 1);  // an input the model does not have
  req.mutable_inputs(0)->set_name("nope");
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "");

  req = inception_request(x, 1);
  (*req.mutable_parameters())["timeout"].set_string_param("soon");
  expect_code(req, grpc::StatusCode::INVALID_ARGUMENT, "timeout");

  // Bytes that are not a ModelInferRequest at all (field 1 with wire type 7).
  grpc::Status st = infer_raw_bytes(std::string("\x0f\x01\x02", 3));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();

  // The server still answers after all of that.
  pb::ModelInferResponse ok;
  st = infer(inception_request(x, 1), &ok);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(GrpcFrontendTest, MessageSizeLimit) {
  frontend_->stop();
  frontend_.reset();
  server_->shutdown();
  server_.reset();
  start(/*max_message_bytes=*/16 * 1024);
  const std::vector<float> x = random_floats(8 * 10 * 10, 1);  // 3200 bytes: under
  pb::ModelInferResponse res;
  grpc::Status st = infer(inception_request(x, 1), &res);
  EXPECT_TRUE(st.ok()) << st.error_message();
  const std::vector<float> big = random_floats(8 * 8 * 10 * 10, 1);  // 25600 bytes: over
  st = infer(inception_request(big, 8), &res);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
}

TEST_F(GrpcFrontendTest, RepositoryExtension) {
  pb::RepositoryIndexRequest index_req;
  pb::RepositoryIndexResponse index;
  auto ctx = context();
  ASSERT_TRUE(stub_->RepositoryIndex(ctx.get(), index_req, &index).ok());
  ASSERT_EQ(index.models_size(), 2);
  for (const auto& m : index.models()) EXPECT_EQ(m.state(), "READY") << m.name() << ": " << m.reason();

  pb::RepositoryModelUnloadRequest unload;
  unload.set_model_name("gather");
  pb::RepositoryModelUnloadResponse unload_res;
  auto ctx2 = context();
  grpc::Status st = stub_->RepositoryModelUnload(ctx2.get(), unload, &unload_res);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(server_->model_ready("gather", ""));
  index_req.set_ready(true);
  auto ctx3 = context();
  ASSERT_TRUE(stub_->RepositoryIndex(ctx3.get(), index_req, &index).ok());
  for (const auto& m : index.models()) EXPECT_EQ(m.state(), "READY") << m.name();

  pb::RepositoryModelLoadRequest load;
  load.set_model_name("gather");
  pb::RepositoryModelLoadResponse load_res;
  auto ctx4 = context();
  st = stub_->RepositoryModelLoad(ctx4.get(), load, &load_res);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(server_->model_ready("gather", ""));

  load.set_model_name("absent");
  auto ctx5 = context();
  EXPECT_FALSE(stub_->RepositoryModelLoad(ctx5.get(), load, &load_res).ok());
}

TEST_F(GrpcFrontendTest, TakenPortIsAnError) {
  GrpcOptions g;
  g.host = "127.0.0.1";
  g.port = frontend_->port();
  auto second = GrpcFrontend::start(server_.get(), g);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(g.port)), std::string::npos);
  EXPECT_EQ(grpc_code_of(second.status()), static_cast<int>(grpc::StatusCode::UNAVAILABLE));
}

TEST_F(GrpcFrontendTest, DrainingIsUnavailable) {
  server_->begin_drain();
  pb::ServerReadyResponse ready;
  auto ctx = context();
  ASSERT_TRUE(stub_->ServerReady(ctx.get(), {}, &ready).ok());
  EXPECT_FALSE(ready.ready());
  pb::ServerLiveResponse live;
  auto ctx2 = context();
  ASSERT_TRUE(stub_->ServerLive(ctx2.get(), {}, &live).ok());
  EXPECT_TRUE(live.live());
  pb::ModelInferResponse res;
  grpc::Status st = infer(inception_request(random_floats(8 * 10 * 10, 4), 1), &res);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
}

TEST_F(GrpcFrontendTest, ConcurrentRequests) {
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  const Model model = top::testing::load_proto(top::testing::inception_block_model(11));
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 5; ++i) {
        const std::vector<float> x = random_floats(8 * 10 * 10, 100 + c * 10 + i);
        pb::ModelInferResponse res;
        grpc::Status st = infer(inception_request(x, 1), &res);
        if (!st.ok() || res.raw_output_contents_size() != 1) {
          ++failures;
          continue;
        }
        const std::vector<float> ref = session_output(model, Tensor::from_vector<float>({1, 8, 10, 10}, x));
        std::vector<float> got(ref.size());
        if (res.raw_output_contents(0).size() != ref.size() * 4) {
          ++failures;
          continue;
        }
        std::memcpy(got.data(), res.raw_output_contents(0).data(), ref.size() * 4);
        for (size_t k = 0; k < ref.size(); ++k) {
          if (!(std::fabs(got[k] - ref[k]) <= 1e-5f * std::max(1.f, std::fabs(ref[k])))) {
            ++failures;
            break;
          }
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// The zoo's squeezenet (when the models were downloaded): a real network over gRPC.
TEST(GrpcFrontendZoo, SqueezenetMatchesSession) {
  const fs::path file = fs::path(models_dir()) / "squeezenet1_1_small.onnx";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is missing (set TOP_MODELS_DIR)";
  testing::TempRepository repo;
  {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    repo.add_file("squeeze/1/model.onnx", bytes.str());
  }
  auto model = Model::load(file.string());
  ASSERT_TRUE(model.ok()) << model.status().to_string();

  ServerOptions opts;
  opts.repository = repo.path();
  auto server = InferenceServer::create(opts);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  for (int i = 0; i < 3000 && !(*server)->model_ready("squeeze", ""); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  GrpcOptions g;
  g.host = "127.0.0.1";
  g.port = 0;
  auto frontend = GrpcFrontend::start(server->get(), g);
  ASSERT_TRUE(frontend.ok()) << frontend.status().to_string();
  auto stub = pb::GRPCInferenceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*frontend)->port()), grpc::InsecureChannelCredentials()));

  pb::ModelMetadataRequest md_req;
  md_req.set_name("squeeze");
  pb::ModelMetadataResponse md;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->ModelMetadata(&ctx, md_req, &md).ok());
  }
  ASSERT_EQ(md.inputs_size(), 1);
  ASSERT_EQ(md.inputs(0).datatype(), "FP32");
  Shape shape;
  for (int64_t d : md.inputs(0).shape()) shape.push_back(d < 0 ? 1 : d);
  const std::vector<float> x = random_floats(static_cast<size_t>(shape_numel(shape)), 21);

  pb::ModelInferRequest req;
  req.set_model_name("squeeze");
  auto* in = req.add_inputs();
  in->set_name(md.inputs(0).name());
  in->set_datatype("FP32");
  for (int64_t d : shape) in->add_shape(d);
  req.add_raw_input_contents(as_bytes(x));
  pb::ModelInferResponse res;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  grpc::Status st = stub->ModelInfer(&ctx, req, &res);
  ASSERT_TRUE(st.ok()) << st.error_code() << ": " << st.error_message();
  ASSERT_GE(res.raw_output_contents_size(), 1);
  expect_close(res.raw_output_contents(0), session_output(*model, Tensor::from_vector<float>(shape, x)));
  (*frontend)->stop();
  (*server)->shutdown();
}

}  // namespace
}  // namespace top::serve
