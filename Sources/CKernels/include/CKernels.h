// The numeric core's non-GEMM inner loops, compiled once per x86-64 level
// (baseline SSE2, AVX2 + FMA, AVX-512) and chosen once when the library
// loads from what the CPU supports (`LG_KERNEL_ISA` can ask for a lower
// one). Floating-point contraction is off in every variant, so each gives
// the same bits as the others (and as the Swift loops they replace).
#ifndef LG_CKERNELS_H
#define LG_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction sets a kernel variant is compiled for.
typedef enum {
    LG_ISA_BASELINE = 0,  ///< x86-64 (SSE2), or the only variant off x86
    LG_ISA_AVX2 = 1,      ///< AVX2 + FMA (x86-64-v3)
    LG_ISA_AVX512 = 2,    ///< AVX-512 F/VL/BW/DQ (x86-64-v4)
} lg_isa;

/// The variant in use.
lg_isa lg_kernel_isa(void);
/// The best variant this CPU runs.
lg_isa lg_kernel_best_isa(void);
/// A name for `isa`: "baseline", "avx2", "avx512".
const char *lg_kernel_isa_name(lg_isa isa);
/// Switches to `isa` if this CPU runs it (tests and benchmarks compare the
/// variants); returns whether it did. Not while kernels run on other threads.
int lg_kernel_use_isa(lg_isa isa);

/// Winograd F(4x4, 3x3), the input side of one channel's tile row: `rows`
/// are its six input rows, `w` floats each (rows above or below the map
/// point at `w` zeros), read as if padded with `pad` zero columns on the
/// left and zeros past the right edge up to 4 tw + 2 columns; writes the 36
/// transformed planes V[6 i + j] at v + (6 i + j) * stride, tw tiles each.
/// `scratch`: 6 (4 tw + 2) + 4 (tw + 1) floats.
void lg_wf4_input_tile_row(const float *const *rows, long w, long pad, long tw, float *scratch, float *v, long stride);

/// Winograd F(4x4, 3x3), the output side of one channel's tile row: reads
/// M[6 i + j] at m + (6 i + j) * stride (tw tiles each) and writes the
/// first `rows` (at most 4) of the tile row's output rows, each `w` wide, at
/// out + r * w. `scratch`: 28 tw floats. Each value written is then mapped
/// as `ChannelEpilogue.apply` maps it: `mode` 0 not at all, 1 to v * scale +
/// shift, 2 to that through ReLU (`slope` 0) or LeakyReLU(`slope`).
void lg_wf4_output_tile_row(const float *m, long stride, long tw, float *scratch, float *out, long w, long rows,
                            int mode, float scale, float shift, float slope);

/// Winograd F(4x4, 3x3), the output gradient's side of one channel's tile
/// row: `g` holds the four zero-padded gradient rows (each 4 tw floats);
/// writes the 36 planes at m + (6 i + j) * stride. `scratch`: 24 tw floats.
void lg_wf4_gradient_tile_row(const float *g, long tw, float *scratch, float *m, long stride);

#ifdef __cplusplus
}
#endif
#endif
