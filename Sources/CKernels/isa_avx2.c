// The AVX2 + FMA variant (x86-64-v3). FMA is allowed but contraction is off
// (kernels.inc), so it computes the baseline's bits.
#if defined(__x86_64__)
#include "table.h"
#define LG_FN(name) name##_avx2
#define LG_TABLE lg_table_avx2
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi,bmi2,f16c,movbe,popcnt"))), apply_to = function)
#include "kernels.inc"
#pragma clang attribute pop
#endif
