// The in-process side of the serving load test (scripts/bench-serve): closed-loop
// clients calling InferenceServer::infer_sync directly — the same server core, models,
// policies and inputs as `toprt serve`, without the network — so that the difference
// to `hey` against `toprt serve` is what HTTP adds.
//
//   bench_serve_inprocess REPO MODEL[,MODEL...] CONCURRENCY SECONDS
//
// Clients are spread over the models round-robin; each sends one random input of
// batch 1 (symbolic dims = 1) again and again. Prints one line per run:
//   inprocess models=M c=C requests=N rps=R p50_ms=A p99_ms=B errors=E
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "serve/core/inference_server.h"
#include "util/split.h"

using namespace top;
using Clock = std::chrono::steady_clock;

namespace {

Tensor random_input(const serve::TensorMetadata& t, std::mt19937& rng) {
  Shape shape = t.shape;
  for (auto& d : shape) d = d < 0 ? 1 : d;
  Tensor x = Tensor::zeros(DataType::kFloat32, shape);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(rng);
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    fmt::print(stderr, "usage: bench_serve_inprocess REPO MODEL[,MODEL...] CONCURRENCY SECONDS\n");
    return 2;
  }
  serve::ServerOptions opts;
  opts.repository = argv[1];
  opts.model_control = serve::ModelControl::kExplicit;
  opts.startup_models = split_list(argv[2]);
  const int concurrency = std::atoi(argv[3]);
  const double seconds = std::atof(argv[4]);
  auto server = serve::InferenceServer::create(opts);
  if (!server.ok()) {
    fmt::print(stderr, "error: {}\n", server.status().to_string());
    return 1;
  }
  std::vector<serve::InferRequest> requests;
  std::mt19937 rng(1);
  for (const std::string& m : opts.startup_models) {
    auto md = (*server)->model_metadata(m, "");
    if (!md.ok()) {
      fmt::print(stderr, "error: {}\n", md.status().to_string());
      return 1;
    }
    serve::InferRequest req;
    req.model = m;
    for (const auto& in : md->inputs) req.inputs.push_back({in.name, random_input(in, rng)});
    requests.push_back(req);
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(concurrency));
  std::vector<std::thread> clients;
  const auto start = Clock::now();
  for (int c = 0; c < concurrency; ++c) {
    clients.emplace_back([&, c] {
      const serve::InferRequest& req = requests[static_cast<size_t>(c) % requests.size()];
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        auto r = (*server)->infer_sync(req, "inprocess");
        latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!r.ok()) ++errors;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : clients) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  fmt::print("inprocess models={} c={} requests={} rps={:.1f} p50_ms={:.3f} p99_ms={:.3f} errors={}\n", argv[2],
             concurrency, all.size(), static_cast<double>(all.size()) / elapsed, pct(0.5), pct(0.99), errors.load());
  (*server)->shutdown();
  return 0;
}
