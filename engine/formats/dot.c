/* dot.c — Σ a_i·b_i of quantized vectors through a chosen accumulator.
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
 */
#include "bs-format-private.h"

#include <stdlib.h>

/* The integer quantum of formats whose values are integers times a step. */
static bool
integer_step (const bs_format *f, double *step)
{
  switch (bs_format_family (f))
    {
    case BS_FAMILY_INT:
    case BS_FAMILY_BINARY:
    case BS_FAMILY_TERNARY:
      *step = 1.0;
      return true;
    case BS_FAMILY_FIXED:
      *step = f->p.fixed.q == 1 ? 1.0 : f->min_pos;
      return true;
    default:
      return false;
    }
}

/* Did the register reach inf from finite operands? */
static bool
overflowed (double s, const double *qa, const double *qb, size_t n)
{
  if (!isinf (s))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isfinite (qa[i]) || !isfinite (qb[i]))
      return false;
  return true;
}

static void
dot_fp32 (const double *qa, const double *qb, size_t n, bs_dot_result *r)
{
  float s = 0.0f;

  for (size_t i = 0; i < n; i++)
    {
      /* both operands are first held in fp32 registers; the product of two
       * floats is exact in double, so this is one rounding */
      float p = (float) ((double) (float) qa[i] * (double) (float) qb[i]);
      s = s + p;
    }
  r->value = s;
  r->overflow = overflowed (s, qa, qb, n);
}

static void
dot_fp16 (const double *qa, const double *qb, size_t n, bs_dot_result *r)
{
  double s = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      double p = _bs_round_fp16 (_bs_round_fp16 (qa[i]) * _bs_round_fp16 (qb[i]));
      s = _bs_round_fp16 (s + p);   /* two fp16 values add exactly in double */
    }
  r->value = s;
  r->overflow = overflowed (s, qa, qb, n);
}

static int
dot_int32 (const bs_format *f, const double *qa, const double *qb, size_t n, double unit,
           bs_dot_result *r, char *err, size_t errlen)
{
  uint32_t acc = 0;
  int64_t exact = 0;
  bool wide = false;

  for (size_t i = 0; i < n; i++)
    {
      double ka = qa[i] / unit, kb = qb[i] / unit;
      int64_t p;

      if (isnan (ka) || isnan (kb))
        return _bs_fail (err, errlen, "int32 accumulation of NaN (element %zu)", i);
      p = (int64_t) ka * (int64_t) kb;
      acc += (uint32_t) p;          /* modulo 2^32 */
      if (__builtin_add_overflow (exact, p, &exact))
        wide = true;
    }
  {
    int32_t s = (int32_t) acc;      /* two's complement reading of the register */
    r->value = (double) s * unit * unit;
    r->overflow = wide || (int64_t) s != exact;
  }
  (void) f;
  return 0;
}

static int
dot_kulisch (const bs_format *f, const double *qa, const double *qb, size_t n,
             bs_dot_result *r, char *err, size_t errlen)
{
  bs_kulisch *k;

  /* element formats: a register sized from the format's range; block formats
   * and codebooks carry data-dependent scales: the full range of doubles */
  if (bs_format_is_block (f))
    k = bs_kulisch_new (-2200, 2100);
  else
    k = bs_kulisch_new_for_format (f, 40);
  if (!k)
    return _bs_fail (err, errlen, "out of memory");
  for (size_t i = 0; i < n; i++)
    bs_kulisch_add_product (k, qa[i], qb[i]);
  r->value = bs_kulisch_value (k);
  r->overflow = bs_kulisch_overflowed (k);
  if (bs_format_has_codes (f) && !bs_format_is_block (f))
    r->rounded = bs_format_round (f, bs_kulisch_value_odd (k));
  else
    r->rounded = (double) (float) bs_kulisch_value_odd (k);
  bs_kulisch_free (k);
  return 0;
}

int
bs_dot (const bs_format *f, bs_acc acc, const double *a, const double *b, size_t n,
        const bs_qopts *o, bs_dot_result *r, char *err, size_t errlen)
{
  bs_family fam = bs_format_family (f);
  double *qa = NULL, *qb = NULL, *ua = NULL, *ub = NULL, unit = 1.0, scale = 1.0;
  bs_qopts unit_opts = BS_QOPTS_INIT;
  int ret = -1;

  memset (r, 0, sizeof *r);
  if (acc == BS_ACC_EXACT)
    acc = bs_format_exact_acc (f);
  r->acc = acc;
  r->rounded = NAN;

  /* which accumulators apply */
  if (acc == BS_ACC_QUIRE && fam != BS_FAMILY_POSIT)
    return _bs_fail (err, errlen, "the quire accumulates posits, not %s", f->name);
  if (acc == BS_ACC_ELMA && fam != BS_FAMILY_LOG)
    return _bs_fail (err, errlen, "ELMA accumulates log formats, not %s", f->name);
  if (acc == BS_ACC_INT32 && !integer_step (f, &unit))
    return _bs_fail (err, errlen,
                     "int32 accumulation needs an integer format (int<N>, fixed<Q>, binary, "
                     "ternary), not %s", f->name);

  qa = malloc ((n ? n : 1) * sizeof *qa);
  qb = malloc ((n ? n : 1) * sizeof *qb);
  if (!qa || !qb)
    {
      _bs_fail (err, errlen, "out of memory for %zu elements", n);
      goto out;
    }
  /* The accumulators work on the format's own values: quantize a/s at unit
   * scale (what the reference does inside), and scale the sum by s² at the
   * end, as hardware applies scales outside the MAC array. */
  if (o)
    {
      unit_opts = *o;
      scale = o->scale;
      unit_opts.scale = 1.0;
    }
  if (!(isfinite (scale) && scale > 0))
    {
      _bs_fail (err, errlen, "scale must be a finite number > 0 (got %g)", scale);
      goto out;
    }
  ua = malloc ((n ? n : 1) * sizeof *ua);
  ub = malloc ((n ? n : 1) * sizeof *ub);
  if (!ua || !ub)
    {
      _bs_fail (err, errlen, "out of memory for %zu elements", n);
      goto out;
    }
  for (size_t i = 0; i < n; i++)
    {
      ua[i] = a[i] / scale;
      ub[i] = b[i] / scale;
    }
  if (bs_format_quantize_ref (f, ua, qa, n, &unit_opts, err, errlen) < 0
      || bs_format_quantize_ref (f, ub, qb, n, &unit_opts, err, errlen) < 0)
    goto out;

  switch (acc)
    {
    case BS_ACC_FP32:
      dot_fp32 (qa, qb, n, r);
      ret = 0;
      break;
    case BS_ACC_FP16:
      dot_fp16 (qa, qb, n, r);
      ret = 0;
      break;
    case BS_ACC_INT32:
      ret = dot_int32 (f, qa, qb, n, unit, r, err, errlen);
      break;
    case BS_ACC_QUIRE:
      ret = _bs_posit_dot_quire (f, qa, qb, n, r, err, errlen);
      break;
    case BS_ACC_ELMA:
      ret = _bs_log_dot_elma (f, qa, qb, n, r, err, errlen);
      break;
    case BS_ACC_KULISCH:
      if (fam == BS_FAMILY_LOG)
        ret = _bs_log_dot_kulisch (f, qa, qb, n, r, err, errlen);
      else
        ret = dot_kulisch (f, qa, qb, n, r, err, errlen);
      break;
    case BS_ACC_EXACT:
    case BS_N_ACCS:
    default:
      _bs_fail (err, errlen, "unknown accumulator");
      break;
    }

  /* registers that round after every operation: their content is the result;
   * rounding it into the format is one more rounding */
  if (ret == 0 && (acc == BS_ACC_FP32 || acc == BS_ACC_FP16 || acc == BS_ACC_INT32))
    r->rounded = bs_format_has_codes (f) && !bs_format_is_block (f)
                 ? bs_format_round (f, r->value) : (double) (float) r->value;
  r->acc = acc;
  r->value *= scale * scale;
  r->rounded *= scale * scale;

out:
  free (qa);
  free (qb);
  free (ua);
  free (ub);
  return ret;
}
