// `toprt info MODEL`: what the model is made of and how much parallelism its DAG has.
#include <fmt/format.h>

#include <map>

#include "commands.h"
#include "exec/plan.h"
#include "ops/op.h"
#include "inputs.h"
#include "ir/graph.h"
#include "top/model.h"

namespace toprt {

namespace {

struct InfoArgs {
  std::string model;
  int64_t batch = 1;
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (b >= 1024 && u < 3) {
    b /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", b, units[u]);
}

void run_info(const InfoArgs& args) {
  auto model = top::Model::load(args.model);
  if (!model.ok()) return fail(model.status());
  const top::ir::Graph& g = *model->graph();
  fmt::print("model      {} (opset {}, ir {}, producer '{}')\n", model->name(), g.default_opset, g.ir_version,
             g.producer_name);
  InputSpec spec;
  spec.batch = args.batch;
  std::vector<top::Shape> shapes;
  for (const auto& in : model->inputs()) {
    fmt::print("input      {} {} {}\n", in.name, top::dtype_name(in.dtype), declared_shape_str(in));
    shapes.push_back(concrete_shape(in, spec));
  }
  for (const auto& out : model->outputs())
    fmt::print("output     {} {} {}\n", out.name, top::dtype_name(out.dtype), declared_shape_str(out));
  fmt::print("nodes      {}\n", g.nodes.size());
  fmt::print("parameters {} ({})\n", g.parameter_count(), human_bytes(static_cast<double>(g.parameter_count()) * 4));

  std::map<std::string, int> counts;
  for (const auto& n : g.nodes) counts[n.op_type]++;
  std::string ops;
  for (const auto& [t, c] : counts) ops += fmt::format("{}{}x{}", ops.empty() ? "" : ", ", t, c);
  fmt::print("operators  {}\n", ops);

  auto topo = g.topological_order();
  if (!topo.ok()) return fail(topo.status());
  std::vector<int> level = g.depth_levels(*topo);
  int depth = 0;
  for (int l : level) depth = std::max(depth, l + 1);
  fmt::print("dag        depth {} , width {} (most operators that can run at once, ASAP levels)\n", depth,
             g.max_level_width(*topo));

  auto plan = top::exec::make_plan(model->graph(), shapes);
  if (!plan.ok()) return fail(plan.status().with_context(fmt::format("planning for batch {}", args.batch)));
  const auto& p = **plan;
  fmt::print("plan       batch {}: {} operators to run ({} folded as constants), {:.3f} GFLOP\n", args.batch,
             p.steps.size(), p.folded_nodes, p.total_flops() / 1e9);
  std::string widened;
  for (const auto& step : p.steps)
    if (step.float16_via_float32) widened += (widened.empty() ? "" : ", ") + g.nodes[step.node].name;
  if (!widened.empty()) fmt::print("float16    computed in float32 (no float16 kernel): {}\n", widened);
  // Steps with a kernel built for this plan (oneDNN), counted per implementation.
  std::map<std::string, int> kernels;
  for (const auto& step : p.steps)
    if (step.op && !step.op->kernel_name().empty()) kernels[step.op->kernel_name()]++;
  if (!kernels.empty()) {
    std::string list;
    for (const auto& [name, n] : kernels) list += fmt::format("{}{} x{}", list.empty() ? "" : ", ", name, n);
    fmt::print("kernels    cpu: {} of {} steps on plan kernels: {}\n", p.plan_kernels, p.steps.size(), list);
  }
  if (p.channel_block > 0 || p.layout_boundaries > 0) {
    int activations = 0;
    for (const auto& slot : p.slots) activations += slot.kind == top::exec::Slot::Kind::kActivation;
    fmt::print("layouts    cpu: {} of {} activations channel-blocked ({} channels per block, kept between kernels); "
               "{} plain/blocked conversions inside kernels\n",
               p.blocked_values, activations, p.channel_block, p.layout_boundaries);
  }
  fmt::print("memory     activations {} peak ({} without reuse)\n", human_bytes(static_cast<double>(p.arena_bytes)),
             human_bytes(static_cast<double>(p.naive_bytes)));
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Print a model's operators, shapes, parameters, FLOPs and DAG width");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--batch", args->batch, "batch size for the symbolic batch dimension")->check(CLI::Range(1, 1 << 20));
  cmd->callback([args] { run_info(*args); });
}

}  // namespace toprt
