// How long an idle CPU stream polls for work before it sleeps — one rule for the stage
// executor and the simulator that models it.
//
// Waking a sleeping stream thread takes 30-60 us on the 2-vCPU CI machine while the
// notifying stream keeps computing (runtime::measure_wake_ms), longer than many operator
// groups run, and the woken thread may even be placed on the notifier's core; a polling
// stream starts a ready group within a microsecond. Polling costs a core, so by default
// streams poll only when all their threads fit the machine's cores.
#pragma once

#include <algorithm>

namespace top::runtime {

constexpr int kSpinAuto = -1;     // RuntimeConfig::stream_spin_us default
constexpr int kAutoSpinUs = 200;  // a few wake-ups' worth: the gaps of a branchy schedule

// `spin_us` >= 0 is taken as given; kSpinAuto gives kAutoSpinUs when
// num_streams x threads_per_stream <= cores, else 0.
inline int resolve_spin_us(int spin_us, int num_streams, int threads_per_stream, int cores) {
  if (spin_us >= 0) return spin_us;
  const long threads = static_cast<long>(std::max(1, num_streams)) * std::max(1, threads_per_stream);
  return cores > 0 && threads <= cores ? kAutoSpinUs : 0;
}

}  // namespace top::runtime
