// DeviceSpec: what the cost model knows about a device before anything is measured.
//
// GPU entries carry vendor datasheet figures (sources next to each in device.cpp,
// assumptions in docs/cost_model.md). The CPU entry describes this machine: core count
// and clock from the OS, a per-core rate assumed from the ISA until a profile (see
// profiler.h) replaces it with measured SGEMM and memory-copy rates.
//
//   top::profile::DeviceSpec h100 = top::profile::device_by_name("h100-sxm").value();
//   double ms = 1e3 * flops / (h100.peak_fp32_flops * 0.6);
//
// Thread safety: plain values; the functions only read /proc and are reentrant.
#pragma once

#include <string>
#include <vector>

#include "top/status.h"

namespace top::profile {

enum class DeviceKind { kGpu, kCpu };

const char* device_kind_name(DeviceKind k);  // "gpu" / "cpu"

struct DeviceSpec {
  std::string name;  // stable id, the key of a profile: "h100-sxm", "cpu-amd-epyc-2c"
  DeviceKind kind = DeviceKind::kCpu;
  std::string description;            // human-readable part name
  double peak_fp32_flops = 0;         // FLOP/s, non-tensor FP32 (CPU: all cores, see below)
  double peak_tf32_tensor_flops = 0;  // FLOP/s, dense (no sparsity); 0 when absent
  double peak_fp16_tensor_flops = 0;  // FLOP/s, dense, FP32 accumulate; 0 when absent
  double memory_bandwidth = 0;        // bytes/s of device memory (CPU: all cores together)
  // CPU: what one core alone draws from memory (one core often gets well over its 1/N
  // share); 0 = memory_bandwidth / compute_units. Unused on GPUs.
  double memory_bandwidth_per_unit = 0;
  double memory_bytes = 0;  // capacity
  // A second roofline level: operators whose bytes fit in half of `cache_bytes` stream
  // at `cache_bandwidth` instead. CPU: the per-core L2 caches together (an operator's
  // inputs and outputs are usually still there from its producer), measured; GPU: 0 =
  // not modelled until a GPU profile measures its L2.
  double cache_bytes = 0;
  double cache_bandwidth = 0;
  int compute_units = 1;           // SMs (GPU) or cores (CPU)
  int threads_per_unit = 1;        // max resident threads per SM; 1 per CPU core
  int max_concurrent_kernels = 1;  // GPU: resident grids; CPU: hardware threads
  double launch_overhead_s = 0;    // per operator: kernel launch (GPU), dispatch (CPU)
  bool measured = false;           // CPU figures come from a calibration, not assumptions
  std::string source;              // where the figures come from

  bool is_gpu() const { return kind == DeviceKind::kGpu; }
  // Threads the device keeps resident at once (SMs x threads per SM; CPU: cores).
  double resident_threads() const { return static_cast<double>(compute_units) * threads_per_unit; }
};

// Published figures, SXM/module parts (see device.cpp for sources).
DeviceSpec h100_sxm();
DeviceSpec h200_sxm();
DeviceSpec a100_sxm_80gb();
DeviceSpec jetson_agx_orin();  // the 64 GB module's GPU at its 1.3 GHz maximum clock

// This machine's CPU with `threads` cores in use (0 = all hardware threads). The per-core
// FP32 rate is assumed: 32 FLOP/cycle with AVX2+FMA (8 without), at the clock
// /proc/cpuinfo reports (2.5 GHz if unknown), times 0.75 for what SGEMM attains; memory
// bandwidth is assumed 10 GB/s per core from DRAM and 40 GB/s per core from L2 (size
// from sysfs). A profile's calibration replaces all of these.
DeviceSpec cpu_host(int threads = 0);
// "cpu-<model name>-<N>c", lower-case, no host name: a profile key stable across machines
// of the same kind.
std::string cpu_device_name(int cores);
// Size of one core's data or unified cache of `level` (1, 2, 3) from sysfs; 0 when unknown.
double cache_size_bytes(int level);

// "h100-sxm" (aliases "h100"), "h200-sxm" ("h200"), "a100-sxm-80gb" ("a100"),
// "jetson-agx-orin" ("orin"), "cpu" (this machine). NotFound lists the known names.
Result<DeviceSpec> device_by_name(const std::string& name);
std::vector<std::string> known_devices();

}  // namespace top::profile
