// "top:..." in policy specs (runtime/policy_spec.h): `toprt bench --policies
// 'top:ckpt=PATH'` and every other place that parses policy specs get the learned
// launcher and scheduler (rl/policies/top_agents.h), guarded (rl/policies/policy_guard.h)
// by a static fallback.
//   top                                  the committed checkpoint, guarded by dynbatch
//   top:ckpt=PATH                        another checkpoint
//   top:ckpt=PATH,guard=off              unguarded
//   top:guard=absolute                   the guard's first version: absolute thresholds
//                                        instead of comparing with the fallback's record
//   top:fallback=fixed/k=2/interval=0    the fallback's spec with ':' and ',' written '/'
// (fifo cannot be a fallback: it runs one task at a time on one stream, a setting of the
// whole run.) Call register_top_policy_kind() once at program start.
#pragma once

namespace top::rl {

void register_top_policy_kind();

}  // namespace top::rl
