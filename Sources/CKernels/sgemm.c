// LinearGAN's own single-precision GEMM, for CPUs where OpenBLAS runs
// kernels of a lower instruction set than the CPU has (an OPENBLAS_CORETYPE
// set in the environment, an OpenBLAS too old for the CPU): one AVX-512
// and one AVX2 + FMA variant of sgemm.inc, chosen by the variant
// the caller names (GEMMKernel: the kernel variant in use when the process
// starts). Unlike kernels.inc these use FMA: a GEMM's rounding
// is not part of any variant's contract (OpenBLAS's differs by core too).
#include "CKernels.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LG_SGEMM_KC 256
#define LG_SGEMM_NC 4096
// Products of at most this many columns (per thread's part) read A's rows
// in place instead of packing them: packing costs about as much as using
// A there (the scene segmenter's layer4 3x3 at 64 px, 64 columns: 69 -> 86-91 %
// of the sgemm 1024^3 figure; large products unchanged within the noise).
#define LG_SGEMM_DIRECT_N 256

// lg_wg3's tiles: per sample, row groups (py, ty) in order (row phase
// py, tile row ty of its sub-map), each holding every column phase's
// tiles of that tile row.
// Tiles along one axis of phase `phase`: its sub-map has ceil((n - phase)
// / d) rows, cut into 2-row tiles.
static inline long lg_wg3_axis_tiles(long n, long d, long phase) { return ((n - phase + d - 1) / d + 1) / 2; }

static long lg_wg3_axis_total(long n, long d) {
    long t = 0;
    for (long p = 0; p < d; p++) t += lg_wg3_axis_tiles(n, d, p);
    return t;
}

long lg_wg3_row_groups(long height, long dilation) {
    return height > 0 && dilation > 0 ? lg_wg3_axis_total(height, dilation) : 0;
}

// The row group after (py, ty), skipping empty phases.
static inline void lg_wg3_row_next(long h, long d, long *py, long *ty) {
    if (++*ty < lg_wg3_axis_tiles(h, d, *py)) return;
    *ty = 0;
    do ++*py;
    while (*py < d && lg_wg3_axis_tiles(h, d, *py) == 0);
}

// Row group r's (py, ty) (r < lg_wg3_row_groups).
static void lg_wg3_row_seek(long h, long d, long r, long *py, long *ty) {
    for (*py = 0; *py < d; ++*py) {
        const long th = lg_wg3_axis_tiles(h, d, *py);
        if (r < th) {
            *ty = r;
            return;
        }
        r -= th;
    }
    *ty = 0;
}

// lg_wg3's output channels per block (M's columns; a multiple of both
// variants' NR) and the most bytes of V per block. Chosen on the scene
// segmenter's shapes (docs/scene-segmenter.md): 64 and 256 channels, and
// 384 KB to 1.5 MB, were as fast or slower.
#define WG3_CB 128
#define WG3_BUDGET (768L << 10)

// Each variant's micro-kernel block (MR rows x NR = 2 VW columns) and its
// rows of A per block: defined here once, for the variants below and for
// the entry points' buffer sizes.
#define LG_AVX512_MR 12
#define LG_AVX512_NR 32
#define LG_AVX512_MC 240
#define LG_AVX2_MR 6
#define LG_AVX2_NR 16
#define LG_AVX2_MC 120

#if defined(__x86_64__)
#include <immintrin.h>

// ---- AVX-512: 12 x 32 blocks (24 accumulators of 32 registers).
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), apply_to = function)
#define SG(name) lg_sgemm_##name##_avx512
#define VT __m512
#define VW (LG_AVX512_NR / 2)
#define MR LG_AVX512_MR
#define MR_MID 8
#define MR_LOW 4
#define SG_MC LG_AVX512_MC
#define ZERO() _mm512_setzero_ps()
#define SET1(x) _mm512_set1_ps(x)
#define LOADU(p) _mm512_loadu_ps(p)
#define LOADA(p) _mm512_load_ps(p)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define MUL(a, b) _mm512_mul_ps(a, b)
#define ADD(a, b) _mm512_add_ps(a, b)
#define SUB(a, b) _mm512_sub_ps(a, b)
#define MAX(a, b) _mm512_max_ps(a, b)
// y >= 0 ? y : y * s
#define LEAKY(y, s) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, ZERO(), _CMP_GE_OQ), MUL(y, s), y)
// Lanes [lo, hi) of the vector at src, zeros elsewhere (masked: nothing
// else is read); the first n (< VW) lanes of x stored at e.
static inline __mmask16 lg_sgemm_lanes16(long n) { return n <= 0 ? 0 : n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1); }
static inline __m512 SG(load_range)(const float *src, long lo, long hi) {
    return _mm512_maskz_loadu_ps(lg_sgemm_lanes16(hi) & (__mmask16)~lg_sgemm_lanes16(lo), src);
}
static inline void SG(store_first)(float *e, __m512 x, long n) { _mm512_mask_storeu_ps(e, lg_sgemm_lanes16(n), x); }
#include "sgemm.inc"
#include "winograd_grouped.inc"
#include "sgemm_end.inc"
#pragma clang attribute pop

// ---- AVX2 + FMA: 6 x 16 blocks (12 accumulators of 16 registers).
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define SG(name) lg_sgemm_##name##_avx2
#define VT __m256
#define VW (LG_AVX2_NR / 2)
#define MR LG_AVX2_MR
#define MR_MID 4
#define MR_LOW 2
#define SG_MC LG_AVX2_MC
#define ZERO() _mm256_setzero_ps()
#define SET1(x) _mm256_set1_ps(x)
#define LOADU(p) _mm256_loadu_ps(p)
#define LOADA(p) _mm256_load_ps(p)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define MUL(a, b) _mm256_mul_ps(a, b)
#define ADD(a, b) _mm256_add_ps(a, b)
#define SUB(a, b) _mm256_sub_ps(a, b)
#define MAX(a, b) _mm256_max_ps(a, b)
#define LEAKY(y, s) _mm256_blendv_ps(MUL(y, s), y, _mm256_cmp_ps(y, ZERO(), _CMP_GE_OQ))
static inline __m256i lg_sgemm_lanes8(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 SG(load_range)(const float *src, long lo, long hi) {
    return _mm256_maskload_ps(src, _mm256_andnot_si256(lg_sgemm_lanes8(lo), lg_sgemm_lanes8(hi)));
}
static inline void SG(store_first)(float *e, __m256 x, long n) { _mm256_maskstore_ps(e, lg_sgemm_lanes8(n), x); }
#include "sgemm.inc"
#include "winograd_grouped.inc"
#include "sgemm_end.inc"
#pragma clang attribute pop
#endif

int lg_sgemm_available(lg_isa isa) {
#if defined(__x86_64__)
    return isa >= LG_ISA_AVX2 && isa <= lg_kernel_best_isa();
#else
    (void)isa;
    return 0;
#endif
}

// Each thread's packing buffer, kept between calls (a GEMM per call would
// otherwise map and fault in megabytes) and freed when the thread exits
// (GCD retires idle worker threads; a plain thread-local would leak).
typedef struct {
    float *p;
    size_t floats;
} lg_sgemm_scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v) {
    lg_sgemm_scratch *s = v;
    free(s->p);
    free(s);
}

static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static float *lg_sgemm_buffer(size_t floats) {
    pthread_once(&scratch_once, scratch_init);
    lg_sgemm_scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (floats > s->floats) {
        free(s->p);
        size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
        s->p = aligned_alloc(64, bytes);
        s->floats = s->p ? floats : 0;
    }
    return s->p;
}

// A variant's block sizes (LG_AVX512_MR ... above).
typedef struct { long mr, nr, mc; } lg_sgemm_shape;
static inline lg_sgemm_shape lg_sgemm_shape_of(lg_isa isa) {
    return isa == LG_ISA_AVX512 ? (lg_sgemm_shape){LG_AVX512_MR, LG_AVX512_NR, LG_AVX512_MC}
                                : (lg_sgemm_shape){LG_AVX2_MR, LG_AVX2_NR, LG_AVX2_MC};
}

// Both entry points: B as the caller has it (b, ldb, transB), or the
// unfolded input g (columns from col0).
static int lg_sgemm_run(lg_isa isa, int transA, int transB, long m, long n, long k, float alpha, const float *a,
                        long lda, const float *b, long ldb, const lg_im2col *g, long col0, float beta, float *c,
                        long ldc) {
#if defined(__x86_64__)
    if (m <= 0 || n <= 0 || k <= 0 || !lg_sgemm_available(isa)) return 0;
    const long nr = lg_sgemm_shape_of(isa).nr, mc = lg_sgemm_shape_of(isa).mc;
    long kc = k < LG_SGEMM_KC ? k : LG_SGEMM_KC;
    long ncols = n < LG_SGEMM_NC ? n : LG_SGEMM_NC;
    ncols = (ncols + nr - 1) / nr * nr;
    size_t a_floats = (size_t)mc * kc, b_floats = (size_t)ncols * kc;
    // The unfolded input's row table (3 kc longs) after the packed blocks.
    float *pa = lg_sgemm_buffer(a_floats + b_floats + (g ? 6 * (size_t)kc : 0));
    if (!pa) return 0;
    float *pb = pa + a_floats;
    long *tab = (long *)(pb + b_floats);
    if (isa == LG_ISA_AVX512)
        lg_sgemm_sgemm_avx512(transA, transB, m, n, k, alpha, a, lda, b, ldb, g, col0, beta, c, ldc, pa, pb, tab);
    else
        lg_sgemm_sgemm_avx2(transA, transB, m, n, k, alpha, a, lda, b, ldb, g, col0, beta, c, ldc, pa, pb, tab);
    return 1;
#else
    (void)isa; (void)transA; (void)transB; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb;
    (void)g; (void)col0; (void)beta; (void)c; (void)ldc;
    return 0;
#endif
}

int lg_sgemm(lg_isa isa, int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, float *c, long ldc) {
    return lg_sgemm_run(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, NULL, 0, beta, c, ldc);
}

int lg_sgemm_im2col(lg_isa isa, long m, long n, long k, float alpha, const float *a, long lda, const lg_im2col *g,
                    long col0, float beta, float *c, long ldc) {
    if (!g || k != g->channels * g->kernel_h * g->kernel_w) return 0;
    return lg_sgemm_run(isa, 0, 0, m, n, k, alpha, a, lda, NULL, 0, g, col0, beta, c, ldc);
}

long lg_wg3_weight_floats(lg_isa isa, long cout, long cin) {
    const long nr = lg_sgemm_shape_of(isa).nr;
    return 16 * cin * ((cout + nr - 1) / nr * nr);
}

int lg_wg3_pack_weights(lg_isa isa, const float *w, long cout, long cin, float *u) {
#if defined(__x86_64__)
    if (!lg_sgemm_available(isa) || cout <= 0 || cin <= 0) return 0;
    if (isa == LG_ISA_AVX512) lg_sgemm_wg3_pack_weights_avx512(w, cout, cin, u);
    else lg_sgemm_wg3_pack_weights_avx2(w, cout, cin, u);
    return 1;
#else
    (void)isa; (void)w; (void)cout; (void)cin; (void)u;
    return 0;
#endif
}

// Row groups per block: at most as many as keep V within WG3_BUDGET
// (16 cin floats a tile), at least one; of those, the count whose tiles
// leave the least of the last MR-row panel empty (the larger on ties).
long lg_wg3_block_row_groups(lg_isa isa, long cin, long width, long dilation) {
    const long mr = lg_sgemm_shape_of(isa).mr, rt = lg_wg3_axis_total(width, dilation);
    const long bytes = 16 * cin * rt * (long)sizeof(float);
    long most = WG3_BUDGET / (bytes > 0 ? bytes : 1), best = 1;
    if (most < 1) most = 1;
    for (long g = 1; g <= most; g++) {
        const long nt = g * rt, ntp = (nt + mr - 1) / mr * mr, bt = best * rt, btp = (bt + mr - 1) / mr * mr;
        if ((ntp - nt) * btp <= (btp - bt) * ntp) best = g;
    }
    return best;
}

// Scratch of one lg_wg3_run call: V and M (rows rounded up to MR), four
// staged input rows, a zero pixel, two staged output rows and a pixel
// that outputs past the map are written to.
static size_t lg_wg3_buffer_floats(lg_isa isa, long cin, long width, long dilation, long groups) {
    const long mr = lg_sgemm_shape_of(isa).mr, nt = groups * lg_wg3_axis_total(width, dilation);
    const long ntp = (nt + mr - 1) / mr * mr;
    return (size_t)16 * ntp * (cin + WG3_CB) + (size_t)4 * width * cin + cin + (size_t)(2 * width + 1) * WG3_CB;
}

int lg_wg3_run(lg_isa isa, const float *x, long xcs, long height, long width, long dilation, long cin,
               const float *u, long cout, long r0, long nr, float *y, long ycs, int mode, const float *scale,
               const float *shift, float slope) {
#if defined(__x86_64__)
    if (!lg_sgemm_available(isa) || nr <= 0 || nr > lg_wg3_block_row_groups(isa, cin, width, dilation) ||
        cin <= 0 || cout <= 0 || width <= 0 || r0 < 0 || r0 + nr > lg_wg3_row_groups(height, dilation) ||
        (uintptr_t)u % 64)
        return 0;
    float *buf = lg_sgemm_buffer(lg_wg3_buffer_floats(isa, cin, width, dilation, nr));
    if (!buf) return 0;
    if (isa == LG_ISA_AVX512)
        lg_sgemm_wg3_block_avx512(x, xcs, height, width, dilation, cin, u, cout, r0, nr, y, ycs, mode,
                                  scale, shift, slope, buf);
    else
        lg_sgemm_wg3_block_avx2(x, xcs, height, width, dilation, cin, u, cout, r0, nr, y, ycs, mode,
                                scale, shift, slope, buf);
    return 1;
#else
    (void)isa; (void)x; (void)xcs; (void)height; (void)width; (void)dilation; (void)cin; (void)u; (void)cout;
    (void)r0; (void)nr; (void)y; (void)ycs; (void)mode; (void)scale; (void)shift; (void)slope;
    return 0;
#endif
}
