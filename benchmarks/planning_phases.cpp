// Where planning time goes for one model: each phase from ONNX file to a compiled
// schedule, timed on its own, so a phase that grows faster than the graph stands out
// when the same model is generated at several sizes
// (benchmarks/make_large_graph_model.py; docs/BENCHMARKS.md, "Planning time vs graph size").
//
//   bench_planning_phases MODEL [phases=all]
//
// phases: a comma list of import, dag, plan, memory, taskgraph, greedy, compile (the
// schedule compile, which plans memory for concurrent order: skip it for huge graphs).
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "exec/compiled_schedule.h"
#include "exec/memory_plan.h"
#include "exec/plan.h"
#include "exec/schedule.h"
#include "ir/onnx_import.h"
#include "sched/generators.h"

namespace {

double seconds_of(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool wanted(const std::string& phases, const std::string& name) {
  return phases == "all" || ("," + phases + ",").find("," + name + ",") != std::string::npos;
}

int fail(const top::Status& s) {
  std::fprintf(stderr, "%s\n", s.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_planning_phases MODEL [phases=all]\n");
    return 2;
  }
  const std::string phases = argc > 2 ? argv[2] : "all";
  top::Result<std::shared_ptr<top::ir::Graph>> graph = top::InvalidArgument("not loaded");
  std::printf("import     %8.3f s  (libonnx checker + shape inference + graph IR)\n",
              seconds_of([&] { graph = top::ir::import_onnx_file(argv[1]); }));
  if (!graph.ok()) return fail(graph.status());
  const top::ir::Graph& g = **graph;
  std::printf("nodes      %zu\n", g.nodes.size());
  if (wanted(phases, "dag")) {
    std::printf("dag        %8.3f s  (topological order, depth levels, level width)\n", seconds_of([&] {
                  auto topo = g.topological_order();
                  if (topo.ok()) g.max_level_width(*topo);
                }));
  }
  std::vector<top::Shape> shapes;
  for (top::ir::ValueId v : g.inputs) {
    top::Shape s = g.values[v].shape;
    for (int64_t& d : s)
      if (d < 0) d = 1;
    shapes.push_back(s);
  }
  top::Result<std::shared_ptr<const top::exec::ExecutionPlan>> plan = top::InvalidArgument("not planned");
  std::printf("plan       %8.3f s  (make_plan: shapes, folding, fusion, memory)\n",
              seconds_of([&] { plan = top::exec::make_plan(*graph, shapes); }));
  if (!plan.ok()) return fail(plan.status());
  std::printf("steps      %zu, arena %zu bytes\n", (*plan)->steps.size(), (*plan)->arena_bytes);
  if (wanted(phases, "memory")) {
    top::exec::ExecutionPlan copy = **plan;
    std::printf("memory     %8.3f s  (plan_activation_memory alone)\n",
                seconds_of([&] { top::exec::plan_activation_memory(copy); }));
  }
  top::exec::TaskGraph tg;
  if (wanted(phases, "taskgraph") || wanted(phases, "greedy") || wanted(phases, "compile"))
    std::printf("taskgraph  %8.3f s  (TaskGraph::build, k=1)\n",
                seconds_of([&] { tg = top::exec::TaskGraph::build(*plan, 1); }));
  top::Result<top::exec::Schedule> sched = top::InvalidArgument("no schedule");
  if (wanted(phases, "greedy") || wanted(phases, "compile")) {
    std::printf("greedy     %8.3f s  (greedy_schedule, 2 streams)\n",
                seconds_of([&] { sched = top::sched::greedy_schedule(tg); }));
    if (!sched.ok()) return fail(sched.status());
  }
  if (wanted(phases, "compile")) {
    top::Result<std::shared_ptr<const top::exec::CompiledSchedule>> c = top::InvalidArgument("not compiled");
    std::printf("compile    %8.3f s  (CompiledSchedule::compile of the greedy schedule)\n",
                seconds_of([&] { c = top::exec::CompiledSchedule::compile(*sched); }));
    if (!c.ok()) return fail(c.status());
    std::printf("layout     arena %zu bytes under concurrent order\n", (*c)->task_layouts[0].arena_bytes);
  }
  return 0;
}
