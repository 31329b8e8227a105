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
//   top:finetune=DIR[,finetune_every=S]  online fine-tuning (rl/train/online_finetuner.h):
//                                        keeps learning from live ticks (2% exploration
//                                        per head), rotated checkpoints in DIR; needs
//                                        register_top_finetuning() (LibTorch builds)
// (fifo cannot be a fallback: it runs one task at a time on one stream, a setting of the
// whole run.) Call register_top_policy_kind() once at program start.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "top/status.h"

namespace top::rl {

class TopAgents;

void register_top_policy_kind();

// Starts online fine-tuning of `agents` (which record their ticks); the returned handle
// keeps it running and stops it when released. Set by register_top_finetuning().
using FineTuneStarter = std::function<Result<std::shared_ptr<void>>(
    std::shared_ptr<TopAgents> agents, const std::string& dir, double every_s, const std::string& source)>;
void set_top_finetune_starter(FineTuneStarter starter);

}  // namespace top::rl
