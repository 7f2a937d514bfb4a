/* bs-simd.h — whether the engine's hand-written vector kernels may run: the
 * CPU's features, and the environment variable BITSCAPE_SIMD=0 (or
 * "scalar"), which turns them all off (the ELMA kernel, dot-elma8-simd.c;
 * the direct convolutions, ops-conv-direct.c) in favour of the reference
 * paths. */
#pragma once

#include <stdbool.h>

/* 1 when the CPU has AVX-512F (x86-64 only), else 0. */
int _bs_simd_avx512 (void);
/* Whether BITSCAPE_SIMD asks for the reference paths. */
bool _bs_simd_env_off (void);
