// IEEE float16 <-> float32 conversion on the host (round to nearest even; NaN and
// infinity kept; subnormals exact). Cast, the float16 tensor accessors and the tests use it.
#pragma once

#include <cstdint>

namespace top {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

// bfloat16: the top 16 bits of a float32; rounding to nearest even, NaN kept quiet.
float bfloat16_to_float(uint16_t b);
uint16_t float_to_bfloat16(float f);

}  // namespace top
