// `toprt serve --model-repository DIR`: the v2 inference protocol (KServe / Triton) over
// REST (serve/http) and gRPC (serve/grpc), with every model of the repository in one Runtime.
//
// SIGTERM or SIGINT drains: the server stops being ready, refuses new requests with
// 503, answers every request it accepted (up to --drain-timeout-s), then exits 0.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <pthread.h>

#include "commands.h"
#include "serve/core/inference_server.h"
#include "serve/http/http_frontend.h"
#ifdef TOP_WITH_GRPC
#include "serve/grpc/grpc_frontend.h"
#endif

namespace toprt {

namespace {

struct ServeArgs {
  std::string repository;
  std::string model_control = "none";
  std::vector<std::string> load_models;
  double poll_s = 5;
  std::string http_address = "0.0.0.0";
  int http_port = 8000;
  int http_threads = 64;
  int max_body_mb = 64;
  std::string grpc_address = "0.0.0.0";
  int grpc_port = 8001;  // -1: no gRPC
  std::string backend = "cpu";
  int streams = 2;
  int threads_per_stream = 1;
  size_t queue_capacity = 1024;
  std::string policy;
  double drain_timeout_s = 30;
};

void run_serve(const ServeArgs& args) {
  if (args.model_control != "explicit" && !args.load_models.empty())
    return fail(top::InvalidArgument("--load-model needs --model-control-mode explicit"));
  // Signals are taken by sigwait below; block them before any thread starts so that none
  // of the runtime's or the HTTP server's threads receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  top::serve::ServerOptions opts;
  opts.repository = args.repository;
  opts.model_control = args.model_control == "poll"       ? top::serve::ModelControl::kPoll
                       : args.model_control == "explicit" ? top::serve::ModelControl::kExplicit
                                                          : top::serve::ModelControl::kNone;
  opts.startup_models = args.load_models;
  opts.poll_interval_s = args.poll_s;
  opts.runtime.backend = args.backend;
  opts.runtime.num_streams = args.streams;
  opts.runtime.threads_per_stream = args.threads_per_stream;
  opts.runtime.queue_capacity = args.queue_capacity;
  opts.default_policy = args.policy;
  auto server = top::serve::InferenceServer::create(opts);
  if (!server.ok()) return fail(server.status());

  top::serve::HttpOptions http;
  http.host = args.http_address;
  http.port = args.http_port;
  http.threads = args.http_threads;
  http.max_body_bytes = static_cast<size_t>(args.max_body_mb) << 20;
  auto frontend = top::serve::HttpFrontend::start(server->get(), http);
  if (!frontend.ok()) return fail(frontend.status());
  std::string grpc_where;
#ifdef TOP_WITH_GRPC
  std::unique_ptr<top::serve::GrpcFrontend> grpc;
  if (args.grpc_port >= 0) {
    top::serve::GrpcOptions g;
    g.host = args.grpc_address;
    g.port = args.grpc_port;
    g.max_message_bytes = http.max_body_bytes;
    auto started = top::serve::GrpcFrontend::start(server->get(), g);
    if (!started.ok()) return fail(started.status());
    grpc = std::move(*started);
    grpc_where = fmt::format(", gRPC on {}:{}", args.grpc_address, grpc->port());
  }
#else
  if (args.grpc_port >= 0) spdlog::warn("this toprt was built without gRPC (serve/grpc): --grpc-port ignored");
#endif
  std::printf("toprt serve %s: HTTP on %s:%d%s, repository %s (model control %s)\n",
              top::serve::InferenceServer::version(), args.http_address.c_str(), (*frontend)->port(),
              grpc_where.c_str(), args.repository.c_str(), top::serve::model_control_name(opts.model_control));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{}: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->begin_drain();
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(args.drain_timeout_s * 1000));
  if (!(*server)->wait_idle(timeout)) {
    // Out of time: queued requests are answered 503 now; running ones finish.
    spdlog::warn("drain: requests still waiting after {} s: cancelling the queued ones", args.drain_timeout_s);
    (*server)->cancel_queued();
  }
  (*frontend)->stop();
#ifdef TOP_WITH_GRPC
  if (grpc) grpc->stop();
#endif
  (*server)->shutdown();
  std::printf("toprt serve: stopped\n");
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve a model repository over the v2 inference protocol (KServe/Triton REST and gRPC)");
  cmd->add_option("--model-repository", args->repository, "folder with one sub-folder per model (docs/serving.md)")
      ->required();
  cmd->add_option("--model-control-mode", args->model_control,
                  "none: load all at start; poll: and rescan; explicit: only --load-model, then the repository API")
      ->check(CLI::IsMember({"none", "poll", "explicit"}))
      ->capture_default_str();
  cmd->add_option("--load-model", args->load_models, "model to load at start (explicit mode; repeatable)");
  cmd->add_option("--repository-poll-secs", args->poll_s, "seconds between repository scans (poll mode)")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--http-address", args->http_address, "address to listen on")->capture_default_str();
  cmd->add_option("--http-port", args->http_port, "port (0: any free port, printed at start)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--http-threads", args->http_threads, "connections served at once")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--http-max-body-mb", args->max_body_mb,
                  "largest request body (413 above; also gRPC's largest message)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--grpc-address", args->grpc_address, "address the gRPC service listens on")->capture_default_str();
  cmd->add_option("--grpc-port", args->grpc_port, "gRPC port (0: any free port, printed at start; -1: no gRPC)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  cmd->add_option("--backend", args->backend, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--streams", args->streams, "operator groups that run at once (all models)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--threads-per-stream", args->threads_per_stream, "intra-op threads of each CPU stream")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--queue-capacity", args->queue_capacity, "tasks queued per model in the runtime")
      ->check(CLI::Range(size_t(1), size_t(1) << 24))
      ->capture_default_str();
  cmd->add_option("--policy", args->policy,
                  "policy spec for models whose config.json sets none (default: fixed:k=1,instances=2)");
  cmd->add_option("--drain-timeout-s", args->drain_timeout_s, "on SIGTERM, how long to wait for accepted requests")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace toprt
