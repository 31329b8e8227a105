// Tensor family: data movement between tensors — Concat, Split, Slice, Gather,
// GatherElements, Transpose, Pad, Tile.
//
// Every kernel here is dtype-agnostic (bytes of dtype_size per element), so the same
// code moves float activations, int64 shape tensors and bool masks. Slice, Transpose
// and Tile are all "copy a strided view of the input into a dense output"; they share
// StridedView/copy_view, which merges dimensions, copies contiguous runs with memcpy,
// and switches to a cache-blocked transpose when the output's innermost dimension walks
// the input with a large stride (NCHW<->NHWC, 2-D transposes).
#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "ops/checked_math.h"
#include "ops/blocked_layout.h"
#include "ops/families.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/pad_params.h"
#include "ops/slice_params.h"
#include "ops/space_depth.h"

namespace top::ops {
namespace {

// ---- shared helpers ----------------------------------------------------------------

// Calls f(T{}) with an unsigned integer type as wide as one element, so element loops
// compile to plain loads and stores whatever the dtype.
template <class F>
void with_element_type(size_t esize, F&& f) {
  switch (esize) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(uint64_t{}); break;
  }
}

bool supported_esize(size_t esize) { return esize == 1 || esize == 2 || esize == 4 || esize == 8; }

// n elements from src (element stride `stride`, may be 0 or negative) to dense dst.
void copy_run(uint8_t* dst, const uint8_t* src, int64_t n, int64_t stride, size_t esize) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * esize);
  } else if (stride == 0) {
    fill_pattern(dst, n, src, esize);
  } else {
    with_element_type(esize, [&](auto t) {
      using T = decltype(t);
      T* d = reinterpret_cast<T*>(dst);
      const T* s = reinterpret_cast<const T*>(src);
      for (int64_t i = 0; i < n; ++i) d[i] = s[i * stride];
    });
  }
}


// ---- strided view copy ----------------------------------------------------------------

// dst (dense, row-major `shape`) [i0..ik] = src[offset + sum_d i_d * strides[d]] (elements).
struct StridedView {
  Shape shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;

  // Drops size-1 dims and merges neighbours that are contiguous in the source too.
  void simplify() {
    Shape s;
    std::vector<int64_t> st;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      if (!s.empty() && st.back() == strides[d] * shape[d]) {
        s.back() *= shape[d];
        st.back() = strides[d];
      } else {
        s.push_back(shape[d]);
        st.push_back(strides[d]);
      }
    }
    if (s.empty()) {
      s = {1};
      st = {1};
    }
    shape = std::move(s);
    strides = std::move(st);
  }
};

// Source offset of the first element of output "row" `row` over the first `ndims` dims.
int64_t view_offset(const StridedView& v, int64_t row, size_t ndims) {
  int64_t off = v.offset;
  for (size_t d = ndims; d-- > 0;) {
    int64_t i = row % v.shape[d];
    row /= v.shape[d];
    off += i * v.strides[d];
  }
  return off;
}

// Batched 2-D transpose: dst[b][r][c] = src[base(b) + r + c * col_stride], cache-blocked.
void copy_view_transposed(const KernelContext& ctx, const StridedView& v, const uint8_t* src, uint8_t* dst,
                          size_t esize) {
  const size_t nd = v.shape.size();
  const int64_t rows = v.shape[nd - 2];
  const int64_t cols = v.shape[nd - 1];
  const int64_t col_stride = v.strides[nd - 1];
  const int64_t batch = shape_numel(v.shape) / (rows * cols);
  constexpr int64_t kTile = 32;  // rows per parallel unit
  // Strides that are multiples of 2 KiB map every line of a block to the same cache set;
  // 8x8 blocks then keep their 8+8 lines resident. Otherwise 32x32 blocks are faster.
  const bool aliasing = (col_stride * static_cast<int64_t>(esize)) % 2048 == 0 ||
                        (cols * static_cast<int64_t>(esize)) % 2048 == 0;
  const int64_t kBlock = aliasing ? 8 : 32;
  const int64_t row_bands = (rows + kTile - 1) / kTile;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, kTile * cols));
  with_element_type(esize, [&](auto t) {
    using T = decltype(t);
    const T* s = reinterpret_cast<const T*>(src);
    T* d = reinterpret_cast<T*>(dst);
    ctx.parallel_for(batch * row_bands, grain, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t bi = u / row_bands;
        const int64_t r0 = (u % row_bands) * kTile;
        const int64_t r1 = std::min(rows, r0 + kTile);
        const T* sb = s + view_offset(v, bi, nd - 2);
        T* db = d + bi * rows * cols;
        for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
          const int64_t c1 = std::min(cols, c0 + kBlock);
          for (int64_t rb = r0; rb < r1; rb += kBlock) {
            const int64_t re = std::min(r1, rb + kBlock);
            for (int64_t r = rb; r < re; ++r) {
              T* drow = db + r * cols;
              const T* srow = sb + r;
              for (int64_t c = c0; c < c1; ++c) drow[c] = srow[c * col_stride];
            }
          }
        }
      }
    });
  });
}

void copy_view(const KernelContext& ctx, StridedView v, const void* src_data, void* dst_data, size_t esize) {
  if (shape_numel(v.shape) == 0) return;
  v.simplify();
  const auto* src = static_cast<const uint8_t*>(src_data);
  auto* dst = static_cast<uint8_t*>(dst_data);
  const size_t nd = v.shape.size();
  const int64_t inner = v.shape[nd - 1];
  const int64_t inner_stride = v.strides[nd - 1];
  if (nd == 1 && inner_stride == 1) {
    parallel_memcpy(ctx, dst, src + v.offset * static_cast<int64_t>(esize), static_cast<size_t>(inner) * esize);
    return;
  }
  if (nd >= 2 && v.strides[nd - 2] == 1 && inner_stride != 1 && inner_stride != 0 && supported_esize(esize)) {
    copy_view_transposed(ctx, v, src, dst, esize);
    return;
  }
  const int64_t rows = shape_numel(v.shape) / inner;
  const size_t run = static_cast<size_t>(inner) * esize;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, static_cast<int64_t>(run)));
  ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    // Odometer over the outer dims, started at row b.
    std::vector<int64_t> idx(nd - 1, 0);
    int64_t rem = b;
    for (size_t d = nd - 1; d-- > 0;) {
      idx[d] = rem % v.shape[d];
      rem /= v.shape[d];
    }
    int64_t off = view_offset(v, b, nd - 1);
    for (int64_t r = b; r < e; ++r) {
      copy_run(dst + static_cast<size_t>(r) * run, src + off * static_cast<int64_t>(esize), inner, inner_stride, esize);
      for (size_t d = nd - 1; d-- > 0;) {
        off += v.strides[d];
        if (++idx[d] < v.shape[d]) break;
        off -= v.strides[d] * v.shape[d];
        idx[d] = 0;
      }
    }
  });
}

// ---- Concat ---------------------------------------------------------------------------

class ConcatOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    if (!attrs.has("axis") && opset >= 4) return InvalidArgument("Concat: attribute 'axis' is required");
    axis_ = attrs.get_int("axis", 1);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Concat", ctx);
    if (ctx.num_inputs() == 0) return InvalidArgument(p + "needs at least one input");
    TOP_RETURN_IF_ERROR(require_inputs(ctx, ctx.num_inputs(), "Concat"));
    const Shape& first = ctx.input_shape(0);
    const int64_t rank = static_cast<int64_t>(first.size());
    if (rank == 0) return InvalidArgument(p + "inputs must have rank >= 1");
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, rank, p));
    Shape out = first;
    out[static_cast<size_t>(axis)] = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Shape& s = ctx.input_shape(i);
      if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
        return InvalidArgument(p + "input " + std::to_string(i) + " is " + dtype_name(ctx.input_dtype(i)) +
                               " but input 0 is " + dtype_name(ctx.input_dtype(0)));
      }
      bool ok = s.size() == first.size();
      for (size_t d = 0; ok && d < s.size(); ++d) ok = static_cast<int64_t>(d) == axis || s[d] == first[d];
      if (!ok) {
        return InvalidArgument(p + "input " + std::to_string(i) + " has shape " + shape_str(s) +
                               ", which does not match input 0 " + shape_str(first) + " outside axis " +
                               std::to_string(axis));
      }
      // Inputs with a 0 dim elsewhere can have any size on the axis: the sum may wrap.
      TOP_ASSIGN_OR_RETURN(out[static_cast<size_t>(axis)],
                           to_dim(CheckedInt(out[static_cast<size_t>(axis)]) + s[static_cast<size_t>(axis)],
                                  p + "output size along axis " + std::to_string(axis)));
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  // Along the channels, channel-blocked inputs (whole blocks each: exec/layout.h) are
  // [N, C/B, spatial * B] tensors concatenated along axis 1: the same copies.
  BlockedLayouts blocked_layouts(const InferContext& ctx) const override {
    BlockedLayouts b;
    const int64_t rank = ctx.num_inputs() > 0 ? static_cast<int64_t>(ctx.input_shape(0).size()) : 0;
    b.same = rank >= 3 && (axis_ == 1 || axis_ == 1 - rank);
    return b;
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    const int64_t rank = y.rank();
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, rank, "Concat: "));
    const size_t esize = dtype_size(y.dtype());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= y.dim(static_cast<int>(d));
    for (int64_t d = axis + 1; d < rank; ++d) inner *= y.dim(static_cast<int>(d));
    std::vector<size_t> chunk(ctx.num_inputs());
    std::vector<const uint8_t*> srcs(ctx.num_inputs());
    size_t row = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& x = ctx.input(i);
      if (x.rank() != rank || x.dtype() != y.dtype()) return InvalidArgument("Concat: input " + std::to_string(i) +
                                                                             " does not match the output");
      chunk[i] = static_cast<size_t>(x.dim(static_cast<int>(axis)) * inner) * esize;
      srcs[i] = static_cast<const uint8_t*>(x.raw_data());
      if (static_cast<size_t>(x.numel()) * esize != chunk[i] * static_cast<size_t>(outer))
        return InvalidArgument("Concat: input " + std::to_string(i) + " shape " + shape_str(x.shape()) +
                               " does not match the output " + shape_str(y.shape()));
      row += chunk[i];
    }
    if (row * static_cast<size_t>(outer) != y.nbytes()) return InvalidArgument("Concat: output size mismatch");
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    if (outer == 1) {
      size_t at = 0;
      for (size_t i = 0; i < srcs.size(); ++i) {
        parallel_memcpy(ctx, dst + at, srcs[i], chunk[i]);
        at += chunk[i];
      }
      return Status::Ok();
    }
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, static_cast<int64_t>(row)));
    ctx.parallel_for(outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        uint8_t* d = dst + static_cast<size_t>(o) * row;
        for (size_t i = 0; i < srcs.size(); ++i) {
          std::memcpy(d, srcs[i] + static_cast<size_t>(o) * chunk[i], chunk[i]);
          d += chunk[i];
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t axis_ = 1;
};

// ---- Split ----------------------------------------------------------------------------

class SplitOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    opset_ = opset;
    axis_ = attrs.get_int("axis", 0);
    // Split-1 took the sizes from an optional second input or the attribute; 2-12 from
    // the attribute only; 13 on from the input only.
    split_from_input_ = opset >= 13 || (opset < 2 && !attrs.has("split"));
    attr_split_ = attrs.get_ints("split");
    num_outputs_attr_ = attrs.get_int("num_outputs", 0);
    return Status::Ok();
  }

  // Sizes along the axis for `n` outputs; `split` empty means "not given".
  Result<std::vector<int64_t>> sizes(int64_t dim, size_t n, const std::vector<int64_t>& split,
                                     const std::string& p) const {
    if (n == 0) return InvalidArgument(p + "has no outputs");
    if (!split.empty()) {
      if (split.size() != n) {
        return InvalidArgument(p + "split " + shape_str(split) + " has " + std::to_string(split.size()) +
                               " entries for " + std::to_string(n) + " outputs");
      }
      CheckedInt sum = 0;
      for (int64_t s : split) {
        if (s < 0) return InvalidArgument(p + "split " + ints_str(split) + " has a negative size");
        sum = sum + s;
      }
      if (!sum.ok() || sum.value() != dim) {
        return InvalidArgument(p + "split " + ints_str(split) + " sums to " +
                               (sum.ok() ? std::to_string(sum.value()) : std::string("more than 2^63")) +
                               " but the axis has " + std::to_string(dim) + " elements");
      }
      return split;
    }
    const int64_t k = static_cast<int64_t>(n);
    if (dim % k == 0) return std::vector<int64_t>(n, dim / k);
    if (opset_ >= 18) {  // the last chunk is smaller
      const int64_t chunk = (dim + k - 1) / k;
      std::vector<int64_t> out(n, chunk);
      out.back() = dim - chunk * (k - 1);
      if (out.back() < 0) return InvalidArgument(p + "cannot split " + std::to_string(dim) + " into " +
                                                  std::to_string(n) + " chunks");
      return out;
    }
    return InvalidArgument(p + "axis of " + std::to_string(dim) + " elements cannot be split evenly into " +
                           std::to_string(n) + " outputs");
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Split", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Split"));
    const Shape& in = ctx.input_shape(0);
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, static_cast<int64_t>(in.size()), p));
    std::vector<int64_t> split = attr_split_;
    if (split_from_input_ && ctx.has_input(1)) {
      TOP_ASSIGN_OR_RETURN(split, constant_ints(ctx, 1, "Split", "split"));
    }
    if (num_outputs_attr_ > 0 && static_cast<size_t>(num_outputs_attr_) != ctx.num_outputs()) {
      return InvalidArgument(p + "num_outputs is " + std::to_string(num_outputs_attr_) + " but the node has " +
                             std::to_string(ctx.num_outputs()) + " outputs");
    }
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> sz, sizes(in[static_cast<size_t>(axis)], ctx.num_outputs(), split, p));
    for (size_t i = 0; i < sz.size(); ++i) {
      Shape s = in;
      s[static_cast<size_t>(axis)] = sz[i];
      ctx.set_output(i, ctx.input_dtype(0), s);
    }
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const int64_t rank = x.rank();
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, rank, "Split: "));
    std::vector<int64_t> split = attr_split_;
    if (split_from_input_ && ctx.has_input(1)) {
      TOP_ASSIGN_OR_RETURN(split, input_ints(ctx, 1, "Split", "split"));
    }
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> sz, sizes(x.dim(static_cast<int>(axis)), ctx.num_outputs(), split,
                                                        "Split: "));
    const size_t esize = dtype_size(x.dtype());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.dim(static_cast<int>(d));
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(static_cast<int>(d));
    const size_t row = static_cast<size_t>(x.dim(static_cast<int>(axis)) * inner) * esize;
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    size_t at = 0;
    for (size_t i = 0; i < sz.size(); ++i) {
      const size_t chunk = static_cast<size_t>(sz[i] * inner) * esize;
      if (ctx.has_output(i)) {
        Tensor& y = ctx.output(i);
        if (y.nbytes() != chunk * static_cast<size_t>(outer) || y.dtype() != x.dtype())
          return InvalidArgument("Split: output " + std::to_string(i) + " shape " + shape_str(y.shape()) +
                                 " does not match the split");
        auto* dst = static_cast<uint8_t*>(y.raw_data());
        if (outer == 1) {
          parallel_memcpy(ctx, dst, src + at, chunk);
        } else {
          const int64_t grain =
              std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, static_cast<int64_t>(chunk)));
          ctx.parallel_for(outer, grain, [&](int64_t b, int64_t e) {
            for (int64_t o = b; o < e; ++o)
              std::memcpy(dst + static_cast<size_t>(o) * chunk, src + static_cast<size_t>(o) * row + at, chunk);
          });
        }
      }
      at += chunk;
    }
    return Status::Ok();
  }

 private:
  int opset_ = 13;
  int64_t axis_ = 0;
  bool split_from_input_ = true;
  std::vector<int64_t> attr_split_;
  int64_t num_outputs_attr_ = 0;
};

// ---- Slice ----------------------------------------------------------------------------

class SliceOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    inputs_ = opset >= 10;
    if (!inputs_) {
      if (!attrs.has("starts") || !attrs.has("ends"))
        return InvalidArgument("Slice: attributes 'starts' and 'ends' are required before opset 10");
      starts_ = attrs.get_ints("starts");
      ends_ = attrs.get_ints("ends");
      has_axes_ = attrs.has("axes");
      axes_ = attrs.get_ints("axes");
    }
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Slice", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Slice"));
    Result<SliceParams> sp = Internal("unset");
    if (inputs_) {
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> starts, constant_ints(ctx, 1, "Slice", "starts"));
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> ends, constant_ints(ctx, 2, "Slice", "ends"));
      std::vector<int64_t> axes, steps;
      if (ctx.has_input(3)) {
        TOP_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 3, "Slice", "axes"));
      }
      if (ctx.has_input(4)) {
        TOP_ASSIGN_OR_RETURN(steps, constant_ints(ctx, 4, "Slice", "steps"));
      }
      sp = slice_params(ctx.input_shape(0), starts, ends, ctx.has_input(3) ? &axes : nullptr,
                        ctx.has_input(4) ? &steps : nullptr, p);
    } else {
      sp = slice_params(ctx.input_shape(0), starts_, ends_, has_axes_ ? &axes_ : nullptr, nullptr, p);
    }
    if (!sp.ok()) return sp.status();
    ctx.set_output(0, ctx.input_dtype(0), sp->out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    Result<SliceParams> sp = Internal("unset");
    if (inputs_) {
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> starts, input_ints(ctx, 1, "Slice", "starts"));
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> ends, input_ints(ctx, 2, "Slice", "ends"));
      std::vector<int64_t> axes, steps;
      if (ctx.has_input(3)) {
        TOP_ASSIGN_OR_RETURN(axes, input_ints(ctx, 3, "Slice", "axes"));
      }
      if (ctx.has_input(4)) {
        TOP_ASSIGN_OR_RETURN(steps, input_ints(ctx, 4, "Slice", "steps"));
      }
      sp = slice_params(x.shape(), starts, ends, ctx.has_input(3) ? &axes : nullptr,
                        ctx.has_input(4) ? &steps : nullptr, "Slice: ");
    } else {
      sp = slice_params(x.shape(), starts_, ends_, has_axes_ ? &axes_ : nullptr, nullptr, "Slice: ");
    }
    if (!sp.ok()) return sp.status();
    if (sp->out != y.shape() || x.dtype() != y.dtype())
      return InvalidArgument("Slice: output " + shape_str(y.shape()) + " does not match the slice " +
                             shape_str(sp->out));
    SliceView sv = slice_view(x.shape(), *sp);
    StridedView v;
    v.shape = sp->out;
    v.strides = std::move(sv.strides);
    v.offset = sv.offset;
    copy_view(ctx, v, x.raw_data(), y.raw_data(), dtype_size(x.dtype()));
    return Status::Ok();
  }

 private:
  bool inputs_ = true;
  std::vector<int64_t> starts_, ends_, axes_;
  bool has_axes_ = false;
};

// ---- Gather / GatherElements ------------------------------------------------------------

// Normalised index or -1 (with `bad` set) when out of range.
Status check_indices(const Tensor& idx, int64_t dim, const char* op) {
  const int64_t n = idx.numel();
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = idx.item_as_int(i);
    if (v < -dim || v >= dim) {
      return InvalidArgument(std::string(op) + ": index " + std::to_string(v) + " at position " + std::to_string(i) +
                             " is out of range for an axis of " + std::to_string(dim) + " elements");
    }
  }
  return Status::Ok();
}

class GatherOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", 0);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Gather", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "Gather"));
    const Shape& data = ctx.input_shape(0);
    if (data.empty()) return InvalidArgument(p + "data must have rank >= 1");
    if (!is_index_dtype(ctx.input_dtype(1)))
      return InvalidArgument(p + "indices must be int32 or int64, got " + dtype_name(ctx.input_dtype(1)));
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, static_cast<int64_t>(data.size()), p));
    Shape out(data.begin(), data.begin() + axis);
    const Shape& ind = ctx.input_shape(1);
    out.insert(out.end(), ind.begin(), ind.end());
    out.insert(out.end(), data.begin() + axis + 1, data.end());
    if (const Tensor* c = ctx.constant_input(1)) {
      Status s = check_indices(*c, data[static_cast<size_t>(axis)], "Gather");
      if (!s.ok()) return s.with_context(p.substr(0, p.size() - 2));
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    Tensor& y = ctx.output(0);
    if (x.rank() == 0) return InvalidArgument("Gather: data must have rank >= 1");
    if (!is_index_dtype(idx.dtype())) return InvalidArgument("Gather: indices must be int32 or int64");
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, x.rank(), "Gather: "));
    const int64_t dim = x.dim(static_cast<int>(axis));
    TOP_RETURN_IF_ERROR(check_indices(idx, dim, "Gather"));
    const size_t esize = dtype_size(x.dtype());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.dim(static_cast<int>(d));
    for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(static_cast<int>(d));
    const int64_t n = idx.numel();
    if (y.numel() != outer * n * inner || y.dtype() != x.dtype())
      return InvalidArgument("Gather: output " + shape_str(y.shape()) + " does not match data " +
                             shape_str(x.shape()) + " and indices " + shape_str(idx.shape()));
    if (y.numel() == 0) return Status::Ok();
    const size_t run = static_cast<size_t>(inner) * esize;
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    const bool i64 = idx.dtype() == DataType::kInt64;
    const auto* i64p = idx.data<int64_t>();
    const auto* i32p = idx.data<int32_t>();
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, static_cast<int64_t>(run)));
    ctx.parallel_for(outer * n, grain, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t o = u / n, j = u % n;
        int64_t k = i64 ? i64p[j] : i32p[j];
        if (k < 0) k += dim;
        const uint8_t* s = src + (static_cast<size_t>(o * dim + k)) * run;
        uint8_t* d = dst + static_cast<size_t>(u) * run;
        if (run == 8) {
          std::memcpy(d, s, 8);
        } else if (run == 4) {
          std::memcpy(d, s, 4);
        } else {
          std::memcpy(d, s, run);
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

class GatherElementsOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", 0);
    return Status::Ok();
  }
  static Status check_shapes(const Shape& data, const Shape& ind, int64_t axis, const std::string& p) {
    if (data.size() != ind.size())
      return InvalidArgument(p + "indices " + shape_str(ind) + " and data " + shape_str(data) + " differ in rank");
    for (size_t d = 0; d < data.size(); ++d) {
      if (static_cast<int64_t>(d) != axis && ind[d] > data[d])
        return InvalidArgument(p + "indices " + shape_str(ind) + " exceed data " + shape_str(data) + " in dim " +
                               std::to_string(d));
    }
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("GatherElements", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "GatherElements"));
    const Shape& data = ctx.input_shape(0);
    if (data.empty()) return InvalidArgument(p + "data must have rank >= 1");
    if (!is_index_dtype(ctx.input_dtype(1)))
      return InvalidArgument(p + "indices must be int32 or int64, got " + dtype_name(ctx.input_dtype(1)));
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, static_cast<int64_t>(data.size()), p));
    TOP_RETURN_IF_ERROR(check_shapes(data, ctx.input_shape(1), axis, p));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(1));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    Tensor& y = ctx.output(0);
    if (x.rank() == 0 || !is_index_dtype(idx.dtype())) return InvalidArgument("GatherElements: bad inputs");
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, x.rank(), "GatherElements: "));
    TOP_RETURN_IF_ERROR(check_shapes(x.shape(), idx.shape(), axis, "GatherElements: "));
    if (y.shape() != idx.shape() || y.dtype() != x.dtype()) return InvalidArgument("GatherElements: output mismatch");
    const int64_t dim = x.dim(static_cast<int>(axis));
    TOP_RETURN_IF_ERROR(check_indices(idx, dim, "GatherElements"));
    const size_t esize = dtype_size(x.dtype());
    if (!supported_esize(esize)) return Unsupported("GatherElements: element size not supported");
    if (y.numel() == 0) return Status::Ok();
    const std::vector<int64_t> xs = row_major_strides(x.shape());
    const Shape& os = idx.shape();
    const size_t nd = os.size();
    const int64_t inner = os[nd - 1];
    const int64_t rows = y.numel() / inner;
    const bool i64 = idx.dtype() == DataType::kInt64;
    with_element_type(esize, [&](auto t) {
      using T = decltype(t);
      const T* src = static_cast<const T*>(x.raw_data());
      T* dst = static_cast<T*>(y.raw_data());
      ctx.parallel_for(rows, std::max<int64_t>(1, 4096 / inner), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          // Source offset of this row with the axis coordinate left out.
          int64_t rem = r, base = 0;
          for (size_t d = nd - 1; d-- > 0;) {
            const int64_t c = rem % os[d];
            rem /= os[d];
            if (static_cast<int64_t>(d) != axis) base += c * xs[d];
          }
          const int64_t inner_stride = static_cast<int64_t>(nd - 1) == axis ? 0 : 1;
          for (int64_t c = 0; c < inner; ++c) {
            const int64_t at = r * inner + c;
            int64_t k = i64 ? idx.data<int64_t>()[at] : idx.data<int32_t>()[at];
            if (k < 0) k += dim;
            dst[at] = src[base + c * inner_stride + k * xs[static_cast<size_t>(axis)]];
          }
        }
      });
    });
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

// ---- Transpose ----------------------------------------------------------------------------

class TransposeOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    has_perm_ = attrs.has("perm");
    perm_ = attrs.get_ints("perm");
    return Status::Ok();
  }
  Result<std::vector<int64_t>> perm_for(int64_t rank, const std::string& p) const {
    std::vector<int64_t> perm;
    if (!has_perm_) {
      for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
      return perm;
    }
    if (static_cast<int64_t>(perm_.size()) != rank)
      return InvalidArgument(p + "perm " + shape_str(perm_) + " does not match input rank " + std::to_string(rank));
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t a : perm_) {
      int64_t n = a < 0 ? a + rank : a;
      if (n < 0 || n >= rank || seen[static_cast<size_t>(n)])
        return InvalidArgument(p + "perm " + shape_str(perm_) + " is not a permutation of 0.." +
                               std::to_string(rank - 1));
      seen[static_cast<size_t>(n)] = true;
      perm.push_back(n);
    }
    return perm;
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Transpose", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Transpose"));
    const Shape& in = ctx.input_shape(0);
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> perm, perm_for(static_cast<int64_t>(in.size()), p));
    Shape out;
    for (int64_t a : perm) out.push_back(in[static_cast<size_t>(a)]);
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> perm, perm_for(x.rank(), "Transpose: "));
    StridedView v;
    std::vector<int64_t> st = row_major_strides(x.shape());
    for (int64_t a : perm) {
      v.shape.push_back(x.dim(static_cast<int>(a)));
      v.strides.push_back(st[static_cast<size_t>(a)]);
    }
    if (v.shape != y.shape() || x.dtype() != y.dtype())
      return InvalidArgument("Transpose: output " + shape_str(y.shape()) + " does not match " + shape_str(v.shape));
    copy_view(ctx, v, x.raw_data(), y.raw_data(), dtype_size(x.dtype()));
    return Status::Ok();
  }

 private:
  bool has_perm_ = false;
  std::vector<int64_t> perm_;
};

// ---- DepthToSpace, SpaceToDepth ---------------------------------------------------------------

class SpaceDepthOp final : public MovementOp {
 public:
  explicit SpaceDepthOp(bool to_space) : to_space_(to_space) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    if (!attrs.has("blocksize")) return InvalidArgument(name() + ": attribute 'blocksize' is required");
    blocksize_ = attrs.get_int("blocksize", 0);
    const std::string mode = attrs.get_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") return InvalidArgument(name() + ": mode must be DCR or CRD, got '" + mode + "'");
    crd_ = to_space_ && mode == "CRD";
    return Status::Ok();
  }
  Result<SpaceDepthView> view(const Shape& in, const std::string& p) const {
    return to_space_ ? depth_to_space_view(in, blocksize_, crd_, p) : space_to_depth_view(in, blocksize_, p);
  }
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, name()));
    TOP_ASSIGN_OR_RETURN(SpaceDepthView v, view(ctx.input_shape(0), node_prefix(name(), ctx)));
    ctx.set_output(0, ctx.input_dtype(0), v.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(SpaceDepthView v, view(x.shape(), name() + ": "));
    if (v.out != y.shape() || x.dtype() != y.dtype()) return InvalidArgument(name() + ": output mismatch");
    StridedView sv;
    sv.shape = v.dims;
    sv.strides = v.src_strides;
    copy_view(ctx, sv, x.raw_data(), y.raw_data(), dtype_size(x.dtype()));
    return Status::Ok();
  }

 private:
  std::string name() const { return to_space_ ? "DepthToSpace" : "SpaceToDepth"; }
  bool to_space_;
  bool crd_ = false;
  int64_t blocksize_ = 0;
};

// ---- Pad ----------------------------------------------------------------------------------

// Writes `v` converted to `t` into out (at least 8 bytes).
Status store_scalar(DataType t, double v, uint8_t* out) {
  std::memset(out, 0, 8);
  if (!put_scalar(t, v, out) && v != 0) {
    return Unsupported(std::string("Pad: constant value for dtype ") + dtype_name(t));
  }
  return Status::Ok();
}

class PadOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    opset_ = opset;
    TOP_ASSIGN_OR_RETURN(mode_, parse_pad_mode(attrs.get_string("mode", "constant"), "Pad: "));
    if (opset < 11) {
      attr_pads_ = attrs.has("pads") ? attrs.get_ints("pads") : attrs.get_ints("paddings");
      attr_value_ = attrs.get_float("value", 0.0f);
      // Checked before shapes are known so that a corrupt file fails at load.
      TOP_RETURN_IF_ERROR(check_ints_in_range(attr_pads_, -kMaxDim, kMaxDim, "Pad: pads"));
    }
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Pad", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Pad"));
    std::vector<int64_t> pads = attr_pads_, axes;
    if (opset_ >= 11) {
      TOP_ASSIGN_OR_RETURN(pads, constant_ints(ctx, 1, "Pad", "pads"));
      if (ctx.has_input(2) && ctx.input_dtype(2) != ctx.input_dtype(0))
        return InvalidArgument(p + "constant_value is " + dtype_name(ctx.input_dtype(2)) + " but data is " +
                               dtype_name(ctx.input_dtype(0)));
      if (ctx.has_input(3)) {
        TOP_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 3, "Pad", "axes"));
      }
    }
    TOP_ASSIGN_OR_RETURN(PadParams pp, pad_params(ctx.input_shape(0), pads, ctx.has_input(3) ? &axes : nullptr, p));
    if (mode_ != PadMode::kConstant) {
      const Shape& in = ctx.input_shape(0);
      for (size_t d = 0; d < in.size(); ++d) {
        if (in[d] == 0 && pp.out[d] > 0)
          return InvalidArgument(p + "cannot pad the empty dim " + std::to_string(d) + " in non-constant mode");
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), pp.out);
    return Status::Ok();
  }

  // Source coordinate for the out-of-range coordinate i of a dim of n elements.
  int64_t map_coord(int64_t i, int64_t n) const { return pad_source_coord(mode_, i, n); }

  // Constant padding of the spatial dims only: X and Y in one layout. Channel-blocked,
  // a pixel's B channels are one more (unpadded) innermost dim (ops/blocked_layout.h).
  BlockedLayouts blocked_layouts(const InferContext& ctx) const override {
    BlockedLayouts b;
    if (mode_ != PadMode::kConstant || !ctx.has_input(0) || ctx.input_dtype(0) != DataType::kFloat32 ||
        ctx.input_shape(0).size() < 3)
      return b;
    std::vector<int64_t> pads = attr_pads_, axes;
    if (opset_ >= 11) {
      auto p = constant_ints(ctx, 1, "Pad", "pads");
      if (!p.ok()) return b;
      pads = *p;
      if (ctx.has_input(3)) {
        auto a = constant_ints(ctx, 3, "Pad", "axes");
        if (!a.ok()) return b;
        axes = *a;
      }
    }
    auto pp = pad_params(ctx.input_shape(0), pads, ctx.has_input(3) ? &axes : nullptr, "Pad: ");
    if (!pp.ok() || pp->begin[0] != 0 || pp->begin[1] != 0 || pp->end[0] != 0 || pp->end[1] != 0) return b;
    b.inputs = b.outputs = 1;
    return b;
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    std::vector<int64_t> pads = attr_pads_, axes;
    uint8_t value[8] = {0};
    const size_t esize = dtype_size(x.dtype());
    if (!supported_esize(esize)) return Unsupported(std::string("Pad: dtype ") + dtype_name(x.dtype()));
    if (opset_ >= 11) {
      TOP_ASSIGN_OR_RETURN(pads, input_ints(ctx, 1, "Pad", "pads"));
      if (ctx.has_input(3)) {
        TOP_ASSIGN_OR_RETURN(axes, input_ints(ctx, 3, "Pad", "axes"));
      }
      if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
        if (ctx.input(2).dtype() != x.dtype()) return InvalidArgument("Pad: constant_value dtype differs from data");
        std::memcpy(value, ctx.input(2).raw_data(), esize);
      }
    } else {
      TOP_RETURN_IF_ERROR(store_scalar(x.dtype(), attr_value_, value));
    }
    TOP_ASSIGN_OR_RETURN(PadParams pp, pad_params(x.shape(), pads, ctx.has_input(3) ? &axes : nullptr, "Pad: "));
    if (pp.out != y.shape() || y.dtype() != x.dtype())
      return InvalidArgument("Pad: output " + shape_str(y.shape()) + " does not match " + shape_str(pp.out));
    if (y.numel() == 0) return Status::Ok();
    Shape in = x.shape();
    bool mixed = false;
    if (const int block = mixed_layout_block(ctx, 1, 1, &mixed); mixed)
      return run_all_blocked(*this, ctx, block, 1, 1);  // the plan's X and Y layouts differ
    if (const int block = ctx.input_block(0); block != 0) {
      // Blocked: [N, C/B, spatial..., B] with the same pads and none on the last dim.
      if (mode_ != PadMode::kConstant || in.size() < 3 || in[1] % block != 0 ||
          pp.begin[0] != 0 || pp.begin[1] != 0 || pp.end[0] != 0 || pp.end[1] != 0)
        return Internal("Pad: blocked tensors need constant padding of the spatial dims only");
      for (Shape* s : {&in, &pp.out}) {
        (*s)[1] /= block;
        s->push_back(block);
      }
      pp.begin.push_back(0);
      pp.end.push_back(0);
    }
    for (size_t d = 0; d < in.size(); ++d)
      if (mode_ != PadMode::kConstant && in[d] == 0)
        return InvalidArgument("Pad: cannot pad the empty dim " + std::to_string(d) + " in non-constant mode");
    if (in.empty()) {
      std::memcpy(y.raw_data(), x.raw_data(), esize);
      return Status::Ok();
    }
    const size_t nd = in.size();
    const std::vector<int64_t> xs = row_major_strides(in);
    const int64_t inner = pp.out[nd - 1];
    const int64_t n_last = in[nd - 1];
    const int64_t b_last = pp.begin[nd - 1];
    const int64_t rows = y.numel() / inner;
    const int64_t mid_lo = std::min(std::max<int64_t>(b_last, 0), inner);
    const int64_t mid_hi = std::min(std::max(b_last + n_last, mid_lo), inner);
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    const size_t run = static_cast<size_t>(inner) * esize;
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, static_cast<int64_t>(run)));
    with_element_type(esize, [&](auto t) {
      using T = decltype(t);
      T fill;
      std::memcpy(&fill, value, sizeof(T));
      ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          T* drow = reinterpret_cast<T*>(dst + static_cast<size_t>(r) * run);
          // Map the outer output coordinates to an input row (or to the pad value).
          int64_t rem = r, off = 0;
          bool outside = false;
          for (size_t d = nd - 1; d-- > 0;) {
            const int64_t o = rem % pp.out[d];
            rem /= pp.out[d];
            int64_t i = o - pp.begin[d];
            if (i < 0 || i >= in[d]) {
              if (mode_ == PadMode::kConstant) {
                outside = true;
                break;
              }
              i = map_coord(i, in[d]);
            }
            off += i * xs[d];
          }
          if (outside) {
            std::fill_n(drow, inner, fill);
            continue;
          }
          const T* srow = reinterpret_cast<const T*>(src) + off;
          for (int64_t o = 0; o < mid_lo; ++o)
            drow[o] = mode_ == PadMode::kConstant ? fill : srow[map_coord(o - b_last, n_last)];
          if (mid_hi > mid_lo)
            std::memcpy(drow + mid_lo, srow + (mid_lo - b_last), static_cast<size_t>(mid_hi - mid_lo) * sizeof(T));
          for (int64_t o = mid_hi; o < inner; ++o)
            drow[o] = mode_ == PadMode::kConstant ? fill : srow[map_coord(o - b_last, n_last)];
        }
      });
    });
    return Status::Ok();
  }

 private:
  int opset_ = 11;
  PadMode mode_ = PadMode::kConstant;
  std::vector<int64_t> attr_pads_;
  float attr_value_ = 0.0f;
};

// ---- Tile ---------------------------------------------------------------------------------

Result<Shape> tile_shape(const Shape& in, const std::vector<int64_t>& repeats, const std::string& p) {
  if (repeats.size() != in.size())
    return InvalidArgument(p + "repeats " + shape_str(repeats) + " must have one entry per dim of input " +
                           shape_str(in));
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    if (repeats[d] < 0) return InvalidArgument(p + "repeats " + ints_str(repeats) + " has a negative entry");
    TOP_ASSIGN_OR_RETURN(out[d], to_dim(CheckedInt(in[d]) * repeats[d],
                                        p + "dim " + std::to_string(d) + " of input " + shape_str(in) +
                                            " times repeats " + ints_str(repeats)));
  }
  return out;
}

class TileOp final : public MovementOp {
 public:
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Tile", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Tile"));
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> reps, constant_ints(ctx, 1, "Tile", "repeats"));
    TOP_ASSIGN_OR_RETURN(Shape out, tile_shape(ctx.input_shape(0), reps, p));
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> reps, input_ints(ctx, 1, "Tile", "repeats"));
    TOP_ASSIGN_OR_RETURN(Shape out, tile_shape(x.shape(), reps, "Tile: "));
    if (out != y.shape() || x.dtype() != y.dtype())
      return InvalidArgument("Tile: output " + shape_str(y.shape()) + " does not match " + shape_str(out));
    // Output viewed as [r0, d0, r1, d1, ...] reading the input with stride 0 on each r.
    StridedView v;
    std::vector<int64_t> st = row_major_strides(x.shape());
    for (size_t d = 0; d < x.shape().size(); ++d) {
      v.shape.push_back(reps[d]);
      v.strides.push_back(0);
      v.shape.push_back(x.shape()[d]);
      v.strides.push_back(st[d]);
    }
    copy_view(ctx, v, x.raw_data(), y.raw_data(), dtype_size(x.dtype()));
    return Status::Ok();
  }
};

}  // namespace

void register_tensor_ops(OpRegistry& r) {
  r.add("Concat", 1, [] { return std::make_unique<ConcatOp>(); });
  r.add("Split", 1, [] { return std::make_unique<SplitOp>(); });
  r.add("Slice", 1, [] { return std::make_unique<SliceOp>(); });
  r.add("Gather", 1, [] { return std::make_unique<GatherOp>(); });
  r.add("GatherElements", 11, [] { return std::make_unique<GatherElementsOp>(); });
  r.add("Transpose", 1, [] { return std::make_unique<TransposeOp>(); });
  r.add("Pad", 1, [] { return std::make_unique<PadOp>(); });
  r.add("Tile", 6, [] { return std::make_unique<TileOp>(); });
  r.add("DepthToSpace", 1, [] { return std::make_unique<SpaceDepthOp>(true); });
  r.add("SpaceToDepth", 1, [] { return std::make_unique<SpaceDepthOp>(false); });
}

}  // namespace top::ops
