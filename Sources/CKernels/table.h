// The function table each instruction-set variant fills (kernels.inc).
#ifndef LG_CKERNELS_TABLE_H
#define LG_CKERNELS_TABLE_H
#include "CKernels.h"

typedef struct {
    void (*wf4_input_tile_row)(const float *const *, long, long, long, float *, float *, long);
    void (*wf4_output_tile_row)(const float *, long, long, float *, float *, long, long, int, float, float, float);
    void (*wf4_gradient_tile_row)(const float *, long, float *, float *, long);
    void (*tf4_input_row)(const float *, long, float *, float *, long);
    void (*tf4_output_row)(const float *, const float *, long, long, float *, int, float, float, float);
    void (*tf4_input_columns)(const float *, const float *, const float *, const float *, const float *, long, float *,
                              long);
    void (*tf4_output_tiles)(const float *, long, long, float *);
    void (*tanh_run)(const float *, float *, long);
    void (*tf2_input_channel)(const float *, long, long, long, long, float *, float *, long);
    void (*tf2_output_channel)(const float *, long, long, long, long, float *, long, int, float, float, float);
    void (*epilogue_run)(float *, long, int, float, float, float);
    void (*head_forward)(const float *, long, long, int, const long *, const float *const *, const float *const *,
                         float *, float *, long);
    void (*head_backward)(const float *, long, long, int, const long *, const float *const *, const float *const *,
                          const float *, long, float *, float *const *, float *const *);
    void (*max_pool_plane)(const float *, long, long, long, long, long, long, long, float *, float *);
    void (*avg_pool_plane)(const float *, long, long, long, long, long, long, const long *, const long *, const long *,
                           const long *, float *, float *);
} lg_kernel_table;

extern const lg_kernel_table lg_table_baseline;
#if defined(__x86_64__)
extern const lg_kernel_table lg_table_avx2;
extern const lg_kernel_table lg_table_avx512;
#endif
#endif
