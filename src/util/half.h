// IEEE float16 <-> float32 conversion on the host (round to nearest even; NaN and
// infinity kept; subnormals exact). Cast, the float16 tensor accessors and the tests use it.
#pragma once

#include <cstdint>

namespace top {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace top
