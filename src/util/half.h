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

// n values between a 16-bit float type (`bfloat16` true: bfloat16, else float16) and
// float32: Cast and the float32 fallback of ops/float16_promotion.h share these.
void halves_to_floats(bool bfloat16, const uint16_t* src, float* dst, int64_t n);
void floats_to_halves(bool bfloat16, const float* src, uint16_t* dst, int64_t n);

}  // namespace top
