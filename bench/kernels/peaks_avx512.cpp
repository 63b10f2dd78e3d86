// Peak loops compiled for AVX-512 only (see machine_peaks.hpp).
#define VEC __m512
#define LANES 16
#define SET1 _mm512_set1_ps
#define LOAD _mm512_loadu_ps
#define STORE _mm512_store_ps
#define ADD _mm512_add_ps
#define FMADD _mm512_fmadd_ps
#define CBK_PEAK_NAME(prefix) prefix##avx512
#include "bench/kernels/peaks_x86.inc"
