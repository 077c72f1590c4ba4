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

/// Transposed F(2x2, 2x2) (4x4 stride-2 transposed convolution), V for one
/// input channel of `samples` samples (planes `xs` floats apart, h x w,
/// even sides): 25 planes `ps` apart from `o` (plane 5 r + c: row
/// combination r of column combination c), each a run of (h/2) (w/2)
/// tiles per sample, the sample's at o + sample (h/2) (w/2). `buf`:
/// 10 (h/2 + 1) (w/2) floats.
void lg_tf2_input_channel(const float *x, long xs, long samples, long h, long w, float *buf, float *o, long ps);

/// Transposed F(2x2, 2x2), y = Aᵀ m A for one output channel of `samples`
/// samples: 36 planes of m `ps` apart (9 phase + ξ), th tw tiles per
/// sample, the sample's at + sample th tw; the sample's (4 th) x (4 tw)
/// output plane at y + sample ys, then the epilogue (`lg_epilogue_run`'s
/// mode, scale, shift, slope; mode 0 for none) over it.
void lg_tf2_output_channel(const float *m, long ps, long samples, long th, long tw, float *y, long ys, int mode,
                           float scale, float shift, float slope);

/// Transposed F(4x4, 2x2) (4x4 stride-2 transposed convolution), the input
/// side of one input row `src` of 4 tw floats, zero-bordered by a column
/// each side: for each column phase px (0, 1), Bᵀ's five combinations of
/// every tile's window columns 4 t + px ... 4 t + px + 4, written as runs of
/// tw floats at o + (5 px + c) * cp. `scratch`: 4 (tw + 1) floats.
void lg_tf4_input_row(const float *src, long tw, float *scratch, float *o, long cp);

/// Transposed F(4x4, 2x2), the rows of the input transform: Bᵀ's five
/// combinations of five runs r0 ... r4 of `count` floats (a window's rows,
/// tile by tile), written as five runs `ps` floats apart from `o`.
void lg_tf4_input_columns(const float *r0, const float *r1, const float *r2, const float *r3, const float *r4,
                          long count, float *o, long ps);

/// Transposed F(4x4, 2x2), Aᵀ m A for `count` tiles: a tile's 25 values of m
/// lie `ps` floats apart (plane 5 r + c); output (k, l) goes to the run of
/// `count` floats at y + (4 k + l) count.
void lg_tf4_output_tiles(const float *m, long ps, long count, float *y);

/// Transposed F(4x4, 2x2), one output row of 8 tw floats interleaving two
/// phases' tiles: column 8 tx + 2 l is even[l * stride + tx], 8 tx + 2 l + 1
/// is odd[l * stride + tx] (l < 4); then mapped by the epilogue as in
/// `lg_wf4_output_tile_row` (`mode` 0 none, 1 affine, 2 affine + ReLU).
void lg_tf4_output_row(const float *even, const float *odd, long stride, long tw, float *out, int mode, float scale,
                       float shift, float slope);

/// A convolution's per-channel epilogue over `n` values in place, as
/// `ChannelEpilogue.apply` defines it: `mode` 1 maps v to v * scale + shift,
/// 2 that through ReLU (`slope` 0, y > 0 ? y : 0) or LeakyReLU (y >= 0 ? y :
/// y * slope); 0 leaves the values.
void lg_epilogue_run(float *p, long n, int mode, float scale, float shift, float slope);

/// A part of a fork-join job: `part` in [0, parts).
typedef void (*lg_fork_join_fn)(void *ctx, long part);

/// Starts the fork-join pool's threads up to `workers` in all (never
/// fewer than already run) and, when `spin` >= 0, sets how many pause
/// instructions an idle worker spins before it parks; returns the count
/// running.
long lg_fork_join_start(long workers, long spin);

/// Runs fn(ctx, part) for every part in [0, parts) on the calling thread
/// and the pool's, and returns 1 when all have returned; returns 0 without
/// running any when the pool is busy (another job, or a call from inside a
/// job) or `parts` is not in [1, 65535]: the caller then runs them itself.
int lg_fork_join(long parts, lg_fork_join_fn fn, void *ctx);

/// Max pooling of one h x w plane (kernel k, stride s, padding pad counted
/// as -inf) into oh x ow at `out`: each output the maximum of its window in
/// row-major order, NaN winning (`Tensor.maxPool2dValues`' values). `buf`:
/// 2 (w + 2 pad + k) floats.
void lg_max_pool_plane(const float *src, long h, long w, long k, long s, long pad, long oh, long ow, float *buf,
                       float *out);

/// Average pooling of one plane `w` wide into oh x ow at `out` (stride s,
/// padding pad): output (oy, ox) is the float sum, in row-major order, of
/// rows [ylo[oy], yhi[oy]) of the columns ox s - pad ... ox s - pad + k - 1
/// inside the plane, over ydiv[oy] xdiv[ox] (0 where that is 0). `buf`:
/// (ow - 1) s + k + ow floats.
void lg_avg_pool_plane(const float *src, long w, long k, long s, long pad, long oh, long ow, const long *ylo,
                       const long *yhi, const long *ydiv, const long *xdiv, float *buf, float *out);

/// tanh of n values (y may be x), within 1.2e-7 of libm's tanhf: Cephes'
/// odd polynomial below 0.625 in magnitude, else sign(x) (1 - 2 / (exp(2|x|)
/// + 1)) with Cephes' expf, exp(2|x|) capped at exp(40); ±1 at ±infinity,
/// NaN for NaN. The same bits in every variant.
void lg_tanh_run(const float *x, float *y, long n);

/// Pointwise heads (`lg_head_*`): pixels per block, lanes per group, and
/// the most layers a head may have.
#define LG_HEAD_BLOCK 128
#define LG_HEAD_LANES 16
#define LG_HEAD_MAX_LAYERS 8

/// A pointwise head over one block of `len` <= LG_HEAD_BLOCK pixels: a
/// chain of `layers` 1x1 convolutions with biases, dims[0] -> dims[1] -> ...
/// -> dims[layers] channels, ReLU after each but the last. w[l] is
/// (dims[l + 1], dims[l]) row-major, b[l] has dims[l + 1] floats. The input
/// block is dims[0] rows of `len` floats `xstride` apart (one sample's
/// channel planes from its first pixel); the output dims[layers] rows of
/// `len` floats `ystride` apart. `scratch`: (dims[0] + ... + dims[layers - 1]
/// + 2 max(dims)) LG_HEAD_BLOCK floats (forward and backward). layers <= LG_HEAD_MAX_LAYERS. Each output is b[j] + the products in input-channel order.
void lg_head_forward(const float *x, long xstride, long len, int layers, const long *dims, const float *const *w,
                     const float *const *b, float *scratch, float *y, long ystride);

/// The backward pass of `lg_head_forward` for the same block, given the
/// output gradient `dy` (dims[layers] rows, `dystride` apart): recomputes
/// the block's activations and adds each weight's and bias's gradient over
/// the block to gw[l] / gb[l] as LG_HEAD_LANES per-lane partial sums (the
/// layouts of w / b with LG_HEAD_LANES floats per value: lane t of a value
/// sums pixels t, t + LG_HEAD_LANES, ...); the caller sums the lanes, in
/// order. No input gradient.
void lg_head_backward(const float *x, long xstride, long len, int layers, const long *dims, const float *const *w,
                      const float *const *b, const float *dy, long dystride, float *scratch, float *const *gw,
                      float *const *gb);

/// Whether `lg_sgemm` has a kernel for `isa` (AVX2 or AVX-512) that this CPU runs.
int lg_sgemm_available(lg_isa isa);
/// LinearGAN's own sgemm in `isa`'s variant, single-threaded: row-major C (m x n, ldc) =
/// alpha op(A) op(B) + beta C, op(A) m x k, op(B) k x n, `trans*` nonzero
/// for a transposed operand; C is not read when beta is 0. For CPUs where
/// OpenBLAS runs a lower instruction set than the CPU has. Returns 0
/// (computing nothing) when no kernel serves `isa` on this CPU or its
/// packing buffer cannot be allocated; callers then use OpenBLAS.
int lg_sgemm(lg_isa isa, int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
             const float *b, long ldb, float beta, float *c, long ldc);

/// The unfolded input of a convolution (im2col), as a GEMM's B operand
/// that is never written out: row r = (c kernel_h + ky) kernel_w + kx,
/// column j = (s out_h + oy) out_w + ox holds
/// image[s sample_stride + (c height + iy) width + ix] with iy = oy stride_h -
/// pad_h + ky dilation_h, ix = ox stride_w - pad_w + kx dilation_w, 0 outside
/// the image.
typedef struct {
    const float *image;
    long channels, height, width;
    long kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
    long out_h, out_w;
    long sample_stride;
} lg_im2col;

/// `lg_sgemm` (no transposes) with B the columns [col0, col0 + n) of the
/// unfolded input `g` (k = channels kernel_h kernel_w rows): the
/// convolution's GEMM without the unfolded matrix, whose rows are formed
/// as the GEMM packs them. Returns 0 (computing nothing) as `lg_sgemm` does.
int lg_sgemm_im2col(lg_isa isa, long m, long n, long k, float alpha, const float *a, long lda, const lg_im2col *g,
                    long col0, float beta, float *c, long ldc);

/// A grouped 3x3 convolution's group, stride 1, padding = dilation (each
/// output the size of its input), by Winograd F(2x2, 3x3) with the
/// transforms and the 16 plane products fused per block of tiles (on the
/// own sgemm's micro-kernel, so AVX2 or AVX-512 only). A dilated map runs
/// as its dilation x dilation phases, each an undilated 3x3 convolution on
/// its sub-map. Tiles (2x2 outputs) come in row groups: row group (py, ty)
/// holds tile row ty of every phase of row phase py, and writes two whole
/// output rows. Row groups are numbered per sample, py-major.
///
/// Row groups of one sample's map (height rows) at `dilation`.
long lg_wg3_row_groups(long height, long dilation);
/// Floats of one group's transformed weights for `isa`.
long lg_wg3_weight_floats(lg_isa isa, long cout, long cin);
/// Transforms one group's weight w (cout, cin, 3, 3) into u
/// (`lg_wg3_weight_floats` floats). Returns 0 where `lg_sgemm` has no
/// kernel for `isa` on this CPU.
int lg_wg3_pack_weights(lg_isa isa, const float *w, long cout, long cin, float *u);
/// The most row groups one `lg_wg3_run` call takes.
long lg_wg3_block_row_groups(lg_isa isa, long cin, long width, long dilation);
/// Row groups [r0, r0 + nr) (nr <= lg_wg3_block_row_groups) of one sample
/// and one group: x is the group's first input channel plane of the
/// sample (height x width floats, planes `xcs` apart), u the group's
/// transformed weights (64-byte aligned); writes every output of those
/// row groups into the group's output planes from y (`ycs` apart), mapped
/// as `lg_epilogue_run` maps values (`mode` 0 none, 1 affine, 2 affine then
/// ReLU or LeakyReLU(slope); scale and shift hold one value per output
/// channel of the group). Single-threaded; returns 0 (computing nothing)
/// where no kernel serves `isa`, its buffer cannot be allocated, or the
/// row groups are out of range.
int lg_wg3_run(lg_isa isa, const float *x, long xcs, long height, long width, long dilation, long cin,
               const float *u, long cout, long r0, long nr, float *y, long ycs, int mode, const float *scale,
               const float *shift, float slope);
#ifdef __cplusplus
}
#endif
#endif
