// The fused activation of a Conv/Gemm step (ops::FusedActivation, parsed from the
// step's "activation" attributes) as the epilogue kernels' parameters.
#pragma once

#include "kernels/conv_epilogue.h"
#include "ops/conv_util.h"

namespace top::cuda {

inline kernels::Epilogue to_epilogue(const ops::FusedActivation& a) {
  using K = ops::FusedActivation::Kind;
  using E = kernels::EpilogueActivation;
  kernels::Epilogue e;
  e.alpha = a.alpha;
  e.beta = a.beta;
  switch (a.kind) {
    case K::kNone: e.act = E::kNone; break;
    case K::kRelu: e.act = E::kRelu; break;
    case K::kLeakyRelu: e.act = E::kLeakyRelu; break;
    case K::kClip: e.act = E::kClip; break;
    case K::kSigmoid: e.act = E::kSigmoid; break;
    case K::kHardSigmoid: e.act = E::kHardSigmoid; break;
    case K::kHardSwish: e.act = E::kHardSwish; break;
    case K::kTanh: e.act = E::kTanh; break;
  }
  return e;
}

}  // namespace top::cuda
