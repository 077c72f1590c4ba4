// Chooses the kernels' variant once, when the library loads: the best this
// CPU runs, or a lower one named by LG_KERNEL_ISA (baseline | avx2 |
// avx512; a variant the CPU cannot run is not taken).
#include "table.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic(const lg_kernel_table *) current = &lg_table_baseline;
static _Atomic int current_isa = LG_ISA_BASELINE;

lg_isa lg_kernel_best_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c") &&
        __builtin_cpu_supports("movbe") && __builtin_cpu_supports("popcnt"))
        return LG_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
        __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe") &&
        __builtin_cpu_supports("popcnt"))
        return LG_ISA_AVX2;
#endif
    return LG_ISA_BASELINE;
}

const char *lg_kernel_isa_name(lg_isa isa) {
    switch (isa) {
    case LG_ISA_AVX2: return "avx2";
    case LG_ISA_AVX512: return "avx512";
    default: return "baseline";
    }
}

int lg_kernel_use_isa(lg_isa isa) {
    if (isa > lg_kernel_best_isa()) return 0;
    const lg_kernel_table *t = &lg_table_baseline;
#if defined(__x86_64__)
    if (isa == LG_ISA_AVX2) t = &lg_table_avx2;
    if (isa == LG_ISA_AVX512) t = &lg_table_avx512;
#endif
    atomic_store(&current, t);
    atomic_store(&current_isa, (int)isa);
    return 1;
}

lg_isa lg_kernel_isa(void) { return (lg_isa)atomic_load_explicit(&current_isa, memory_order_relaxed); }

__attribute__((constructor)) static void lg_kernel_choose(void) {
    lg_isa isa = lg_kernel_best_isa();
    const char *want = getenv("LG_KERNEL_ISA");
    if (want && *want) {
        int asked = -1;
        for (int i = LG_ISA_BASELINE; i <= LG_ISA_AVX512; i++)
            if (strcmp(want, lg_kernel_isa_name((lg_isa)i)) == 0) asked = i;
        if (asked < 0)
            fprintf(stderr, "LG_KERNEL_ISA=%s is not a kernel variant: use baseline, avx2 or avx512 (using %s)\n", want,
                    lg_kernel_isa_name(isa));
        else if (asked < (int)isa) isa = (lg_isa)asked;
    }
    lg_kernel_use_isa(isa);
}

static inline const lg_kernel_table *table(void) { return atomic_load_explicit(&current, memory_order_relaxed); }

void lg_wf4_input_tile_row(const float *const *rows, long w, long pad, long tw, float *scratch, float *v, long stride) {
    table()->wf4_input_tile_row(rows, w, pad, tw, scratch, v, stride);
}

void lg_wf4_output_tile_row(const float *m, long stride, long tw, float *scratch, float *out, long w, long rows,
                            int mode, float scale, float shift, float slope) {
    table()->wf4_output_tile_row(m, stride, tw, scratch, out, w, rows, mode, scale, shift, slope);
}

void lg_wf4_gradient_tile_row(const float *g, long tw, float *scratch, float *m, long stride) {
    table()->wf4_gradient_tile_row(g, tw, scratch, m, stride);
}

void lg_tf4_input_row(const float *src, long tw, float *scratch, float *o, long cp) {
    table()->tf4_input_row(src, tw, scratch, o, cp);
}

void lg_tf4_output_row(const float *even, const float *odd, long stride, long tw, float *out, int mode, float scale,
                       float shift, float slope) {
    table()->tf4_output_row(even, odd, stride, tw, out, mode, scale, shift, slope);
}

void lg_tf4_input_columns(const float *r0, const float *r1, const float *r2, const float *r3, const float *r4,
                          long count, float *o, long ps) {
    table()->tf4_input_columns(r0, r1, r2, r3, r4, count, o, ps);
}

void lg_tf4_output_tiles(const float *m, long ps, long count, float *y) { table()->tf4_output_tiles(m, ps, count, y); }

void lg_tanh_run(const float *x, float *y, long n) { table()->tanh_run(x, y, n); }

void lg_tf2_input_channel(const float *x, long xs, long samples, long h, long w, float *buf, float *o, long ps) {
    table()->tf2_input_channel(x, xs, samples, h, w, buf, o, ps);
}

void lg_tf2_output_channel(const float *m, long ps, long samples, long th, long tw, float *y, long ys, int mode,
                           float scale, float shift, float slope) {
    table()->tf2_output_channel(m, ps, samples, th, tw, y, ys, mode, scale, shift, slope);
}

void lg_epilogue_run(float *p, long n, int mode, float scale, float shift, float slope) {
    table()->epilogue_run(p, n, mode, scale, shift, slope);
}

void lg_head_forward(const float *x, long xstride, long len, int layers, const long *dims, const float *const *w,
                     const float *const *b, float *scratch, float *y, long ystride) {
    table()->head_forward(x, xstride, len, layers, dims, w, b, scratch, y, ystride);
}

void lg_head_backward(const float *x, long xstride, long len, int layers, const long *dims, const float *const *w,
                      const float *const *b, const float *dy, long dystride, float *scratch, float *const *gw,
                      float *const *gb) {
    table()->head_backward(x, xstride, len, layers, dims, w, b, dy, dystride, scratch, gw, gb);
}

void lg_max_pool_plane(const float *src, long h, long w, long k, long s, long pad, long oh, long ow, float *buf,
                       float *out) {
    table()->max_pool_plane(src, h, w, k, s, pad, oh, ow, buf, out);
}

void lg_avg_pool_plane(const float *src, long w, long k, long s, long pad, long oh, long ow, const long *ylo,
                       const long *yhi, const long *ydiv, const long *xdiv, float *buf, float *out) {
    table()->avg_pool_plane(src, w, k, s, pad, oh, ow, ylo, yhi, ydiv, xdiv, buf, out);
}
