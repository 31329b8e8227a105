// `toprt info MODEL`: what the model is made of and how much parallelism its DAG has.
#include <fmt/format.h>

#include <map>

#include "commands.h"
#include "exec/plan.h"
#include "ops/op.h"
#include "inputs.h"
#include "report.h"
#include "ir/graph.h"
#include "top/model.h"

namespace toprt {

namespace {

struct InfoArgs {
  std::string model;
  int64_t batch = 1;
  bool json = false;
};

nlohmann::json tensor_json(const top::TensorInfo& t) {
  return {{"name", t.name}, {"dtype", top::dtype_name(t.dtype)}, {"shape", t.shape}, {"dim_names", t.dim_names}};
}

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
  Report r(args.json);
  r.text(fmt::format("model      {} (opset {}, ir {}, producer '{}')", model->name(), g.default_opset, g.ir_version,
                     g.producer_name));
  r.data()["model"] = {{"name", model->name()}, {"opset", g.default_opset}, {"ir_version", g.ir_version},
                       {"producer", g.producer_name}};
  InputSpec spec;
  spec.batch = args.batch;
  std::vector<top::Shape> shapes;
  for (const auto& in : model->inputs()) {
    r.text(fmt::format("input      {} {} {}", in.name, top::dtype_name(in.dtype), declared_shape_str(in)));
    r.data()["inputs"].push_back(tensor_json(in));
    shapes.push_back(concrete_shape(in, spec));
  }
  for (const auto& out : model->outputs()) {
    r.text(fmt::format("output     {} {} {}", out.name, top::dtype_name(out.dtype), declared_shape_str(out)));
    r.data()["outputs"].push_back(tensor_json(out));
  }
  r.text(fmt::format("nodes      {}", g.nodes.size()));
  r.text(fmt::format("parameters {} ({})", g.parameter_count(), human_bytes(static_cast<double>(g.parameter_count()) * 4)));
  r.data()["nodes"] = g.nodes.size();
  r.data()["parameters"] = g.parameter_count();

  std::map<std::string, int> counts;
  for (const auto& n : g.nodes) counts[n.op_type]++;
  std::string ops;
  for (const auto& [t, c] : counts) ops += fmt::format("{}{}x{}", ops.empty() ? "" : ", ", t, c);
  r.text(fmt::format("operators  {}", ops));
  r.data()["operators"] = counts;

  auto topo = g.topological_order();
  if (!topo.ok()) return fail(topo.status());
  std::vector<int> level = g.depth_levels(*topo);
  int depth = 0;
  for (int l : level) depth = std::max(depth, l + 1);
  r.text(fmt::format("dag        depth {} , width {} (most operators that can run at once, ASAP levels)", depth,
                     g.max_level_width(*topo)));
  r.data()["dag"] = {{"depth", depth}, {"width", g.max_level_width(*topo)}};

  auto plan = top::exec::make_plan(model->graph(), shapes);
  if (!plan.ok()) return fail(plan.status().with_context(fmt::format("planning for batch {}", args.batch)));
  const auto& p = **plan;
  r.text(fmt::format("plan       batch {}: {} operators to run ({} folded as constants), {:.3f} GFLOP", args.batch,
                     p.steps.size(), p.folded_nodes, p.total_flops() / 1e9));
  nlohmann::json& plan_json = r.data()["plan"];
  plan_json = {{"batch", args.batch}, {"steps", p.steps.size()}, {"folded_nodes", p.folded_nodes},
               {"gflop", p.total_flops() / 1e9}, {"activation_bytes", p.arena_bytes},
               {"activation_bytes_without_reuse", p.naive_bytes}};
  std::string widened;
  for (const auto& step : p.steps)
    if (step.float16_via_float32) widened += (widened.empty() ? "" : ", ") + g.nodes[step.node].name;
  if (!widened.empty()) r.text(fmt::format("float16    computed in float32 (no float16 kernel): {}", widened));
  // Steps with a kernel built for this plan (oneDNN), counted per implementation.
  std::map<std::string, int> kernels;
  for (const auto& step : p.steps)
    if (step.op && !step.op->kernel_name().empty()) kernels[step.op->kernel_name()]++;
  if (!kernels.empty()) {
    std::string list;
    for (const auto& [name, n] : kernels) list += fmt::format("{}{} x{}", list.empty() ? "" : ", ", name, n);
    r.text(fmt::format("kernels    cpu: {} of {} steps on plan kernels: {}", p.plan_kernels, p.steps.size(), list));
    plan_json["plan_kernels"] = kernels;
  }
  if (p.channel_block > 0 || p.layout_boundaries > 0) {
    int activations = 0;
    for (const auto& slot : p.slots) activations += slot.kind == top::exec::Slot::Kind::kActivation;
    r.text(fmt::format("layouts    cpu: {} of {} activations channel-blocked ({} channels per block, kept between kernels); "
                       "{} plain/blocked conversions inside kernels",
                       p.blocked_values, activations, p.channel_block, p.layout_boundaries));
    plan_json["layouts"] = {{"blocked_activations", p.blocked_values}, {"activations", activations},
                            {"channel_block", p.channel_block}, {"conversions", p.layout_boundaries}};
  }
  r.text(fmt::format("memory     activations {} peak ({} without reuse)", human_bytes(static_cast<double>(p.arena_bytes)),
                     human_bytes(static_cast<double>(p.naive_bytes))));
  r.finish();
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Print a model's operators, shapes, parameters, FLOPs and DAG width");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--batch", args->batch, "batch size for the symbolic batch dimension")->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--json", args->json, "print one JSON object instead of text");
  cmd->callback([args] { run_info(*args); });
}

}  // namespace toprt
