// Einsum-12's equation, resolved for concrete operand shapes into an EinsumPlan
// (ops/einsum_math.h): shared by the CPU kernel (src/ops/einsum.cpp) and the CUDA
// factory (src/backend/cuda/ops_einsum.cpp). numpy's rules: letters name dims (a
// letter repeated within an operand takes its diagonal), "..." the broadcast leading
// dims; without "->" the output is the ellipsis dims then the letters that appear once,
// in alphabetical order.
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "ops/einsum_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct EinsumResolved {
  EinsumPlan plan;
  Shape out;
};

namespace einsum_detail {

// A term as label codes: letters as themselves, ellipsis dims as 256 + k (k counted
// over the equation's broadcast ellipsis rank).
struct Term {
  std::vector<int> labels;
  bool ellipsis = false;
  size_t ellipsis_at = 0;  // index in `labels` where the ellipsis dims start
  int letters = 0;
};

inline Result<Term> parse_term(const std::string& s, const std::string& p) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "...") == 0) {
      if (t.ellipsis) return InvalidArgument(p + "a term has two ellipses");
      t.ellipsis = true;
      t.ellipsis_at = t.labels.size();
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(s[i]))) {
      t.labels.push_back(static_cast<unsigned char>(s[i]));
      ++t.letters;
    } else {
      return InvalidArgument(p + "unexpected character '" + std::string(1, s[i]) + "' in the equation");
    }
  }
  return t;
}

}  // namespace einsum_detail

inline Result<EinsumResolved> einsum_resolve(const std::string& equation, const std::vector<Shape>& shapes,
                                             const std::string& p) {
  using einsum_detail::Term;
  std::string eq;
  for (char c : equation)
    if (!std::isspace(static_cast<unsigned char>(c))) eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    TOP_ASSIGN_OR_RETURN(Term t, einsum_detail::parse_term(lhs.substr(start, comma - start), p));
    terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != shapes.size())
    return InvalidArgument(p + "the equation has " + std::to_string(terms.size()) + " operands, the node " +
                           std::to_string(shapes.size()));
  if (shapes.size() > static_cast<size_t>(kMaxEinsumOperands))
    return Unsupported(p + "more than " + std::to_string(kMaxEinsumOperands) + " operands");
  // Ellipsis rank per operand, then the broadcast one.
  int64_t ell = 0;
  std::vector<int64_t> ell_rank(terms.size(), 0);
  for (size_t o = 0; o < terms.size(); ++o) {
    const int64_t rank = static_cast<int64_t>(shapes[o].size());
    const int64_t extra = rank - terms[o].letters;
    if (extra < 0 || (extra > 0 && !terms[o].ellipsis))
      return InvalidArgument(p + "operand " + std::to_string(o) + " " + shape_str(shapes[o]) + " does not fit its term");
    ell_rank[o] = extra;
    ell = std::max(ell, extra);
  }
  // Each operand's label per dim, and every label's size.
  std::map<int, int64_t> size;
  std::map<int, int> count;  // occurrences over all operands (for the implicit output)
  std::vector<std::vector<int>> dim_labels(terms.size());
  for (size_t o = 0; o < terms.size(); ++o) {
    const Term& t = terms[o];
    for (size_t i = 0; i <= t.labels.size(); ++i) {
      if (t.ellipsis && i == t.ellipsis_at)
        for (int64_t k = 0; k < ell_rank[o]; ++k) dim_labels[o].push_back(256 + static_cast<int>(ell - ell_rank[o] + k));
      if (i < t.labels.size()) dim_labels[o].push_back(t.labels[i]);
    }
    for (size_t d = 0; d < dim_labels[o].size(); ++d) {
      const int l = dim_labels[o][d];
      const int64_t n = shapes[o][d];
      ++count[l];
      auto it = size.find(l);
      if (it == size.end() || it->second == 1) {
        size[l] = n;
      } else if (n != it->second && !(l >= 256 && n == 1)) {
        return InvalidArgument(p + "label '" + (l >= 256 ? std::string("...") : std::string(1, static_cast<char>(l))) +
                               "' has sizes " + std::to_string(it->second) + " and " + std::to_string(n));
      }
    }
  }
  // Output labels.
  std::vector<int> out;
  if (arrow != std::string::npos) {
    TOP_ASSIGN_OR_RETURN(Term t, einsum_detail::parse_term(eq.substr(arrow + 2), p));
    for (size_t i = 0; i <= t.labels.size(); ++i) {
      if (t.ellipsis && i == t.ellipsis_at)
        for (int64_t k = 0; k < ell; ++k) out.push_back(256 + static_cast<int>(k));
      if (i < t.labels.size()) {
        const int l = t.labels[i];
        if (!size.count(l)) return InvalidArgument(p + "output label '" + std::string(1, static_cast<char>(l)) + "' is in no operand");
        if (std::find(out.begin(), out.end(), l) != out.end())
          return InvalidArgument(p + "output label '" + std::string(1, static_cast<char>(l)) + "' repeats");
        out.push_back(l);
      }
    }
  } else {
    for (int64_t k = 0; k < ell; ++k) out.push_back(256 + static_cast<int>(k));
    for (const auto& [l, c] : count)
      if (l < 256 && c == 1) out.push_back(l);  // std::map: ascending codes, upper case first
  }
  std::vector<int> summed;
  for (const auto& kv : size)
    if (std::find(out.begin(), out.end(), kv.first) == out.end()) summed.push_back(kv.first);
  if (out.size() > static_cast<size_t>(kMaxEinsumLabels) || summed.size() > static_cast<size_t>(kMaxEinsumLabels))
    return Unsupported(p + "more than " + std::to_string(kMaxEinsumLabels) + " labels");

  EinsumResolved r;
  EinsumPlan& plan = r.plan;
  plan.operands = static_cast<int>(terms.size());
  plan.kept = static_cast<int>(out.size());
  plan.summed = static_cast<int>(summed.size());
  for (size_t i = 0; i < out.size(); ++i) {
    plan.kept_dims[i] = size[out[i]];
    r.out.push_back(size[out[i]]);
  }
  for (size_t i = 0; i < summed.size(); ++i) {
    plan.summed_dims[i] = size[summed[i]];
    if (size[summed[i]] > 0 && plan.summed_count > (int64_t{1} << 48) / size[summed[i]])
      return Unsupported(p + "more than 2^48 products per output element");
    plan.summed_count *= size[summed[i]];
  }
  for (size_t o = 0; o < terms.size(); ++o) {
    int64_t stride = 1;
    for (size_t d = dim_labels[o].size(); d-- > 0;) {
      const int l = dim_labels[o][d];
      const int64_t n = shapes[o][d];
      if (!(n == 1 && size[l] != 1)) {  // a broadcast dim of 1 does not move
        auto k = std::find(out.begin(), out.end(), l);
        if (k != out.end()) plan.kept_strides[o][k - out.begin()] += stride;
        else plan.summed_strides[o][std::find(summed.begin(), summed.end(), l) - summed.begin()] += stride;
      }
      stride *= n;
    }
  }
  return r;
}

}  // namespace top::ops
