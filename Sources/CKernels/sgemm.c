// LinearGAN's own single-precision GEMM, for CPUs where OpenBLAS runs
// kernels of a lower instruction set than the CPU has (an OPENBLAS_CORETYPE
// set in the environment, an OpenBLAS too old for the CPU): one AVX-512
// and one AVX2 + FMA variant of sgemm.inc, chosen by the variant
// the caller names (GEMMKernel: the kernel variant in use when the process
// starts). Unlike kernels.inc these use FMA: a GEMM's rounding
// is not part of any variant's contract (OpenBLAS's differs by core too).
#include "CKernels.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LG_SGEMM_KC 256
#define LG_SGEMM_NC 4096
// Products of at most this many columns (per thread's part) read A's rows
// in place instead of packing them: packing costs about as much as using
// A there (the scene segmenter's layer4 3x3 at 64 px, 64 columns: 69 -> 86-91 %
// of the sgemm 1024^3 figure; large products unchanged within the noise).
#define LG_SGEMM_DIRECT_N 256

#if defined(__x86_64__)
#include <immintrin.h>

// ---- AVX-512: 12 x 32 blocks (24 accumulators of 32 registers).
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), apply_to = function)
#define SG(name) lg_sgemm_##name##_avx512
#define VT __m512
#define VW 16
#define MR 12
#define MR_MID 8
#define MR_LOW 4
#define SG_MC 240
#define ZERO() _mm512_setzero_ps()
#define SET1(x) _mm512_set1_ps(x)
#define LOADU(p) _mm512_loadu_ps(p)
#define LOADA(p) _mm512_load_ps(p)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define MUL(a, b) _mm512_mul_ps(a, b)
// Lanes [lo, hi) of the vector at src, zeros elsewhere (masked: nothing
// else is read); the first n (< VW) lanes of x stored at e.
static inline __mmask16 lg_sgemm_lanes16(long n) { return n <= 0 ? 0 : n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1); }
static inline __m512 SG(load_range)(const float *src, long lo, long hi) {
    return _mm512_maskz_loadu_ps(lg_sgemm_lanes16(hi) & (__mmask16)~lg_sgemm_lanes16(lo), src);
}
static inline void SG(store_first)(float *e, __m512 x, long n) { _mm512_mask_storeu_ps(e, lg_sgemm_lanes16(n), x); }
#include "sgemm.inc"
#pragma clang attribute pop

// ---- AVX2 + FMA: 6 x 16 blocks (12 accumulators of 16 registers).
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define SG(name) lg_sgemm_##name##_avx2
#define VT __m256
#define VW 8
#define MR 6
#define MR_MID 4
#define MR_LOW 2
#define SG_MC 120
#define ZERO() _mm256_setzero_ps()
#define SET1(x) _mm256_set1_ps(x)
#define LOADU(p) _mm256_loadu_ps(p)
#define LOADA(p) _mm256_load_ps(p)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define MUL(a, b) _mm256_mul_ps(a, b)
static inline __m256i lg_sgemm_lanes8(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 SG(load_range)(const float *src, long lo, long hi) {
    return _mm256_maskload_ps(src, _mm256_andnot_si256(lg_sgemm_lanes8(lo), lg_sgemm_lanes8(hi)));
}
static inline void SG(store_first)(float *e, __m256 x, long n) { _mm256_maskstore_ps(e, lg_sgemm_lanes8(n), x); }
#include "sgemm.inc"
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

// Both entry points: B as the caller has it (b, ldb, transB), or the
// unfolded input g (columns from col0).
static int lg_sgemm_run(lg_isa isa, int transA, int transB, long m, long n, long k, float alpha, const float *a,
                        long lda, const float *b, long ldb, const lg_im2col *g, long col0, float beta, float *c,
                        long ldc) {
#if defined(__x86_64__)
    if (m <= 0 || n <= 0 || k <= 0 || !lg_sgemm_available(isa)) return 0;
    long nr = isa == LG_ISA_AVX512 ? 32 : 16, mc = isa == LG_ISA_AVX512 ? 240 : 120;
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
