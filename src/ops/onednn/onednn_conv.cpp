#include "ops/onednn/onednn_conv.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ops/onednn/onednn_runtime.h"

namespace top::ops {

bool onednn_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("TOP_ONEDNN");
    return !(e && std::strcmp(e, "0") == 0);
  }();
  return on;
}

namespace {

using dnnl::memory;
using tag = memory::format_tag;

memory::dims dims_of(const Shape& s) { return memory::dims(s.begin(), s.end()); }

tag plain_tag(size_t rank) { return rank == 3 ? tag::ncw : rank == 4 ? tag::nchw : tag::ncdhw; }
tag plain_weight_tag(size_t rank, bool grouped) {
  if (grouped) return rank == 3 ? tag::goiw : rank == 4 ? tag::goihw : tag::goidhw;
  return rank == 3 ? tag::oiw : rank == 4 ? tag::oihw : tag::oidhw;
}

// Blocked activations (nChw16c/8c) pay two reorders per step while no neighbour speaks
// them (a plan keeps NCHW between steps), yet win everywhere measured: oneDNN 2.6's
// plain-layout convolutions are its GEMM ones, 5-10x slower on resnet50's 1x1 layers
// once a sum or activation post-op is attached (AVX-512 EPYC, one thread), while the
// reorders cost about 2% of the model. Kept as one place to decide per step.
bool prefer_blocked(const OnednnConvSpec&) { return true; }

// The fused activation as a oneDNN eltwise post-op, where oneDNN's result is the
// reference's (conv_util.h), NaN included (tests/unit/onednn_conv_test.cpp): oneDNN's
// relu turns NaN into 0, so Relu and LeakyRelu, like the activations oneDNN 2.6 lacks,
// run after the primitive with FusedActivation::apply.
bool append_activation(const FusedActivation& act, dnnl::post_ops& po) {
  using K = FusedActivation::Kind;
  switch (act.kind) {
    case K::kTanh: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f); return true;
    case K::kSigmoid: po.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f); return true;
    default: return false;
  }
}

class OnednnConv final : public Op {
 public:
  OnednnConv(OnednnConvSpec spec, dnnl::convolution_forward::primitive_desc pd, bool act_in_post_ops, Tensor weights,
             Tensor bias, std::shared_ptr<const Op> reference)
      : spec_(std::move(spec)),
        pd_(std::move(pd)),
        act_in_post_ops_(act_in_post_ops),
        weights_(std::move(weights)),
        bias_(std::move(bias)),
        reference_(std::move(reference)) {
    const size_t rank = spec_.x.size();
    plain_x_ = memory::desc(dims_of(spec_.x), memory::data_type::f32, plain_tag(rank));
    plain_y_ = memory::desc(dims_of(spec_.y), memory::data_type::f32, plain_tag(rank));
    name_ = std::string("onednn:") + pd_.impl_info_str() + (pd_.src_desc() == plain_x_ ? "" : " (blocked)");
  }

  Status infer(InferContext& ctx) const override { return reference_->infer(ctx); }
  ir::OpCost cost(const InferContext& ctx) const override { return reference_->cost(ctx); }
  std::string kernel_name() const override { return name_; }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    // The plan's shapes and weights, or the reference kernel (a caller reusing the step
    // with other tensors gets the right answer, only slower).
    if (x.shape() != spec_.x || y.shape() != spec_.y || ctx.input(1).data<float>() != weights_.data<float>())
      return reference_->compute(ctx);
    try {
      std::call_once(built_, [&] { build(); });
      if (!build_status_.ok()) return build_status_;
      onednn::use_threads(ctx.num_threads());
      dnnl::stream& strm = onednn::thread_stream();
      const dnnl::engine& eng = onednn::engine();
      onednn::Scratch& scratch = onednn::thread_scratch();
      const bool blocked_x = pd_.src_desc() != plain_x_, blocked_y = pd_.dst_desc() != plain_y_;
      memory user_x(plain_x_, eng, const_cast<float*>(x.data<float>()));
      memory user_y(plain_y_, eng, y.data<float>());
      memory src = blocked_x ? memory(pd_.src_desc(), eng, scratch.get(0, pd_.src_desc().get_size())) : user_x;
      memory dst = blocked_y ? memory(pd_.dst_desc(), eng, scratch.get(1, pd_.dst_desc().get_size())) : user_y;
      if (blocked_x) x_reorder_.execute(strm, user_x, src);
      if (spec_.has_sum) {  // the sum post-op adds what dst holds: Z
        const Tensor& z = ctx.input(3);
        if (z.shape() != spec_.y) return InvalidArgument("Conv: fused sum input " + shape_str(z.shape()) + " must be " + shape_str(spec_.y));
        memory user_z(plain_y_, eng, const_cast<float*>(z.data<float>()));
        if (blocked_y)
          z_reorder_.execute(strm, user_z, dst);
        else
          std::memcpy(y.data<float>(), z.data<float>(), static_cast<size_t>(y.numel()) * sizeof(float));
      }
      memory pad(pd_.scratchpad_desc(), eng, scratch.get(2, pd_.scratchpad_desc().get_size()));
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, packed_w_}, {DNNL_ARG_DST, dst},
                                           {DNNL_ARG_SCRATCHPAD, pad}};
      if (bias_.defined()) args.emplace(DNNL_ARG_BIAS, bias_mem_);
      conv_.execute(strm, args);
      if (spec_.act.active() && !act_in_post_ops_) {
        // On the primitive's own output while it is still in cache; a blocked layout's
        // padding channels take the activation too, and the reorder drops them.
        strm.wait();
        float* p = static_cast<float*>(dst.get_data_handle());
        const int64_t n = static_cast<int64_t>(pd_.dst_desc().get_size() / sizeof(float));
        ctx.parallel_for(n, 16384, [&](int64_t b, int64_t e) { spec_.act.apply(p + b, e - b); });
      }
      if (blocked_y) y_reorder_.execute(strm, dst, user_y);
      strm.wait();
      return Status::Ok();
    } catch (const dnnl::error& e) {
      return Internal(std::string("Conv (oneDNN ") + pd_.impl_info_str() + "): " + e.what());
    }
  }

 private:
  // First run: compile the primitive and the reorders, pack the weights. Once per plan.
  void build() const {
    try {
      const dnnl::engine& eng = onednn::engine();
      const size_t rank = spec_.w.size();
      const bool grouped = spec_.group > 1;
      memory::dims wd = dims_of(spec_.w);
      if (grouped) {  // oneDNN's grouped weights: [G, O/G, I/G, k...]
        wd[0] /= spec_.group;
        wd.insert(wd.begin(), spec_.group);
      }
      memory user_w(memory::desc(wd, memory::data_type::f32, plain_weight_tag(rank, grouped)), eng,
                    const_cast<float*>(weights_.data<float>()));
      packed_w_ = memory(pd_.weights_desc(), eng);
      dnnl::stream strm(eng);
      dnnl::reorder(user_w, packed_w_).execute(strm, user_w, packed_w_);
      strm.wait();
      if (bias_.defined())
        bias_mem_ = memory(pd_.bias_desc(), eng, const_cast<float*>(bias_.data<float>()));
      conv_ = dnnl::convolution_forward(pd_);
      auto reorder = [&](const memory::desc& from, const memory::desc& to) {
        return dnnl::reorder(dnnl::reorder::primitive_desc(eng, from, eng, to));
      };
      if (pd_.src_desc() != plain_x_) x_reorder_ = reorder(plain_x_, pd_.src_desc());
      if (pd_.dst_desc() != plain_y_) {
        y_reorder_ = reorder(pd_.dst_desc(), plain_y_);
        if (spec_.has_sum) z_reorder_ = reorder(plain_y_, pd_.dst_desc());
      }
      build_status_ = Status::Ok();
    } catch (const dnnl::error& e) {
      build_status_ = Internal(std::string("Conv (oneDNN ") + pd_.impl_info_str() + "): preparing the primitive: " + e.what());
    }
  }

  const OnednnConvSpec spec_;
  const dnnl::convolution_forward::primitive_desc pd_;
  const bool act_in_post_ops_;
  const Tensor weights_, bias_;
  const std::shared_ptr<const Op> reference_;
  memory::desc plain_x_, plain_y_;
  std::string name_;

  mutable std::once_flag built_;
  mutable Status build_status_ = Status::Ok();
  mutable dnnl::convolution_forward conv_;
  mutable memory packed_w_, bias_mem_;
  mutable dnnl::reorder x_reorder_, y_reorder_, z_reorder_;
};

}  // namespace

std::shared_ptr<const Op> make_onednn_conv(const OnednnConvSpec& spec, const Tensor& weights, const Tensor* bias,
                                           std::shared_ptr<const Op> reference) {
  if (!onednn_enabled()) return nullptr;
  const size_t rank = spec.x.size();
  if (rank < 3 || rank > 5 || spec.w.size() != rank || spec.y.size() != rank) return nullptr;
  if (shape_numel(spec.x) == 0 || shape_numel(spec.y) == 0 || spec.x[1] == 0) return nullptr;
  const WindowGeometry& g = spec.geometry;
  memory::dims strides, dil, pad_l, pad_r;
  for (size_t d = 0; d < g.kernel.size(); ++d) {
    strides.push_back(g.strides[d]);
    dil.push_back(g.dilations[d] - 1);  // oneDNN counts the gaps
    pad_l.push_back(g.pad_begin[d]);
    pad_r.push_back(g.pad_end[d]);
  }
  try {
    const dnnl::engine& eng = onednn::engine();
    const bool blocked = prefer_blocked(spec);
    const auto f32 = memory::data_type::f32;
    memory::desc src(dims_of(spec.x), f32, blocked ? tag::any : plain_tag(rank));
    memory::desc dst(dims_of(spec.y), f32, blocked ? tag::any : plain_tag(rank));
    memory::dims wd = dims_of(spec.w);
    if (spec.group > 1) {
      wd[0] /= spec.group;
      wd.insert(wd.begin(), spec.group);
    }
    memory::desc wmd(wd, f32, tag::any);
    dnnl::post_ops po;
    if (spec.has_sum) po.append_sum(1.0f);
    const bool act_in_post_ops = spec.act.active() && append_activation(spec.act, po);
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // per-thread scratch: any stream may run it
    auto make_desc = [&](const memory::desc* b) {
      return b ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                 src, wmd, *b, dst, strides, dil, pad_l, pad_r)
               : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                 src, wmd, dst, strides, dil, pad_l, pad_r);
    };
    memory::desc bmd({spec.w[0]}, f32, tag::a);
    auto pd = dnnl::convolution_forward::primitive_desc(make_desc(bias ? &bmd : nullptr), attr, eng);
    // The reference implementation is slower than our own kernels: leave those steps to them.
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return nullptr;
    return std::make_shared<OnednnConv>(spec, std::move(pd), act_in_post_ops, weights, bias ? *bias : Tensor(),
                                        std::move(reference));
  } catch (const dnnl::error&) {
    return nullptr;  // no primitive for this shape: the reference kernel runs it
  }
}

}  // namespace top::ops
