// The baseline variant (x86-64's SSE2; the only one on other CPUs).
#include "table.h"
#define LG_FN(name) name##_baseline
#define LG_TABLE lg_table_baseline
#include "kernels.inc"
