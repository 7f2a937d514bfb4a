/* eval-exact.c — the exact path: a compute layer's dot products computed on
 * the formatted values by the configuration's accumulator.
 *
 * Contract.  For a layer with weight format fw, input format fx, weight scale
 * s_w[o] (one per output channel o) and input scale s_x, output element o of
 * a window (Conv) or row (Gemm, MatMul) is
 *
 *   y = (float) (D · (s_w[o] · s_x))  [+ bias[o] in fp32]
 *   D = bs_dot_output (bs_dot_values (fw, fx, acc, w_o, x, k, 1, 1))
 *
 * where w_o and x are the unit-scale values round_fw (w / s_w[o]) and
 * round_fx (x / s_x) of the weights and of the layer's input (as bs_dot
 * quantizes a / s at unit scale), x taken from the Conv's patch, in the
 * order (channel, ky, kx), with zeros in the padding.  So y is bit for bit
 * (float) of what bs_dot_mixed gives for the two vectors (bs-dot-kernel.h,
 * with the weights as its a side): the accumulator sees the unit-scale
 * values, the scales multiply its result once, the result is rounded to
 * fp32 once, then the bias is added in fp32.  Gemm: y = alpha · (float)
 * (D · s) + beta · C, each step in fp32 (a factor 1 left out).
 *
 * The accumulator (bs_dot_resolve).  acc = exact means: the format's own
 * when weights and inputs have the same format (int32 for int/fixed/binary/
 * ternary, the quire for posits, ELMA for log8 and log16, Kulisch for the
 * rest, as bs_dot); for two formats, int32 when both are integer-valued (on
 * the integer codes of each), the quire of the wider posit for two posits of
 * one es, else Kulisch (floats, posits of different es, two log formats,
 * block formats, kmeans, fp32 inputs).  An explicit accumulator must apply
 * to the pair — int32 to two integer-valued formats, the quire to two posits
 * of one es, ELMA to log8 × log8 or log16 × log16 — or the run fails with a
 * one-line reason naming the layer (e.g. ELMA with int8 weights, the quire
 * with a float).  D is the accumulator's content (bs_dot_result.value) for
 * every accumulator but ELMA, whose output is its own linear→log8 (log16)
 * conversion (.rounded): the ELMA hardware emits log8.  fp32 and fp16
 * accumulators round every product and every sum in k order, not BLAS's.
 *
 * Scales live outside the accumulator, so a scaling that maps the data's
 * maximum onto the format's (maxabs, layer-pow2, …) puts products near
 * max², which overflow narrow registers: fp16 sums reach inf, and log8
 * products (up to 2^24) exceed ELMA's 13 integer bits, so nearly every
 * output saturates to ±maxpos.  That is what such hardware would do; for
 * ELMA, scaling "none" (values near 1) is the meaningful choice.
 *
 * Scales: per output channel (channel scaling) or per layer; block scaling
 * of an element format (several scales in one dot product) is refused.
 * Block formats and kmeans carry their scales in their values (exact
 * doubles from the reference quantizer, Kulisch).  fp32 inputs are used as
 * they are (values of fp32).
 *
 * Unit-scale values come from the fake-quantized data: bs_format_quantize
 * promises q = (float) (v · s) for v = round_f (x / s), and v is the one value
 * of f for which that holds — found among the sorted values (formats of ≤ 8
 * bits) or around the code nearest q / s (int<N>, fixed<Q>).  Where several
 * values give the same float (float underflow), and for other formats wider
 * than 8 bits, v is recomputed from x by bs_format_round.  Block formats and
 * kmeans are requantized by their reference quantizer over the same elements
 * (fast ≡ reference, by contract).
 *
 * The dot products run through bs_dot_kernel (dot-kernels.c): integer GEMM
 * for int32, the ELMA log8 table, sequential fp32/fp16, Kulisch per output
 * for the rest.  Each call handles one chunk on the calling worker thread
 * (the evaluator runs chunks on its workers).
 */
#include "eval-private.h"
#include "bs-dot-kernel.h"
#include "nn-private.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail (char *err, size_t errlen, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

static int
fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

bool
_bs_ev_wants_exact (const bs_evaluator *ev, const bs_config *cfg)
{
  if (ev->o.path == BS_EVAL_FAKE_QUANT)
    return false;
  if (ev->o.path == BS_EVAL_EXACT)
    return true;
  for (int j = 0; j < bs_config_n_layers (cfg); j++)
    if (bs_config_layer (cfg, j)->acc != BS_ACC_FP32)
      return true;
  return false;
}

/* Unit-scale values of fake-quantized data ----------------------------------------
 * The values of f in a form that can be searched: every distinct non-NaN value
 * sorted (binary, ternary and formats of ≤ 8 bits other than int/fixed), or
 * the integer codes lo…hi times a quantum (int<N>, fixed<Q>), or nothing
 * (each element recomputed by bs_format_round). */
typedef struct {
  enum { VS_TABLE, VS_RANGE, VS_NONE } kind;
  double *v;
  int64_t nv, pow2;          /* TABLE: nv values; pow2 ≥ nv a power of two */
  float *img;                /* TABLE: (float) (v[i] · s) for the current s, +inf past nv */
  uint32_t *hkey;            /* TABLE, inputs: hash of the images' bits (see below) */
  int32_t *hidx;             /* … and the value index of each, -1 for an empty slot */
  uint32_t hmask;
  int hshift;                /* 32 − log2 of the hash's size */
  int64_t zero_k;            /* TABLE: the index whose image alone is ±0, or -1 */
  double unit, inv;          /* RANGE: quantum; 1 / (s · quantum), for estimates */
  int64_t lo, hi;
} value_set;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
value_set_init (value_set *vs, const bs_format *f)
{
  bs_family fam = bs_format_family (f);

  memset (vs, 0, sizeof *vs);
  vs->kind = VS_NONE;
  if (!bs_format_has_codes (f) || bs_format_is_block (f))
    return 0;
  if ((fam == BS_FAMILY_INT || fam == BS_FAMILY_FIXED) && f->bits >= 2)
    {
      vs->kind = VS_RANGE;
      vs->unit = fam == BS_FAMILY_INT ? 1.0 : f->min_pos;
      vs->hi = ((int64_t) 1 << (f->bits - 1)) - 1;
      vs->lo = -vs->hi - 1;
    }
  else if (f->bits <= 8)
    {
      uint32_t nc = bs_format_n_codes (f);
      int64_t m = 0;
      vs->v = malloc (nc * sizeof *vs->v);
      vs->img = malloc (nc * sizeof *vs->img);
      if (!vs->v || !vs->img)
        return -1;
      for (uint32_t c = 0; c < nc; c++)
        {
          double v = bs_format_decode (f, c);
          if (!isnan (v))
            vs->v[m++] = v == 0 ? 0.0 : v;
        }
      qsort (vs->v, (size_t) m, sizeof *vs->v, cmp_double);
      vs->nv = 0;
      for (int64_t i = 0; i < m; i++)
        if (vs->nv == 0 || vs->v[i] != vs->v[vs->nv - 1])
          vs->v[vs->nv++] = vs->v[i];
      for (vs->pow2 = 1; vs->pow2 < vs->nv; vs->pow2 *= 2)
        ;
      if (vs->pow2 > (int64_t) nc)
        return -1;             /* not reached: nv ≤ nc, a power of two */
      vs->kind = VS_TABLE;
    }
  return 0;
}

static void
value_set_clear (value_set *vs)
{
  free (vs->v);
  free (vs->img);
  free (vs->hkey);
  free (vs->hidx);
  vs->v = NULL;
  vs->img = NULL;
  vs->hkey = NULL;
  vs->hidx = NULL;
}

/* Prepare for scale s: the images of the sorted values, and which of them
 * alone is zero. */
static void
value_set_scale (value_set *vs, double s)
{
  if (vs->kind == VS_RANGE)
    vs->inv = 1.0 / (s * vs->unit);
  if (vs->kind != VS_TABLE)
    return;
  vs->zero_k = -1;
  for (int64_t i = 0; i < vs->pow2; i++)
    {
      vs->img[i] = i < vs->nv ? (float) (vs->v[i] * s) : INFINITY;
      if (i < vs->nv && vs->v[i] == 0)
        vs->zero_k = i;
    }
  if (vs->zero_k >= 0
      && ((vs->zero_k > 0 && vs->img[vs->zero_k - 1] == 0)
          || (vs->zero_k + 1 < vs->nv && vs->img[vs->zero_k + 1] == 0)))
    vs->zero_k = -1;
}

/* A hash of the images for the inputs (one scale): an input q found there
 * is the image of exactly one value — the images that are unique (their
 * sorted neighbours differ) are entered, with zero's index under the bits
 * of both +0 and -0 when zero alone gives ±0 (zero_k) — and anything else
 * (an image shared by several values, NaN, a float that is no image) is
 * not found and goes to unit_value.  So the result is unit_value's, found
 * in one or two probes without a data-dependent search. */
static inline uint32_t
float_bits (float x)
{
  uint32_t u;
  memcpy (&u, &x, sizeof u);
  return u;
}

/* Fibonacci hashing: the product's top bits depend on every bit of u (the
 * images' low mantissa bits are mostly zero). */
static inline uint32_t
hash_slot (uint32_t u, int shift)
{
  return (u * 0x9e3779b1u) >> shift;
}

static void
hash_put (value_set *vs, uint32_t u, int32_t i)
{
  uint32_t h = hash_slot (u, vs->hshift);

  while (vs->hidx[h] >= 0 && vs->hkey[h] != u)
    h = (h + 1) & vs->hmask;
  vs->hkey[h] = u;
  vs->hidx[h] = i;
}

static int
value_set_hash (value_set *vs)
{
  uint32_t size = 64;

  if (vs->kind != VS_TABLE || vs->nv > UINT16_MAX)
    return 0;
  while (size < 4 * (uint32_t) vs->nv)
    size *= 2;
  free (vs->hkey);
  free (vs->hidx);
  vs->hkey = malloc (size * sizeof *vs->hkey);
  vs->hidx = malloc (size * sizeof *vs->hidx);
  if (!vs->hkey || !vs->hidx)
    return -1;
  vs->hmask = size - 1;
  vs->hshift = 32 - __builtin_ctz (size);
  for (uint32_t h = 0; h < size; h++)
    vs->hidx[h] = -1;
  for (int64_t i = 0; i < vs->nv; i++)
    {
      float x = vs->img[i];
      if (x == 0 || (i > 0 && vs->img[i - 1] == x) || (i + 1 < vs->nv && vs->img[i + 1] == x))
        continue;
      hash_put (vs, float_bits (x), (int32_t) i);
    }
  if (vs->zero_k >= 0)
    {
      hash_put (vs, float_bits (0.0f), (int32_t) vs->zero_k);
      hash_put (vs, float_bits (-0.0f), (int32_t) vs->zero_k);
    }
  return 0;
}

/* The value v of f with (float) (v · s) == q, if exactly one exists; else
 * round_f (raw / s).  (float) (v · s) is non-decreasing in v, so the values
 * that give q form one run, accepted when it has one element.  TABLE: the
 * run's start is the number of images below q (a branch-free bisection over
 * the pow2 images, +inf padded; NaN finds nothing).  RANGE: the code nearest
 * q / s, whose neighbours must give other floats. */
static double
unit_value (const value_set *vs, const bs_format *f, float q, float raw, double s)
{
  if (vs->kind == VS_TABLE)
    {
      const float *img = vs->img;
      int64_t i = 0;
      for (int64_t step = vs->pow2 / 2; step >= 1; step /= 2)
        i += img[i + step - 1] < q ? step : 0;
      i += i < vs->nv && img[i] < q;
      if (i < vs->nv && img[i] == q && (i + 1 == vs->nv || img[i + 1] != q))
        return vs->v[i];
    }
  else if (vs->kind == VS_RANGE)
    {
      /* an estimate (checked below): q · inv rounded by the 2^52 constant */
      double c = ((double) q * vs->inv + 0x1.8p52) - 0x1.8p52;
      if (c >= (double) vs->lo && c <= (double) vs->hi
          && (float) (c * vs->unit * s) == q
          && (c == (double) vs->lo || (float) ((c - 1) * vs->unit * s) < q)
          && (c == (double) vs->hi || (float) ((c + 1) * vs->unit * s) > q))
        return c * vs->unit;
    }
  return bs_format_round (f, (double) raw / s);
}

/* u[i] for n fake-quantized elements, in groups that share a scale: runs of
 * `per` elements with scale s[i / per] (per > 0), or the elements i ≡ c
 * (mod -per) with scale s[c] (per < 0). */
static int
unit_values (const bs_format *f, const float *raw, const float *q, int64_t n, const double *s,
             int64_t per, double *u, char *err, size_t errlen)
{
  value_set vs;
  int64_t groups = per > 0 ? (n + per - 1) / per : -per;

  if (value_set_init (&vs, f) < 0)
    {
      value_set_clear (&vs);
      return fail (err, errlen, "%s", "out of memory");
    }
  for (int64_t g = 0; g < groups; g++)
    {
      int64_t first = per > 0 ? g * per : g, stride = per > 0 ? 1 : -per;
      int64_t end = per > 0 && first + per < n ? first + per : n;
      value_set_scale (&vs, s[g]);
      for (int64_t i = first; i < end; i += stride)
        u[i] = unit_value (&vs, f, q[i], raw[i], s[g]);
    }
  value_set_clear (&vs);
  return 0;
}

/* The unit-scale values of n elements quantized to f: fp32 as it is; block
 * formats and kmeans by their reference quantizer with options o; element
 * formats from q (see above) with scales s as in unit_values. */
static int
units_of (const bs_format *f, const float *raw, const float *q, int64_t n, const double *s,
          int64_t per, const bs_qopts *o, double *u, char *err, size_t errlen)
{
  if (strcmp (f->name, "fp32") == 0)
    {
      for (int64_t i = 0; i < n; i++)
        u[i] = raw[i];
      return 0;
    }
  if (bs_format_is_block (f))
    {
      for (int64_t i = 0; i < n; i++)
        u[i] = raw[i];
      return bs_format_quantize_ref (f, u, u, (size_t) n, o, err, errlen);
    }
  return unit_values (f, raw, q, n, s, per, u, err, errlen);
}

/* The kernel operands (side 1) of a chunk's n inputs at scale s: unit values
 * as units_of finds them, packed.  For formats searched by table, each
 * value's operand is packed once and copied by index (unit_value's search,
 * the elements it does not settle listed in miss and recomputed after); the
 * rest go through a small buffer of unit values. */
#define OPS_RUN 256

#define DEFINE_TABLE_OPS(NAME, T)                                                        \
  static void NAME (const value_set *vs, const float *q, int64_t n, const T *tab, T *ops,  \
                    int64_t *miss)                                                       \
  {                                                                                      \
    for (int64_t i = 0; i < n; i++)                                                      \
      {                                                                                  \
        uint32_t u = float_bits (q[i]), h = hash_slot (u, vs->hshift);                   \
        while (vs->hidx[h] >= 0 && vs->hkey[h] != u)                                     \
          h = (h + 1) & vs->hmask;                                                       \
        if (vs->hidx[h] >= 0)                                                            \
          ops[i] = tab[vs->hidx[h]];                                                     \
        else                                                                             \
          miss[(*miss)++ + 1] = i;                                                       \
      }                                                                                  \
  }

DEFINE_TABLE_OPS (table_ops_16, int16_t)
DEFINE_TABLE_OPS (table_ops_32, float)
DEFINE_TABLE_OPS (table_ops_64, double)

/* The hash's entries again, in a table indexed by the bits themselves, for
 * 2-byte operands: slot (min ((|u| >> shift) − base, range), sign of u)
 * holds the one entry that may match u (its bits, and its operand); |u| ≥
 * 2^shift·(base + range) and 0 share the last row.  With shift 18 a row is
 * a 32nd of a binade, narrower than the ratio between two neighbouring
 * values of a format of ≤ 8 bits that is fine enough to need it (log8:
 * 2^(1/16)), so every entry gets its own slot; where two would share one
 * (coarse formats, subnormal images), or the rows would be too many, the
 * hash is used instead.  An empty slot holds bits of the other sign, which
 * no u reaching it has.  So u is found here exactly when the hash finds
 * it, with one load and no probing — and sixteen at a time on AVX-512. */
#define DIRECT_SHIFT 18
#define DIRECT_MAX_ROWS 4096

typedef struct {
  uint32_t *key;
  int32_t *op;               /* the operand, sign-extended */
  uint32_t base, range;
} direct_table;

static inline uint32_t
direct_slot (const direct_table *d, uint32_t u)
{
  uint32_t b = ((u & 0x7fffffffu) >> DIRECT_SHIFT) - d->base;

  return (b < d->range ? b : d->range) * 2 + (u >> 31);
}

/* Returns 1 when made, 0 when the entries do not fit, -1 out of memory. */
static int
direct_init (direct_table *d, const value_set *vs, const int16_t *tab)
{
  uint32_t lo = UINT32_MAX, hi = 0, n;

  d->key = NULL;
  d->op = NULL;
  for (uint32_t h = 0; h <= vs->hmask; h++)
    if (vs->hidx[h] >= 0 && (vs->hkey[h] & 0x7fffffffu) != 0)
      {
        uint32_t b = (vs->hkey[h] & 0x7fffffffu) >> DIRECT_SHIFT;
        lo = b < lo ? b : lo;
        hi = b > hi ? b : hi;
      }
  if (lo > hi)
    lo = hi = 0;
  if (hi - lo >= DIRECT_MAX_ROWS)
    return 0;
  d->base = lo;
  d->range = hi - lo + 1;
  n = 2 * (d->range + 1);
  d->key = malloc (n * sizeof *d->key);
  d->op = malloc (n * sizeof *d->op);
  if (!d->key || !d->op)
    return -1;
  for (uint32_t sl = 0; sl < n; sl++)
    {
      d->key[sl] = (sl & 1) ? 0u : 0x80000000u;
      d->op[sl] = 0;
    }
  for (uint32_t h = 0; h <= vs->hmask; h++)
    if (vs->hidx[h] >= 0)
      {
        uint32_t u = vs->hkey[h], sl = direct_slot (d, u);
        if ((d->key[sl] >> 31) == (u >> 31))
          return 0;                  /* taken: two entries in one slot */
        d->key[sl] = u;
        d->op[sl] = tab[vs->hidx[h]];
      }
  return 1;
}

static void
direct_clear (direct_table *d)
{
  free (d->key);
  free (d->op);
  d->key = NULL;
  d->op = NULL;
}

/* As table_ops_16, through the direct table: the operand is written either
 * way and a miss listed (and overwritten later). */
static void
direct_ops_scalar (const direct_table *d, const float *q, int64_t from, int64_t n,
                   int16_t *ops, int64_t *miss)
{
  int64_t nm = miss[0];

  for (int64_t i = from; i < n; i++)
    {
      uint32_t u = float_bits (q[i]), sl = direct_slot (d, u);
      ops[i] = (int16_t) d->op[sl];
      miss[nm + 1] = i;
      nm += d->key[sl] != u;
    }
  miss[0] = nm;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__ ((target ("avx512f"))) static void
direct_ops_avx512 (const direct_table *d, const float *q, int64_t n, int16_t *ops,
                   int64_t *miss)
{
  const __m512i absmask = _mm512_set1_epi32 (0x7fffffff);
  const __m512i base = _mm512_set1_epi32 ((int) d->base);
  const __m512i range = _mm512_set1_epi32 ((int) d->range);
  int64_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m512i u = _mm512_loadu_si512 (q + i);
      __m512i b = _mm512_sub_epi32 (_mm512_srli_epi32 (_mm512_and_si512 (u, absmask),
                                                       DIRECT_SHIFT), base);
      __m512i sl = _mm512_add_epi32 (_mm512_slli_epi32 (_mm512_min_epu32 (b, range), 1),
                                     _mm512_srli_epi32 (u, 31));
      __m512i key = _mm512_i32gather_epi32 (sl, d->key, 4);
      __m512i op = _mm512_i32gather_epi32 (sl, d->op, 4);
      __mmask16 bad = _mm512_cmpneq_epi32_mask (key, u);
      _mm256_storeu_si256 ((__m256i *) (ops + i), _mm512_cvtepi32_epi16 (op));
      while (bad)
        {
          miss[++miss[0]] = i + __builtin_ctz (bad);
          bad &= bad - 1;
        }
    }
  direct_ops_scalar (d, q, i, n, ops, miss);
}
#endif

static void
direct_ops (const direct_table *d, const float *q, int64_t n, int16_t *ops, int64_t *miss)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (bs_dot_simd (-1) >= 1)
    {
      direct_ops_avx512 (d, q, n, ops, miss);
      return;
    }
#endif
  direct_ops_scalar (d, q, 0, n, ops, miss);
}

static int
input_operands (const bs_dot_kernel *kern, const bs_format *f, const float *raw, const float *q,
                int64_t n, double s, const bs_qopts *o, char *ops, char *err, size_t errlen)
{
  size_t es = bs_dot_kernel_operand_size (kern);
  value_set vs;
  double u[OPS_RUN];
  char *tab = NULL;
  int64_t *miss = NULL;
  direct_table direct = { 0 };
  int made = 0, ret = -1;

  if (strcmp (f->name, "fp32") == 0 || bs_format_is_block (f))
    {
      double *all = malloc ((size_t) (n ? n : 1) * sizeof *all);
      if (!all)
        return fail (err, errlen, "%s", "out of memory");
      ret = units_of (f, raw, q, n, &s, n ? n : 1, o, all, err, errlen);
      if (ret == 0)
        ret = bs_dot_kernel_pack (kern, 1, all, (size_t) n, ops, err, errlen);
      free (all);
      return ret;
    }
  if (value_set_init (&vs, f) < 0)
    {
      fail (err, errlen, "%s", "out of memory");
      goto out;
    }
  value_set_scale (&vs, s);
  if (vs.kind == VS_TABLE && vs.nv <= UINT16_MAX)
    {
      /* miss[0] counts the elements not found, miss[1…] lists them */
      tab = malloc ((size_t) vs.nv * es);
      miss = malloc ((size_t) (n + 1) * sizeof *miss);
      if (!tab || !miss)
        {
          fail (err, errlen, "%s", "out of memory");
          goto out;
        }
      if (value_set_hash (&vs) < 0)
        {
          fail (err, errlen, "%s", "out of memory");
          goto out;
        }
      if (bs_dot_kernel_pack (kern, 1, vs.v, (size_t) vs.nv, tab, err, errlen) < 0)
        goto out;
      miss[0] = 0;
      if (es == 2 && (made = direct_init (&direct, &vs, (const int16_t *) (void *) tab)) < 0)
        {
          fail (err, errlen, "%s", "out of memory");
          goto out;
        }
      if (es == 2 && made)
        direct_ops (&direct, q, n, (int16_t *) (void *) ops, miss);
      else if (es == 2)
        table_ops_16 (&vs, q, n, (const int16_t *) (void *) tab, (int16_t *) (void *) ops, miss);
      else if (es == 4)
        table_ops_32 (&vs, q, n, (const float *) (void *) tab, (float *) (void *) ops, miss);
      else
        table_ops_64 (&vs, q, n, (const double *) (void *) tab, (double *) (void *) ops, miss);
      for (int64_t t = 1; t <= miss[0]; t++)
        {
          int64_t i = miss[t];
          u[0] = bs_format_round (f, (double) raw[i] / s);
          if (bs_dot_kernel_pack (kern, 1, u, 1, ops + (size_t) i * es, err, errlen) < 0)
            goto out;
        }
    }
  else
    for (int64_t i0 = 0; i0 < n; i0 += OPS_RUN)
      {
        int64_t len = n - i0 < OPS_RUN ? n - i0 : OPS_RUN;
        for (int64_t i = 0; i < len; i++)
          u[i] = unit_value (&vs, f, q[i0 + i], raw[i0 + i], s);
        if (bs_dot_kernel_pack (kern, 1, u, (size_t) len, ops + (size_t) i0 * es, err,
                                errlen) < 0)
          goto out;
      }
  ret = 0;
out:
  value_set_clear (&vs);
  direct_clear (&direct);
  free (tab);
  free (miss);
  return ret;
}

/* Weights ---------------------------------------------------------------------------- */

/* Rows of the weight matrix: output channels × k.  Conv [M, C/g, kh, kw] and
 * Gemm with transB are already so; Gemm without transB and MatMul hold
 * [K, N] and are transposed. */
static bool
weights_transposed (const _bs_ev_layer *L)
{
  return !L->channel_major;
}

/* The kernel's name for a layer's formats and accumulator (w_ops_key). */
static void
kernel_key (const bs_dot_kernel *k, const bs_format *fw, const bs_format *fin, char *key,
            size_t len)
{
  snprintf (key, len, "%s %s %s %s", bs_dot_kernel_kind (k), fw->name, fin->name,
            bs_acc_name (bs_dot_kernel_acc (k)));
}

/* The weights as kernel operands, once per configuration (a combination the
 * kernel refuses is left to the layer's run, which reports it). */
static void
pack_weights (_bs_ev_layer *L, const bs_format *fw, const bs_layer_config *lc)
{
  bs_format fin;
  char why[200], key[sizeof L->w_ops_key];
  bs_dot_kernel *k;

  if (bs_format_parse (lc->input, &fin, why, sizeof why) < 0
      || !(k = bs_dot_kernel_new (fw, &fin, lc->acc, why, sizeof why)))
    return;
  kernel_key (k, fw, &fin, key, sizeof key);
  if (strcmp (key, L->w_ops_key) != 0)
    {
      L->w_ops_key[0] = '\0';
      if (bs_dot_kernel_pack (k, 0, L->qw_unit, (size_t) L->w_count, L->w_ops, why, sizeof why)
          == 0)
        memcpy (L->w_ops_key, key, sizeof key);
    }
  bs_dot_kernel_free (k);
}

void
_bs_ev_exact_pack_weights (bs_evaluator *ev, int j, const bs_layer_config *lc)
{
  _bs_ev_layer *L = &ev->layers[j];
  bs_format fw;
  char why[200];

  if (L->qw_unit && L->qw_per_channel && bs_format_parse (lc->weight, &fw, why, sizeof why) == 0)
    pack_weights (L, &fw, lc);
}

int
_bs_ev_exact_weights (bs_evaluator *ev, int j, const bs_format *f, const bs_layer_config *lc,
                      char *err, size_t errlen)
{
  _bs_ev_layer *L = &ev->layers[j];
  int64_t n = L->w_count, ch = L->channels, k = n / ch;
  bs_qopts o = BS_QOPTS_INIT;
  double *u = malloc ((size_t) (n ? n : 1) * sizeof *u);
  int ret;

  if (!u)
    return fail (err, errlen, "out of memory for the weights of %s", L->info.name);
  if (_bs_ev_scaling (f, lc->scaling) == BS_SCALING_BLOCK && lc->block > 0)
    o.block = lc->block;            /* as _bs_ev_quantize_weights */
  if (!L->qw_per_channel)
    ret = 0;                        /* refused when the exact path runs */
  else
    ret = units_of (f, L->w, L->qw, n, L->qw_scale, L->channel_major ? k : -ch, &o, u, err,
                    errlen);
  if (ret == 0)
    {
      if (weights_transposed (L))
        for (int64_t t = 0; t < k; t++)
          for (int64_t c = 0; c < ch; c++)
            L->qw_unit[c * k + t] = u[t * ch + c];
      else
        memcpy (L->qw_unit, u, (size_t) n * sizeof *u);
    }
  free (u);
  L->w_ops_key[0] = '\0';
  if (ret == 0 && L->qw_per_channel)
    pack_weights (L, f, lc);
  return ret;
}

/* Conv ------------------------------------------------------------------------------
 * Patches as rows: rows[p][(c, ky, kx)] for output position p, zeros where
 * the window lies in the padding (bs_im2col's columns, transposed, on kernel
 * operands of 2, 4 or 8 bytes). */
#define COPY3(r, src)                                                                    \
  do                                                                                     \
    {                                                                                    \
      (r)[0] = (src)[0];                                                                 \
      (r)[1] = (src)[1];                                                                 \
      (r)[2] = (src)[2];                                                                 \
    }                                                                                    \
  while (0)

/* 2-byte operands: the three as one 8-byte load and store, the fourth
 * element read past them (inside the input's slack) and written over the
 * next one, which comes later (patches and their rows are written in
 * order; the rows' buffer has slack too). */
#define COPY3_16(r, src)                                                                 \
  do                                                                                     \
    {                                                                                    \
      uint64_t w_;                                                                       \
      memcpy (&w_, (src), sizeof w_);                                                    \
      memcpy ((r), &w_, sizeof w_);                                                      \
    }                                                                                    \
  while (0)

/* bytes past the operands and the rows that COPY3_16 may read or write */
#define OPS_SLACK 8

#define DEFINE_IM2ROWS(NAME, T, COPY)                                                    \
  static void NAME (const bs_geom *g, int64_t nc, const T *x, T zero, const int64_t *off,  \
                    T *rows)                                                             \
  {                                                                                      \
    int64_t kk = nc * g->kh * g->kw;                                                     \
    /* row by row of the output, so that the patches are written in order */           \
    for (int64_t oy = 0; oy < g->oh; oy++)                                               \
      for (int64_t ox = 0; ox < g->ow; ox++)                                             \
        {                                                                                \
          T *r = rows + (oy * g->ow + ox) * kk;                                          \
          /* the taps kx in [lo, hi) fall inside the row */                              \
          int64_t x0 = ox * g->sw - g->pl, lo = 0, hi = g->kw;                           \
          bool three = g->kw == 3 && g->dw == 1;                                         \
          if (g->kh == 1 && g->kw == 1)                                                  \
            {                                                                            \
              /* a 1×1 window (a shortcut): one element per channel */                  \
              int64_t iy = oy * g->sh - g->pt;                                           \
              if (iy >= 0 && iy < g->ih && x0 >= 0 && x0 < g->iw)                        \
                {                                                                        \
                  const T *src = x + iy * g->iw + x0;                                    \
                  for (int64_t c = 0; c < nc; c++)                                       \
                    r[c] = src[c * g->ih * g->iw];                                       \
                }                                                                        \
              else                                                                       \
                for (int64_t c = 0; c < nc; c++)                                         \
                  r[c] = zero;                                                           \
              continue;                                                                  \
            }                                                                            \
          while (lo < g->kw && x0 + lo * g->dw < 0)                                      \
            lo++;                                                                        \
          while (hi > lo && x0 + (hi - 1) * g->dw >= g->iw)                              \
            hi--;                                                                        \
          if (three && lo == 0 && hi == 3 && oy * g->sh - g->pt >= 0                     \
              && oy * g->sh - g->pt + (g->kh - 1) * g->dh < g->ih)                       \
            {                                                                            \
              /* the whole window inside the image: rows of three from the               \
               * precomputed offsets of (c, ky) */                                       \
              const T *base = x + (oy * g->sh - g->pt) * g->iw + x0;                     \
              for (int64_t j = 0; j < nc * g->kh; j++, r += 3)                           \
                COPY (r, base + off[j]);                                                 \
              continue;                                                                  \
            }                                                                            \
          for (int64_t c = 0; c < nc; c++)                                               \
            for (int64_t ky = 0; ky < g->kh; ky++, r += g->kw)                           \
              {                                                                          \
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;                            \
                const T *src = x + (c * g->ih + iy) * g->iw + x0;                        \
                if (iy < 0 || iy >= g->ih)                                               \
                  {                                                                      \
                    for (int64_t kx = 0; kx < g->kw; kx++)                               \
                      r[kx] = zero;                                                      \
                    continue;                                                            \
                  }                                                                      \
                if (three && lo == 0 && hi == 3)                                         \
                  {                                                                      \
                    /* the common 3-wide window inside the row */                        \
                    COPY (r, src);                                                       \
                    continue;                                                            \
                  }                                                                      \
                for (int64_t kx = 0; kx < lo; kx++)                                      \
                  r[kx] = zero;                                                          \
                for (int64_t kx = lo; kx < hi; kx++)                                     \
                  r[kx] = src[kx * g->dw];                                               \
                for (int64_t kx = hi; kx < g->kw; kx++)                                  \
                  r[kx] = zero;                                                          \
              }                                                                          \
        }                                                                                \
  }

DEFINE_IM2ROWS (im2rows_16, int16_t, COPY3_16)
DEFINE_IM2ROWS (im2rows_32, float, COPY3)
DEFINE_IM2ROWS (im2rows_64, double, COPY3)


/* What every layer kind needs: the kernel, the weights as operands, the
 * input as operands, and the scales. */
typedef struct {
  const _bs_ev_layer *L;
  bs_dot_kernel *kern;
  size_t es;                 /* operand bytes */
  char *w_ops;               /* [channels][k] */
  char *x_ops;               /* the chunk's input, in its own layout */
  union { int16_t i16; float f32; double f64; } zero;   /* the operand of 0 (padding) */
  double s_x;
} exact_ctx;

/* off[c·kh + ky]: where row ky of channel c's window starts, relative to
 * the window's first row in channel 0. */
static void
im2rows (const exact_ctx *c, const bs_geom *g, int64_t nc, const void *x, const int64_t *off,
         void *rows)
{
  if (c->es == 2)
    im2rows_16 (g, nc, x, c->zero.i16, off, rows);
  else if (c->es == 4)
    im2rows_32 (g, nc, x, c->zero.f32, off, rows);
  else
    im2rows_64 (g, nc, x, c->zero.f64, off, rows);
}

/* y[q] = (float) (a[q] · s) [+ *bias in fp32], q < n; eight at a time on
 * AVX-512 (the same two roundings: the conversion rounds to nearest as
 * the scalar one does). */
static void
scale_out_scalar (const double *a, double s, const float *bias, float *y, int64_t from,
                  int64_t n)
{
  for (int64_t q = from; q < n; q++)
    {
      float t = (float) (a[q] * s);
      y[q] = bias ? t + *bias : t;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__ ((target ("avx512f"))) static void
scale_out_avx512 (const double *a, double s, const float *bias, float *y, int64_t n)
{
  const __m512d vs = _mm512_set1_pd (s);
  const __m256 vb = _mm256_set1_ps (bias ? *bias : 0.0f);
  int64_t q = 0;

  for (; q + 8 <= n; q += 8)
    {
      __m256 t = _mm512_cvtpd_ps (_mm512_mul_pd (_mm512_loadu_pd (a + q), vs));
      _mm256_storeu_ps (y + q, bias ? _mm256_add_ps (t, vb) : t);
    }
  scale_out_scalar (a, s, bias, y, q, n);
}
#endif

static void
scale_out (const double *a, double s, const float *bias, float *y, int64_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (bs_dot_simd (-1) >= 1)
    {
      scale_out_avx512 (a, s, bias, y, n);
      return;
    }
#endif
  scale_out_scalar (a, s, bias, y, 0, n);
}

/* Several images' patches go to one kernel call (the kernel's per-call work
 * — converting and interleaving the weights — is then shared), as many as
 * keep the patches within CONV_BATCH_BYTES. */
#define CONV_BATCH_BYTES ((size_t) 8 << 20)

static int
conv_layer (exact_ctx *c, const bs_node *node, bs_exec *x, int64_t count, char *err,
            size_t errlen)
{
  const _bs_ev_layer *L = c->L;
  bs_conv_dims d;
  const bs_tensor *bt = L->info.bias >= 0 ? bs_exec_tensor (x, L->info.bias) : NULL;
  const float *bias = bt ? bs_tensor_f32 (bt) : NULL;
  float *y = bs_exec_data (x, L->info.output);
  int64_t cg, mg, kk, np, in_plane, nb, images;
  char *rows = NULL;
  double *acc = NULL;
  int64_t *off = NULL;
  int ret = -1;

  if (_bs_conv_dims (node, bs_exec_shape (x, L->info.input), &L->info.w_shape, &d, err,
                     errlen) < 0)
    return -1;
  cg = d.c / d.group;
  mg = d.m / d.group;
  kk = cg * d.g.kh * d.g.kw;
  np = d.g.oh * d.g.ow;
  in_plane = d.g.ih * d.g.iw;
  images = count < d.n ? count : d.n;
  nb = (int64_t) (CONV_BATCH_BYTES / ((size_t) (np * kk) * c->es + 1));
  nb = nb < 1 ? 1 : nb > images ? images : nb;
  rows = malloc ((size_t) (nb * np * kk) * c->es + OPS_SLACK);
  acc = malloc ((size_t) (mg * nb * np) * sizeof *acc + 1);
  off = malloc ((size_t) (cg * d.g.kh) * sizeof *off + 1);
  if (!rows || !acc || !off)
    {
      fail (err, errlen, "out of memory for layer %s", L->info.name);
      goto out;
    }
  for (int64_t ch = 0; ch < cg; ch++)
    for (int64_t ky = 0; ky < d.g.kh; ky++)
      off[ch * d.g.kh + ky] = (ch * d.g.ih + ky * d.g.dh) * d.g.iw;
  for (int64_t n0 = 0; n0 < images; n0 += nb)
    for (int64_t gr = 0; gr < d.group; gr++)
      {
        int64_t bn = images - n0 < nb ? images - n0 : nb, cols = bn * np;
        const char *wg = c->w_ops + (size_t) (gr * mg * kk) * c->es;
        for (int64_t i = 0; i < bn; i++)
          im2rows (c, &d.g, cg, c->x_ops + (size_t) (((n0 + i) * d.c + gr * cg) * in_plane) * c->es,
                   off, rows + (size_t) (i * np * kk) * c->es);
        /* acc[o][i·np + p]: output channel o of image n0 + i at position p */
        if (bs_dot_kernel_run (c->kern, mg, cols, kk, wg, kk, rows, kk, acc, cols, NULL, err,
                               errlen) < 0)
          goto out;
        for (int64_t i = 0; i < bn; i++)
          for (int64_t o = 0; o < mg; o++)
            {
              int64_t oc = gr * mg + o;
              double s = L->qw_scale[oc] * c->s_x;
              scale_out (acc + o * cols + i * np, s, bias ? &bias[oc] : NULL,
                         y + ((n0 + i) * d.m + oc) * np, np);
            }
      }
  ret = 0;
out:
  free (rows);
  free (acc);
  free (off);
  return ret;
}

/* Gemm and MatMul: rows of the input against rows of the weights.  rows is
 * the input's row count, kk the shared dimension; the input operands are
 * transposed first for Gemm's transA. */
static int
gemm_layer (exact_ctx *c, const bs_node *node, bs_exec *x, char *err, size_t errlen)
{
  const _bs_ev_layer *L = c->L;
  const bs_shape *as = bs_exec_shape (x, L->info.input);
  bool gemm = L->info.op == BS_OP_GEMM;
  bool trans_a = gemm && node->p.gemm.trans_a;
  float alpha = gemm ? node->p.gemm.alpha : 1.0f, beta = gemm ? node->p.gemm.beta : 0.0f;
  int64_t ch = L->channels, kk = L->w_count / ch, rows_n;
  const bs_tensor *ct = gemm && L->info.bias >= 0 ? bs_exec_tensor (x, L->info.bias) : NULL;
  const float *cv = ct ? bs_tensor_f32 (ct) : NULL;
  int64_t c_rs = 0, c_cs = 0;
  float *y = bs_exec_data (x, L->info.output);
  char *xt = NULL;
  const char *xr = c->x_ops;
  double *acc = NULL;
  int ret = -1;

  if (!gemm && L->info.w_shape.ndim != 2)
    return fail (err, errlen, "layer %s: the exact path takes MatMul with a 2-D weight only",
                 L->info.name);
  rows_n = bs_shape_numel (as) / kk;
  if (ct)
    {
      /* Gemm's C broadcast to [rows, ch], as the Gemm op reads it */
      const bs_shape *cs = &ct->shape;
      int64_t cm = cs->ndim == 2 ? cs->dims[0] : 1;
      int64_t cn = cs->ndim >= 1 ? cs->dims[cs->ndim - 1] : 1;
      c_cs = cn == 1 ? 0 : 1;
      c_rs = cm == 1 ? 0 : cn;
    }
  acc = malloc ((size_t) (rows_n * ch) * sizeof *acc + 1);
  if (trans_a)
    xt = malloc ((size_t) (rows_n * kk) * c->es + 1);
  if (!acc || (trans_a && !xt))
    {
      fail (err, errlen, "out of memory for layer %s", L->info.name);
      goto out;
    }
  if (trans_a)
    {
      /* A is [K, M]: rows of A^T */
      for (int64_t t = 0; t < kk; t++)
        for (int64_t r = 0; r < rows_n; r++)
          memcpy (xt + (size_t) (r * kk + t) * c->es, c->x_ops + (size_t) (t * rows_n + r) * c->es,
                  c->es);
      xr = xt;
    }
  /* acc[o][r]: the weights' rows are the kernel's A side */
  if (bs_dot_kernel_run (c->kern, ch, rows_n, kk, c->w_ops, kk, xr, kk, acc, rows_n, NULL, err,
                         errlen) < 0)
    goto out;
  for (int64_t r = 0; r < rows_n; r++)
    for (int64_t o = 0; o < ch; o++)
      {
        float t = (float) (acc[o * rows_n + r] * (L->qw_scale[o] * c->s_x));
        if (alpha != 1.0f)
          t = alpha * t;
        if (cv)
          t = t + (beta != 1.0f ? beta * cv[r * c_rs + o * c_cs] : cv[r * c_rs + o * c_cs]);
        y[r * ch + o] = t;
      }
  ret = 0;
out:
  free (acc);
  free (xt);
  return ret;
}

int
_bs_ev_exact_layer (bs_evaluator *ev, int j, const bs_layer_config *lc, const bs_format *fin,
                    double in_scale, bs_exec *x, const float *q, int64_t count, char *err,
                    size_t errlen)
{
  const _bs_ev_layer *L = &ev->layers[j];
  const bs_node *node = &ev->g->nodes[L->info.node];
  const float *raw = bs_exec_data (x, L->info.input);
  int64_t m = bs_shape_numel (bs_exec_shape (x, L->info.input));
  exact_ctx c = { 0 };
  bs_format fw;
  bs_qopts qo = BS_QOPTS_INIT;
  char why[200], key[sizeof L->w_ops_key];
  double zero = 0.0;
  char *w_own = NULL;
  int ret = -1;

  (void) count;
  c.L = L;
  c.s_x = in_scale;
  if (bs_format_parse (lc->weight, &fw, err, errlen) < 0)
    return -1;
  if (!L->qw_unit || !L->qw)
    return fail (err, errlen, "layer %s: the exact path's weights were not made",
                 L->info.name);
  if (!L->qw_per_channel)
    return fail (err, errlen,
                 "layer %s: block scaling of %s weights puts several scales in one dot "
                 "product; the exact path needs one scale per output channel (channel "
                 "scaling) or a block format", L->info.name, fw.name);
  c.kern = bs_dot_kernel_new (&fw, fin, lc->acc, why, sizeof why);
  if (!c.kern)
    return fail (err, errlen, "layer %s: %s weights, %s inputs: %s", L->info.name, fw.name,
                 fin->name, why);
  c.es = bs_dot_kernel_operand_size (c.kern);
  kernel_key (c.kern, &fw, fin, key, sizeof key);
  if (strcmp (key, L->w_ops_key) == 0)
    c.w_ops = L->w_ops;            /* packed with the configuration */
  else
    w_own = c.w_ops = malloc ((size_t) L->w_count * c.es + 1);
  c.x_ops = malloc ((size_t) m * c.es + OPS_SLACK);
  if (!c.w_ops || !c.x_ops)
    {
      fail (err, errlen, "out of memory for layer %s", L->info.name);
      goto out;
    }

  /* operands: the weights (side 0) and this chunk's input (side 1) */
  qo.scale = in_scale;   /* as the evaluator quantized the input */
  if ((w_own && bs_dot_kernel_pack (c.kern, 0, L->qw_unit, (size_t) L->w_count, c.w_ops, why,
                                    sizeof why) < 0)
      || input_operands (c.kern, fin, raw, q, m, in_scale, &qo, c.x_ops, why, sizeof why) < 0
      || bs_dot_kernel_pack (c.kern, 1, &zero, 1, &c.zero, why, sizeof why) < 0)
    {
      fail (err, errlen, "layer %s: %s", L->info.name, why);
      goto out;
    }

  if (L->info.op == BS_OP_CONV)
    ret = conv_layer (&c, node, x, count, err, errlen);
  else
    ret = gemm_layer (&c, node, x, err, errlen);

out:
  free (w_own);
  free (c.x_ops);
  bs_dot_kernel_free (c.kern);
  return ret;
}
