// The AVX-512 variant (x86-64-v4: F, VL, BW, DQ, CD).
#if defined(__x86_64__)
#include "table.h"
#define LG_FN(name) name##_avx512
#define LG_TABLE lg_table_avx512
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512cd,avx2,fma,bmi,bmi2,f16c,movbe,popcnt"))), apply_to = function)
#include "kernels.inc"
#pragma clang attribute pop
#endif
