// Peak loops compiled for AVX2+FMA only (see machine_peaks.hpp).
#define VEC __m256
#define LANES 8
#define SET1 _mm256_set1_ps
#define LOAD _mm256_loadu_ps
#define STORE _mm256_store_ps
#define ADD _mm256_add_ps
#define FMADD _mm256_fmadd_ps
#define CBK_PEAK_NAME(prefix) prefix##avx2
#include "bench/kernels/peaks_x86.inc"
