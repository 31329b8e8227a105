// toprt serve's REST face end to end on loopback: a repository of small models, the
// InferenceServer and HttpFrontend on a free port, an HTTP client (cpp-httplib). Outputs
// are checked against Session::run on the same random inputs.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "serve/core/inference_server.h"
#include "serve/http/http_frontend.h"
#include "serve_test_util.h"
#include "test_models.h"
#include "top/session.h"

namespace top::serve {
namespace {

using nlohmann::json;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.add("branchy", 1, top::testing::branchy_model(64));
    repo_.add("branchy", 2, top::testing::branchy_model(32));
    repo_.add_file("branchy/config.json", R"({"version_policy": {"all": {}}, "max_batch_size": 4})");
    repo_.add("gather", 1, top::testing::gather_model());
    // Waits up to 1.5 s for a batch of 8: requests stay queued long enough to test
    // the queue bound, drain and unload deterministically.
    repo_.add("slow", 1, top::testing::branchy_model(16));
    repo_.add_file("slow/config.json", R"({"policy": "dynbatch:batch=8,delay=1500,instances=1", "queue_bound": 2})");
    repo_.add_file("broken/1/model.onnx", "not a model");
  }

  void start(ModelControl control = ModelControl::kNone, double poll_s = 5) {
    ServerOptions opts;
    opts.repository = repo_.path();
    opts.model_control = control;
    opts.poll_interval_s = poll_s;
    auto s = InferenceServer::create(opts);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    server_ = std::move(*s);
    HttpOptions http;
    http.host = "127.0.0.1";
    http.port = 0;
    http.max_body_bytes = 1 << 20;
    auto f = HttpFrontend::start(server_.get(), http);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    frontend_ = std::move(*f);
  }

  void TearDown() override {
    if (frontend_) frontend_->stop();
    if (server_) server_->shutdown();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", frontend_->port());
    c.set_read_timeout(30, 0);
    return c;
  }

  static std::vector<float> random_floats(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.f, 1.f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
  }

  // What Session::run gives for branchy(width) on x[batch, width].
  std::vector<float> expected(int width, int64_t batch, const std::vector<float>& x) {
    auto model = top::testing::load_proto(top::testing::branchy_model(width));
    auto session = Session::create(model).value();
    auto out = session->run({Tensor::from_vector<float>({batch, width}, x)});
    EXPECT_TRUE(out.ok());
    const Tensor& y = (*out)[0];
    return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
  }

  static std::string json_request(int64_t batch, int width, const std::vector<float>& x) {
    json j = {{"id", "t1"},
              {"inputs", {{{"name", "x"}, {"shape", {batch, width}}, {"datatype", "FP32"}, {"data", x}}}}};
    return j.dump();
  }

  testing::TempRepository repo_;
  std::unique_ptr<InferenceServer> server_;
  std::unique_ptr<HttpFrontend> frontend_;
};

TEST_F(HttpServerTest, HealthAndMetadata) {
  start();
  auto c = client();
  EXPECT_EQ(c.Get("/v2/health/live")->status, 200);
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 200);
  auto meta = json::parse(c.Get("/v2")->body);
  EXPECT_EQ(meta["name"], "toprt");
  EXPECT_EQ(meta["version"], InferenceServer::version());

  auto md = c.Get("/v2/models/branchy");
  ASSERT_EQ(md->status, 200);
  auto m = json::parse(md->body);
  EXPECT_EQ(m["versions"], json({"1", "2"}));
  EXPECT_EQ(m["inputs"][0]["name"], "x");
  EXPECT_EQ(m["inputs"][0]["datatype"], "FP32");
  EXPECT_EQ(m["inputs"][0]["shape"], json({-1, 32}));  // the newest version
  EXPECT_EQ(json::parse(c.Get("/v2/models/branchy/versions/1")->body)["inputs"][0]["shape"], json({-1, 64}));

  EXPECT_EQ(c.Get("/v2/models/branchy/ready")->status, 200);
  EXPECT_EQ(c.Get("/v2/models/branchy/versions/1/ready")->status, 200);
  EXPECT_EQ(c.Get("/v2/models/branchy/versions/7/ready")->status, 503);
  EXPECT_EQ(c.Get("/v2/models/broken/ready")->status, 503);
  EXPECT_EQ(c.Get("/v2/models/nothere")->status, 404);

  auto index = json::parse(c.Post("/v2/repository/index", "{}", "application/json")->body);
  ASSERT_EQ(index.size(), 5u);  // branchy 1 and 2, broken 1, gather 1, slow 1
  EXPECT_EQ(index[2]["name"], "broken");
  EXPECT_EQ(index[2]["state"], "UNAVAILABLE");
  EXPECT_NE(index[2]["reason"].get<std::string>().find("not a valid ONNX"), std::string::npos);
}

TEST_F(HttpServerTest, JsonInferMatchesSession) {
  start();
  auto c = client();
  for (int version : {1, 2}) {
    const int width = version == 1 ? 64 : 32;
    const auto x = random_floats(3 * width, 11 + version);
    auto r = c.Post("/v2/models/branchy/versions/" + std::to_string(version) + "/infer", json_request(3, width, x),
                    "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = json::parse(r->body);
    EXPECT_EQ(j["model_name"], "branchy");
    EXPECT_EQ(j["model_version"], std::to_string(version));
    EXPECT_EQ(j["id"], "t1");
    EXPECT_EQ(j["outputs"][0]["shape"], json({3, width}));
    const auto got = j["outputs"][0]["data"].get<std::vector<float>>();
    const auto want = expected(width, 3, x);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-6f * (1 + std::fabs(want[i]))) << i;
  }
  // No version: the newest (width 32).
  const auto x = random_floats(32, 5);
  EXPECT_EQ(c.Post("/v2/models/branchy/infer", json_request(1, 32, x), "application/json")->status, 200);
}

TEST_F(HttpServerTest, BinaryInferMatchesSession) {
  start();
  auto c = client();
  const auto x = random_floats(2 * 32, 3);
  const std::string header =
      json({{"inputs", {{{"name", "x"}, {"shape", {2, 32}}, {"datatype", "FP32"}, {"parameters", {{"binary_data_size", 256}}}}}},
            {"parameters", {{"binary_data_output", true}}}})
          .dump();
  const std::string body = header + std::string(reinterpret_cast<const char*>(x.data()), 256);
  httplib::Headers h = {{"Inference-Header-Content-Length", std::to_string(header.size())}};
  auto r = c.Post("/v2/models/branchy/infer", h, body, "application/octet-stream");
  ASSERT_EQ(r->status, 200) << r->body;
  const size_t n = std::stoul(r->get_header_value("Inference-Header-Content-Length"));
  auto j = json::parse(r->body.substr(0, n));
  EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], 256);
  ASSERT_EQ(r->body.size(), n + 256);
  std::vector<float> got(64);
  std::memcpy(got.data(), r->body.data() + n, 256);
  EXPECT_EQ(got, expected(32, 2, x));  // same kernels, same order: bit-identical
}

TEST_F(HttpServerTest, ErrorsHaveStatusCodesAndBodies) {
  start();
  auto c = client();
  const auto error_of = [](const httplib::Result& r) { return json::parse(r->body)["error"].get<std::string>(); };
  const auto x = random_floats(32, 1);
  auto r = c.Post("/v2/models/nothere/infer", json_request(1, 32, x), "application/json");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(error_of(r).find("unknown model 'nothere'"), std::string::npos);
  EXPECT_EQ(c.Post("/v2/models/branchy/versions/9/infer", json_request(1, 32, x), "application/json")->status, 404);
  r = c.Post("/v2/models/broken/infer", json_request(1, 32, x), "application/json");
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(error_of(r).find("no ready version"), std::string::npos);
  r = c.Post("/v2/models/branchy/versions/1/infer", json_request(1, 32, x), "application/json");  // v1 is width 64
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("x"), std::string::npos) << error_of(r);
  r = c.Post("/v2/models/gather/infer", json_request(1, 32, x), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("has no input 'x' (its inputs: 'idx')"), std::string::npos) << error_of(r);
  r = c.Post("/v2/models/gather/infer", R"({"inputs":[{"name":"idx","shape":[1],"datatype":"INT32","data":[1]}]})",
             "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("is INT32, model 'gather' expects INT64"), std::string::npos) << error_of(r);
  r = c.Post("/v2/models/gather/infer",
             R"({"inputs":[{"name":"idx","shape":[1],"datatype":"INT64","data":[1]}],"outputs":[{"name":"zz"}]})",
             "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r).find("has no output 'zz'"), std::string::npos);
  // An index out of range fails in the kernel: still a clear answer, not a crash.
  r = c.Post("/v2/models/gather/infer", R"({"inputs":[{"name":"idx","shape":[1],"datatype":"INT64","data":[99]}]})",
             "application/json");
  EXPECT_EQ(r->status, 400) << r->body;
  r = c.Post("/v2/models/branchy/infer", std::string(2 << 20, ' '), "application/json");
  EXPECT_EQ(r->status, 413);
  EXPECT_FALSE(error_of(r).empty());
  httplib::Headers h = {{"Inference-Header-Content-Length", "12abc"}};
  EXPECT_EQ(c.Post("/v2/models/branchy/infer", h, "{}", "application/json")->status, 400);
  r = c.Get("/v3/whatever");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(error_of(r).find("no route"), std::string::npos);
}

// Sends `n` requests to the slow model at once, each on its own connection; returns the
// status codes (and the Retry-After of 503s) once all have answered.
std::vector<std::pair<int, std::string>> burst(int port, int n, const std::string& body) {
  std::vector<std::pair<int, std::string>> out(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(30, 0);
      auto r = c.Post("/v2/models/slow/infer", body, "application/json");
      out[static_cast<size_t>(i)] = r ? std::make_pair(r->status, r->get_header_value("Retry-After")) : std::make_pair(-1, std::string());
    });
  }
  for (auto& t : threads) t.join();
  return out;
}

TEST_F(HttpServerTest, FullQueueGives503WithRetryAfterAndEveryRequestIsAnswered) {
  start();
  const auto x = random_floats(16, 2);
  auto codes = burst(frontend_->port(), 6, json_request(1, 16, x));
  int ok = 0, full = 0;
  for (const auto& [code, retry] : codes) {
    if (code == 200) ++ok;
    if (code == 503) {
      ++full;
      EXPECT_EQ(retry, "1");
    }
  }
  EXPECT_EQ(ok + full, 6);
  EXPECT_LE(ok, 2 + 2);  // queue_bound 2 (a request answered early frees its place)
  EXPECT_GE(full, 1);
}

TEST_F(HttpServerTest, DrainAnswersAcceptedRequestsAndRefusesNewOnes) {
  start();
  const auto x = random_floats(16, 4);
  std::vector<Result<InferResponse>> results;
  std::mutex mu;
  for (int i = 0; i < 2; ++i) {
    InferRequest req;
    req.model = "slow";
    req.inputs.push_back({"x", Tensor::from_vector<float>({1, 16}, x)});
    server_->infer(std::move(req), [&](Result<InferResponse> r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
    });
  }
  server_->begin_drain();
  auto c = client();
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 503);
  EXPECT_EQ(c.Get("/v2/health/live")->status, 200);
  auto r = c.Post("/v2/models/branchy/infer", json_request(1, 32, random_floats(32, 1)), "application/json");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  ASSERT_TRUE(server_->wait_idle(std::chrono::seconds(20)));
  ASSERT_EQ(results.size(), 2u);
  for (const auto& res : results) EXPECT_TRUE(res.ok()) << res.status().to_string();
}

TEST_F(HttpServerTest, UnloadLetsQueuedRequestsFinish) {
  start();
  std::atomic<int> answered{0}, ok{0};
  for (int i = 0; i < 2; ++i) {
    InferRequest req;
    req.model = "slow";
    req.inputs.push_back({"x", Tensor::from_vector<float>({1, 16}, random_floats(16, 9 + i))});
    server_->infer(std::move(req), [&](Result<InferResponse> r) {
      ok += r.ok();
      ++answered;
    });
  }
  auto c = client();
  EXPECT_EQ(c.Post("/v2/repository/models/slow/unload", "{}", "application/json")->status, 200);
  EXPECT_EQ(c.Get("/v2/models/slow")->status, 404);
  ASSERT_TRUE(server_->wait_idle(std::chrono::seconds(20)));
  EXPECT_EQ(answered.load(), 2);
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(c.Post("/v2/repository/models/slow/load", "{}", "application/json")->status, 200);
  EXPECT_EQ(c.Get("/v2/models/slow/ready")->status, 200);
  auto r = c.Post("/v2/repository/models/broken/load", "{}", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("not a valid ONNX"), std::string::npos);
  EXPECT_EQ(c.Post("/v2/repository/models/absent/load", "{}", "application/json")->status, 404);
}

TEST_F(HttpServerTest, AFailedReloadKeepsServingThePreviousLoad) {
  start();
  auto c = client();
  repo_.add_file("branchy/2/model.onnx", "truncated mid-copy");
  auto r = c.Post("/v2/repository/models/branchy/load", "{}", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("not a valid ONNX"), std::string::npos);
  EXPECT_EQ(c.Get("/v2/models/branchy/versions/2/ready")->status, 200);
  EXPECT_EQ(c.Post("/v2/models/branchy/infer", json_request(1, 32, random_floats(32, 6)), "application/json")->status, 200);
  const auto index = json::parse(c.Post("/v2/repository/index", "{}", "application/json")->body);
  bool seen = false;
  for (const auto& e : index) {
    if (e["name"] == "branchy" && e.value("version", "") == "2") {
      seen = true;
      EXPECT_EQ(e["state"], "READY");
      EXPECT_NE(e["reason"].get<std::string>().find("reload failed"), std::string::npos);
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(HttpServerTest, DrainOutOfTimeCancelsTheQueuedRequests) {
  start();
  std::vector<Status> results;
  std::mutex mu;
  for (int i = 0; i < 2; ++i) {
    InferRequest req;
    req.model = "slow";  // waits 1.5 s for a batch
    req.inputs.push_back({"x", Tensor::from_vector<float>({1, 16}, random_floats(16, 20 + i))});
    server_->infer(std::move(req), [&](Result<InferResponse> r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(r.status());
    });
  }
  server_->begin_drain();
  EXPECT_FALSE(server_->wait_idle(std::chrono::milliseconds(50)));
  const auto t0 = std::chrono::steady_clock::now();
  server_->cancel_queued();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1200));  // did not wait for the batch
  ASSERT_EQ(results.size(), 2u);
  for (const Status& st : results) EXPECT_EQ(http_status_of(st), 503) << st.to_string();
}

TEST_F(HttpServerTest, TimeoutOverAnHourIsRefused) {
  start();
  auto c = client();
  json j = json::parse(json_request(1, 32, random_floats(32, 1)));
  j["parameters"] = {{"timeout", 9000000000000000000LL}};
  auto r = c.Post("/v2/models/branchy/infer", j.dump(), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("at most one hour"), std::string::npos);
}

TEST_F(HttpServerTest, PollModeFollowsTheRepository) {
  start(ModelControl::kPoll, 0.2);
  auto c = client();
  repo_.add("late", 1, top::testing::branchy_model(8));
  const auto wait_for = [&](const std::string& path, int status) {
    for (int i = 0; i < 100; ++i) {
      if (c.Get(path)->status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  EXPECT_TRUE(wait_for("/v2/models/late/ready", 200));
  repo_.remove("late");
  EXPECT_TRUE(wait_for("/v2/models/late", 404));
}

TEST_F(HttpServerTest, MetricsArePrometheusTextWithHistograms) {
  start();
  auto c = client();
  const auto x = random_floats(32, 8);
  for (int i = 0; i < 3; ++i) c.Post("/v2/models/branchy/infer", json_request(1, 32, x), "application/json");
  c.Post("/v2/models/branchy/infer", "{", "application/json");
  auto r = c.Get("/metrics");
  ASSERT_EQ(r->status, 200);
  const std::string& m = r->body;
  EXPECT_NE(m.find("top_build_info{version=\""), std::string::npos);
  EXPECT_NE(m.find("top_inference_requests_total{model=\"branchy\",version=\"2\",protocol=\"rest\",code=\"200\"} 3"),
            std::string::npos) << m;
  EXPECT_NE(m.find("# TYPE top_inference_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(m.find("top_inference_request_duration_seconds_bucket{model=\"branchy\",version=\"2\",le=\"+Inf\"} 3"),
            std::string::npos) << m;
  EXPECT_NE(m.find("top_tasks_completed_total{model=\"branchy\",version=\"2\"} 3"), std::string::npos) << m;
}

TEST_F(HttpServerTest, ConcurrentKeepAliveClientsGetTheirOwnAnswers) {
  start();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      c.set_keep_alive(true);
      for (int i = 0; i < 15; ++i) {
        const auto x = random_floats(32, static_cast<unsigned>(100 * t + i));
        auto r = c.Post("/v2/models/branchy/infer", json_request(1, 32, x), "application/json");
        if (!r || r->status != 200) {
          ++wrong;
          continue;
        }
        const auto got = json::parse(r->body)["outputs"][0]["data"].get<std::vector<float>>();
        const auto want = expected(32, 1, x);
        for (size_t k = 0; k < want.size(); ++k) {
          if (std::fabs(got[k] - want[k]) > 1e-5f * (1 + std::fabs(want[k]))) {
            ++wrong;
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(HttpServerTest, MutatedBodiesNeverCrashTheServer) {
  start();
  auto c = client();
  std::mt19937 rng(1234);
  const std::string valid = json_request(2, 32, random_floats(64, 3));
  for (int i = 0; i < 300; ++i) {
    std::string body = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0: body[at] = static_cast<char>(rng()); break;
        case 1: body.resize(at); break;
        case 2: body.insert(at, std::string(1 + rng() % 8, "[]{}\",:0-9e"[rng() % 11])); break;
        default: body.erase(at, 1 + rng() % 16); break;
      }
      if (body.empty()) body = "x";
    }
    auto r = c.Post("/v2/models/branchy/infer", body, "application/json");
    ASSERT_TRUE(r) << "no answer to mutation " << i;
    ASSERT_TRUE(r->status == 200 || r->status == 400) << r->status << " " << r->body;
    if (r->status == 400) {
      ASSERT_TRUE(json::accept(r->body)) << r->body;
    }
  }
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 200);
}

}  // namespace
}  // namespace top::serve
