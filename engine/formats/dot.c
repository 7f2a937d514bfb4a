/* dot.c — Σ a_i·b_i of quantized vectors through a chosen accumulator, one
 * format and one scale on both sides.
 *
 * The vectors are first quantized with the reference quantizer, so every
 * accumulator sees the same formatted values; what differs is only how the
 * products are summed:
 *   fp32, fp16  product and running sum rounded to nearest-even after every
 *               operation (IEEE: overflow goes to inf);
 *   int32       integer codes multiplied and summed in a 32-bit two's
 *               complement register (wraps on overflow, as hardware does);
 *   kulisch     exact: products and sums without rounding;
 *   quire       posits: the 2022 standard's quire (posit.c);
 *   elma        log8/log16: Johnson's exact log-linear multiply-add (log.c).
 * The accumulators live in dot-mixed.c, which also takes two formats. */
#include "bs-dot-kernel.h"
#include "bs-format-private.h"

int
bs_dot (const bs_format *f, bs_acc acc, const double *a, const double *b, size_t n,
        const bs_qopts *o, bs_dot_result *r, char *err, size_t errlen)
{
  return bs_dot_mixed (f, f, acc, a, b, n, o, o, r, err, errlen);
}
