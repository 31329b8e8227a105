#include "serve/http/http_frontend.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "serve/protocol/json_codec.h"

namespace top::serve {

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kHeaderLength = "Inference-Header-Content-Length";

void reply_error(httplib::Response& res, const Status& s) {
  res.status = http_status_of(s);
  if (res.status == 503) res.set_header("Retry-After", "1");
  res.set_content(encode_error(s.to_string()), kJson);
}

// The model and version from a route's captures (version "" when absent).
std::pair<std::string, std::string> model_and_version(const httplib::Request& req) {
  return {req.matches[1].str(), req.matches.size() > 2 ? req.matches[2].str() : std::string()};
}

Result<long long> header_length(const httplib::Request& req) {
  if (!req.has_header(kHeaderLength)) return -1LL;
  const std::string v = req.get_header_value(kHeaderLength);
  long long n = 0;
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument(fmt::format("{} must be a decimal byte count, not '{}'", kHeaderLength, v));
  n = std::stoll(v);
  return n;
}

}  // namespace

struct HttpFrontend::Impl {
  InferenceServer* server = nullptr;
  httplib::Server http;
  std::thread thread;
  int port = 0;
  bool stopped = false;

  void routes();
  size_t max_body = 0;

  void infer(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read);
};

void HttpFrontend::Impl::infer(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
  // The body is read here rather than by httplib, which would refuse any body over 8 KiB
  // sent as application/x-www-form-urlencoded (what curl -d and urllib send by default).
  std::string body;
  if (req.has_header("Content-Length")) body.reserve(std::min<size_t>(req.get_header_value<uint64_t>("Content-Length"), max_body));
  bool too_large = false;
  const bool complete = read([&](const char* data, size_t n) {
    if (body.size() + n > max_body) return !(too_large = true);
    body.append(data, n);
    return true;
  });
  // httplib itself stops at the payload limit when Content-Length declares more.
  if (too_large || (!complete && req.has_header("Content-Length") &&
                    req.get_header_value<uint64_t>("Content-Length") > max_body)) {
    res.status = 413;
    return res.set_content(encode_error("the request body is larger than the server accepts (--http-max-body-mb)"), kJson);
  }
  if (!complete) return reply_error(res, InvalidArgument("the request body could not be read (connection closed or timed out)"));
  auto [model, version] = model_and_version(req);
  if (Status st = server->check_model(model, version); !st.ok()) return reply_error(res, st);
  auto length = header_length(req);
  auto request = length.ok() ? parse_infer_request(body, *length, model, version) : Result<InferRequest>(length.status());
  if (!request.ok()) {
    server->count_refused(model, version, "rest", request.status());
    return reply_error(res, request.status());
  }
  auto response = server->infer_sync(std::move(*request), "rest");
  if (!response.ok()) return reply_error(res, response.status());
  long long json_length = -1;
  std::string out = encode_infer_response(*response, &json_length);
  if (json_length >= 0) {
    res.set_header(kHeaderLength, std::to_string(json_length));
    res.set_content(std::move(out), "application/octet-stream");
  } else {
    res.set_content(std::move(out), kJson);
  }
}

void HttpFrontend::Impl::routes() {
  const std::string model_path = R"(/v2/models/([^/]+)(?:/versions/([0-9]+))?)";
  // The hot route first: httplib tries the patterns in order.
  http.Post(model_path + "/infer", [this](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& read) { infer(req, res, read); });
  http.Get("/v2/health/live", [this](const httplib::Request&, httplib::Response& res) {
    res.status = server->live() ? 200 : 503;
  });
  http.Get("/v2/health/ready", [this](const httplib::Request&, httplib::Response& res) {
    res.status = server->ready() ? 200 : 503;
  });
  http.Get("/v2", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(encode_server_metadata(server->name(), InferenceServer::version(), InferenceServer::extensions()), kJson);
  });
  http.Get(model_path + "/ready", [this](const httplib::Request& req, httplib::Response& res) {
    auto [model, version] = model_and_version(req);
    res.status = server->model_ready(model, version) ? 200 : 503;
  });
  http.Get(model_path, [this](const httplib::Request& req, httplib::Response& res) {
    auto [model, version] = model_and_version(req);
    auto md = server->model_metadata(model, version);
    if (!md.ok()) return reply_error(res, md.status());
    res.set_content(encode_model_metadata(*md), kJson);
  });
  http.Post("/v2/repository/index", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(encode_repository_index(server->repository_index()), kJson);
  });
  http.Post(R"(/v2/repository/models/([^/]+)/(load|unload))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string model = req.matches[1].str();
    Status st = req.matches[2].str() == "load" ? server->load_model(model) : server->unload_model(model);
    if (!st.ok()) return reply_error(res, st);
    res.status = 200;
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(server->metrics_text(), "text/plain; version=0.0.4");
  });
  // Anything else, and httplib's own refusals (413 for a body over the limit, 400 for a
  // malformed request line): an error body like every other.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = res.status == 404   ? fmt::format("no route for {} {}", req.method, req.path)
                          : res.status == 413 ? "the request body is larger than the server accepts (--http-max-body-mb)"
                                              : fmt::format("HTTP {}", res.status);
    res.set_content(encode_error(message), kJson);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("HTTP handler: {}", what);
    res.status = 500;
    res.set_content(encode_error("Internal: " + what), kJson);
  });
}

HttpFrontend::HttpFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpFrontend::~HttpFrontend() { stop(); }

Result<std::unique_ptr<HttpFrontend>> HttpFrontend::start(InferenceServer* server, const HttpOptions& options) {
  if (options.threads < 1 || options.threads > 4096) return InvalidArgument("HTTP threads must be in [1, 4096]");
  auto impl = std::make_unique<Impl>();
  impl->server = server;
  impl->max_body = options.max_body_bytes;
  const int threads = options.threads;
  impl->http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  impl->http.set_payload_max_length(options.max_body_bytes);
  impl->http.set_read_timeout(options.read_timeout_s, 0);
  impl->http.set_write_timeout(options.read_timeout_s, 0);
  impl->http.set_keep_alive_timeout(options.keep_alive_timeout_s);
  impl->http.set_keep_alive_max_count(1000000);
  impl->http.set_tcp_nodelay(true);
  impl->routes();
  if (options.port == 0) {
    impl->port = impl->http.bind_to_any_port(options.host);
    if (impl->port < 0) return Status(StatusCode::kUnavailable, fmt::format("cannot bind HTTP to {}:any", options.host));
  } else {
    if (!impl->http.bind_to_port(options.host, options.port)) {
      return Status(StatusCode::kUnavailable,
                    fmt::format("cannot bind HTTP to {}:{} (in use, or not an address of this machine)", options.host,
                                options.port));
    }
    impl->port = options.port;
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  // stop() is a no-op until the listen loop runs: wait for it so a quick stop cannot hang.
  for (int i = 0; i < 5000 && !impl->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<HttpFrontend>(new HttpFrontend(std::move(impl)));
}

int HttpFrontend::port() const { return impl_->port; }

void HttpFrontend::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace top::serve
