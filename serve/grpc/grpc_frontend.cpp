#include "serve/grpc/grpc_frontend.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <limits>
#include <type_traits>

#include "grpc_predict_v2.grpc.pb.h"
#include "serve/protocol/datatype.h"
#include "top/limits.h"

namespace top::serve {

namespace {

namespace pb = ::inference;
using Service = pb::GRPCInferenceService;

grpc::StatusCode to_grpc_code(StatusCode c) {
  switch (c) {
    case StatusCode::kOk:
      return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidModel:
    case StatusCode::kUnsupported:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled:
      return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kDeadlineExceeded:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kOutOfMemory:
    case StatusCode::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::Status to_grpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(to_grpc_code(s.code()), s.message());
}

// ---- request tensors -------------------------------------------------------------

// The number of values in every typed field of `c` together.
int64_t contents_count(const pb::InferTensorContents& c) {
  return int64_t{c.bool_contents_size()} + c.int_contents_size() + c.int64_contents_size() + c.uint_contents_size() +
         c.uint64_contents_size() + c.fp32_contents_size() + c.fp64_contents_size() + c.bytes_contents_size();
}

// Copies the typed values `src` into `t` (whose element type is Dst), refusing a value
// outside Dst's range (an INT8 tensor sent as int_contents of 300).
template <class Dst, class Src>
Status copy_values(const google::protobuf::RepeatedField<Src>& src, Tensor& t, const std::string& what,
                   const char* field) {
  Dst* out = t.data<Dst>();
  for (int i = 0; i < src.size(); ++i) {
    const Src v = src.Get(i);
    if constexpr (std::is_integral_v<Dst> && !std::is_same_v<Dst, bool> && !std::is_same_v<Dst, Src>) {
      bool below = false;
      if constexpr (std::is_signed_v<Src>) below = v < static_cast<Src>(std::numeric_limits<Dst>::min());
      if (below || v > static_cast<Src>(std::numeric_limits<Dst>::max())) {
        return InvalidArgument(
            fmt::format("{}: {}[{}] = {} is out of the range of {}", what, field, i, v, v2_datatype_name(t.dtype())));
      }
    }
    out[i] = static_cast<Dst>(v);
  }
  return Status::Ok();
}

// The typed field that holds a `dtype` tensor's values in InferTensorContents, after
// checking (before anything is allocated) that it holds exactly `numel` values and that
// no other field is set.
Result<const char*> check_contents(const pb::InferTensorContents& c, DataType dtype, int64_t numel,
                                   const std::string& what) {
  const char* field = nullptr;
  int64_t count = 0;
  switch (dtype) {
    case DataType::kBool:
      field = "bool_contents";
      count = c.bool_contents_size();
      break;
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      field = "int_contents";
      count = c.int_contents_size();
      break;
    case DataType::kInt64:
      field = "int64_contents";
      count = c.int64_contents_size();
      break;
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
      field = "uint_contents";
      count = c.uint_contents_size();
      break;
    case DataType::kUint64:
      field = "uint64_contents";
      count = c.uint64_contents_size();
      break;
    case DataType::kFloat32:
      field = "fp32_contents";
      count = c.fp32_contents_size();
      break;
    case DataType::kFloat64:
      field = "fp64_contents";
      count = c.fp64_contents_size();
      break;
    default:
      return InvalidArgument(fmt::format("{}: {} has no typed contents field; send its data in raw_input_contents",
                                         what, v2_datatype_name(dtype)));
  }
  if (contents_count(c) != count) {
    return InvalidArgument(fmt::format("{}: a {} tensor's values go in contents.{}, but other contents fields are set",
                                       what, v2_datatype_name(dtype), field));
  }
  if (count != numel) {
    return InvalidArgument(fmt::format("{}: contents.{} has {} values, its shape needs {}", what, field, count, numel));
  }
  return field;
}

// The typed `contents` (checked by check_contents) into `t`.
Status fill_from_contents(const pb::InferTensorContents& c, Tensor& t, const char* field, const std::string& what) {
  switch (t.dtype()) {
    case DataType::kBool:
      return copy_values<bool>(c.bool_contents(), t, what, field);
    case DataType::kInt8:
      return copy_values<int8_t>(c.int_contents(), t, what, field);
    case DataType::kInt16:
      return copy_values<int16_t>(c.int_contents(), t, what, field);
    case DataType::kInt32:
      return copy_values<int32_t>(c.int_contents(), t, what, field);
    case DataType::kInt64:
      return copy_values<int64_t>(c.int64_contents(), t, what, field);
    case DataType::kUint8:
      return copy_values<uint8_t>(c.uint_contents(), t, what, field);
    case DataType::kUint16:
      return copy_values<uint16_t>(c.uint_contents(), t, what, field);
    case DataType::kUint32:
      return copy_values<uint32_t>(c.uint_contents(), t, what, field);
    case DataType::kUint64:
      return copy_values<uint64_t>(c.uint64_contents(), t, what, field);
    case DataType::kFloat32:
      return copy_values<float>(c.fp32_contents(), t, what, field);
    case DataType::kFloat64:
      return copy_values<double>(c.fp64_contents(), t, what, field);
    default:
      break;
  }
  return Internal(what + ": unhandled datatype");
}

// A raw_input_contents entry (its size already checked) into `t`.
void fill_from_raw(const std::string& raw, Tensor& t) {
  const size_t bytes = raw.size();
  if (t.dtype() == DataType::kBool) {
    // One byte per element; anything but 0 is true (a bool holding 2 is undefined behaviour).
    bool* out = t.data<bool>();
    for (size_t i = 0; i < bytes; ++i) out[i] = raw[i] != 0;
  } else if (bytes) {
    std::memcpy(t.raw_data(), raw.data(), bytes);
  }
}

Result<InferInput> convert_input(const pb::ModelInferRequest& msg, int index) {
  const pb::ModelInferRequest::InferInputTensor& in = msg.inputs(index);
  std::string what = fmt::format("inputs[{}]", index);
  if (in.name().empty()) return InvalidArgument(what + ": 'name' is missing");
  InferInput out;
  out.name = in.name();
  what = fmt::format("input '{}'", out.name);
  const auto dtype = parse_v2_datatype(in.datatype());
  if (!dtype) {
    return InvalidArgument(
        fmt::format("{}: datatype '{}' is not supported (BOOL, UINT8..UINT64, INT8..INT64, FP16, BF16, "
                    "FP32, FP64)",
                    what, in.datatype()));
  }
  if (in.shape_size() > 32) return InvalidArgument(what + ": 'shape' has more than 32 dimensions");
  Shape shape;
  for (int64_t d : in.shape()) {
    if (d < 0) return InvalidArgument(fmt::format("{}: 'shape' has {} (dimensions are integers >= 0)", what, d));
    shape.push_back(d);
  }
  // Over the allocation limit (OutOfMemory) is reported only if the data agrees with the
  // shape: a message whose data does not match its shape is the client's error first.
  auto checked = checked_tensor_bytes(*dtype, shape, what);
  if (!checked.ok() && checked.status().code() != StatusCode::kOutOfMemory) return checked.status();
  // The product did not overflow (only the limit was exceeded): these are exact.
  const int64_t numel = shape_numel(shape);
  const size_t bytes = static_cast<size_t>(numel) * dtype_size(*dtype);
  if (msg.raw_input_contents_size() > 0) {
    if (in.has_contents()) {
      return InvalidArgument(what +
                             ": sets 'contents' while the request has raw_input_contents (use one or the other)");
    }
    const std::string& raw = msg.raw_input_contents(index);
    // Checked before allocating, so that a wrong size costs nothing.
    if (raw.size() != bytes) {
      return InvalidArgument(fmt::format("{}: its raw_input_contents entry has {} bytes, {} {} needs {}", what,
                                         raw.size(), in.datatype(), shape_str(shape), bytes));
    }
    if (!checked.ok()) return InvalidArgument(checked.status().message());  // over the limit: the client's, 400
    TOP_ASSIGN_OR_RETURN(out.tensor, Tensor::allocate(*dtype, shape));
    fill_from_raw(raw, out.tensor);
    return out;
  }
  // The count is checked before allocating too: a tiny message cannot declare a huge tensor.
  if (!in.has_contents() && numel != 0) {
    return InvalidArgument(what + ": has no data ('contents', or raw_input_contents for every input)");
  }
  TOP_ASSIGN_OR_RETURN(const char* field, check_contents(in.contents(), *dtype, numel, what));
  if (!checked.ok()) return InvalidArgument(checked.status().message());
  TOP_ASSIGN_OR_RETURN(out.tensor, Tensor::allocate(*dtype, shape));
  TOP_RETURN_IF_ERROR(fill_from_contents(in.contents(), out.tensor, field, what));
  return out;
}

// An integer request parameter ("timeout", "priority"): absent -> 0.
Result<int64_t> integer_parameter(const google::protobuf::Map<std::string, pb::InferParameter>& params,
                                  const char* key) {
  auto it = params.find(key);
  if (it == params.end()) return int64_t{0};
  const pb::InferParameter& p = it->second;
  switch (p.parameter_choice_case()) {
    case pb::InferParameter::kInt64Param:
      return p.int64_param();
    case pb::InferParameter::kUint64Param:
      if (p.uint64_param() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return InvalidArgument(fmt::format("parameter '{}' is out of range", key));
      return static_cast<int64_t>(p.uint64_param());
    default:
      return InvalidArgument(fmt::format("parameter '{}' must be an integer (int64_param or uint64_param)", key));
  }
}

Result<InferRequest> convert_request(const pb::ModelInferRequest& msg, std::chrono::system_clock::time_point deadline) {
  if (msg.model_name().empty()) return InvalidArgument("'model_name' is missing");
  InferRequest req;
  req.model = msg.model_name();
  req.version = msg.model_version();
  req.id = msg.id();
  TOP_ASSIGN_OR_RETURN(req.timeout_us, integer_parameter(msg.parameters(), "timeout"));
  if (req.timeout_us < 0) return InvalidArgument("parameter 'timeout' must be >= 0 (microseconds)");
  TOP_ASSIGN_OR_RETURN(int64_t priority, integer_parameter(msg.parameters(), "priority"));
  if (priority < -1000000 || priority > 1000000) return InvalidArgument("parameter 'priority' is out of range");
  req.priority = static_cast<int>(priority);
  // The client's deadline bounds the queueing time too: a request the client has given
  // up on is not started.
  const auto now = std::chrono::system_clock::now();
  if (deadline > now && deadline - now < std::chrono::hours(24 * 365)) {
    const int64_t left_us =
        std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count());
    if (req.timeout_us == 0 || left_us < req.timeout_us) req.timeout_us = left_us;
  }

  if (msg.raw_input_contents_size() > 0 && msg.raw_input_contents_size() != msg.inputs_size()) {
    return InvalidArgument(fmt::format("raw_input_contents has {} entries for {} inputs (one per input, in order)",
                                       msg.raw_input_contents_size(), msg.inputs_size()));
  }
  req.inputs.reserve(static_cast<size_t>(msg.inputs_size()));
  for (int i = 0; i < msg.inputs_size(); ++i) {
    TOP_ASSIGN_OR_RETURN(InferInput in, convert_input(msg, i));
    for (const InferInput& prev : req.inputs) {
      if (prev.name == in.name) return InvalidArgument("input '" + in.name + "' is given twice");
    }
    req.inputs.push_back(std::move(in));
  }
  for (int i = 0; i < msg.outputs_size(); ++i) {
    const std::string& name = msg.outputs(i).name();
    if (name.empty()) return InvalidArgument(fmt::format("outputs[{}]: 'name' is missing", i));
    for (const RequestedOutput& prev : req.outputs) {
      if (prev.name == name) return InvalidArgument("output '" + name + "' is requested twice");
    }
    req.outputs.push_back(RequestedOutput{name, /*binary=*/true});
  }
  return req;
}

Status convert_response(const InferResponse& r, pb::ModelInferResponse& out) {
  out.set_model_name(r.model);
  out.set_model_version(r.version);
  out.set_id(r.id);
  for (const InferOutput& o : r.outputs) {
    const char* dt = v2_datatype_name(o.tensor.dtype());
    if (!dt) return Internal(fmt::format("output '{}' has no v2 datatype", o.name));
    pb::ModelInferResponse::InferOutputTensor* t = out.add_outputs();
    t->set_name(o.name);
    t->set_datatype(dt);
    for (int64_t d : o.tensor.shape()) t->add_shape(d);
    out.add_raw_output_contents(static_cast<const char*>(o.tensor.raw_data()), o.tensor.nbytes());
  }
  return Status::Ok();
}

void fill_tensor_metadata(const TensorMetadata& in, pb::ModelMetadataResponse::TensorMetadata* out) {
  out->set_name(in.name);
  out->set_datatype(in.datatype);
  for (int64_t d : in.shape) out->add_shape(d);
}

std::string listen_address(const std::string& host, int port) {
  if (host.find(':') != std::string::npos && host.front() != '[') return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

// Every RPC but ModelInfer on gRPC's synchronous pool; ModelInfer as a raw callback
// method (the message is parsed here, so that bytes that are not a ModelInferRequest
// are INVALID_ARGUMENT rather than gRPC's INTERNAL, and no thread waits on the model).
class ServiceImpl final : public Service::WithRawCallbackMethod_ModelInfer<Service::Service> {
 public:
  explicit ServiceImpl(InferenceServer* server) : server_(server) {}

  grpc::Status ServerLive(grpc::ServerContext*, const pb::ServerLiveRequest*, pb::ServerLiveResponse* out) override {
    out->set_live(server_->live());
    return grpc::Status::OK;
  }

  grpc::Status ServerReady(grpc::ServerContext*, const pb::ServerReadyRequest*, pb::ServerReadyResponse* out) override {
    out->set_ready(server_->ready());
    return grpc::Status::OK;
  }

  grpc::Status ModelReady(grpc::ServerContext*, const pb::ModelReadyRequest* in, pb::ModelReadyResponse* out) override {
    out->set_ready(server_->model_ready(in->name(), in->version()));
    return grpc::Status::OK;
  }

  grpc::Status ServerMetadata(grpc::ServerContext*, const pb::ServerMetadataRequest*,
                              pb::ServerMetadataResponse* out) override {
    out->set_name(server_->name());
    out->set_version(InferenceServer::version());
    for (const std::string& e : InferenceServer::extensions()) out->add_extensions(e);
    return grpc::Status::OK;
  }

  grpc::Status ModelMetadata(grpc::ServerContext*, const pb::ModelMetadataRequest* in,
                             pb::ModelMetadataResponse* out) override {
    auto md = server_->model_metadata(in->name(), in->version());
    if (!md.ok()) return to_grpc(md.status());
    out->set_name(md->name);
    for (const std::string& v : md->versions) out->add_versions(v);
    out->set_platform(md->platform);
    for (const TensorMetadata& t : md->inputs) fill_tensor_metadata(t, out->add_inputs());
    for (const TensorMetadata& t : md->outputs) fill_tensor_metadata(t, out->add_outputs());
    return grpc::Status::OK;
  }

  grpc::Status RepositoryIndex(grpc::ServerContext*, const pb::RepositoryIndexRequest* in,
                               pb::RepositoryIndexResponse* out) override {
    for (const RepositoryIndexEntry& e : server_->repository_index()) {
      if (in->ready() && e.state != "READY") continue;
      pb::RepositoryIndexResponse::ModelIndex* m = out->add_models();
      m->set_name(e.name);
      m->set_version(e.version);
      m->set_state(e.state);
      m->set_reason(e.reason);
    }
    return grpc::Status::OK;
  }

  grpc::Status RepositoryModelLoad(grpc::ServerContext*, const pb::RepositoryModelLoadRequest* in,
                                   pb::RepositoryModelLoadResponse*) override {
    if (!in->parameters().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "RepositoryModelLoad parameters (config, file overrides) are not supported: the model is "
                          "loaded from the repository folder");
    }
    if (in->model_name().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'model_name' is missing");
    return to_grpc(server_->load_model(in->model_name()));
  }

  grpc::Status RepositoryModelUnload(grpc::ServerContext*, const pb::RepositoryModelUnloadRequest* in,
                                     pb::RepositoryModelUnloadResponse*) override {
    if (in->model_name().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "'model_name' is missing");
    return to_grpc(server_->unload_model(in->model_name()));
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    try {
      auto msg = std::make_unique<pb::ModelInferRequest>();
      grpc::ByteBuffer bytes(*request);  // shares the slices; Deserialize consumes its argument
      if (!grpc::SerializationTraits<pb::ModelInferRequest>::Deserialize(&bytes, msg.get()).ok()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                     "the ModelInfer request is not a valid inference.ModelInferRequest message"));
        return reactor;
      }
      auto req = convert_request(*msg, ctx->deadline());
      if (!req.ok()) {
        server_->count_refused(msg->model_name(), msg->model_version(), "grpc", req.status());
        reactor->Finish(to_grpc(req.status()));
        return reactor;
      }
      msg.reset();  // the tensors hold copies: free the message before the model runs
      // Answered exactly once, inline when refused before queueing, else on a runtime thread.
      server_->infer(
          std::move(*req), [reactor, response](Result<InferResponse> r) { answer(reactor, response, r); }, "grpc");
    } catch (const std::exception& e) {
      // Only before infer() took the request (an allocation failed): it has not answered.
      spdlog::error("gRPC ModelInfer: {}", e.what());
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, std::string("Internal: ") + e.what()));
    }
    return reactor;
  }

 private:
  static void answer(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* response, const Result<InferResponse>& r) {
    if (!r.ok()) return reactor->Finish(to_grpc(r.status()));
    grpc::Status st;
    try {
      pb::ModelInferResponse out;
      Status converted = convert_response(*r, out);
      if (!converted.ok()) {
        st = to_grpc(converted);
      } else {
        bool own = false;
        st = grpc::SerializationTraits<pb::ModelInferResponse>::Serialize(out, response, &own);
      }
    } catch (const std::exception& e) {
      spdlog::error("gRPC ModelInfer response: {}", e.what());
      st = grpc::Status(grpc::StatusCode::INTERNAL, std::string("Internal: ") + e.what());
    }
    reactor->Finish(st);
  }

  InferenceServer* server_;
};

}  // namespace

int grpc_code_of(const Status& s) { return static_cast<int>(to_grpc_code(s.code())); }

struct GrpcFrontend::Impl {
  std::unique_ptr<ServiceImpl> service;  // outlives `server` (declared first: destroyed last)
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  bool stopped = false;
};

GrpcFrontend::GrpcFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcFrontend::~GrpcFrontend() { stop(); }

Result<std::unique_ptr<GrpcFrontend>> GrpcFrontend::start(InferenceServer* server, const GrpcOptions& options) {
  if (!server) return InvalidArgument("GrpcFrontend::start: no server");
  if (options.port < 0 || options.port > 65535) return InvalidArgument("gRPC port must be in [0, 65535]");
  if (options.host.empty()) return InvalidArgument("gRPC address is empty");
  if (options.max_message_bytes < 1024) return InvalidArgument("gRPC max_message_bytes must be at least 1024");
  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<ServiceImpl>(server);

  const std::string address = listen_address(options.host, options.port);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which lets a second server bind a port already in
  // use and silently share it: a taken port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(options.max_message_bytes, INT_MAX)));
  builder.SetMaxSendMessageSize(-1);  // outputs: no limit here (clients set their own)
  int selected_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || selected_port == 0) {
    if (impl->server) impl->server->Shutdown();
    return Status(StatusCode::kUnavailable,
                  fmt::format("cannot bind gRPC to {} (in use, or not an address of this machine)", address));
  }
  impl->port = selected_port;
  return std::unique_ptr<GrpcFrontend>(new GrpcFrontend(std::move(impl)));
}

int GrpcFrontend::port() const { return impl_->port; }

void GrpcFrontend::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Calls still running at the deadline are cancelled; Shutdown still waits for each to
  // finish (ModelInfer's answer comes when the model does).
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
  impl_->server->Wait();
}

}  // namespace top::serve
