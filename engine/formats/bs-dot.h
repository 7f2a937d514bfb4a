/* bs-dot.h — dot products of quantized vectors through a chosen accumulator,
 * and the exact accumulators behind them (Kulisch, posit quire, ELMA). */
#pragma once

#include "bs-format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  double value;    /* the accumulator's content, rounded to nearest double (exact
                    * whenever it fits in 53 bits) */
  double rounded;  /* the accumulator rounded once into the format itself (ELMA:
                    * through its own linear→log conversion); block formats and
                    * kmeans have no scalar codes: rounded to fp32 */
  bs_acc acc;      /* the accumulator actually used (EXACT resolved) */
  bool overflow;   /* int32 wrapped, fp16/fp32 reached inf, Kulisch range exceeded */
} bs_dot_result;

/* Quantize a and b to f (reference quantizer, options o or defaults when NULL),
 * then accumulate Σ a_i·b_i with acc.  Returns 0, or -1 with a reason in err
 * when the accumulator does not apply to the format. */
int bs_dot (const bs_format *f, bs_acc acc, const double *a, const double *b, size_t n,
            const bs_qopts *o, bs_dot_result *r, char *err, size_t errlen);

/* Kulisch accumulator --------------------------------------------------------
 * A two's complement fixed-point register with bits for 2^lsb … 2^(msb-1) plus
 * a sign: every sum of products of doubles inside that range is exact. */
typedef struct bs_kulisch bs_kulisch;

bs_kulisch *bs_kulisch_new (int lsb, int msb);
/* Sized for products of two values of f and up to 2^carry_bits terms. */
bs_kulisch *bs_kulisch_new_for_format (const bs_format *f, int carry_bits);
void bs_kulisch_free (bs_kulisch *k);
void bs_kulisch_clear (bs_kulisch *k);
int bs_kulisch_lsb (const bs_kulisch *k);
int bs_kulisch_msb (const bs_kulisch *k);
/* Add x, or the exact product a·b.  Return 0, or -1 (and set the overflow
 * flag) if a bit falls outside the register; NaN/inf poison the register. */
int bs_kulisch_add (bs_kulisch *k, double x);
int bs_kulisch_add_product (bs_kulisch *k, double a, double b);
/* Content rounded to nearest-even double, or to odd (for a second rounding
 * into a format of ≤ 51 significand bits, which is then correct). */
double bs_kulisch_value (const bs_kulisch *k);
double bs_kulisch_value_odd (const bs_kulisch *k);
bool bs_kulisch_overflowed (const bs_kulisch *k);

#ifdef __cplusplus
}
#endif
