#include "ops/onednn/onednn_conv.h"

#include <algorithm>
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
tag blocked_tag(size_t rank, int block) {
  if (block == 16) return rank == 3 ? tag::nCw16c : rank == 4 ? tag::nChw16c : tag::nCdhw16c;
  return rank == 3 ? tag::nCw8c : rank == 4 ? tag::nChw8c : tag::nCdhw8c;
}
// The layout a plan gives a tensor (KernelContext::input_block): plain, or blocked by B.
memory::desc layout_desc(const Shape& shape, int block) {
  return memory::desc(dims_of(shape), memory::data_type::f32,
                      block > 0 ? blocked_tag(shape.size(), block) : plain_tag(shape.size()));
}
tag plain_weight_tag(size_t rank, bool grouped) {
  if (grouped) return rank == 3 ? tag::goiw : rank == 4 ? tag::goihw : tag::goidhw;
  return rank == 3 ? tag::oiw : rank == 4 ? tag::oihw : tag::oidhw;
}

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

// The step's layouts as the plan gives them: input X, output Y, fused residual Z.
struct StepLayouts {
  int x = 0, y = 0, z = 0;
  bool operator==(const StepLayouts& o) const { return x == o.x && y == o.y && z == o.z; }
};

// The convolution's geometry, to build its descriptor for given activation layouts.
struct ConvGeometry {
  memory::dims strides, dil, pad_l, pad_r;
};

// One compiled form of the step for one team size and one set of layouts. oneDNN fixes
// a primitive's thread decomposition when its descriptor is created (from the creating
// thread's OpenMP team size) and then asks for exactly that many threads, whatever the
// caller's team: so each stream thread count gets its own primitive, created under
// that count. A layout that differs from the primitive's is reordered at the step (the
// reorders are null where the plan's layout is the primitive's own).
struct ConvVariant {
  int threads = 0;
  StepLayouts layouts;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory packed_w;
  memory::desc x_md, y_md, z_md;  // the plan's layouts
  dnnl::reorder x_reorder, y_reorder, z_reorder;
};

class OnednnConv final : public Op {
 public:
  OnednnConv(OnednnConvSpec spec, ConvGeometry geom, dnnl::primitive_attr attr, std::string impl, bool act_in_post_ops,
             Tensor weights, Tensor bias, std::shared_ptr<const Op> reference)
      : spec_(std::move(spec)),
        geom_(std::move(geom)),
        attr_(std::move(attr)),
        act_in_post_ops_(act_in_post_ops),
        weights_(std::move(weights)),
        bias_(std::move(bias)),
        reference_(std::move(reference)) {
    name_ = "onednn:" + impl;
  }

  // The primitive oneDNN would choose for plain X and Y (any layout inside).
  dnnl::convolution_forward::primitive_desc probe(const memory::desc& x_md, const memory::desc& y_md) const {
    return make_pd(StepLayouts{}, x_md, y_md);
  }
  void set_name(std::string name) { name_ = std::move(name); }

  Status infer(InferContext& ctx) const override { return reference_->infer(ctx); }
  ir::OpCost cost(const InferContext& ctx) const override { return reference_->cost(ctx); }
  std::string kernel_name() const override { return name_; }
  // X, the residual Z and Y in either layout: the primitive reads and writes blocked.
  BlockedLayouts blocked_layouts(const InferContext&) const override {
    BlockedLayouts b;
    b.inputs = 1u | (spec_.has_sum ? 1u << 3 : 0u);
    b.outputs = 1u;
    return b;
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const StepLayouts layouts{ctx.input_block(0), ctx.output_block(0), spec_.has_sum ? ctx.input_block(3) : 0};
    // The plan's shapes and weights, or the reference kernel (a caller reusing the step
    // with other tensors gets the right answer, only slower; only in plain layouts).
    if (x.shape() != spec_.x || y.shape() != spec_.y || ctx.input(1).data<float>() != weights_.data<float>()) {
      if (layouts.x || layouts.y || layouts.z) return Internal("Conv: blocked tensors of other shapes than planned");
      return reference_->compute(ctx);
    }
    if (spec_.has_sum && ctx.input(3).shape() != spec_.y)
      return InvalidArgument("Conv: fused sum input " + shape_str(ctx.input(3).shape()) + " must be " + shape_str(spec_.y));
    try {
      const int threads = std::max(ctx.num_threads(), 1);
      onednn::use_threads(threads);
      TOP_ASSIGN_OR_RETURN(const ConvVariant* v, variant(threads, layouts));
      const auto& pd = v->pd;
      dnnl::stream& strm = onednn::thread_stream();
      const dnnl::engine& eng = onednn::engine();
      onednn::Scratch& scratch = onednn::thread_scratch();
      memory user_x(v->x_md, eng, const_cast<float*>(x.data<float>()));
      memory user_y(v->y_md, eng, y.data<float>());
      memory src = v->x_reorder ? memory(pd.src_desc(), eng, scratch.get(0, pd.src_desc().get_size())) : user_x;
      memory dst = v->y_reorder ? memory(pd.dst_desc(), eng, scratch.get(1, pd.dst_desc().get_size())) : user_y;
      if (v->x_reorder) v->x_reorder.execute(strm, user_x, src);
      if (spec_.has_sum) {  // the sum post-op adds what dst holds: Z
        const Tensor& z = ctx.input(3);
        memory user_z(v->z_md, eng, const_cast<float*>(z.data<float>()));
        if (v->z_reorder)
          v->z_reorder.execute(strm, user_z, dst);
        else
          std::memcpy(dst.get_data_handle(), z.data<float>(), pd.dst_desc().get_size());
      }
      memory pad(pd.scratchpad_desc(), eng, scratch.get(2, pd.scratchpad_desc().get_size()));
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, v->packed_w}, {DNNL_ARG_DST, dst},
                                           {DNNL_ARG_SCRATCHPAD, pad}};
      if (bias_.defined()) args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), eng, const_cast<float*>(bias_.data<float>())));
      v->conv.execute(strm, args);
      if (spec_.act.active() && !act_in_post_ops_) {
        // On the primitive's own output while it is still in cache; a blocked layout's
        // padding channels take the activation too, and the reorder drops them.
        strm.wait();
        float* p = static_cast<float*>(dst.get_data_handle());
        const int64_t n = static_cast<int64_t>(pd.dst_desc().get_size() / sizeof(float));
        ctx.parallel_for(n, 16384, [&](int64_t b, int64_t e) { spec_.act.apply(p + b, e - b); });
      }
      if (v->y_reorder) v->y_reorder.execute(strm, dst, user_y);
      strm.wait();
      return Status::Ok();
    } catch (const dnnl::error& e) {
      return Internal("Conv (" + name_ + "): " + e.what());
    }
  }

 private:
  dnnl::convolution_forward::desc make_desc(const memory::desc& src, const memory::desc& dst) const {
    const auto f32 = memory::data_type::f32;
    memory::dims wd = dims_of(spec_.w);
    if (spec_.group > 1) {  // oneDNN's grouped weights: [G, O/G, I/G, k...]
      wd[0] /= spec_.group;
      wd.insert(wd.begin(), spec_.group);
    }
    const memory::desc wmd(wd, f32, tag::any);
    const auto kind = dnnl::prop_kind::forward_inference;
    const auto algo = dnnl::algorithm::convolution_direct;
    if (bias_.defined())
      return dnnl::convolution_forward::desc(kind, algo, src, wmd, memory::desc({spec_.w[0]}, f32, tag::a), dst,
                                             geom_.strides, geom_.dil, geom_.pad_l, geom_.pad_r);
    return dnnl::convolution_forward::desc(kind, algo, src, wmd, dst, geom_.strides, geom_.dil, geom_.pad_l,
                                           geom_.pad_r);
  }

  // The primitive for the plan's layouts: created in exactly those layouts when oneDNN
  // has a fast kernel for them (no reorder at the step), else in the layouts it prefers.
  dnnl::convolution_forward::primitive_desc make_pd(const StepLayouts& l, const memory::desc& x_md,
                                                    const memory::desc& y_md) const {
    const dnnl::engine& eng = onednn::engine();
    if (l.x || l.y) {
      try {
        const memory::desc src = l.x ? x_md : memory::desc(dims_of(spec_.x), memory::data_type::f32, tag::any);
        const memory::desc dst = l.y ? y_md : memory::desc(dims_of(spec_.y), memory::data_type::f32, tag::any);
        dnnl::convolution_forward::primitive_desc pd(make_desc(src, dst), attr_, eng);
        if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) return pd;
      } catch (const dnnl::error&) {
      }
    }
    const memory::desc any_x(dims_of(spec_.x), memory::data_type::f32, tag::any);
    const memory::desc any_y(dims_of(spec_.y), memory::data_type::f32, tag::any);
    return dnnl::convolution_forward::primitive_desc(make_desc(any_x, any_y), attr_, eng);
  }

  // The step compiled for `threads` (the calling thread's team is already that size)
  // and the plan's layouts: on first use, the primitive, its reorders and the weights
  // packed into its layout — packed once per layout, shared by the variants that agree
  // on it. Once per plan and team size; every task and stream of that size shares it.
  Result<const ConvVariant*> variant(int threads, const StepLayouts& layouts) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& v : variants_)
      if (v->threads == threads && v->layouts == layouts) return v.get();
    const dnnl::engine& eng = onednn::engine();
    auto v = std::make_unique<ConvVariant>();
    v->threads = threads;
    v->layouts = layouts;
    v->x_md = layout_desc(spec_.x, layouts.x);
    v->y_md = layout_desc(spec_.y, layouts.y);
    v->z_md = layout_desc(spec_.y, layouts.z);
    v->pd = make_pd(layouts, v->x_md, v->y_md);
    v->conv = dnnl::convolution_forward(v->pd);
    for (const auto& other : variants_)
      if (other->pd.weights_desc() == v->pd.weights_desc()) v->packed_w = other->packed_w;
    if (!v->packed_w) {
      const size_t rank = spec_.w.size();
      const bool grouped = spec_.group > 1;
      memory::dims wd = dims_of(spec_.w);
      if (grouped) {
        wd[0] /= spec_.group;
        wd.insert(wd.begin(), spec_.group);
      }
      memory user_w(memory::desc(wd, memory::data_type::f32, plain_weight_tag(rank, grouped)), eng,
                    const_cast<float*>(weights_.data<float>()));
      v->packed_w = memory(v->pd.weights_desc(), eng);
      dnnl::stream strm(eng);
      dnnl::reorder(user_w, v->packed_w).execute(strm, user_w, v->packed_w);
      strm.wait();
    }
    auto reorder = [&](const memory::desc& from, const memory::desc& to) {
      return dnnl::reorder(dnnl::reorder::primitive_desc(eng, from, eng, to));
    };
    if (v->pd.src_desc() != v->x_md) v->x_reorder = reorder(v->x_md, v->pd.src_desc());
    if (v->pd.dst_desc() != v->y_md) v->y_reorder = reorder(v->pd.dst_desc(), v->y_md);
    if (spec_.has_sum && v->pd.dst_desc() != v->z_md) v->z_reorder = reorder(v->z_md, v->pd.dst_desc());
    variants_.push_back(std::move(v));
    return variants_.back().get();
  }

  const OnednnConvSpec spec_;
  const ConvGeometry geom_;
  const dnnl::primitive_attr attr_;
  const bool act_in_post_ops_;
  const Tensor weights_, bias_;
  const std::shared_ptr<const Op> reference_;
  std::string name_;

  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<ConvVariant>> variants_;
};

}  // namespace

std::shared_ptr<const Op> make_onednn_conv(const OnednnConvSpec& spec, const Tensor& weights, const Tensor* bias,
                                           std::shared_ptr<const Op> reference) {
  if (!onednn_enabled()) return nullptr;
  const size_t rank = spec.x.size();
  if (rank < 3 || rank > 5 || spec.w.size() != rank || spec.y.size() != rank) return nullptr;
  if (shape_numel(spec.x) == 0 || shape_numel(spec.y) == 0 || spec.x[1] == 0) return nullptr;
  const WindowGeometry& g = spec.geometry;
  ConvGeometry geom;
  for (size_t d = 0; d < g.kernel.size(); ++d) {
    geom.strides.push_back(g.strides[d]);
    geom.dil.push_back(g.dilations[d] - 1);  // oneDNN counts the gaps
    geom.pad_l.push_back(g.pad_begin[d]);
    geom.pad_r.push_back(g.pad_end[d]);
  }
  try {
    dnnl::post_ops po;
    if (spec.has_sum) po.append_sum(1.0f);
    const bool act_in_post_ops = spec.act.active() && append_activation(spec.act, po);
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // per-thread scratch: any stream may run it
    auto conv = std::make_shared<OnednnConv>(spec, geom, attr, "", act_in_post_ops, weights, bias ? *bias : Tensor(),
                                             std::move(reference));
    // Created here only to learn whether oneDNN has a kernel for the step (and its
    // name); the primitive itself is built per team size and layouts on first use.
    const memory::desc x_md = layout_desc(spec.x, 0), y_md = layout_desc(spec.y, 0);
    auto pd = conv->probe(x_md, y_md);
    const std::string impl = pd.impl_info_str();
    // The reference implementation is slower than our own kernels: leave those steps to them.
    if (impl.rfind("ref", 0) == 0) return nullptr;
    conv->set_name("onednn:" + impl);
    return conv;
  } catch (const dnnl::error&) {
    return nullptr;  // no primitive for this shape: the reference kernel runs it
  }
}

int onednn_channel_block() {
  if (!onednn_enabled()) return 0;
  const auto has = [](dnnl::cpu_isa isa) {
    const auto have = static_cast<unsigned>(dnnl::get_effective_cpu_isa()), want = static_cast<unsigned>(isa);
    return (have & want) == want;
  };
  if (has(dnnl::cpu_isa::avx512_core)) return 16;
  if (has(dnnl::cpu_isa::avx2)) return 8;
  return 0;
}

}  // namespace top::ops
