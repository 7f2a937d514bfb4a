/* bs-simd-clones.h — BS_SIMD_CLONES: compile a hot loop for AVX-512 and AVX2
 * as well as the baseline, the widest the CPU has being chosen when the
 * program loads (GCC's target_clones, through an ifunc).  x86-64 only;
 * elsewhere, and where the compiler lacks the attribute, the function is
 * built once as it is.  Same source, same results: only the instructions
 * differ. */
#pragma once

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define BS_SIMD_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#endif
#endif
#ifndef BS_SIMD_CLONES
#define BS_SIMD_CLONES
#endif
