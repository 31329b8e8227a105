#include "backend/cuda/cuda_executor.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "backend/cuda/cuda_check.h"
#include "exec/compiled_schedule.h"

namespace top::cuda {

namespace {

// cuBLAS's own workspace per handle: NVIDIA's recommendation for Hopper. Setting it
// ourselves keeps cuBLAS from allocating during CUDA graph capture.
constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;

size_t slot_bytes(const exec::Slot& s) { return static_cast<size_t>(std::max<int64_t>(shape_numel(s.shape), 0)) * dtype_size(s.dtype); }

}  // namespace

// ---- lanes ---------------------------------------------------------------------------

Result<std::unique_ptr<LaneSet>> LaneSet::create(int num_lanes, size_t workspace_bytes) {
  auto set = std::make_unique<LaneSet>();
  for (int i = 0; i < std::max(1, num_lanes); ++i) {
    auto lane = std::make_unique<Lane>();
    TOP_ASSIGN_OR_RETURN(lane->stream, create_stream());
    TOP_ASSIGN_OR_RETURN(lane->cudnn, create_cudnn(lane->stream.get()));
    TOP_ASSIGN_OR_RETURN(lane->cublas, create_cublas(lane->stream.get()));
    TOP_ASSIGN_OR_RETURN(lane->workspace, DeviceBuffer::create(workspace_bytes));
    TOP_ASSIGN_OR_RETURN(lane->cublas_workspace, DeviceBuffer::create(kCublasWorkspaceBytes));
    TOP_CUBLAS_CHECK(cublasSetWorkspace(lane->cublas.get(), lane->cublas_workspace.get(), kCublasWorkspaceBytes));
    lane->res.stream = lane->stream.get();
    lane->res.cudnn = lane->cudnn.get();
    lane->res.cublas = lane->cublas.get();
    lane->res.workspace = lane->workspace.get();
    lane->res.workspace_bytes = workspace_bytes;
    set->lanes_.push_back(std::move(lane));
  }
  set->busy_.assign(set->lanes_.size(), false);
  return set;
}

size_t LaneSet::workspace_bytes() const {
  size_t total = 0;
  for (const auto& l : lanes_) total += l->workspace.size() + l->cublas_workspace.size();
  return total;
}

Lane* LaneSet::acquire_one() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    for (size_t i = 0; i < lanes_.size(); ++i)
      if (!busy_[i]) {
        busy_[i] = true;
        return lanes_[i].get();
      }
    cv_.wait(lock);
  }
}

std::vector<Lane*> LaneSet::acquire_all() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] {
    for (bool b : busy_)
      if (b) return false;
    return true;
  });
  std::vector<Lane*> all;  // always in lane order: a captured graph relies on it
  for (size_t i = 0; i < lanes_.size(); ++i) {
    busy_[i] = true;
    all.push_back(lanes_[i].get());
  }
  return all;
}

void LaneSet::release(const std::vector<Lane*>& lanes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Lane* l : lanes)
      for (size_t i = 0; i < lanes_.size(); ++i)
        if (lanes_[i].get() == l) busy_[i] = false;
  }
  cv_.notify_all();
}

// ---- task memory and bindings ----------------------------------------------------------

IoLayout IoLayout::of(const exec::ExecutionPlan& plan) {
  const ir::Graph& g = *plan.graph;
  IoLayout io;
  std::vector<size_t> bytes;
  for (ir::ValueId v : g.inputs) bytes.push_back(slot_bytes(plan.slots[v]));
  io.input_bytes = pack_offsets(bytes, io.input_offsets);
  bytes.clear();
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const ir::ValueId v = g.outputs[i];
    bool repeat = false;  // a value listed twice as an output is stored once
    for (size_t j = 0; j < i; ++j) repeat = repeat || g.outputs[j] == v;
    bytes.push_back(plan.slots[v].kind == exec::Slot::Kind::kOutput && !repeat ? slot_bytes(plan.slots[v]) : 0);
  }
  io.output_bytes = pack_offsets(bytes, io.output_offsets);
  for (size_t i = 0; i < g.outputs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (g.outputs[j] == g.outputs[i]) {
        io.output_offsets[i] = io.output_offsets[j];
        break;
      }
  return io;
}

Result<TaskMemory> TaskMemory::allocate(DevicePool& pool, size_t arena_bytes, const IoLayout& io) {
  TaskMemory m;
  TOP_ASSIGN_OR_RETURN(m.arena, PoolBlock::allocate(pool, arena_bytes));
  TOP_ASSIGN_OR_RETURN(m.inputs, PoolBlock::allocate(pool, io.input_bytes));
  TOP_ASSIGN_OR_RETURN(m.outputs, PoolBlock::allocate(pool, io.output_bytes));
  return m;
}

TaskBinding bind_task(const DevicePlan& dp, const IoLayout& io, const TaskMemory& mem,
                      const std::vector<size_t>* activation_offsets) {
  const exec::ExecutionPlan& plan = dp.plan();
  const ir::Graph& g = *plan.graph;
  TaskBinding b;
  b.values.assign(plan.slots.size(), DeviceTensor{});
  auto* arena = static_cast<uint8_t*>(mem.arena.get());
  for (size_t v = 0; v < plan.slots.size(); ++v) {
    const exec::Slot& s = plan.slots[v];
    DeviceTensor& d = b.values[v];
    d.dtype = s.dtype;
    d.shape = s.shape;
    if (s.kind == exec::Slot::Kind::kConstant) d = dp.constant(v);
    if (s.kind == exec::Slot::Kind::kActivation) d.data = arena + (activation_offsets ? (*activation_offsets)[v] : s.offset);
  }
  for (size_t i = 0; i < g.inputs.size(); ++i)
    b.values[g.inputs[i]].data = static_cast<uint8_t*>(mem.inputs.get()) + io.input_offsets[i];
  for (size_t i = 0; i < g.outputs.size(); ++i)
    if (plan.slots[g.outputs[i]].kind == exec::Slot::Kind::kOutput)
      b.values[g.outputs[i]].data = static_cast<uint8_t*>(mem.outputs.get()) + io.output_offsets[i];
  // Contexts point into `values`, which is never resized again (moving keeps addresses).
  for (const exec::Step& step : plan.steps) {
    LaunchContext ctx;
    for (ir::ValueId v : step.inputs) ctx.inputs.push_back(v == ir::kNoValue ? nullptr : &b.values[v]);
    for (ir::ValueId v : step.outputs) ctx.outputs.push_back(v == ir::kNoValue ? nullptr : &b.values[v]);
    b.steps.push_back(std::move(ctx));
  }
  return b;
}

Status launch_step(const DevicePlan& dp, size_t step, TaskBinding& b, const StreamResources& res) {
  LaunchContext& ctx = b.steps[step];
  ctx.resources = &res;
  Status st = dp.op(step).launch(ctx);
  if (!st.ok()) {
    const ir::Node& n = dp.plan().graph->nodes[dp.plan().steps[step].node];
    return st.with_context("CUDA backend: " + n.op_type + " node '" + n.name + "'");
  }
  return Status::Ok();
}

Status stage_inputs(const exec::ExecutionPlan& plan, const IoLayout& io, const std::vector<const Tensor*>& inputs,
                    uint8_t* staging) {
  const ir::Graph& g = *plan.graph;
  if (inputs.size() != g.inputs.size())
    return InvalidArgument("model expects " + std::to_string(g.inputs.size()) + " inputs, got " + std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const exec::Slot& s = plan.slots[g.inputs[i]];
    if (!inputs[i] || inputs[i]->dtype() != s.dtype || inputs[i]->shape() != s.shape)
      return InvalidArgument("input '" + g.values[g.inputs[i]].name + "' must be " + dtype_name(s.dtype) + " " +
                             shape_str(s.shape) + " as the plan was made for");
    if (inputs[i]->nbytes() > 0) std::memcpy(staging + io.input_offsets[i], inputs[i]->raw_data(), inputs[i]->nbytes());
  }
  return Status::Ok();
}

Result<std::vector<Tensor>> unstage_outputs(const exec::ExecutionPlan& plan, const IoLayout& io,
                                            const uint8_t* staging, const std::vector<const Tensor*>& inputs) {
  const ir::Graph& g = *plan.graph;
  std::vector<Tensor> out;
  try {
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const ir::ValueId v = g.outputs[i];
      const exec::Slot& s = plan.slots[v];
      if (s.kind == exec::Slot::Kind::kOutput) {
        TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(s.dtype, s.shape));
        if (t.nbytes() > 0) std::memcpy(t.raw_data(), staging + io.output_offsets[i], t.nbytes());
        out.push_back(std::move(t));
        continue;
      }
      if (s.kind == exec::Slot::Kind::kConstant) {
        out.push_back(s.constant.clone());
        if (!out.back().defined()) return OutOfMemory("cannot copy a constant output of " + plan.graph->name);
        continue;
      }
      bool found = false;
      for (size_t j = 0; j < g.inputs.size() && !found; ++j)
        if (g.inputs[j] == v && j < inputs.size() && inputs[j]) {
          out.push_back(inputs[j]->clone());
          found = true;
        }
      if (!found) return Internal("graph output '" + g.values[v].name + "' was not computed");
    }
  } catch (const std::bad_alloc&) {
    return OutOfMemory("cannot allocate the model's output tensors on the host");
  }
  return out;
}

// ---- schedule instances ---------------------------------------------------------------

namespace {

class CudaScheduleInstance final : public ScheduleInstance {
 public:
  CudaScheduleInstance(std::shared_ptr<BackendShared> shared, std::shared_ptr<const DevicePlan> dp,
                       std::shared_ptr<const exec::CompiledSchedule> compiled)
      : shared_(std::move(shared)), dp_(std::move(dp)), compiled_(std::move(compiled)), io_(IoLayout::of(dp_->plan())) {}

  ~CudaScheduleInstance() override {
    cudaSetDevice(shared_->device);
    (void)synchronize();  // blocks go back to the pool only when nothing uses them
    shared_->arena_bytes -= arena_bytes_;
  }

  Status init(const std::vector<std::vector<const Tensor*>>& inputs) {
    const int k = compiled_->schedule.num_tasks;
    if (static_cast<int>(inputs.size()) != k)
      return InvalidArgument("CUDA backend: the schedule has " + std::to_string(k) + " tasks but inputs were given for " +
                             std::to_string(inputs.size()));
    TOP_ASSIGN_OR_RETURN(pinned_, PinnedBuffer::create(static_cast<size_t>(k) * (io_.input_bytes + io_.output_bytes)));
    host_inputs_.resize(k);
    for (int t = 0; t < k; ++t) {
      const exec::ArenaLayout& layout = compiled_->task_layouts[t];
      TOP_ASSIGN_OR_RETURN(TaskMemory mem, TaskMemory::allocate(shared_->pool, layout.arena_bytes, io_));
      arena_bytes_ += mem.arena.size();
      shared_->arena_bytes += mem.arena.size();
      bindings_.push_back(bind_task(*dp_, io_, mem, &layout.offset));
      memory_.push_back(std::move(mem));
      TOP_RETURN_IF_ERROR(set_inputs(t, inputs[t]));
    }
    // Lanes by position in the stage: the groups of one stage spread over streams, a
    // chain of one-group stages stays on one stream (no events needed).
    const size_t groups = compiled_->groups.size();
    const int lanes = shared_->lanes->size();
    lane_of_.assign(groups, 0);
    for (size_t g = 0, pos = 0; g < groups; ++g) {
      pos = g > 0 && compiled_->stage_of[g] == compiled_->stage_of[g - 1] ? pos + 1 : 0;
      lane_of_[g] = static_cast<int>(pos % static_cast<size_t>(lanes));
    }
    preds_.assign(groups, {});
    for (size_t g = 0; g < groups; ++g)
      for (int s : compiled_->successors[g]) preds_[s].push_back(static_cast<int>(g));
    for (size_t g = 0; g < groups; ++g) {
      TOP_ASSIGN_OR_RETURN(Event e, create_event());
      group_done_.push_back(std::move(e));
    }
    TOP_ASSIGN_OR_RETURN(inputs_ready_, create_event());
    TOP_ASSIGN_OR_RETURN(done_, create_event());
    for (int l = 0; l < lanes; ++l) {
      TOP_ASSIGN_OR_RETURN(Event e, create_event());
      lane_tail_.push_back(std::move(e));
    }
    return Status::Ok();
  }

  Status run() override {
    TOP_RETURN_IF_ERROR(enqueue());
    return synchronize();
  }

  Status enqueue() override {
    TOP_CUDA_CHECK(cudaSetDevice(shared_->device));
    LaneLease lanes(*shared_->lanes, true);
    cudaStream_t s0 = lanes[0].res.stream;
    in_flight_ = true;
    if (graph_exec_) {
      // The graph uses every lane's workspace but is ordered only against s0: fence it
      // against the other lanes' streams on both sides.
      for (size_t l = 1; l < lanes.size(); ++l) {
        TOP_CUDA_CHECK(cudaEventRecord(lane_tail_[l].get(), lanes[l].res.stream));
        TOP_CUDA_CHECK(cudaStreamWaitEvent(s0, lane_tail_[l].get(), 0));
      }
      TOP_CUDA_CHECK(cudaGraphLaunch(graph_exec_.get(), s0));
      TOP_CUDA_CHECK(cudaEventRecord(done_.get(), s0));
      for (size_t l = 1; l < lanes.size(); ++l) TOP_CUDA_CHECK(cudaStreamWaitEvent(lanes[l].res.stream, done_.get(), 0));
      return Status::Ok();
    }
    Status st = enqueue_work(lanes);
    if (!st.ok()) {
      // Part of the run is queued: let it finish before anyone frees or reuses what it
      // reads (the destructor only waits on done_, which this run never recorded).
      drain(lanes);
      in_flight_ = false;
      return st;
    }
    TOP_CUDA_CHECK(cudaEventRecord(done_.get(), s0));
    return Status::Ok();
  }

  Status synchronize() override {
    if (!in_flight_) return Status::Ok();
    TOP_CUDA_CHECK(cudaSetDevice(shared_->device));
    in_flight_ = false;
    TOP_CUDA_CHECK(cudaEventSynchronize(done_.get()));
    return Status::Ok();
  }

  Status capture_graph() override {
    TOP_RETURN_IF_ERROR(synchronize());
    TOP_CUDA_CHECK(cudaSetDevice(shared_->device));
    LaneLease lanes(*shared_->lanes, true);
    cudaStream_t s0 = lanes[0].res.stream;
    // Thread-local mode: other threads may keep allocating and launching meanwhile.
    TOP_CUDA_CHECK(cudaStreamBeginCapture(s0, cudaStreamCaptureModeThreadLocal));
    Status st = enqueue_work(lanes);
    cudaGraph_t raw = nullptr;
    cudaError_t end = cudaStreamEndCapture(s0, &raw);
    CudaGraph graph = CudaGraph(raw);
    if (!st.ok() || end != cudaSuccess) {
      // A failed capture may leave forked lanes capturing (unjoined): end those too, so
      // the lanes take ordinary work again. Nothing captured was executed.
      for (size_t l = 1; l < lanes.size(); ++l) {
        cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
        if (cudaStreamIsCapturing(lanes[l].res.stream, &status) == cudaSuccess &&
            status != cudaStreamCaptureStatusNone) {
          cudaGraph_t stray = nullptr;
          cudaStreamEndCapture(lanes[l].res.stream, &stray);
          CudaGraph discard(stray);  // destroyed here
        }
      }
      cudaGetLastError();
    }
    if (!st.ok()) return st.with_context("capturing a CUDA graph");
    TOP_CUDA_CHECK(end);
    TOP_ASSIGN_OR_RETURN(graph_exec_, instantiate_graph(graph.get()));
    graph_ = std::move(graph);
    return Status::Ok();
  }

  bool graph_captured() const override { return static_cast<bool>(graph_exec_); }

  Status set_inputs(int task, const std::vector<const Tensor*>& inputs) override {
    if (task < 0 || task >= compiled_->schedule.num_tasks)
      return InvalidArgument("CUDA backend: set_inputs: task " + std::to_string(task) + " is out of range");
    TOP_RETURN_IF_ERROR(synchronize());  // the previous run may still read the staging copy
    TOP_RETURN_IF_ERROR(stage_inputs(dp_->plan(), io_, inputs, task_staging(task)));
    try {
      host_inputs_[task].clear();
      for (const Tensor* t : inputs) host_inputs_[task].push_back(t->clone());
    } catch (const std::bad_alloc&) {
      return OutOfMemory("CUDA backend: cannot keep a host copy of task " + std::to_string(task) + "'s inputs");
    }
    return Status::Ok();
  }

  Result<std::vector<std::vector<Tensor>>> outputs() override {
    TOP_RETURN_IF_ERROR(synchronize());
    std::vector<std::vector<Tensor>> all;
    for (int t = 0; t < compiled_->schedule.num_tasks; ++t) {
      std::vector<const Tensor*> ins;
      for (const Tensor& x : host_inputs_[t]) ins.push_back(&x);
      TOP_ASSIGN_OR_RETURN(std::vector<Tensor> outs,
                           unstage_outputs(dp_->plan(), io_, task_staging(t) + io_.input_bytes, ins));
      all.push_back(std::move(outs));
    }
    return all;
  }

  size_t device_bytes() const override {
    size_t total = 0;
    for (const TaskMemory& m : memory_) total += m.arena.size() + m.inputs.size() + m.outputs.size();
    return total;
  }

 private:
  // Waits for everything queued on the lanes (error paths only; errors are ignored:
  // the caller already has the one to report).
  static void drain(const LaneLease& lanes) {
    for (size_t l = 0; l < lanes.size(); ++l) cudaStreamSynchronize(lanes[l].res.stream);
    cudaGetLastError();
  }

  uint8_t* task_staging(int task) const {
    return static_cast<uint8_t*>(pinned_.get()) + static_cast<size_t>(task) * (io_.input_bytes + io_.output_bytes);
  }

  // One run: uploads, every group on its lane with events where groups on different
  // lanes depend on each other, the join back into lane 0, downloads. Also what a
  // graph capture records (only events recorded here are waited on, as capture needs).
  Status enqueue_work(const LaneLease& lanes) {
    const int k = compiled_->schedule.num_tasks;
    cudaStream_t s0 = lanes[0].res.stream;
    for (int t = 0; t < k; ++t)
      if (io_.input_bytes > 0)
        TOP_CUDA_CHECK(cudaMemcpyAsync(memory_[t].inputs.get(), task_staging(t), io_.input_bytes, cudaMemcpyHostToDevice, s0));
    TOP_CUDA_CHECK(cudaEventRecord(inputs_ready_.get(), s0));
    std::vector<bool> forked(lanes.size(), false);
    forked[0] = true;
    std::vector<int> last_on_lane(lanes.size(), -1);
    for (size_t g = 0; g < compiled_->groups.size(); ++g) {
      const int l = lane_of_[g];
      const StreamResources& res = lanes[l].res;
      if (!forked[l]) {
        TOP_CUDA_CHECK(cudaStreamWaitEvent(res.stream, inputs_ready_.get(), 0));
        forked[l] = true;
      }
      for (int p : preds_[g])
        if (lane_of_[p] != l) TOP_CUDA_CHECK(cudaStreamWaitEvent(res.stream, group_done_[p].get(), 0));
      for (const exec::OpRef& r : compiled_->groups[g]->ops)
        TOP_RETURN_IF_ERROR(launch_step(*dp_, static_cast<size_t>(r.step), bindings_[r.task], res));
      TOP_CUDA_CHECK(cudaEventRecord(group_done_[g].get(), res.stream));
      last_on_lane[l] = static_cast<int>(g);
    }
    for (size_t l = 1; l < lanes.size(); ++l)
      if (last_on_lane[l] >= 0) TOP_CUDA_CHECK(cudaStreamWaitEvent(s0, group_done_[last_on_lane[l]].get(), 0));
    for (int t = 0; t < k; ++t)
      if (io_.output_bytes > 0)
        TOP_CUDA_CHECK(cudaMemcpyAsync(task_staging(t) + io_.input_bytes, memory_[t].outputs.get(), io_.output_bytes,
                                       cudaMemcpyDeviceToHost, s0));
    return Status::Ok();
  }

  std::shared_ptr<BackendShared> shared_;
  std::shared_ptr<const DevicePlan> dp_;
  std::shared_ptr<const exec::CompiledSchedule> compiled_;
  IoLayout io_;
  std::vector<TaskMemory> memory_;
  std::vector<TaskBinding> bindings_;
  std::vector<std::vector<Tensor>> host_inputs_;  // for outputs that pass an input through
  PinnedBuffer pinned_;                           // per task: inputs, then outputs
  std::vector<int> lane_of_;
  std::vector<std::vector<int>> preds_;
  std::vector<Event> group_done_;
  Event inputs_ready_, done_;
  std::vector<Event> lane_tail_;
  CudaGraph graph_;
  GraphExec graph_exec_;
  bool in_flight_ = false;
  size_t arena_bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<ScheduleInstance>> make_schedule_instance(std::shared_ptr<BackendShared> shared,
                                                                 std::shared_ptr<const DevicePlan> dp,
                                                                 const exec::Schedule& schedule,
                                                                 const std::vector<std::vector<const Tensor*>>& inputs) {
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const exec::CompiledSchedule> compiled,
                       exec::CompiledSchedule::compile(schedule));
  auto inst = std::make_unique<CudaScheduleInstance>(std::move(shared), std::move(dp), std::move(compiled));
  TOP_RETURN_IF_ERROR(inst->init(inputs));
  return std::unique_ptr<ScheduleInstance>(std::move(inst));
}

}  // namespace top::cuda
