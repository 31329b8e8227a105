// toprt: the TOP runtime as a Python module (pybind11). docs/python.md is the user guide.
//
//   import numpy as np, toprt
//   model = toprt.Model.load("model.onnx")
//   sess = toprt.Session(model)
//   (y,) = sess.run([np.random.rand(4, 16).astype(np.float32)])
//
// Memory: inputs that are already C-contiguous, aligned, native-endian arrays of the
// model's dtype are wrapped (top::Tensor::wrap), not copied; the Tensor's owner holds a
// reference to the array. Outputs are numpy arrays over the output Tensor's storage,
// kept alive by a capsule holding a copy of the Tensor (shared storage), not copied.
//
// GIL: every call that runs, waits or takes a runtime lock releases the GIL. A wrapped
// input may be released by a runtime thread that does not hold the GIL; its reference is
// then not dropped there (which would block that thread on the GIL, or run arbitrary
// Python finalizers on it) but queued, and dropped under the GIL soon after: by a
// Py_AddPendingCall callback on the main thread, or by the next call into this module.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/policy_spec.h"
#include "top/model.h"
#include "top/runtime.h"
#include "top/session.h"
#include "top/stats.h"
#include "top/status.h"
#include "top/tensor.h"
#include "top/version.h"

namespace py = pybind11;

namespace {

// ---- references to numpy arrays held by wrapped input tensors ----------------------

std::mutex g_pending_mu;
std::vector<PyObject*> g_pending;  // references to drop once the GIL is held
std::atomic<bool> g_pending_scheduled{false};

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

// Drops the queued references. Needs the GIL.
void drain_pending_decrefs() {
  std::vector<PyObject*> objs;
  {
    std::lock_guard<std::mutex> lock(g_pending_mu);
    objs.swap(g_pending);
  }
  for (PyObject* o : objs) Py_DECREF(o);
}

int pending_decref_call(void*) {
  g_pending_scheduled.store(false);
  drain_pending_decrefs();
  return 0;
}

// The deleter of a wrapped input's owner: may run on any thread, with or without the GIL.
void release_py_object(PyObject* o) {
  if (!Py_IsInitialized() || interpreter_finalizing()) return;  // the interpreter is going: leak
  if (PyGILState_Check()) {
    Py_DECREF(o);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(g_pending_mu);
    g_pending.push_back(o);
  }
  if (!g_pending_scheduled.exchange(true)) {
    // Thread-safe without the GIL; runs on the main thread between bytecodes. When its
    // small queue is full, the next call into the module drains instead.
    if (Py_AddPendingCall(pending_decref_call, nullptr) != 0) g_pending_scheduled.store(false);
  }
}

// ---- errors --------------------------------------------------------------------------

PyObject* g_queue_full_error = nullptr;
PyObject* g_unavailable_error = nullptr;
PyObject* g_cancelled_error = nullptr;
PyObject* g_not_found_error = nullptr;

struct StatusError : std::exception {
  StatusError(top::Status s, bool file) : status(std::move(s)), about_file(file), text(status.to_string()) {}
  const char* what() const noexcept override { return text.c_str(); }
  top::Status status;
  bool about_file;  // NotFound about a file -> FileNotFoundError
  std::string text;
};

[[noreturn]] void throw_status(const top::Status& s, bool about_file = false) { throw StatusError(s, about_file); }

PyObject* exception_type(top::StatusCode code, bool about_file) {
  switch (code) {
    case top::StatusCode::kInvalidArgument:
    case top::StatusCode::kInvalidModel:
    case top::StatusCode::kUnsupported: return PyExc_ValueError;
    case top::StatusCode::kNotFound: return about_file ? PyExc_FileNotFoundError : g_not_found_error;
    case top::StatusCode::kOutOfMemory: return PyExc_MemoryError;
    case top::StatusCode::kResourceExhausted: return g_queue_full_error;
    case top::StatusCode::kUnavailable: return g_unavailable_error;
    case top::StatusCode::kCancelled: return g_cancelled_error;
    case top::StatusCode::kDeadlineExceeded: return PyExc_TimeoutError;
    default: return PyExc_RuntimeError;
  }
}

// Sets the Python error for `s` (GIL held): the mapped type, the message
// Status::to_string(), and a `code` attribute with the StatusCode's name.
void set_status_error(const top::Status& s, bool about_file) {
  PyObject* type = exception_type(s.code(), about_file);
  const std::string msg = s.to_string();
  PyObject* exc = PyObject_CallFunction(type, "s", msg.c_str());
  if (!exc) return;  // the call set an error of its own
  PyObject* code = PyUnicode_FromString(top::status_code_name(s.code()));
  if (code) {
    PyObject_SetAttrString(exc, "code", code);
    Py_DECREF(code);
  }
  PyErr_Clear();
  PyErr_SetObject(type, exc);
  Py_DECREF(exc);
}

[[noreturn]] void throw_timeout(const std::string& msg) {
  PyErr_SetString(PyExc_TimeoutError, msg.c_str());
  throw py::error_already_set();
}

// ---- dtypes --------------------------------------------------------------------------

// The numpy dtype of a top dtype; None for those numpy lacks (bfloat16) or undefined.
py::object numpy_dtype(top::DataType t) {
  switch (t) {
    case top::DataType::kFloat32: return py::dtype::of<float>();
    case top::DataType::kFloat64: return py::dtype::of<double>();
    case top::DataType::kFloat16: return py::dtype("float16");
    case top::DataType::kInt8: return py::dtype::of<int8_t>();
    case top::DataType::kUint8: return py::dtype::of<uint8_t>();
    case top::DataType::kInt16: return py::dtype::of<int16_t>();
    case top::DataType::kInt32: return py::dtype::of<int32_t>();
    case top::DataType::kInt64: return py::dtype::of<int64_t>();
    case top::DataType::kBool: return py::dtype::of<bool>();
    case top::DataType::kUint16: return py::dtype::of<uint16_t>();
    case top::DataType::kUint32: return py::dtype::of<uint32_t>();
    case top::DataType::kUint64: return py::dtype::of<uint64_t>();
    default: return py::none();
  }
}

// The top dtype of a numpy dtype, ignoring byte order; kUndefined when there is none.
top::DataType top_dtype(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  switch (kind) {
    case 'f': return size == 4 ? top::DataType::kFloat32 : size == 8 ? top::DataType::kFloat64
                     : size == 2 ? top::DataType::kFloat16 : top::DataType::kUndefined;
    case 'i': return size == 1 ? top::DataType::kInt8 : size == 2 ? top::DataType::kInt16
                     : size == 4 ? top::DataType::kInt32 : size == 8 ? top::DataType::kInt64 : top::DataType::kUndefined;
    case 'u': return size == 1 ? top::DataType::kUint8 : size == 2 ? top::DataType::kUint16
                     : size == 4 ? top::DataType::kUint32 : size == 8 ? top::DataType::kUint64 : top::DataType::kUndefined;
    case 'b': return size == 1 ? top::DataType::kBool : top::DataType::kUndefined;
    default: return top::DataType::kUndefined;
  }
}

// ---- numpy <-> Tensor ---------------------------------------------------------------

// One input: a zero-copy view when `obj` is a C-contiguous, aligned, native-endian array
// of the expected dtype; a copy when it only needs to be made contiguous (or aligned, or
// native-endian); ValueError for a wrong dtype. `expected` is kUndefined when unknown.
top::Tensor to_tensor(py::handle obj, const std::string& name, top::DataType expected) {
  py::module_ np = py::module_::import("numpy");
  if (expected == top::DataType::kBFloat16)
    throw py::value_error("input '" + name + "' is bfloat16, which numpy cannot hold: the Python module does not "
                          "feed bfloat16 inputs");
  py::array arr;
  if (py::isinstance<py::array>(obj)) {
    arr = py::reinterpret_borrow<py::array>(obj);
  } else {
    // Python scalars and lists have no dtype of their own: take the model's.
    py::object want = numpy_dtype(expected);
    arr = want.is_none() ? py::array(np.attr("asarray")(obj)) : py::array(np.attr("asarray")(obj, want));
  }
  py::dtype dt = arr.dtype();
  const top::DataType got = top_dtype(dt);
  if (got == top::DataType::kUndefined)
    throw py::value_error("input '" + name + "' has numpy dtype " + py::str(dt).cast<std::string>() +
                          ", which the runtime does not support");
  if (expected != top::DataType::kUndefined && got != expected)
    throw py::value_error("input '" + name + "' expects dtype " + top::dtype_name(expected) + ", got " +
                          py::str(dt).cast<std::string>());
  if (!dt.attr("isnative").cast<bool>()) arr = py::array(arr.attr("astype")(dt.attr("newbyteorder")("=")));
  const int flags = arr.flags();
  if (!(flags & py::array::c_style) || !(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
    arr = py::array(np.attr("array")(arr, py::arg("copy") = true, py::arg("order") = "C"));

  top::Shape shape(arr.shape(), arr.shape() + arr.ndim());
  PyObject* ref = arr.ptr();
  Py_INCREF(ref);
  std::shared_ptr<void> owner(ref, [](void* p) { release_py_object(static_cast<PyObject*>(p)); });
  return top::Tensor::wrap(got, std::move(shape), std::move(owner), const_cast<void*>(arr.data()),
                           static_cast<size_t>(arr.nbytes()));
}

// One output: a numpy array over the Tensor's storage (no copy), kept alive by a capsule
// that holds a copy of the Tensor. bfloat16 (no numpy dtype) comes back as float32.
py::object to_numpy(const top::Tensor& t) {
  if (!t.defined()) return py::none();
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  if (t.dtype() == top::DataType::kBFloat16) {
    py::array_t<float> out(shape);
    const auto* src = t.data<uint16_t>();
    float* dst = out.mutable_data();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const uint32_t bits = static_cast<uint32_t>(src[i]) << 16;
      std::memcpy(&dst[i], &bits, sizeof bits);
    }
    return std::move(out);
  }
  py::object dt = numpy_dtype(t.dtype());
  if (dt.is_none()) throw py::value_error(std::string("output of dtype ") + top::dtype_name(t.dtype()) + " has no numpy dtype");
  auto* keep = new top::Tensor(t);
  py::capsule base(keep, [](void* p) { delete static_cast<top::Tensor*>(p); });
  return py::array(py::reinterpret_borrow<py::dtype>(dt), shape, keep->raw_data(), base);
}

// What the bindings need of a model's signature.
struct Signature {
  std::vector<top::TensorInfo> inputs;
  std::vector<std::string> output_names;

  static Signature of(const top::Model& m) {
    Signature s;
    s.inputs = m.inputs();
    for (const top::TensorInfo& o : m.outputs()) s.output_names.push_back(o.name);
    return s;
  }
};

// `inputs`: a list/tuple in model input order, or a dict name -> array.
std::vector<top::Tensor> convert_inputs(const Signature* sig, py::handle inputs, bool* as_dict) {
  std::vector<top::Tensor> tensors;
  if (py::isinstance<py::dict>(inputs)) {
    *as_dict = true;
    if (!sig) throw py::value_error("inputs by name need a known model");
    auto d = py::reinterpret_borrow<py::dict>(inputs);
    for (const top::TensorInfo& in : sig->inputs) {
      py::str key(in.name);
      if (!d.contains(key)) throw py::value_error("input '" + in.name + "' is missing");
      tensors.push_back(to_tensor(d[key], in.name, in.dtype));
    }
    for (auto item : d) {
      const std::string k = py::str(item.first).cast<std::string>();
      bool known = false;
      for (const top::TensorInfo& in : sig->inputs) known |= in.name == k;
      if (!known) throw py::value_error("the model has no input named '" + k + "'");
    }
    return tensors;
  }
  *as_dict = false;
  if (py::isinstance<py::array>(inputs) || !(py::isinstance<py::list>(inputs) || py::isinstance<py::tuple>(inputs)))
    throw py::type_error("inputs must be a list (model input order) or a dict name -> array, e.g. run([x])");
  auto seq = py::reinterpret_borrow<py::sequence>(inputs);
  const size_t n = seq.size();
  if (sig && n != sig->inputs.size())
    throw py::value_error("model expects " + std::to_string(sig->inputs.size()) + " inputs, got " + std::to_string(n));
  for (size_t i = 0; i < n; ++i) {
    const top::TensorInfo* info = sig ? &sig->inputs[i] : nullptr;
    tensors.push_back(to_tensor(seq[i], info ? info->name : "#" + std::to_string(i),
                                info ? info->dtype : top::DataType::kUndefined));
  }
  return tensors;
}

py::object convert_outputs(const std::vector<top::Tensor>& outs, const std::vector<std::string>& names, bool as_dict) {
  if (as_dict) {
    py::dict d;
    for (size_t i = 0; i < outs.size(); ++i) d[py::str(i < names.size() ? names[i] : "#" + std::to_string(i))] = to_numpy(outs[i]);
    return std::move(d);
  }
  py::list l;
  for (const top::Tensor& t : outs) l.append(to_numpy(t));
  return std::move(l);
}

// ---- Session ---------------------------------------------------------------------------

struct PySession {
  std::unique_ptr<top::Session> session;
  Signature sig;

  py::object run(py::handle inputs) {
    drain_pending_decrefs();
    bool as_dict = false;
    std::vector<top::Tensor> tensors = convert_inputs(&sig, inputs, &as_dict);
    std::optional<top::Result<std::vector<top::Tensor>>> out;
    {
      py::gil_scoped_release release;
      out.emplace(session->run(tensors));
    }
    if (!out->ok()) throw_status(out->status());
    return convert_outputs(out->value(), sig.output_names, as_dict);
  }
};

// ---- Runtime ----------------------------------------------------------------------------

struct PyFuture {
  std::shared_future<top::TaskResult> future;
  std::vector<std::string> output_names;
  bool as_dict = false;
  std::string model;
  py::object outputs;  // converted once, then the same objects on every result()

  bool done() const { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }

  // Waits with the GIL released, waking every 50 ms for signals (Ctrl-C) and queued
  // reference drops. Returns whether the task ended.
  bool wait(std::optional<double> timeout_s) {
    auto f = future;  // a copy per waiting thread: shared_future's rule
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const double limit_s = std::max(0.0, timeout_s.value_or(0.0));
    while (true) {
      double slice_s = 0.05;
      if (timeout_s) {
        const double left = limit_s - std::chrono::duration<double>(Clock::now() - start).count();
        slice_s = std::max(0.0, std::min(slice_s, left));
      }
      bool ready;
      {
        py::gil_scoped_release release;
        ready = f.wait_for(std::chrono::duration<double>(slice_s)) == std::future_status::ready;
      }
      if (ready) return true;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      drain_pending_decrefs();
      if (timeout_s && std::chrono::duration<double>(Clock::now() - start).count() >= limit_s) return false;
    }
  }

  py::object result(std::optional<double> timeout_s) {
    if (!wait(timeout_s)) throw_timeout("task of model '" + model + "' did not finish within " + std::to_string(*timeout_s) + " s");
    drain_pending_decrefs();
    const top::TaskResult& r = future.get();
    if (!r.status.ok()) throw_status(r.status);
    if (!outputs) outputs = convert_outputs(r.outputs, output_names, as_dict);
    return outputs;
  }

  // A field of the finished task, None before it ends.
  template <class F>
  py::object info(F f) const {
    if (!done()) return py::none();
    return py::cast(f(future.get()));
  }
};

struct PyRuntime;
std::mutex g_runtimes_mu;
std::set<PyRuntime*> g_runtimes;  // live runtimes, shut down at interpreter exit

struct PyRuntime {
  std::unique_ptr<top::Runtime> rt;
  mutable std::mutex mu;
  std::map<std::string, Signature> sigs;

  explicit PyRuntime(std::unique_ptr<top::Runtime> r) : rt(std::move(r)) {
    std::lock_guard<std::mutex> lock(g_runtimes_mu);
    g_runtimes.insert(this);
  }
  ~PyRuntime() {
    {
      std::lock_guard<std::mutex> lock(g_runtimes_mu);
      g_runtimes.erase(this);
    }
    // ~Runtime joins its threads: never with the GIL held.
    py::gil_scoped_release release;
    rt.reset();
  }

  static std::unique_ptr<PyRuntime> create(const std::string& backend, int streams, int threads_per_stream,
                                           size_t queue_capacity, const std::optional<std::string>& policy,
                                           bool record_trace, bool block_when_full, int max_in_flight,
                                           const std::string& profile) {
    top::RuntimeConfig cfg;
    cfg.backend = backend;
    cfg.num_streams = streams;
    cfg.threads_per_stream = threads_per_stream;
    cfg.queue_capacity = queue_capacity;
    cfg.record_trace = record_trace;
    cfg.block_when_full = block_when_full;
    cfg.max_in_flight_instances = max_in_flight;
    cfg.profile = profile;
    if (policy) {
      auto spec = top::runtime::parse_policy(*policy);
      if (!spec.ok()) throw_status(spec.status());
      cfg.launch_policy = spec->launch;
      cfg.graph_policy = spec->graph;
      if (spec->one_task_at_a_time) {  // fifo: one stream with every thread (as toprt bench)
        cfg.threads_per_stream = streams * threads_per_stream;
        cfg.num_streams = 1;
      }
    }
    std::optional<top::Result<std::unique_ptr<top::Runtime>>> r;
    {
      py::gil_scoped_release release;
      r.emplace(top::Runtime::create(cfg));
    }
    if (!r->ok()) throw_status(r->status());
    return std::make_unique<PyRuntime>(std::move(r->value()));
  }

  void load_model(const std::string& name, const top::Model& model, double slo_ms) {
    drain_pending_decrefs();
    top::ModelOptions opts;
    opts.slo_ms = slo_ms;
    Signature sig = Signature::of(model);
    top::Status st;
    {
      py::gil_scoped_release release;
      st = rt->load_model(name, model, opts);
      if (st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        sigs[name] = std::move(sig);
      }
    }
    if (!st.ok()) throw_status(st);
  }

  void unload_model(const std::string& name) {
    drain_pending_decrefs();
    top::Status st;
    {
      py::gil_scoped_release release;
      st = rt->unload_model(name);
      if (st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        sigs.erase(name);
      }
    }
    if (!st.ok()) throw_status(st);
  }

  std::vector<std::string> models() const {
    py::gil_scoped_release release;
    return rt->models();
  }

  PyFuture submit(const std::string& name, py::handle inputs, int priority, std::optional<double> deadline_ms) {
    drain_pending_decrefs();
    std::optional<Signature> sig;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = sigs.find(name);
      if (it != sigs.end()) sig = it->second;
    }
    if (!sig) throw_status(top::NotFound("no model named '" + name + "' is loaded"));
    PyFuture fut;
    fut.model = name;
    fut.output_names = sig->output_names;
    std::vector<top::Tensor> tensors = convert_inputs(&*sig, inputs, &fut.as_dict);
    top::TaskOptions opts;
    opts.priority = priority;
    if (deadline_ms)
      opts.deadline = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          std::chrono::duration<double, std::milli>(*deadline_ms));
    auto promise = std::make_shared<std::promise<top::TaskResult>>();
    fut.future = promise->get_future().share();
    top::Status st;
    {
      py::gil_scoped_release release;
      st = rt->submit(
          name, std::move(tensors),
          [promise](top::TaskResult r) {
            try {
              promise->set_value(std::move(r));
            } catch (const std::future_error&) {  // "exactly once" is the runtime's promise; be safe
            }
          },
          opts);
    }
    if (!st.ok()) throw_status(st);
    return fut;
  }

  py::object stats() const {
    std::string j;
    {
      py::gil_scoped_release release;
      j = top::to_json(rt->stats());
    }
    return py::module_::import("json").attr("loads")(j);
  }

  std::string metrics() const {
    py::gil_scoped_release release;
    return top::to_prometheus(rt->stats());
  }

  void write_trace(const std::string& path) const {
    top::Status st;
    {
      py::gil_scoped_release release;
      st = rt->write_trace(path);
    }
    if (!st.ok()) throw_status(st);
  }

  void shutdown(bool drain) {
    {
      py::gil_scoped_release release;
      rt->shutdown(drain ? top::ShutdownMode::kDrain : top::ShutdownMode::kCancel);
    }
    drain_pending_decrefs();
  }
};

// atexit: cancel what is still queued and stop every runtime's threads before the
// interpreter finalizes (a runtime thread must not outlive it holding array references).
void shutdown_all_runtimes() {
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(g_runtimes_mu);
    for (PyRuntime* r : g_runtimes) r->rt->shutdown(top::ShutdownMode::kCancel);
  }
  drain_pending_decrefs();
}

py::tuple shape_tuple(const top::TensorInfo& t) {
  py::tuple out(t.shape.size());
  for (size_t i = 0; i < t.shape.size(); ++i)
    out[i] = t.shape[i] < 0 ? py::object(py::none()) : py::object(py::int_(t.shape[i]));
  return out;
}

std::string tensor_info_repr(const top::TensorInfo& t) {
  std::string s = "TensorInfo(name='" + t.name + "', dtype=" + top::dtype_name(t.dtype) + ", shape=(";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (i) s += ", ";
    if (t.shape[i] >= 0) s += std::to_string(t.shape[i]);
    else s += i < t.dim_names.size() && !t.dim_names[i].empty() ? "'" + t.dim_names[i] + "'" : "None";
  }
  if (t.shape.size() == 1) s += ",";
  return s + "))";
}

PyObject* new_exception(py::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = std::string("toprt.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(type));
  return type;  // the module keeps a reference; this one is never dropped either
}

}  // namespace

PYBIND11_MODULE(toprt, m) {
  m.doc() =
      "TOP runtime: ONNX inference on numpy arrays.\n\n"
      "Model loads and checks an ONNX file; Session runs one model synchronously; Runtime is the\n"
      "asynchronous multi-model runtime (submit() returns a Future). Inputs of the right dtype that are\n"
      "C-contiguous are used in place; outputs are numpy arrays over the runtime's own buffers.\n"
      "Errors are Python exceptions mapped from the runtime's status codes (see docs/python.md).";
  m.attr("__version__") = top::version();

  g_queue_full_error = new_exception(m, "QueueFullError", PyExc_RuntimeError,
                                     "A bounded queue is full (status ResourceExhausted): submit later.");
  g_unavailable_error = new_exception(m, "UnavailableError", PyExc_RuntimeError,
                                      "The runtime is shutting down, or the backend is absent (status Unavailable).");
  g_cancelled_error = new_exception(m, "CancelledError", PyExc_RuntimeError,
                                    "The task was cancelled: shutdown(drain=False) or unload_model (status Cancelled).");
  {
    // A KeyError (so `except KeyError` works) whose str() is the plain message.
    PyObject* type = PyErr_NewExceptionWithDoc(
        "toprt.NotFoundError", "A named model or input does not exist (status NotFound). Missing files raise FileNotFoundError.",
        PyExc_KeyError, nullptr);
    if (!type) throw py::error_already_set();
    py::object str_impl = py::reinterpret_borrow<py::object>(PyExc_Exception).attr("__str__");
    py::setattr(type, "__str__", str_impl);
    m.add_object("NotFoundError", py::reinterpret_borrow<py::object>(type));
    g_not_found_error = type;
  }

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      set_status_error(e.status, e.about_file);
    }
  });

  // ---- TensorInfo ----
  py::class_<top::TensorInfo>(m, "TensorInfo", "Name, dtype and shape of one model input or output.")
      .def_property_readonly("name", [](const top::TensorInfo& t) { return t.name; }, "The tensor's name in the graph.")
      .def_property_readonly("dtype", [](const top::TensorInfo& t) { return numpy_dtype(t.dtype); },
                             "Its numpy dtype (None for bfloat16, which numpy lacks).")
      .def_property_readonly("dtype_name", [](const top::TensorInfo& t) { return std::string(top::dtype_name(t.dtype)); },
                             "The runtime's name of its dtype ('float32', 'bfloat16', ...).")
      .def_property_readonly("shape", &shape_tuple, "Its shape: a tuple with None for symbolic or unknown dimensions.")
      .def_property_readonly("dim_names", [](const top::TensorInfo& t) { return t.dim_names; },
                             "The symbolic name of each dimension ('batch'), '' for fixed ones.")
      .def_property_readonly("sequence", [](const top::TensorInfo& t) { return t.sequence; },
                             "True for an ONNX seq(tensor) value (not runnable from Python).")
      .def_property_readonly("optional", [](const top::TensorInfo& t) { return t.optional; },
                             "True for an ONNX optional value.")
      .def("__repr__", &tensor_info_repr, "A readable summary.");

  // ---- Model ----
  py::class_<top::Model>(m, "Model",
                         "An ONNX model, loaded and checked (every operator is created at load, so an unsupported one\n"
                         "fails here). Immutable; may be shared by several Sessions and Runtimes.")
      .def_static(
          "load",
          [](const std::string& path) {
            std::optional<top::Result<top::Model>> r;
            {
              py::gil_scoped_release release;
              r.emplace(top::Model::load(path));
            }
            if (!r->ok()) throw_status(r->status(), /*about_file=*/true);
            return std::move(r->value());
          },
          py::arg("path"),
          "Loads an .onnx file (external data is read from its folder). Raises FileNotFoundError when the\n"
          "file does not exist, ValueError when it is malformed or uses an unsupported operator.")
      .def_static(
          "load_from_bytes",
          [](py::bytes data, const std::string& base_dir) {
            char* p = nullptr;
            Py_ssize_t n = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &p, &n) != 0) throw py::error_already_set();
            std::optional<top::Result<top::Model>> r;
            {
              py::gil_scoped_release release;  // `data` (an argument) stays alive
              r.emplace(top::Model::load_from_memory(p, static_cast<size_t>(n), base_dir));
            }
            if (!r->ok()) throw_status(r->status(), /*about_file=*/true);
            return std::move(r->value());
          },
          py::arg("data"), py::arg("base_dir") = ".",
          "Loads a serialized ModelProto (e.g. onnx_model.SerializeToString()); external data files are\n"
          "looked up under base_dir.")
      .def_property_readonly("name", &top::Model::name, "The graph's name.")
      .def_property_readonly("opset", &top::Model::opset, "The default-domain opset version.")
      .def_property_readonly("num_nodes", &top::Model::num_nodes, "Number of nodes in the graph.")
      .def_property_readonly("inputs", &top::Model::inputs, "The inputs (list of TensorInfo), in the order run() takes them.")
      .def_property_readonly("outputs", &top::Model::outputs, "The outputs (list of TensorInfo), in the order run() returns them.")
      .def("__repr__", [](const top::Model& mo) {
        return "Model(name='" + mo.name() + "', opset=" + std::to_string(mo.opset()) +
               ", nodes=" + std::to_string(mo.num_nodes()) + ")";
      }, "A readable summary.");

  // ---- Session ----
  py::class_<PySession>(m, "Session",
                        "Synchronous inference of one model. run() may be called from several Python threads at once;\n"
                        "it releases the GIL while the model runs.")
      .def(py::init([](const top::Model& model, const std::string& backend, int threads) {
             top::SessionOptions opts;
             opts.backend = backend;
             opts.num_threads = threads;
             std::optional<top::Result<std::unique_ptr<top::Session>>> r;
             {
               py::gil_scoped_release release;
               r.emplace(top::Session::create(model, opts));
             }
             if (!r->ok()) throw_status(r->status());
             auto s = std::make_unique<PySession>();
             s->session = std::move(r->value());
             s->sig = Signature::of(model);
             return s;
           }),
           py::arg("model"), py::arg("backend") = "cpu", py::arg("threads") = 0,
           "Creates a session for `model` on `backend` ('cpu', or 'cuda' in CUDA builds on a GPU) with\n"
           "`threads` intra-op threads (0: all hardware threads).")
      .def("run", &PySession::run, py::arg("inputs"),
           "Runs the model. `inputs` is a list of arrays in model input order (returns a list of outputs\n"
           "in model output order) or a dict name -> array (returns a dict name -> output). Arrays of the\n"
           "model's dtype are used without a copy when C-contiguous (copied to be made contiguous\n"
           "otherwise); a wrong dtype raises ValueError. Outputs are numpy arrays over the runtime's\n"
           "buffers (no copy). The GIL is released while the model runs.")
      .def_property_readonly("model", [](const PySession& s) { return s.session->model(); }, "The session's Model.")
      .def_property_readonly("num_threads", [](const PySession& s) { return s.session->num_threads(); },
                             "Intra-op threads of the session's backend.");

  // ---- Future ----
  py::class_<PyFuture>(m, "Future",
                       "The result of Runtime.submit(): one task that ends exactly once, with outputs or an error.")
      .def("result", &PyFuture::result, py::arg("timeout") = py::none(),
           "Waits for the task (GIL released; Ctrl-C interrupts) and returns its outputs: a list, or a dict\n"
           "when the task was submitted with a dict. Raises the task's error (e.g. CancelledError,\n"
           "TimeoutError for a passed deadline), or TimeoutError when `timeout` seconds pass first.")
      .def("wait", [](PyFuture& f, std::optional<double> t) { return f.wait(t); }, py::arg("timeout") = py::none(),
           "Waits up to `timeout` seconds (None: until it ends); returns whether the task has ended.")
      .def("done", &PyFuture::done, "True once the task has ended (with outputs or an error).")
      .def_property_readonly("model", [](const PyFuture& f) { return f.model; }, "The model the task was submitted to.")
      .def_property_readonly("task_id", [](const PyFuture& f) { return f.info([](const top::TaskResult& r) { return r.task_id; }); },
                             "The runtime's id of the task; None until it ends.")
      .def_property_readonly("latency_ms", [](const PyFuture& f) { return f.info([](const top::TaskResult& r) { return r.latency_ms; }); },
                             "Milliseconds from submit to result; None until it ends.")
      .def_property_readonly("queue_ms", [](const PyFuture& f) { return f.info([](const top::TaskResult& r) { return r.queue_ms; }); },
                             "Milliseconds the task waited in its queue; None until it ends.")
      .def_property_readonly("status", [](const PyFuture& f) {
             return f.info([](const top::TaskResult& r) { return std::string(top::status_code_name(r.status.code())); });
           },
           "The task's status code name ('OK', 'Cancelled', ...); None until it ends.")
      .def("__repr__", [](const PyFuture& f) {
        return "<toprt.Future model='" + f.model + "' " + (f.done() ? "done" : "pending") + ">";
      }, "A readable summary.");

  // ---- Runtime ----
  py::class_<PyRuntime>(m, "Runtime",
                        "The asynchronous multi-model runtime: load models, submit tasks from any thread, get Futures.\n"
                        "Tasks wait in one bounded queue per model; the launch policy decides how they are grouped and\n"
                        "run on `streams` worker streams. Use as a context manager, or call shutdown().")
      .def(py::init(&PyRuntime::create), py::arg("backend") = "cpu", py::arg("streams") = 2,
           py::arg("threads_per_stream") = 1, py::arg("queue_capacity") = 1024, py::arg("policy") = py::none(),
           py::arg("record_trace") = false, py::arg("block_when_full") = false, py::arg("max_in_flight") = 0,
           py::arg("profile") = "",
           "Starts a runtime. `policy` is a spec string ('fifo', 'fixed:k=2,instances=2',\n"
           "'dynbatch:batch=4,delay=2,instances=2', each with an optional graph=merge-greedy|batch-...);\n"
           "None keeps the runtime's default (fifo). `queue_capacity` bounds each model's queue; a full\n"
           "queue makes submit() raise QueueFullError unless `block_when_full`. `max_in_flight`: schedule\n"
           "instances at once (0: 2 x streams). `profile`: a device profile JSON for the cost model.")
      .def("load_model", &PyRuntime::load_model, py::arg("name"), py::arg("model"), py::arg("slo_ms") = 0.0,
           "Adds `model` under `name` (ValueError if the name is taken); `slo_ms` is its latency objective,\n"
           "seen by the policies.")
      .def("unload_model", &PyRuntime::unload_model, py::arg("name"),
           "Removes a model: its queued tasks fail with CancelledError, running ones finish.")
      .def("models", &PyRuntime::models, "Names of the loaded models.")
      .def("submit", &PyRuntime::submit, py::arg("name"), py::arg("inputs"), py::arg("priority") = 0,
           py::arg("deadline_ms") = py::none(),
           "Queues one task and returns a Future. `inputs`: a list in model input order or a dict\n"
           "name -> array (then the Future's result is a dict). Arrays are used in place: do not modify\n"
           "them until the Future is done. Admission errors raise here: NotFoundError (unknown model),\n"
           "QueueFullError, UnavailableError (after shutdown), ValueError (wrong dtype or shape).\n"
           "`priority`: higher runs first within the model's queue; `deadline_ms`: a task not started\n"
           "within that many ms fails with TimeoutError.")
      .def("stats", &PyRuntime::stats,
           "A snapshot of the runtime's statistics as a dict (elapsed_s, throughput_per_s, models: per-model\n"
           "submitted/completed/failed/latency percentiles/queue lengths, streams: busy fractions).")
      .def("metrics", &PyRuntime::metrics, "The same statistics in Prometheus text exposition format.")
      .def("write_trace", &PyRuntime::write_trace, py::arg("path"),
           "Writes a Chrome/Perfetto trace of the operators run so far (needs record_trace=True).")
      .def("shutdown", &PyRuntime::shutdown, py::arg("drain") = true,
           "Stops the runtime (idempotent): drain=True runs every queued task first, drain=False cancels them\n"
           "(their Futures raise CancelledError). Returns when all tasks have ended. Later submits raise\n"
           "UnavailableError.")
      .def("__enter__", [](py::object self) { return self; }, "Returns the runtime.")
      .def("__exit__",
           [](PyRuntime& r, py::handle exc_type, py::handle, py::handle) { r.shutdown(exc_type.is_none()); },
           "Shuts the runtime down: drains the queues on a normal exit, cancels them when an exception\n"
           "is propagating.");

  m.def("_drain_pending_releases", &drain_pending_decrefs,
        "Drops references to input arrays that runtime threads have released (done automatically).");
  py::module_::import("atexit").attr("register")(py::cpp_function(&shutdown_all_runtimes));
}
