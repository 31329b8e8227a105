#include "ops/float16_promotion.h"

#include "util/half.h"

namespace top::ops {
namespace {

bool is_half(DataType t) { return t == DataType::kFloat16 || t == DataType::kBFloat16; }

Result<Tensor> to_float32(const Tensor& h) {
  TOP_ASSIGN_OR_RETURN(Tensor f, Tensor::allocate(DataType::kFloat32, h.shape()));
  halves_to_floats(h.dtype() == DataType::kBFloat16, h.data<uint16_t>(), f.data<float>(), h.numel());
  return f;
}

// Rounds f into h (float16 or bfloat16).
void to_half(const Tensor& f, Tensor& h) {
  floats_to_halves(h.dtype() == DataType::kBFloat16, f.data<float>(), h.data<uint16_t>(), f.numel());
}

class Float16ViaFloat32 final : public Op {
 public:
  explicit Float16ViaFloat32(std::shared_ptr<const Op> inner) : inner_(std::move(inner)) {}

  Status infer(InferContext& ctx) const override {
    std::vector<Tensor> promoted_constants(ctx.num_inputs());
    std::vector<ValueInfo> infos;
    DataType narrow = DataType::kFloat16;  // what float32 outputs become: the first 16-bit input's type
    for (size_t i = ctx.num_inputs(); i-- > 0;)
      if (is_half(ctx.input(i).dtype)) narrow = ctx.input(i).dtype;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      ValueInfo v = ctx.input(i);
      if (is_half(v.dtype)) {
        v.dtype = DataType::kFloat32;
        if (v.constant != nullptr) {
          TOP_ASSIGN_OR_RETURN(promoted_constants[i], to_float32(*v.constant));
          v.constant = &promoted_constants[i];
        }
      }
      infos.push_back(v);
    }
    InferContext inner(ctx.node_name(), std::move(infos), ctx.num_outputs());
    const Status st = inner_->infer(inner);
    for (size_t i : inner.missing_constants()) (void)ctx.constant_input(i);  // so the planner can name them
    TOP_RETURN_IF_ERROR(st);
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
      const ValueInfo& o = inner.output(i);
      if (!o.present()) continue;
      if (const Tensor* value = inner.output_value(i); value != nullptr && o.dtype != DataType::kFloat32) {
        ctx.set_output_value(i, *value);
      } else {
        ctx.set_output(i, o.dtype == DataType::kFloat32 ? narrow : o.dtype, o.shape);
      }
    }
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    std::vector<Tensor> promoted(ctx.num_inputs());
    std::vector<const Tensor*> ins;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) {
        ins.push_back(nullptr);
      } else if (is_half(ctx.input(i).dtype())) {
        TOP_ASSIGN_OR_RETURN(promoted[i], to_float32(ctx.input(i)));
        ins.push_back(&promoted[i]);
      } else {
        ins.push_back(&ctx.input(i));
      }
    }
    std::vector<Tensor> wide(ctx.num_outputs());
    std::vector<Tensor*> outs;
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
      if (!ctx.has_output(i)) {
        outs.push_back(nullptr);
      } else if (is_half(ctx.output(i).dtype())) {
        TOP_ASSIGN_OR_RETURN(wide[i], Tensor::allocate(DataType::kFloat32, ctx.output(i).shape()));
        outs.push_back(&wide[i]);
      } else {
        outs.push_back(&ctx.output(i));
      }
    }
    TOP_RETURN_IF_ERROR(inner_->compute(KernelContext(ins, outs, ctx.pool())));
    for (size_t i = 0; i < wide.size(); ++i)
      if (wide[i].defined()) to_half(wide[i], ctx.output(i));
    return Status::Ok();
  }

  ir::OpCost cost(const InferContext& ctx) const override { return inner_->cost(ctx); }

 private:
  std::shared_ptr<const Op> inner_;
};

}  // namespace

std::shared_ptr<const Op> float16_via_float32(std::shared_ptr<const Op> inner) {
  return std::make_shared<Float16ViaFloat32>(std::move(inner));
}

bool has_float16_input(const std::vector<ValueInfo>& inputs) {
  for (const ValueInfo& v : inputs)
    if (is_half(v.dtype)) return true;
  return false;
}

}  // namespace top::ops
