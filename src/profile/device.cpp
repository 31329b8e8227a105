#include "profile/device.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

namespace top::profile {

const char* device_kind_name(DeviceKind k) { return k == DeviceKind::kGpu ? "gpu" : "cpu"; }

// Shared by every NVIDIA part below: CUDA C++ Programming Guide, "Features and Technical
// Specifications" table: max resident threads per SM 2048 on compute capability 8.0 and
// 9.0, 1536 on 8.7 (Orin); max resident grids per device 128.
// Kernel launch overhead is an assumption (an empty kernel measures a few microseconds
// from launch to completion on discrete parts); a GPU profile measures it instead.

DeviceSpec h100_sxm() {
  DeviceSpec d;
  d.name = "h100-sxm";
  d.kind = DeviceKind::kGpu;
  d.description = "NVIDIA H100 SXM5 80GB";
  // NVIDIA H100 Tensor Core GPU datasheet (2023), SXM column: FP32 67 TFLOPS; TF32 Tensor
  // Core 989 TFLOPS and FP16 Tensor Core 1,979 TFLOPS *with sparsity* (dense = half);
  // 80 GB HBM3 at 3.35 TB/s. 132 SMs: NVIDIA H100 Tensor Core GPU Architecture whitepaper.
  d.peak_fp32_flops = 67e12;
  d.peak_tf32_tensor_flops = 494.5e12;
  d.peak_fp16_tensor_flops = 989.5e12;
  d.memory_bandwidth = 3.35e12;
  d.memory_bytes = 80e9;
  d.compute_units = 132;
  d.threads_per_unit = 2048;
  d.max_concurrent_kernels = 128;
  d.launch_overhead_s = 4e-6;
  d.source = "NVIDIA H100 datasheet (SXM), Hopper whitepaper";
  return d;
}

DeviceSpec h200_sxm() {
  DeviceSpec d;
  d.name = "h200-sxm";
  d.kind = DeviceKind::kGpu;
  d.description = "NVIDIA H200 SXM 141GB";
  // NVIDIA H200 Tensor Core GPU datasheet (2024), SXM column: FP32 67 TFLOPS; TF32 989 and
  // FP16 1,979 TFLOPS with sparsity; 141 GB HBM3e at 4.8 TB/s. Same GH100 configuration
  // as H100 SXM (132 SMs): only the memory differs.
  d.peak_fp32_flops = 67e12;
  d.peak_tf32_tensor_flops = 494.5e12;
  d.peak_fp16_tensor_flops = 989.5e12;
  d.memory_bandwidth = 4.8e12;
  d.memory_bytes = 141e9;
  d.compute_units = 132;
  d.threads_per_unit = 2048;
  d.max_concurrent_kernels = 128;
  d.launch_overhead_s = 4e-6;
  d.source = "NVIDIA H200 datasheet (SXM)";
  return d;
}

DeviceSpec a100_sxm_80gb() {
  DeviceSpec d;
  d.name = "a100-sxm-80gb";
  d.kind = DeviceKind::kGpu;
  d.description = "NVIDIA A100 SXM4 80GB";
  // NVIDIA A100 Tensor Core GPU datasheet (2021), 80GB SXM column: FP32 19.5 TFLOPS; TF32
  // 156 TFLOPS, FP16 Tensor Core 312 TFLOPS (dense; 312/624 with sparsity); HBM2e
  // 2,039 GB/s. 108 SMs: NVIDIA A100 Tensor Core GPU Architecture whitepaper.
  d.peak_fp32_flops = 19.5e12;
  d.peak_tf32_tensor_flops = 156e12;
  d.peak_fp16_tensor_flops = 312e12;
  d.memory_bandwidth = 2.039e12;
  d.memory_bytes = 80e9;
  d.compute_units = 108;
  d.threads_per_unit = 2048;
  d.max_concurrent_kernels = 128;
  d.launch_overhead_s = 4e-6;
  d.source = "NVIDIA A100 datasheet (80GB SXM), Ampere GA100 whitepaper";
  return d;
}

DeviceSpec jetson_agx_orin() {
  DeviceSpec d;
  d.name = "jetson-agx-orin";
  d.kind = DeviceKind::kGpu;
  d.description = "NVIDIA Jetson AGX Orin 64GB (integrated Ampere GPU)";
  // NVIDIA Jetson AGX Orin Series Technical Brief / module datasheet: 2048 CUDA cores in
  // 16 SMs and 64 Tensor Cores at up to 1.3 GHz; 64 GB 256-bit LPDDR5 at 204.8 GB/s,
  // shared with the CPU. FP32 = 2048 cores x 2 FLOP x 1.3 GHz = 5.3 TFLOPS. The GPU's
  // 170 sparse INT8 TOPS give 85 dense INT8 -> 42.5 dense FP16 -> 21.3 TF32 (derived,
  // the usual 2:1 steps of Ampere tensor cores; not a published figure).
  d.peak_fp32_flops = 2048 * 2 * 1.3e9;
  d.peak_tf32_tensor_flops = 21.25e12;
  d.peak_fp16_tensor_flops = 42.5e12;
  d.memory_bandwidth = 204.8e9;
  d.memory_bytes = 64e9;
  d.compute_units = 16;
  d.threads_per_unit = 1536;
  d.max_concurrent_kernels = 128;
  d.launch_overhead_s = 10e-6;  // assumed: slower Arm host cores issue the launches
  d.source = "NVIDIA Jetson AGX Orin technical brief and module datasheet";
  return d;
}

namespace {

// First value of `key` in /proc/cpuinfo, "" when absent (non-Linux, containers).
std::string cpuinfo_field(const std::string& key) {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return "";
}

bool has_flag(const std::string& flags, const std::string& flag) {
  std::istringstream in(flags);
  std::string f;
  while (in >> f)
    if (f == flag) return true;
  return false;
}

}  // namespace

double cache_size_bytes(int level) {
  for (int i = 0; i < 8; ++i) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream lf(dir + "level"), tf(dir + "type"), sf(dir + "size");
    int l = 0;
    std::string type, v;
    if (!(lf >> l) || !(tf >> type) || !(sf >> v) || l != level || type == "Instruction" || v.empty()) continue;
    double n = 0;
    try {
      n = std::stod(v);
    } catch (...) {
      continue;
    }
    if (v.back() == 'K') n *= 1024;
    if (v.back() == 'M') n *= 1024 * 1024;
    return n;
  }
  return 0;
}

std::string cpu_device_name(int cores) {
  std::string model = cpuinfo_field("model name");
  if (model.empty()) model = "generic";
  std::string slug;
  for (char c : model) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      slug += static_cast<char>(std::tolower(u));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  // Drop marketing noise that varies between otherwise identical hosts.
  for (const std::string noise : {"-processor", "-with-radeon-graphics"}) {
    size_t p = slug.find(noise);
    if (p != std::string::npos) slug.erase(p, noise.size());
  }
  if (slug.size() > 40) slug.resize(40);
  return "cpu-" + slug + "-" + std::to_string(cores) + "c";
}

DeviceSpec cpu_host(int threads) {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int cores = threads > 0 ? threads : hw;
  DeviceSpec d;
  d.kind = DeviceKind::kCpu;
  d.name = cpu_device_name(cores);
  std::string model = cpuinfo_field("model name");
  d.description = (model.empty() ? std::string("CPU") : model) + ", " + std::to_string(cores) + " threads";
  double ghz = 2.5;
  try {
    std::string mhz = cpuinfo_field("cpu MHz");
    if (!mhz.empty()) ghz = std::stod(mhz) / 1000.0;
  } catch (...) {
  }
  if (ghz < 0.5 || ghz > 6.0) ghz = 2.5;
  std::string flags = cpuinfo_field("flags");
  // Two 256-bit FMA pipes = 2 x 8 lanes x 2 FLOP per cycle. AVX-512 parts are not
  // counted higher: several (Zen 4, some Xeons) split 512-bit FMAs in two.
  double flops_per_cycle = has_flag(flags, "avx2") && has_flag(flags, "fma") ? 32.0 : 8.0;
  double per_core = flops_per_cycle * ghz * 1e9 * 0.75;
  d.peak_fp32_flops = per_core * cores;
  d.memory_bandwidth = 10e9 * cores;
  d.cache_bytes = cache_size_bytes(2) * cores;
  d.cache_bandwidth = d.cache_bytes > 0 ? 40e9 * cores : 0;
  d.compute_units = cores;
  d.threads_per_unit = 1;
  d.max_concurrent_kernels = cores;
  d.launch_overhead_s = 2e-6;
  d.source = "assumed from /proc/cpuinfo (" + std::to_string(static_cast<int>(flops_per_cycle)) + " FLOP/cycle at " +
             std::to_string(ghz).substr(0, 4) + " GHz x 0.75, 10 GB/s per core, 40 GB/s per core from cache)";
  return d;
}

std::vector<std::string> known_devices() { return {"h100-sxm", "h200-sxm", "a100-sxm-80gb", "jetson-agx-orin", "cpu"}; }

Result<DeviceSpec> device_by_name(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "h100" || n == "h100-sxm") return h100_sxm();
  if (n == "h200" || n == "h200-sxm") return h200_sxm();
  if (n == "a100" || n == "a100-sxm-80gb") return a100_sxm_80gb();
  if (n == "orin" || n == "jetson-agx-orin") return jetson_agx_orin();
  if (n == "cpu") return cpu_host();
  std::string list;
  for (const auto& k : known_devices()) list += (list.empty() ? "" : ", ") + k;
  return NotFound("unknown device '" + name + "' (known: " + list + ")");
}

}  // namespace top::profile
