// Serving two models with the asynchronous runtime: the smallest complete program.
//
//   example_serve_two_models [model_a.onnx model_b.onnx]
//
// (defaults: the zoo's build/models/squeezenet1_1_small.onnx and googlenet_small.onnx,
// relative to the repository root). Only the public API, include/top/*.h, is used.
#include <top/model.h>
#include <top/runtime.h>
#include <top/stats.h>

#include <atomic>
#include <future>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

// The runtime checks every input against the model at submit(), so the shapes must be
// concrete: symbolic dimensions (the batch) become 1.
std::vector<top::Tensor> random_inputs(const top::Model& model, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int64_t> small_int(0, 9);  // stays a valid index into small tables
  std::vector<top::Tensor> inputs;
  for (const top::TensorInfo& info : model.inputs()) {
    top::Shape shape = info.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    top::Tensor t = top::Tensor::zeros(info.dtype, shape);
    if (info.dtype == top::DataType::kFloat32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    else if (info.dtype == top::DataType::kInt64)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = small_int(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

std::string shapes_of(const std::vector<top::Tensor>& outputs) {
  std::string s;
  for (const top::Tensor& t : outputs) s += (s.empty() ? "" : " ") + top::shape_str(t.shape());
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> names = {"a", "b"};
  std::vector<std::string> paths = {"build/models/squeezenet1_1_small.onnx", "build/models/googlenet_small.onnx"};
  if (argc == 3) paths = {argv[1], argv[2]};
  else if (argc != 1) {
    std::cerr << "usage: " << argv[0] << " [model_a.onnx model_b.onnx]\n";
    return 2;
  }

  // Loading validates the whole model, so a bad file fails here and never mid-serving.
  std::vector<top::Model> models;
  for (const std::string& p : paths) {
    auto m = top::Model::load(p);
    if (!m.ok()) {
      std::cerr << m.status().to_string() << "\n";
      return 1;
    }
    models.push_back(*m);
  }

  // Up to 2 tasks per dequeue and 2 instances per model in flight: tasks of both models
  // overlap on the 2 streams instead of queueing behind each other.
  top::RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = top::fixed_launch_policy(/*interval_ms=*/0, /*k=*/2, /*max_in_flight=*/2);
  auto created = top::Runtime::create(cfg);
  if (!created.ok()) {
    std::cerr << created.status().to_string() << "\n";
    return 1;
  }
  std::unique_ptr<top::Runtime> rt = std::move(created).value();
  for (size_t i = 0; i < models.size(); ++i) {
    if (top::Status s = rt->load_model(names[i], models[i]); !s.ok()) {
      std::cerr << s.to_string() << "\n";
      return 1;
    }
  }

  // Three client threads, as a server's request handlers would be. Threads 0 and 1 wait
  // on futures; thread 2 uses callbacks, which run on a runtime thread and so must be
  // quick and must not block on the runtime.
  constexpr int kTasksPerThread = 8;
  std::mutex print_mu;
  std::atomic<int> failures{0};
  auto report = [&](int thread, const std::string& model, const top::TaskResult& r) {
    std::lock_guard<std::mutex> lock(print_mu);
    if (!r.status.ok()) {
      ++failures;
      std::cout << "thread " << thread << " task " << r.task_id << " (" << model << "): " << r.status.to_string() << "\n";
      return;
    }
    std::cout << "thread " << thread << " task " << r.task_id << " (" << model << "): " << shapes_of(r.outputs)
              << " in " << r.latency_ms << " ms\n";
  };
  std::vector<std::thread> clients;
  for (int thread = 0; thread < 3; ++thread) {
    clients.emplace_back([&, thread] {
      std::mt19937 rng(1000 + thread);  // fixed seeds: the same inputs every run
      std::vector<std::pair<std::string, std::future<top::TaskResult>>> pending;
      for (int i = 0; i < kTasksPerThread; ++i) {
        const size_t m = static_cast<size_t>(i + thread) % models.size();
        std::vector<top::Tensor> inputs = random_inputs(models[m], rng);
        if (thread < 2) {
          pending.emplace_back(names[m], rt->submit(names[m], std::move(inputs)));
        } else {
          // Admission errors are also delivered to the callback, so the status needs no extra handling.
          (void)rt->submit(names[m], std::move(inputs),
                           [&, thread, model = names[m]](top::TaskResult r) { report(thread, model, r); });
        }
      }
      for (auto& [model, f] : pending) report(thread, model, f.get());
    });
  }
  for (std::thread& t : clients) t.join();

  // kDrain returns once every queued task has run, so every callback has been called.
  rt->shutdown(top::ShutdownMode::kDrain);
  std::cout << top::to_json(rt->stats()) << "\n";
  return failures == 0 ? 0 : 1;
}
