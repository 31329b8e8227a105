// TfIdfVectorizer-9 on the CPU for integer token ids (pool_int64s; string pools are not
// supported: no string tensors). Counts the pool's n-grams in each row — n from
// min_gram_length to max_gram_length, tokens skip + 1 apart for skip up to
// max_skip_count, unigrams once per position (as ONNX Runtime) — and writes TF, IDF or
// TF-IDF at each n-gram's ngram_indexes slot. No GPU kernel yet (CPU-only list in
// tests/unit/cuda_registry_test.cpp).
#include <algorithm>
#include <map>
#include <vector>

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class TfIdfVectorizerOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    const std::string p = "TfIdfVectorizer: ";
    if (attrs.has("pool_strings")) return Unsupported(p + "pool_strings (string tensors are not supported)");
    min_n_ = attrs.get_int("min_gram_length", 0);
    max_n_ = attrs.get_int("max_gram_length", 0);
    max_skip_ = attrs.get_int("max_skip_count", 0);
    if (min_n_ < 1 || max_n_ < min_n_ || max_n_ > 64 || max_skip_ < 0 || max_skip_ > (1 << 20))
      return InvalidArgument(p + "need 1 <= min_gram_length <= max_gram_length <= 64 and max_skip_count >= 0");
    const std::string mode = attrs.get_string("mode", "");
    if (mode == "TF") mode_ = 0;
    else if (mode == "IDF") mode_ = 1;
    else if (mode == "TFIDF") mode_ = 2;
    else return InvalidArgument(p + "mode must be TF, IDF or TFIDF");
    const std::vector<int64_t> pool = attrs.get_ints("pool_int64s");
    const std::vector<int64_t> counts = attrs.get_ints("ngram_counts");
    const std::vector<int64_t> indexes = attrs.get_ints("ngram_indexes");
    weights_ = attrs.get_floats("weights");
    if (counts.empty() || counts[0] != 0) return InvalidArgument(p + "ngram_counts must start at 0");
    // Pool entry k: the n-grams of length i + 1 start at ngram_counts[i].
    size_t gram = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      const int64_t n = static_cast<int64_t>(i) + 1;
      const int64_t begin = counts[i];
      const int64_t end = i + 1 < counts.size() ? counts[i + 1] : static_cast<int64_t>(pool.size());
      if (begin < 0 || end < begin || end > static_cast<int64_t>(pool.size()) || (end - begin) % n != 0)
        return InvalidArgument(p + "ngram_counts does not split pool_int64s into n-grams");
      for (int64_t at = begin; at < end; at += n, ++gram) {
        if (gram >= indexes.size()) return InvalidArgument(p + "ngram_indexes has fewer entries than the pool's n-grams");
        if (indexes[gram] < 0 || indexes[gram] > (int64_t{1} << 24)) return InvalidArgument(p + "ngram_indexes out of range");
        grams_[std::vector<int64_t>(pool.begin() + at, pool.begin() + at + n)] = gram;
      }
    }
    if (gram != indexes.size()) return InvalidArgument(p + "ngram_indexes has more entries than the pool's n-grams");
    if (!weights_.empty() && weights_.size() != indexes.size()) return InvalidArgument(p + "weights must match ngram_indexes");
    indexes_ = indexes;
    out_size_ = indexes.empty() ? 0 : *std::max_element(indexes.begin(), indexes.end()) + 1;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("TfIdfVectorizer", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "TfIdfVectorizer"));
    if (!is_index_dtype(ctx.input_dtype(0))) return Unsupported(p + "input must be int32 or int64 token ids");
    const Shape& x = ctx.input_shape(0);
    if (x.size() != 1 && x.size() != 2) return InvalidArgument(p + "input must be [C] or [N, C]");
    ctx.set_output(0, DataType::kFloat32, x.size() == 1 ? Shape{out_size_} : Shape{x[0], out_size_});
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const int64_t rows = x.rank() == 2 ? x.dim(0) : 1, cols = x.rank() == 2 ? x.dim(1) : x.numel();
    if (y.numel() != rows * out_size_) return InvalidArgument("TfIdfVectorizer: bad output");
    std::vector<int64_t> tokens(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) tokens[static_cast<size_t>(i)] = x.item_as_int(i);
    float* out = y.data<float>();
    std::fill(out, out + y.numel(), 0.0f);
    std::vector<int64_t> counts(indexes_.size());
    std::vector<int64_t> key;
    for (int64_t r = 0; r < rows; ++r) {
      std::fill(counts.begin(), counts.end(), 0);
      const int64_t* row = tokens.data() + r * cols;
      for (int64_t skip = 0; skip <= max_skip_; ++skip)
        for (int64_t start = 0; start < cols; ++start) {
          key.clear();
          for (int64_t n = 1; n <= max_n_; ++n) {
            const int64_t at = start + (n - 1) * (skip + 1);
            if (at >= cols) break;
            key.push_back(row[at]);
            if (n < min_n_ || (n == 1 && skip > 0)) continue;  // a unigram counts once per position
            auto it = grams_.find(key);
            if (it != grams_.end()) ++counts[it->second];
          }
        }
      for (size_t g = 0; g < counts.size(); ++g) {
        if (counts[g] == 0) continue;
        const float w = weights_.empty() ? 1.0f : weights_[g];
        const float v = mode_ == 0 ? static_cast<float>(counts[g]) : (mode_ == 1 ? w : w * static_cast<float>(counts[g]));
        out[r * out_size_ + indexes_[g]] = v;
      }
    }
    return Status::Ok();
  }

 private:
  int64_t min_n_ = 1, max_n_ = 1, max_skip_ = 0, out_size_ = 0;
  int mode_ = 0;
  std::map<std::vector<int64_t>, size_t> grams_;  // n-gram -> its index in pool order
  std::vector<int64_t> indexes_;
  std::vector<float> weights_;
};

}  // namespace

void register_text_ops(OpRegistry& r) {
  r.add("TfIdfVectorizer", 9, [] { return std::make_unique<TfIdfVectorizerOp>(); });
}

}  // namespace top::ops
