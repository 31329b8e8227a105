#include "op_test_util.h"

#include <cstring>
#include <limits>
#include <memory>

#include "util/thread_pool.h"

namespace top::testing {

ir::Attribute a_int(int64_t v) { return ir::Attribute::of_int(v); }
ir::Attribute a_ints(std::vector<int64_t> v) { return ir::Attribute::of_ints(std::move(v)); }
ir::Attribute a_float(float v) { return ir::Attribute::of_float(v); }
ir::Attribute a_floats(std::vector<float> v) { return ir::Attribute::of_floats(std::move(v)); }
ir::Attribute a_str(std::string v) { return ir::Attribute::of_string(std::move(v)); }
ir::Attribute a_tensor(Tensor t) { return ir::Attribute::of_tensor(std::move(t)); }
ir::Attributes attrs_of(std::initializer_list<std::pair<const char*, ir::Attribute>> items) {
  ir::Attributes a;
  for (const auto& kv : items) a.set(kv.first, kv.second);
  return a;
}

Tensor i64(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }
Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }
Tensor f32v(std::vector<float> v) { return f32({static_cast<int64_t>(v.size())}, v); }

Result<std::unique_ptr<ops::Op>> create_op(const std::string& type, int opset, const std::string& name) {
  ir::Node node;
  node.name = name;
  node.op_type = type;
  node.opset = opset;
  return ops::OpRegistry::builtin().create(node);
}

OpRun run_op_with(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                  const RunOptions& opts) {
  OpRun r;
  ir::Node node;
  node.name = "n0";
  node.op_type = type;
  node.opset = opts.opset;
  node.attrs = attrs;
  Result<std::unique_ptr<ops::Op>> op = ops::OpRegistry::builtin().create(node);
  if (!op.ok()) {
    r.status = op.status();
    return r;
  }
  std::vector<ops::ValueInfo> infos;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    const bool constant = opts.inputs_as_constants &&
                          std::find(opts.runtime_only.begin(), opts.runtime_only.end(), i) == opts.runtime_only.end();
    infos.push_back(t.defined() ? ops::ValueInfo{t.dtype(), t.shape(), constant ? &t : nullptr} : ops::ValueInfo{});
  }
  ops::InferContext ictx("n0", infos, opts.num_outputs);
  r.status = (*op)->infer(ictx);
  if (!r.status.ok()) return r;
  std::vector<Tensor*> outs;
  r.outputs.resize(opts.num_outputs);
  for (size_t i = 0; i < opts.num_outputs; ++i) {
    r.outputs[i] = Tensor::zeros(ictx.output(i).dtype, ictx.output(i).shape);
    if (!opts.nan_fill) {
      std::memset(r.outputs[i].raw_data(), 0xAB, r.outputs[i].nbytes());
    } else if (r.outputs[i].dtype() == DataType::kFloat32) {
      float* p = r.outputs[i].data<float>();
      std::fill(p, p + r.outputs[i].numel(), std::numeric_limits<float>::quiet_NaN());
    }
    outs.push_back(&r.outputs[i]);
  }
  std::vector<const Tensor*> ins;
  for (const Tensor& t : inputs) ins.push_back(t.defined() ? &t : nullptr);
  ThreadPool pool(opts.threads);
  ops::KernelContext kctx(ins, outs, &pool);
  if (!opts.in_blocks.empty() || !opts.out_blocks.empty()) kctx.set_blocks(&opts.in_blocks, &opts.out_blocks);
  r.status = (*op)->compute(kctx);
  return r;
}

OpRun run_op(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs, int opset,
             int threads, size_t num_outputs, std::vector<size_t> runtime_only) {
  RunOptions o;
  o.opset = opset;
  o.threads = threads;
  o.num_outputs = num_outputs;
  o.runtime_only = std::move(runtime_only);
  return run_op_with(type, attrs, inputs, o);
}

OpRun run_kernel(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs, int threads,
                 size_t num_outputs, int opset) {
  RunOptions o;
  o.opset = opset;
  o.threads = threads;
  o.num_outputs = num_outputs;
  o.inputs_as_constants = false;
  o.nan_fill = true;
  return run_op_with(type, attrs, inputs, o);
}

double rel_error(const Tensor& out, const std::vector<float>& ref) {
  double max_ref = 0, max_diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref[i])));
    const double d = std::fabs(static_cast<double>(out.data<float>()[i]) - ref[i]);
    max_diff = std::isnan(d) ? std::numeric_limits<double>::infinity() : std::max(max_diff, d);
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

std::vector<double> ref_map(const Tensor& x, const std::function<double(double)>& f) {
  std::vector<double> r;
  for (int64_t i = 0; i < x.numel(); ++i) r.push_back(f(x.data<float>()[i]));
  return r;
}

std::vector<int64_t> ref_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> s(out.size(), 0);
  int64_t st = 1;
  for (size_t i = in.size(); i-- > 0;) {
    s[out.size() - in.size() + i] = in[i] == 1 ? 0 : st;
    st *= in[i];
  }
  return s;
}

int64_t ref_offset(int64_t flat, const Shape& out, const std::vector<int64_t>& strides) {
  int64_t off = 0;
  for (size_t d = out.size(); d-- > 0;) {
    off += (flat % out[d]) * strides[d];
    flat /= out[d];
  }
  return off;
}

std::vector<int64_t> unravel(int64_t i, const Shape& dims) {
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = i % dims[d];
    i /= dims[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t o = 0;
  for (size_t d = 0; d < s.size(); ++d) o = o * s[d] + idx[d];
  return o;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.nbytes() == b.nbytes() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace top::testing
