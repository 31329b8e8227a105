// Signal windows on the CPU: HannWindow, HammingWindow, BlackmanWindow (opset 17). The
// size input decides the output's shape, so it is read when planning (a graph input is
// planned by value, docs/guide.md).
#include "ops/families.h"
#include "ops/op_util.h"
#include "ops/window.h"

namespace top::ops {
namespace {

class WindowOp final : public Op {
 public:
  explicit WindowOp(WindowKind kind, const char* name) : kind_(kind), name_(name) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(dtype_, window_dtype(attrs, std::string(name_) + ": "));
    periodic_ = attrs.get_int("periodic", 1) != 0;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name_, ctx);
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> size, constant_ints(ctx, 0, name_, "size"));
    if (size.size() != 1 || size[0] < 0 || size[0] > (int64_t{1} << 40))
      return InvalidArgument(p + "size must be one value in [0, 2^40]");
    ctx.set_output(0, dtype_, {size[0]});
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    const int64_t n = y.numel();
    if (y.dtype() == DataType::kFloat32) {
      float* out = y.data<float>();
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(window_value(kind_, i, n, periodic_));
    } else {
      double* out = y.data<double>();
      for (int64_t i = 0; i < n; ++i) out[i] = window_value(kind_, i, n, periodic_);
    }
    return Status::Ok();
  }

 private:
  WindowKind kind_;
  const char* name_;
  DataType dtype_ = DataType::kFloat32;
  bool periodic_ = true;
};

}  // namespace

void register_signal_ops(OpRegistry& r) {
  r.add("HannWindow", 17, [] { return std::make_unique<WindowOp>(WindowKind::kHann, "HannWindow"); });
  r.add("HammingWindow", 17, [] { return std::make_unique<WindowOp>(WindowKind::kHamming, "HammingWindow"); });
  r.add("BlackmanWindow", 17, [] { return std::make_unique<WindowOp>(WindowKind::kBlackman, "BlackmanWindow"); });
}

}  // namespace top::ops
