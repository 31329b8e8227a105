// Operators whose output shape depends on input values: NonZero, Compress, Unique and
// NonMaxSuppression.
//
// The planner needs every shape before a run, so these read the deciding input with
// constant_input() when planning: a weight or folded constant, or a graph input the
// session plans by value (docs/guide.md). With every input known the planner folds the
// node (it never runs as a step); Compress with a known condition and a run-time input
// does run, and selects what the plan decided. Each rule below is one function that
// both infer() (for the shapes) and compute() call.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// ---- NonZero --------------------------------------------------------------------------

// Row-major coordinates of the non-zero elements of x, as [rank, count].
Result<Tensor> nonzero_indices(const Tensor& x) {
  std::vector<int64_t> flat;
  for (int64_t i = 0; i < x.numel(); ++i)
    if (x.item_as_double(i) != 0.0) flat.push_back(i);
  const int64_t rank = x.rank(), n = static_cast<int64_t>(flat.size());
  TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(DataType::kInt64, {rank, n}));
  int64_t* o = out.data<int64_t>();
  for (int64_t j = 0; j < n; ++j) {
    int64_t rest = flat[static_cast<size_t>(j)];
    for (int64_t d = rank - 1; d >= 0; --d) {
      o[d * n + j] = rest % x.dim(d);
      rest /= x.dim(d);
    }
  }
  return out;
}

class NonZeroOp final : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("NonZero", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "NonZero"));
    const Tensor* x = ctx.constant_input(0);
    if (x == nullptr) return InvalidArgument(p + "the output's shape depends on X's values, unknown when planning");
    TOP_ASSIGN_OR_RETURN(Tensor out, nonzero_indices(*x));
    ctx.set_output(0, DataType::kInt64, out.shape());
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    TOP_ASSIGN_OR_RETURN(Tensor out, nonzero_indices(ctx.input(0)));
    if (out.shape() != ctx.output(0).shape()) return InvalidArgument("NonZero: X differs from the planned values");
    std::memcpy(ctx.output(0).raw_data(), out.raw_data(), out.nbytes());
    return Status::Ok();
  }
};

// ---- Compress -------------------------------------------------------------------------

// The indices along the axis (or into the flattened input) that condition keeps.
Result<std::vector<int64_t>> kept_indices(const Tensor& cond, int64_t extent, const std::string& p) {
  if (cond.dtype() != DataType::kBool || cond.rank() != 1)
    return InvalidArgument(p + "condition must be a 1-D bool tensor");
  if (cond.numel() > extent)
    return InvalidArgument(p + "condition has " + std::to_string(cond.numel()) + " entries for " +
                           std::to_string(extent) + " slices");
  std::vector<int64_t> kept;
  // Read as bytes: a model file may hold bool bytes other than 0 and 1 (loading such a
  // byte as bool is undefined behaviour); any non-zero byte is true.
  const auto* bytes = static_cast<const uint8_t*>(cond.raw_data());
  for (int64_t i = 0; i < cond.numel(); ++i)
    if (bytes[i] != 0) kept.push_back(i);
  return kept;
}

class CompressOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    has_axis_ = attrs.has("axis");
    axis_ = attrs.get_int("axis", 0);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Compress", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "Compress"));
    const Tensor* cond = ctx.constant_input(1);
    if (cond == nullptr)
      return InvalidArgument(p + "the output's shape depends on the condition's values, unknown when planning");
    TOP_ASSIGN_OR_RETURN(Shape out, out_shape(ctx.input_shape(0), *cond, p));
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& cond = ctx.input(1);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(Shape out, out_shape(x.shape(), cond, "Compress: "));
    if (out != y.shape()) return InvalidArgument("Compress: the condition differs from the planned values");
    const size_t es = dtype_size(x.dtype());
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    if (!has_axis_) {
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> kept, kept_indices(cond, x.numel(), "Compress: "));
      for (size_t j = 0; j < kept.size(); ++j) std::memcpy(dst + j * es, src + static_cast<size_t>(kept[j]) * es, es);
      return Status::Ok();
    }
    TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis_, x.rank(), "Compress: axis: "));
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> kept, kept_indices(cond, x.dim(a), "Compress: "));
    const SoftmaxSplit s = softmax_split(x.shape(), a, false);  // [outer, d, inner]
    const size_t slice = static_cast<size_t>(s.inner) * es;
    for (int64_t o = 0; o < s.outer; ++o)
      for (size_t j = 0; j < kept.size(); ++j)
        std::memcpy(dst + (static_cast<size_t>(o) * kept.size() + j) * slice,
                    src + (static_cast<size_t>(o * s.d + kept[j])) * slice, slice);
    return Status::Ok();
  }

 private:
  Result<Shape> out_shape(const Shape& x, const Tensor& cond, const std::string& p) const {
    if (!has_axis_) {
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> kept, kept_indices(cond, shape_numel(x), p));
      return Shape{static_cast<int64_t>(kept.size())};
    }
    TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis_, static_cast<int64_t>(x.size()), p + "axis: "));
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> kept, kept_indices(cond, x[static_cast<size_t>(a)], p));
    Shape out = x;
    out[static_cast<size_t>(a)] = static_cast<int64_t>(kept.size());
    return out;
  }
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

// ---- Unique ---------------------------------------------------------------------------

struct UniqueResult {
  Tensor y, indices, inverse, counts;
};

// Unique slices of x along `axis` (every element when axis < 0, x flattened): sorted
// ascending (slices compare lexicographically) or in order of first occurrence.
template <class T>
Result<UniqueResult> unique_of(const Tensor& x, int64_t axis, bool sorted) {
  const bool flat = axis < 0;
  const int64_t d = flat ? x.numel() : x.dim(axis);
  int64_t outer = 1, inner = 1;
  if (!flat) {
    for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
    for (int64_t i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  }
  const T* v = x.data<T>();
  // Slice i's elements: v[(o * d + i) * inner + k] for o < outer, k < inner.
  auto compare = [&](int64_t a, int64_t b) {  // -1, 0, 1
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k) {
        const T va = v[(o * d + a) * inner + k], vb = v[(o * d + b) * inner + k];
        if (va < vb) return -1;
        if (vb < va) return 1;
      }
    return 0;
  };
  std::vector<int64_t> order(static_cast<size_t>(d));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
  // Groups of equal slices in sorted order; each group's first occurrence is its
  // smallest index (stable sort keeps index order within a group).
  std::vector<int64_t> first, count, group_of(static_cast<size_t>(d));
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || compare(order[i - 1], order[i]) != 0) {
      first.push_back(order[i]);
      count.push_back(0);
    }
    group_of[static_cast<size_t>(order[i])] = static_cast<int64_t>(first.size()) - 1;
    ++count.back();
  }
  const int64_t u = static_cast<int64_t>(first.size());
  std::vector<int64_t> rank(static_cast<size_t>(u));  // output position of each sorted group
  std::iota(rank.begin(), rank.end(), 0);
  if (!sorted) {
    std::vector<int64_t> by_first(static_cast<size_t>(u));
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return first[a] < first[b]; });
    for (int64_t pos = 0; pos < u; ++pos) rank[static_cast<size_t>(by_first[pos])] = pos;
  }
  UniqueResult r;
  Shape y_shape = flat ? Shape{u} : x.shape();
  if (!flat) y_shape[static_cast<size_t>(axis)] = u;
  TOP_ASSIGN_OR_RETURN(r.y, Tensor::allocate(x.dtype(), y_shape));
  TOP_ASSIGN_OR_RETURN(r.indices, Tensor::allocate(DataType::kInt64, {u}));
  TOP_ASSIGN_OR_RETURN(r.inverse, Tensor::allocate(DataType::kInt64, {d}));
  TOP_ASSIGN_OR_RETURN(r.counts, Tensor::allocate(DataType::kInt64, {u}));
  T* y = r.y.data<T>();
  for (int64_t g = 0; g < u; ++g) {
    const int64_t at = rank[static_cast<size_t>(g)];
    r.indices.data<int64_t>()[at] = first[static_cast<size_t>(g)];
    r.counts.data<int64_t>()[at] = count[static_cast<size_t>(g)];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k) y[(o * u + at) * inner + k] = v[(o * d + first[static_cast<size_t>(g)]) * inner + k];
  }
  for (int64_t i = 0; i < d; ++i) r.inverse.data<int64_t>()[i] = rank[static_cast<size_t>(group_of[static_cast<size_t>(i)])];
  return r;
}

class UniqueOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    has_axis_ = attrs.has("axis");
    axis_ = attrs.get_int("axis", 0);
    sorted_ = attrs.get_int("sorted", 1) != 0;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Unique", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Unique"));
    const Tensor* x = ctx.constant_input(0);
    if (x == nullptr) return InvalidArgument(p + "the output's shape depends on X's values, unknown when planning");
    TOP_ASSIGN_OR_RETURN(UniqueResult r, run(*x, p));
    const Tensor* outs[4] = {&r.y, &r.indices, &r.inverse, &r.counts};
    for (size_t i = 0; i < ctx.num_outputs() && i < 4; ++i) ctx.set_output(i, outs[i]->dtype(), outs[i]->shape());
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    TOP_ASSIGN_OR_RETURN(UniqueResult r, run(ctx.input(0), "Unique: "));
    const Tensor* outs[4] = {&r.y, &r.indices, &r.inverse, &r.counts};
    for (size_t i = 0; i < ctx.num_outputs() && i < 4; ++i) {
      if (!ctx.has_output(i)) continue;
      if (ctx.output(i).shape() != outs[i]->shape()) return InvalidArgument("Unique: X differs from the planned values");
      std::memcpy(ctx.output(i).raw_data(), outs[i]->raw_data(), outs[i]->nbytes());
    }
    return Status::Ok();
  }

 private:
  Result<UniqueResult> run(const Tensor& x, const std::string& p) const {
    int64_t axis = -1;
    if (has_axis_) {
      TOP_ASSIGN_OR_RETURN(axis, norm_axis(axis_, x.rank(), p + "axis: "));
    }
    Result<UniqueResult> r = InvalidArgument(p + "unreachable");
    Status st = ew::dispatch<float, double, int64_t, int32_t, int8_t, uint8_t>(x.dtype(), "Unique", [&](auto tag) {
      using T = typename decltype(tag)::type;
      r = unique_of<T>(x, axis, sorted_);
      return r.status();
    });
    TOP_RETURN_IF_ERROR(st);
    return r;
  }
  bool has_axis_ = false, sorted_ = true;
  int64_t axis_ = 0;
};

// ---- NonMaxSuppression ----------------------------------------------------------------

// Per batch and class: boxes scoring above score_threshold, best first (ties: lower
// index first, as ONNX Runtime), kept unless their IoU with a kept box exceeds
// iou_threshold, at most max_output_boxes_per_class. Rows [batch, class, box].
Result<Tensor> nms_selection(const Tensor& boxes, const Tensor& scores, const Tensor* max_out, const Tensor* iou,
                             const Tensor* score_threshold, bool center_point, const std::string& p) {
  if (boxes.dtype() != DataType::kFloat32 || scores.dtype() != DataType::kFloat32)
    return Unsupported(p + "boxes and scores must be float32");
  if (boxes.rank() != 3 || boxes.dim(2) != 4 || scores.rank() != 3 || scores.dim(0) != boxes.dim(0) ||
      scores.dim(2) != boxes.dim(1))
    return InvalidArgument(p + "boxes " + shape_str(boxes.shape()) + " must be [B, N, 4] and scores " +
                           shape_str(scores.shape()) + " [B, C, N]");
  auto scalar = [&](const Tensor* t, DataType dt, const char* what) -> Status {
    if (t != nullptr && (t->dtype() != dt || t->numel() != 1))
      return InvalidArgument(p + what + " must hold one " + dtype_name(dt));
    return Status::Ok();
  };
  TOP_RETURN_IF_ERROR(scalar(max_out, DataType::kInt64, "max_output_boxes_per_class"));
  TOP_RETURN_IF_ERROR(scalar(iou, DataType::kFloat32, "iou_threshold"));
  TOP_RETURN_IF_ERROR(scalar(score_threshold, DataType::kFloat32, "score_threshold"));
  const int64_t limit = max_out ? std::max<int64_t>(0, max_out->data<int64_t>()[0]) : 0;
  const float iou_max = iou ? iou->data<float>()[0] : 0.0f;
  const bool thresholded = score_threshold != nullptr;
  const float min_score = thresholded ? score_threshold->data<float>()[0] : 0.0f;
  const int64_t nb = boxes.dim(0), nc = scores.dim(1), n = boxes.dim(1);
  // Corners (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2.
  auto corners = [&](int64_t b, int64_t i, float out[4]) {
    const float* q = boxes.data<float>() + (b * n + i) * 4;
    if (center_point) {
      out[0] = q[1] - q[3] / 2;
      out[1] = q[0] - q[2] / 2;
      out[2] = q[1] + q[3] / 2;
      out[3] = q[0] + q[2] / 2;
    } else {
      out[0] = std::min(q[0], q[2]);
      out[1] = std::min(q[1], q[3]);
      out[2] = std::max(q[0], q[2]);
      out[3] = std::max(q[1], q[3]);
    }
  };
  auto iou_of = [&](int64_t b, int64_t i, int64_t j) {
    float a[4], c[4];
    corners(b, i, a);
    corners(b, j, c);
    const float ih = std::min(a[2], c[2]) - std::max(a[0], c[0]);
    const float iw = std::min(a[3], c[3]) - std::max(a[1], c[1]);
    if (ih <= 0 || iw <= 0) return 0.0f;
    const float inter = ih * iw;
    const float uni = (a[2] - a[0]) * (a[3] - a[1]) + (c[2] - c[0]) * (c[3] - c[1]) - inter;
    return uni > 0 ? inter / uni : 0.0f;
  };
  std::vector<int64_t> rows;
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t c = 0; c < nc; ++c) {
      const float* sc = scores.data<float>() + (b * nc + c) * n;
      std::vector<int64_t> cand;
      for (int64_t i = 0; i < n; ++i)
        if (!thresholded || sc[i] > min_score) cand.push_back(i);
      std::stable_sort(cand.begin(), cand.end(), [&](int64_t x, int64_t y) { return sc[x] > sc[y]; });
      std::vector<int64_t> kept;
      for (int64_t i : cand) {
        if (static_cast<int64_t>(kept.size()) >= limit) break;
        bool suppressed = false;
        for (int64_t k : kept)
          if (iou_of(b, i, k) > iou_max) {
            suppressed = true;
            break;
          }
        if (!suppressed) kept.push_back(i);
      }
      for (int64_t k : kept) rows.insert(rows.end(), {b, c, k});
    }
  TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(DataType::kInt64, {static_cast<int64_t>(rows.size() / 3), 3}));
  if (!rows.empty()) std::memcpy(out.raw_data(), rows.data(), rows.size() * sizeof(int64_t));
  return out;
}

class NonMaxSuppressionOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    const int64_t c = attrs.get_int("center_point_box", 0);
    if (c != 0 && c != 1) return InvalidArgument("NonMaxSuppression: center_point_box must be 0 or 1");
    center_point_ = c == 1;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("NonMaxSuppression", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "NonMaxSuppression"));
    const Tensor* in[5] = {};
    for (size_t i = 0; i < 5; ++i) {
      if (!ctx.has_input(i)) continue;
      in[i] = ctx.constant_input(i);
      if (in[i] == nullptr)
        return InvalidArgument(p + "the output's shape depends on the boxes' and scores' values, unknown when planning");
    }
    TOP_ASSIGN_OR_RETURN(Tensor out, nms_selection(*in[0], *in[1], in[2], in[3], in[4], center_point_, p));
    ctx.set_output(0, DataType::kInt64, out.shape());
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    auto opt = [&](size_t i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    TOP_ASSIGN_OR_RETURN(Tensor out, nms_selection(ctx.input(0), ctx.input(1), opt(2), opt(3), opt(4), center_point_,
                                                   "NonMaxSuppression: "));
    if (out.shape() != ctx.output(0).shape())
      return InvalidArgument("NonMaxSuppression: inputs differ from the planned values");
    std::memcpy(ctx.output(0).raw_data(), out.raw_data(), out.nbytes());
    return Status::Ok();
  }

 private:
  bool center_point_ = false;
};

}  // namespace

void register_data_dependent_ops(OpRegistry& r) {
  r.add("NonZero", 9, [] { return std::make_unique<NonZeroOp>(); });
  r.add("Compress", 9, [] { return std::make_unique<CompressOp>(); });
  r.add("Unique", 11, [] { return std::make_unique<UniqueOp>(); });
  r.add("NonMaxSuppression", 10, [] { return std::make_unique<NonMaxSuppressionOp>(); });
}

}  // namespace top::ops
