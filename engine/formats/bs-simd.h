/* bs-simd.h — whether the engine's hand-written vector kernels may run: the
 * CPU's features, and the environment variable BITSCAPE_SIMD=0 (or
 * "scalar"), which turns them all off (the ELMA kernel, dot-elma8-simd.c;
 * the direct convolutions, ops-conv-direct.c) in favour of the reference
 * paths. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

/* 1 when the CPU has AVX-512F (x86-64 only), else 0. */
int _bs_simd_avx512 (void);
/* Whether BITSCAPE_SIMD asks for the reference paths. */
bool _bs_simd_env_off (void);
/* A kernel family's level in *level (-1 until first asked): want < 0
 * returns the level in use — on first use AVX-512 where the CPU has it,
 * unless BITSCAPE_SIMD says otherwise; want 0 or 1 sets it, at most what
 * the CPU has, and returns it (bs_dot_simd, bs_conv_simd). */
int _bs_simd_level (atomic_int *level, int want);
