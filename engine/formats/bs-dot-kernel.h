/* bs-dot-kernel.h — dot products of two formats (a layer's weights × its
 * inputs): the accumulator rules, a slow reference, and fast kernels for
 * matrices of such dot products.
 *
 * Mixed formats.  bs_dot (bs-dot.h) takes one format and one scale for both
 * vectors; a layer has a weight format fa and an input format fb, each with
 * its own scale.  As in bs_dot, the accumulator sees the unit-scale values
 * (a / sa quantized to fa, b / sb to fb) and the scales are applied once to
 * its result: value · (sa · sb).  BS_ACC_EXACT resolves to
 *   - fa and fb the same format (same name): bs_format_exact_acc, as bs_dot;
 *   - two posits of the same es: the quire of the wider one (posit<n>_<es>
 *     values are values of every wider posit<m>_<es>, so it holds both);
 *   - two integer-valued formats (int<N>, fixed<Q>, binary, ternary): int32
 *     on the integer codes (value / quantum of each format);
 *   - anything else (floats, block formats, kmeans, fp32 values, two
 *     different log formats, posits of different es, mixed families): a
 *     Kulisch register sized for products of the two formats.
 * Explicit accumulators: kulisch, fp32 and fp16 take any pair; int32 needs
 * two integer-valued formats; the quire two posits of one es; ELMA the same
 * log8 (or log16) on both sides.  Anything else is refused with a reason.
 *
 * What the result is.  As bs_dot: value is the accumulator's content (int32
 * wrapped, fp16/fp32 after their last rounding, Kulisch/quire exact and
 * rounded to nearest double, ELMA its 38/49-bit register), rounded the
 * content rounded once into the format (ELMA: its own linear→log
 * conversion).  With two different formats, rounded is the content rounded to
 * fp32 — except the quire (into the wider posit) and ELMA (always one
 * format).  bs_dot_output() picks what a MAC array emits: ELMA's converted
 * result (the hardware emits log8), every other accumulator's value.
 */
#pragma once

#include "bs-dot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The accumulator that acc means for fa × fb (BS_ACC_EXACT resolved, see
 * above), in *out.  Returns 0, or -1 with a one-line reason in err when acc
 * does not apply to the pair. */
int bs_dot_resolve (const bs_format *fa, const bs_format *fb, bs_acc acc, bs_acc *out,
                    char *err, size_t errlen);

/* Reference on unit-scale values: qa[i] must be values of fa, qb[i] of fb (as
 * bs_format_quantize_ref leaves them at scale 1; block formats and kmeans:
 * any doubles).  Σ qa[i]·qb[i] by acc, then value and rounded multiplied by
 * sa · sb.  Slow and plain: one accumulator per call, from the formats'
 * own reference accumulators.  Returns 0 or -1 (reason in err). */
int bs_dot_values (const bs_format *fa, const bs_format *fb, bs_acc acc, const double *qa,
                   const double *qb, size_t n, double sa, double sb, bs_dot_result *r,
                   char *err, size_t errlen);

/* bs_dot for two formats: a quantized to fa with options oa (scale, block…;
 * NULL = defaults), b to fb with ob, at unit scale by the reference quantizer,
 * then bs_dot_values with the two scales.  bs_dot_mixed (f, f, acc, a, b, n,
 * o, o, …) gives what bs_dot (f, acc, a, b, n, o, …) gives. */
int bs_dot_mixed (const bs_format *fa, const bs_format *fb, bs_acc acc, const double *a,
                  const double *b, size_t n, const bs_qopts *oa, const bs_qopts *ob,
                  bs_dot_result *r, char *err, size_t errlen);

/* What a layer takes from a dot product: r->rounded for ELMA, else r->value. */
double bs_dot_output (const bs_dot_result *r);

/* Kernels ----------------------------------------------------------------------
 * A kernel computes a matrix of dot products of unit-scale values:
 *   out[i·ldo + j] = bs_dot_output of bs_dot_values (fa, fb, acc, row i of A,
 *                    row j of B, k, 1, 1)
 * bit for bit, with A[m][k] (fa, leading dimension lda) and B[n][k] (fb, ldb)
 * held as kernel operands (bs_dot_kernel_pack).  The kernel kinds:
 *   int     int32: 16-bit integer codes, int32 sums wrapping mod 2^32 (a
 *           blocked GEMM whose inner loop GCC turns into pmaddwd);
 *   elma8   ELMA on log8: 16-bit keys, one table lookup per product
 *           (elma.c's fast-path table), the 38-bit register's overflow
 *           found exactly (the sign of the first sum that leaves it), the
 *           output conversion by a table filled from elma.c's own;
 *   fp32    sequential fp32 rounding, k in order (four outputs at a time);
 *   fp16    sequential fp16 rounding, k in order;
 *   kulisch Kulisch and the quire (whose exact content is the same): the
 *           sum as an int64/__int128 fixed-point integer when the operands'
 *           exponent range allows (fp8, posit8, fp16, mx…), else a Kulisch
 *           register per output;
 *   reference  log Kulisch (one log format) and ELMA on log16: the family's
 *           own function per output.
 * Each kind keeps bs_dot_values as its reference (tests/test-nn-exact.c
 * compares every output).  A kernel is immutable after creation: one may
 * serve several threads. */
typedef struct bs_dot_kernel bs_dot_kernel;

/* NULL with a reason in err when acc does not apply (bs_dot_resolve). */
bs_dot_kernel *bs_dot_kernel_new (const bs_format *fa, const bs_format *fb, bs_acc acc,
                                  char *err, size_t errlen);
void bs_dot_kernel_free (bs_dot_kernel *k);
bs_acc bs_dot_kernel_acc (const bs_dot_kernel *k);          /* resolved */
const char *bs_dot_kernel_kind (const bs_dot_kernel *k);    /* "int", "elma8", … */
/* Bytes of one operand: 2 (int, elma8), 4 (fp32, fp16) or 8 (kulisch,
 * reference: the doubles themselves). */
size_t bs_dot_kernel_operand_size (const bs_dot_kernel *k);

/* Operands of side 0 (A, fa) or 1 (B, fb) from unit-scale values u[i] (which
 * must be values of that side's format; zero is always accepted, for
 * padding).  Returns 0, or -1 with a reason (a value the kernel cannot hold:
 * NaN for int32, a non-value). */
int bs_dot_kernel_pack (const bs_dot_kernel *k, int side, const double *u, size_t n, void *ops,
                        char *err, size_t errlen);

/* out[i·ldo + j] for i < m, j < n (see above); overflow, if not NULL, gets
 * bs_dot_result.overflow at the same index (one difference: for fp32 and
 * fp16, an operand that is finite but rounds to inf in the register's format
 * counts as non-finite, so the inf it leads to is not flagged).
 * Single-threaded.  Returns 0, or -1 with a reason (out of memory; a
 * reference error). */
int bs_dot_kernel_run (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const void *a,
                       int64_t lda, const void *b, int64_t ldb, double *out, int64_t ldo,
                       bool *overflow, char *err, size_t errlen);

/* Vector units.  The ELMA log8 kernel has an AVX-512 inner loop, chosen at
 * run time where the CPU has it (x86-64); elsewhere, or with the environment
 * variable BITSCAPE_SIMD=0, the scalar loops run — the same results, bit for
 * bit: the tests run both.  bs_dot_simd (-1) returns the level in use (0
 * scalar, 1 AVX-512); bs_dot_simd (0 or 1) asks for one — at most what the
 * CPU has — and returns what is then in use.  Not to be changed while
 * kernels run. */
int bs_dot_simd (int want);

#ifdef __cplusplus
}
#endif
