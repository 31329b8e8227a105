#include "runtime/batch_tensors.h"

#include <cstring>

namespace top::runtime {

Result<Tensor> concat_batch(const std::vector<const Tensor*>& parts) {
  Shape s = parts[0]->shape();
  int64_t total = 0;
  for (const Tensor* p : parts) total += p->shape()[0];
  s[0] = total;
  TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(parts[0]->dtype(), s));
  size_t off = 0;
  for (const Tensor* p : parts) {
    std::memcpy(static_cast<char*>(out.raw_data()) + off, p->raw_data(), p->nbytes());
    off += p->nbytes();
  }
  return out;
}

Result<Tensor> slice_batch(const Tensor& t, int64_t begin, int64_t count) {
  Shape s = t.shape();
  size_t row = s[0] ? t.nbytes() / static_cast<size_t>(s[0]) : 0;
  s[0] = count;
  TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(t.dtype(), s));
  std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + row * static_cast<size_t>(begin),
              row * static_cast<size_t>(count));
  return out;
}

}  // namespace top::runtime
