/* dot-kernels.c — matrices of dot products of unit-scale values through an
 * accumulator, bit for bit as bs_dot_values (dot-mixed.c) computes each one
 * (see bs-dot-kernel.h for the contract and the kernel kinds).
 *
 * Every kernel takes A[m][k] and B[n][k], both rows along k, so each output
 * is the dot product of two contiguous rows.  Outputs are computed a few rows
 * of A by a few rows of B at a time (2 × 2, or 2 × 4 for ELMA: independent
 * sums sharing each load), for blocks of NB rows of B that stay in cache
 * while all of A streams past.  Measured on one core (Xeon, 2.5 GHz, SSE2
 * code, thread CPU time): int8 17 G MAC/s, ELMA log8 2 G MAC/s (1.2 G when
 * the register must be watched), fp32 1.9 G, Kulisch on fp8/posit8/mxfp4
 * 0.8 G (0.08 G where a register per output is needed), fp16 0.1 G.  ELMA
 * on AVX-512 (run_elma8_vec, dot-elma8-simd.c): tiles of 4 × 16 outputs,
 * about 7 G MAC/s per core inside the ResNet's layers (2.2× the scalar
 * loops over a whole evaluation).
 */
#include "bs-dot-kernel.h"
#include "bs-dot-simd.h"
#include "bs-format-private.h"

#include <pthread.h>
#include <stdlib.h>

/* Defined in elma.c. */
int32_t _bs_elma8_key (double x, bool *bad);
const int64_t *_bs_elma8_products (void);
uint32_t _bs_elma8_output (int64_t acc, bool overflow, bool ovf_neg);
/* Defined in dot-mixed.c. */
bool _bs_dot_integer_step (const bs_format *f, double *step);
bs_kulisch *_bs_dot_kulisch_pair (const bs_format *fa, const bs_format *fb);

typedef enum { K_INT, K_ELMA8, K_FP32, K_FP16, K_KULISCH, K_REFERENCE } kernel_kind;

static const char *const kind_names[] = { "int", "elma8", "fp32", "fp16", "kulisch",
                                          "reference" };
static const size_t kind_sizes[] = { 2, 2, 4, 4, 8, 8 };

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* kulisch: the fixed-point operand of NaN/±inf (valid ones are below 2^62). */
#define FX_SPECIAL INT64_MIN

/* B rows per block: with k ≤ 4608 they stay in L2 at 8 bytes each. */
#define NB 32

/* ELMA log8 keys (elma.c: nonzero values L + 192 with the sign in bit 11,
 * zero 900, and -0 900 + 2048).  NaN/±inf (the code 0x80) get E8_NAN_KEY:
 * bit 13 marks it (valid keys are below 2^12), and its low bits (1000) send
 * every key sum it is part of to a zero increment (low 11 bits above 768, as
 * zero's key does), so the other products still make the reference's
 * register and overflow flag.  E8_HALF bounds the 38-bit register, E8_MASK
 * is the product table's index mask. */
#define E8_NAN_KEY  (8192 + 1000)
#define E8_NAN_BIT  8192
#define E8_HALF     ((int64_t) 1 << 37)
#define E8_MASK     4095

struct bs_dot_kernel {
  bs_format f[2];            /* side 0: A (fa), side 1: B (fb) */
  bs_acc acc;                /* resolved */
  kernel_kind kind;
  double unit[2];            /* int: the quantum of each side */
  const int64_t *prod;       /* elma8: register increment per key sum */
  double l8_value[256];      /* elma8: value of each log8 code */
  double l8_mag[385];        /* elma8: |value| of a key's low bits L + 192 (≈, for bounds) */
  double h8[16];             /* elma8, vector path: the increment of L = f, over 2^24 */
  const bs_format *quire;    /* the quire: the wider posit */
};

bs_dot_kernel *
bs_dot_kernel_new (const bs_format *fa, const bs_format *fb, bs_acc acc, char *err,
                   size_t errlen)
{
  bs_dot_kernel *k;
  bs_acc r;

  if (bs_dot_resolve (fa, fb, acc, &r, err, errlen) < 0)
    return NULL;
  k = calloc (1, sizeof *k);
  if (!k)
    {
      _bs_fail (err, errlen, "out of memory");
      return NULL;
    }
  k->f[0] = *fa;
  k->f[1] = *fb;
  k->acc = r;
  k->kind = K_KULISCH;
  switch (r)
    {
    case BS_ACC_INT32:
      _bs_dot_integer_step (fa, &k->unit[0]);
      _bs_dot_integer_step (fb, &k->unit[1]);
      k->kind = K_INT;
      break;
    case BS_ACC_FP32:
      k->kind = K_FP32;
      break;
    case BS_ACC_FP16:
      k->kind = K_FP16;
      break;
    case BS_ACC_ELMA:
      /* log8 (resolve made both sides the same format) through elma.c's
       * table; log16 has none: its reference runs per output */
      k->kind = K_REFERENCE;
      if (fa->p.log.tapered && (k->prod = _bs_elma8_products ()) != NULL)
        {
          k->kind = K_ELMA8;
          for (uint32_t c = 0; c < 256; c++)
            k->l8_value[c] = bs_format_decode (fa, c);
          for (int low = 0; low <= 384; low++)
            k->l8_mag[low] = exp2 ((low - 192) / 16.0);
          /* key sums with low bits 384 + f: L = f, e = 0 (dot-elma8-simd.c) */
          for (int f = 0; f < 16; f++)
            k->h8[f] = ldexp ((double) k->prod[384 + f], -24);
        }
      break;
    case BS_ACC_QUIRE:
      k->quire = fa->bits >= fb->bits ? &k->f[0] : &k->f[1];
      break;
    case BS_ACC_KULISCH:
      /* one log format on both sides: the family's exact-product sum */
      if (strcmp (fa->name, fb->name) == 0 && bs_format_family (fa) == BS_FAMILY_LOG)
        k->kind = K_REFERENCE;
      break;
    case BS_ACC_EXACT:
    case BS_N_ACCS:
    default:
      break;
    }
  return k;
}

void
bs_dot_kernel_free (bs_dot_kernel *k)
{
  free (k);
}

bs_acc
bs_dot_kernel_acc (const bs_dot_kernel *k)
{
  return k->acc;
}

const char *
bs_dot_kernel_kind (const bs_dot_kernel *k)
{
  return kind_names[k->kind];
}

size_t
bs_dot_kernel_operand_size (const bs_dot_kernel *k)
{
  return kind_sizes[k->kind];
}

/* fp16 rounding of a double, as _bs_round_fp16 (float.c) does it — nearest
 * even, IEEE overflow to inf, the sign of a zero kept — by the FPU: adding
 * and subtracting C = 1.5·2^(q+52), q the exponent of the fp16 quantum at
 * |x| (2^-24 below the normal range, else 2^(e-10)), rounds x to a multiple
 * of 2^q (|x| < 2^(q+11) ≪ C keeps x + C in the binade of C, whose ulp is
 * 2^q).  Above 65504 the result is inf (65520, the midpoint to 2^16,
 * rounds to the even 2^16).  Checked against the reference by the kernel
 * tests (fp16 accumulation, ties and overflow included). */
static inline double
round_fp16 (double x)
{
  uint64_t u, cb;
  int ex;
  double c, r;

  memcpy (&u, &x, sizeof u);
  ex = (int) ((u >> 52) & 0x7ff);
  if (ex >= 1023 + 16)               /* |x| ≥ 2^16, inf, NaN */
    return isnan (x) ? x : copysign (INFINITY, x);
  ex = ex < 1023 - 14 ? 1023 - 24 : ex - 10;
  cb = ((uint64_t) (ex + 52) << 52) | ((uint64_t) 1 << 51);
  memcpy (&c, &cb, sizeof c);
  r = (x + c) - c;
  if (fabs (r) > 65504.0)
    r = INFINITY;
  return copysign (r, x);
}

/* Packing ---------------------------------------------------------------------- */

int
bs_dot_kernel_pack (const bs_dot_kernel *k, int side, const double *u, size_t n, void *ops,
                    char *err, size_t errlen)
{
  const bs_format *f = &k->f[side ? 1 : 0];

  switch (k->kind)
    {
    case K_INT:
      {
        int16_t *o = ops;
        const double inv = 1.0 / k->unit[side ? 1 : 0];   /* a power of two: exact */
        bool bad = false;
        for (size_t i = 0; i < n; i++)
          {
            double c = u[i] * inv;
            bool ok = c >= -32768 && c <= 32767;             /* false for NaN */
            int16_t v = ok ? (int16_t) c : 0;
            bad |= !ok || (double) v != c;
            o[i] = v;
          }
        if (bad)
          for (size_t i = 0; i < n; i++)
            {
              double c = u[i] * inv;
              if (isnan (c))
                return _bs_fail (err, errlen, "int32 accumulation of NaN (element %zu)", i);
              if (!(c >= -32768 && c <= 32767) || c != floor (c))
                return _bs_fail (err, errlen, "%.17g is not a value of %s", u[i], f->name);
            }
        return 0;
      }
    case K_ELMA8:
      {
        int16_t *o = ops;
        for (size_t i = 0; i < n; i++)
          {
            bool bad;
            int32_t key;
            if (isnan (u[i]) || isinf (u[i]))
              {
                o[i] = E8_NAN_KEY;
                continue;
              }
            key = _bs_elma8_key (u[i], &bad);
            if (bad)
              return _bs_fail (err, errlen,
                               "ELMA takes values of %s at unit scale; %.17g is not one",
                               f->name, u[i]);
            o[i] = (int16_t) key;
          }
        return 0;
      }
    case K_FP32:
      {
        float *o = ops;
        for (size_t i = 0; i < n; i++)
          o[i] = (float) u[i];
        return 0;
      }
    case K_FP16:
      {
        float *o = ops;
        for (size_t i = 0; i < n; i++)
          o[i] = (float) round_fp16 (u[i]);
        return 0;
      }
    case K_KULISCH:
    case K_REFERENCE:
    default:
      memcpy (ops, u, n * sizeof *u);
      return 0;
    }
}

/* int32 -------------------------------------------------------------------------
 * Products of 16-bit codes are exact in int32; the sums wrap modulo 2^32 in
 * uint32 (defined behaviour), which is what the reference's register holds
 * whatever the order of the additions.  GCC vectorises the four reductions
 * into pmaddwd.  The overflow flag needs the exact sum: a second, scalar int64
 * pass, only when asked for. */

static inline void
int_2x2 (const int16_t *a0, const int16_t *a1, const int16_t *b0, const int16_t *b1,
         int64_t kk, uint32_t s[4])
{
  uint32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;

  for (int64_t t = 0; t < kk; t++)
    {
      int32_t x0 = a0[t], x1 = a1[t], y0 = b0[t], y1 = b1[t];
      s00 += (uint32_t) (x0 * y0);
      s01 += (uint32_t) (x0 * y1);
      s10 += (uint32_t) (x1 * y0);
      s11 += (uint32_t) (x1 * y1);
    }
  s[0] = s00;
  s[1] = s01;
  s[2] = s10;
  s[3] = s11;
}

static inline uint32_t
int_1x1 (const int16_t *a, const int16_t *b, int64_t kk)
{
  uint32_t s = 0;

  for (int64_t t = 0; t < kk; t++)
    s += (uint32_t) ((int32_t) a[t] * b[t]);
  return s;
}

static bool
int_overflow (const int16_t *a, const int16_t *b, int64_t kk, uint32_t wrapped)
{
  int64_t exact = 0;
  bool wide = false;

  for (int64_t t = 0; t < kk; t++)
    if (__builtin_add_overflow (exact, (int64_t) a[t] * b[t], &exact))
      wide = true;
  return wide || (int64_t) (int32_t) wrapped != exact;
}

static void
run_int (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const int16_t *a,
         int64_t lda, const int16_t *b, int64_t ldb, double *out, int64_t ldo, bool *ovf)
{
  const double ua = k->unit[0], ub = k->unit[1];

  for (int64_t j0 = 0; j0 < n; j0 += NB)
    {
      int64_t j1 = j0 + NB < n ? j0 + NB : n;
      for (int64_t i = 0; i < m; i += 2)
        {
          const int16_t *a0 = a + i * lda, *a1 = a0 + (i + 1 < m ? lda : 0);
          for (int64_t j = j0; j < j1; j += 2)
            {
              const int16_t *b0 = b + j * ldb, *b1 = b0 + (j + 1 < j1 ? ldb : 0);
              uint32_t s[4];
              if (i + 1 < m && j + 1 < j1)
                int_2x2 (a0, a1, b0, b1, kk, s);
              else
                {
                  s[0] = int_1x1 (a0, b0, kk);
                  s[1] = j + 1 < j1 ? int_1x1 (a0, b1, kk) : 0;
                  s[2] = i + 1 < m ? int_1x1 (a1, b0, kk) : 0;
                  s[3] = 0;
                }
              for (int q = 0; q < 4; q++)
                {
                  int64_t ii = i + (q >> 1), jj = j + (q & 1);
                  if (ii >= m || jj >= j1)
                    continue;
                  /* as the reference: the register read as two's complement,
                   * times the two quanta (powers of two: exact) */
                  out[ii * ldo + jj] = (double) (int32_t) s[q] * ua * ub;
                  if (ovf)
                    ovf[ii * ldo + jj] = int_overflow (a + ii * lda, b + jj * ldb, kk, s[q]);
                }
            }
        }
    }
}

/* ELMA log8 -----------------------------------------------------------------------
 * One table lookup per product: two keys add into the index of the register
 * increment (elma.c's fast-path table).  The register is followed exactly:
 * summed in 64 bits, and as long as no partial sum has left [-2^37, 2^37)
 * that is the 38-bit register itself.  Where the largest values of the rows
 * involved prove that no partial sum can leave it (elma8_safe_*), the loop just
 * sums; otherwise it also notes whether any partial sum left (one OR per
 * sum), and such an output is walked again up to its first overflowing sum,
 * whose sign is all the hardware keeps (it then emits ±maxpos).  Sums are
 * uint64 so that what follows an overflow (ignored) is defined behaviour.  A
 * NaN operand makes the output NaN, as in the reference; rows holding one
 * are found first. */

/* The output code by table.  elma.c's conversion of a register content acc
 * depends only on its sign, the position p of the leading one of |acc|, the
 * seven bits below it (β = 5 kept, a guard and a round bit) and whether any
 * lower bit is set (the sticky bit); contents below 2^8 have no lower bits
 * and are tabled whole.  Both tables are filled once by elma.c's own
 * conversion, so they cannot disagree with it. */
typedef struct {
  uint8_t small[2][256];            /* [negative][|acc|], |acc| < 2^8 */
  uint8_t big[2][38][128][2];       /* [negative][p][7 bits][sticky], p ≥ 8 */
} e8_out_table;

static e8_out_table e8_out;
static pthread_once_t e8_out_once = PTHREAD_ONCE_INIT;
/* The vector path's version: the output's value (not its code) under the
 * same index, flattened (bs-dot-simd.h, ELMA8_VAL_*). */
static double e8_out_value[ELMA8_VAL_N];

static void
e8_out_init (void)
{
  for (int neg = 0; neg < 2; neg++)
    {
      for (int64_t mag = 0; mag < 256; mag++)
        e8_out.small[neg][mag] = (uint8_t) _bs_elma8_output (neg ? -mag : mag, false, false);
      for (int p = 8; p < 38; p++)
        for (int64_t b = 0; b < 128; b++)
          for (int st = 0; st < 2; st++)
            {
              int64_t mag = ((int64_t) 1 << p) | (b << (p - 7)) | st;
              e8_out.big[neg][p][b][st] = (uint8_t) _bs_elma8_output (neg ? -mag : mag, false,
                                                                      false);
            }
    }
  {
    bs_format f;
    char err[64];
    if (bs_format_parse ("log8", &f, err, sizeof err) == 0)
      {
        for (int neg = 0; neg < 2; neg++)
          for (int mag = 0; mag < 256; mag++)
            e8_out_value[ELMA8_VAL_SMALL (neg, mag)] = bs_format_decode (&f, e8_out.small[neg][mag]);
        for (int neg = 0; neg < 2; neg++)
          for (int p = 8; p < 38; p++)
            for (int b = 0; b < 128; b++)
              for (int st = 0; st < 2; st++)
                e8_out_value[ELMA8_VAL_BIG (neg, p, b, st)]
                  = bs_format_decode (&f, e8_out.big[neg][p][b][st]);
      }
  }
}

/* acc within the register, -2^37 ≤ acc < 2^37, no overflow. */
static inline uint32_t
e8_out_code (int64_t acc)
{
  int neg = acc < 0, p;
  uint64_t mag = neg ? (uint64_t) 0 - (uint64_t) acc : (uint64_t) acc;

  if (mag < 256)
    return e8_out.small[neg][mag];
  p = 63 - __builtin_clzll (mag);
  return e8_out.big[neg][p][(mag >> (p - 7)) & 127u][(mag & ((1ull << (p - 7)) - 1u)) != 0];
}

/* Table lookups do not vectorize on the baseline ISA: GCC's emulated
 * gathers make these loops slower (measured), so they stay scalar. */
#define SCALAR_LOOP __attribute__ ((optimize ("no-tree-vectorize")))

static inline SCALAR_LOOP void
elma8_2x2 (const int64_t *prod, const int16_t *a0, const int16_t *a1, const int16_t *b0,
           const int16_t *b1, int64_t kk, int64_t s[4], bool out[4])
{
  const uint64_t h = (uint64_t) E8_HALF;
  uint64_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, o00 = 0, o01 = 0, o10 = 0, o11 = 0;

  for (int64_t t = 0; t < kk; t++)
    {
      int32_t x0 = a0[t], x1 = a1[t], y0 = b0[t], y1 = b1[t];
      s00 += (uint64_t) prod[(x0 + y0) & E8_MASK];
      s01 += (uint64_t) prod[(x0 + y1) & E8_MASK];
      s10 += (uint64_t) prod[(x1 + y0) & E8_MASK];
      s11 += (uint64_t) prod[(x1 + y1) & E8_MASK];
      o00 |= s00 + h;
      o01 |= s01 + h;
      o10 |= s10 + h;
      o11 |= s11 + h;
    }
  s[0] = (int64_t) s00;
  s[1] = (int64_t) s01;
  s[2] = (int64_t) s10;
  s[3] = (int64_t) s11;
  out[0] = (o00 >> 38) != 0;
  out[1] = (o01 >> 38) != 0;
  out[2] = (o10 >> 38) != 0;
  out[3] = (o11 >> 38) != 0;
}

/* Without watching the register, for blocks where no partial sum can leave
 * it (see elma8_safe_keys): two rows of A by four of B, eight sums sharing six key
 * loads.  The rows come interleaved, ai[2t + r] = A row r at t and bi[4t + c]
 * = B row c at t, which keeps the sums in registers (the loop walks two
 * pointers). */
static inline SCALAR_LOOP void
elma8_2x4_free (const int64_t *prod, const int16_t *ai, const int16_t *bi, int64_t kk,
                int64_t s[8])
{
  uint64_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  const int16_t *end = ai + 2 * kk;

  for (; ai < end; ai += 2, bi += 4)
    {
      int32_t x0 = ai[0], x1 = ai[1], y0 = bi[0], y1 = bi[1], y2 = bi[2], y3 = bi[3];
      s00 += (uint64_t) prod[(x0 + y0) & E8_MASK];
      s01 += (uint64_t) prod[(x0 + y1) & E8_MASK];
      s02 += (uint64_t) prod[(x0 + y2) & E8_MASK];
      s03 += (uint64_t) prod[(x0 + y3) & E8_MASK];
      s10 += (uint64_t) prod[(x1 + y0) & E8_MASK];
      s11 += (uint64_t) prod[(x1 + y1) & E8_MASK];
      s12 += (uint64_t) prod[(x1 + y2) & E8_MASK];
      s13 += (uint64_t) prod[(x1 + y3) & E8_MASK];
    }
  s[0] = (int64_t) s00;
  s[1] = (int64_t) s01;
  s[2] = (int64_t) s02;
  s[3] = (int64_t) s03;
  s[4] = (int64_t) s10;
  s[5] = (int64_t) s11;
  s[6] = (int64_t) s12;
  s[7] = (int64_t) s13;
}

/* dst[w·t + r] = rows[r][t], r < w: w rows (leading dimension ld) interleaved. */
static void
interleave (const int16_t *rows, int64_t ld, int w, int64_t kk, int16_t *dst)
{
  for (int r = 0; r < w; r++)
    for (int64_t t = 0; t < kk; t++)
      dst[w * t + r] = rows[r * ld + t];
}

/* Whether every partial sum of a block's dot products stays inside the
 * register.  A product a·b, |a·b| = 2^(L/16) with e = floor(L/16), adds
 * (2^5 + p)·2^(e-5-lsb) register units, lsb = -24, floored: at most
 * 2^(e+25) ≤ 2^25·|a·b| in magnitude, plus 1 for the floor of a negative
 * term (2^25·|a·b| ≥ 2 for log8 values).  So each partial sum is below
 *   kk · 2^(e_max + 25)                         (ka, kb: the largest keys)
 *   2^25 · min(‖a‖₁ · max|b|, ‖b‖₁ · max|a|) + kk   (l1a, l1b: the largest
 * row norms), and either bound below 2^37 proves the block safe.  The norms
 * are sums of doubles near 2^(L/16) (relative error ≪ 2^-30): a 2^-20
 * margin covers them. */
static bool
elma8_safe_keys (int ka, int kb, int64_t kk)
{
  int L = ka + kb - 384, e, kbits = 0;

  if (ka < 0 || kb < 0)
    return true;                   /* a row of zeros */
  e = L >= 0 ? L / 16 : -((-L + 15) / 16);
  while (((int64_t) 1 << kbits) < kk)
    kbits++;
  return e + 25 + kbits <= 37;
}

static bool
elma8_safe_norms (const bs_dot_kernel *k, int ka, int kb, double l1a, double l1b, int64_t kk)
{
  double bound = 0x1p25 * fmin (l1a * k->l8_mag[kb], l1b * k->l8_mag[ka]) + (double) kk;
  return bound < 0x1p37 * (1 - 0x1p-20);
}

static inline SCALAR_LOOP int64_t
elma8_1x1 (const int64_t *prod, const int16_t *a, const int16_t *b, int64_t kk, bool *out)
{
  const uint64_t h = (uint64_t) E8_HALF;
  uint64_t s = 0, o = 0;

  for (int64_t t = 0; t < kk; t++)
    {
      s += (uint64_t) prod[(a[t] + b[t]) & E8_MASK];
      o |= s + h;
    }
  *out = (o >> 38) != 0;
  return (int64_t) s;
}

/* The output code of one dot product whose register overflowed: the sign
 * of the first partial sum outside the register. */
static SCALAR_LOOP uint32_t
elma8_overflow_code (const int64_t *prod, const int16_t *a, const int16_t *b, int64_t kk)
{
  int64_t s = 0;

  for (int64_t t = 0; t < kk; t++)
    {
      s += prod[(a[t] + b[t]) & E8_MASK];
      if (s < -E8_HALF || s >= E8_HALF)
        return _bs_elma8_output (0, true, s < 0);
    }
  return _bs_elma8_output (s, false, false);   /* not reached */
}

/* Row facts for the ELMA kernel: whether a row holds NaN, and its largest
 * log value as a key's low bits L + 192 (zero, NaN: none, -1000). */
static void
elma8_rows (const int16_t *x, int64_t rows, int64_t ld, int64_t kk, bool *nan, int *mx)
{
  for (int64_t r = 0; r < rows; r++)
    {
      const int16_t *row = x + r * ld;
      int16_t any = 0, m = -1000;
      /* two loops: each vectorizes on its own */
      for (int64_t t = 0; t < kk; t++)
        any |= row[t] & E8_NAN_BIT;
      for (int64_t t = 0; t < kk; t++)
        {
          int16_t low = row[t] & 2047;
          low = low <= 384 ? low : -1000;
          m = low > m ? low : m;
        }
      nan[r] = any != 0;
      mx[r] = m;
    }
}

/* The rows' norms Σ|x| (elma8_safe_norms), computed when first needed. */
static void
elma8_norms (const bs_dot_kernel *k, const int16_t *x, int64_t rows, int64_t ld, int64_t kk,
             double *l1)
{
  for (int64_t r = 0; r < rows; r++)
    {
      double sum = 0;
      for (int64_t t = 0; t < kk; t++)
        {
          int low = x[r * ld + t] & 2047;
          sum += low <= 384 ? k->l8_mag[low] : 0.0;
        }
      l1[r] = sum;
    }
}

static inline double
dmax_of (const double *v, int64_t from, int64_t count)
{
  double mx = v[from];
  for (int64_t i = 1; i < count; i++)
    mx = v[from + i] > mx ? v[from + i] : mx;
  return mx;
}

static inline int
max_of (const int *v, int64_t from, int64_t count)
{
  int mx = v[from];
  for (int64_t i = 1; i < count; i++)
    mx = v[from + i] > mx ? v[from + i] : mx;
  return mx;
}

/* Output (ii, jj) from its register content s and overflow note o. */
static inline void
elma8_finish (const bs_dot_kernel *k, int64_t kk, int64_t ii, int64_t jj, int64_t s, bool o,
              const int16_t *a, int64_t lda, const int16_t *b, int64_t ldb, const bool *nan_a,
              const bool *nan_b, double *out, int64_t ldo, bool *ovf)
{
  uint32_t code;

  if (ovf)
    ovf[ii * ldo + jj] = o;
  if (nan_a[ii] || nan_b[jj])
    {
      out[ii * ldo + jj] = NAN;
      return;
    }
  code = o ? elma8_overflow_code (k->prod, a + ii * lda, b + jj * ldb, kk) : e8_out_code (s);
  out[ii * ldo + jj] = k->l8_value[code];
}

/* The smallest key low bits u = L + 192 of each row's nonzero values (1000
 * for a row without one). */
static void
elma8_rows_min (const int16_t *x, int64_t rows, int64_t ld, int64_t kk, int *mn)
{
  for (int64_t r = 0; r < rows; r++)
    {
      const int16_t *row = x + r * ld;
      int16_t m = 1000;
      for (int64_t t = 0; t < kk; t++)
        {
          int16_t low = row[t] & 2047;
          low = low <= 384 ? low : 1000;
          m = low < m ? low : m;
        }
      mn[r] = m;
    }
}

static inline int
min_of (const int *v, int64_t from, int64_t count)
{
  int mn = v[from];
  for (int64_t i = 1; i < count; i++)
    mn = v[from + i] < mn ? v[from + i] : mn;
  return mn;
}

/* The vector path (dot-elma8-simd.c): tiles of four rows of one side by
 * sixteen of the other, for the tiles where no partial sum can leave the
 * register (proved as for elma8_2x4_free, over the tile's rows); the other
 * tiles' outputs are followed one by one by the watching scalar loop.  The
 * products are symmetric, so the side with more rows (a layer's patches) is
 * the one whose rows are broadcast, four at a time, converted to vector keys
 * as they come; the other (its weights) is converted once into panels of
 * sixteen rows, interleaved (zeros past the end). */
typedef struct {
  const int16_t *x;
  int64_t rows, ld;
  bool *nan;
  int *max, *min;
  double *l1;
} e8_side;

/* The row facts are found here, or (stats false) left to the caller. */
static int
e8_side_init (e8_side *s, const int16_t *x, int64_t rows, int64_t ld, int64_t kk, bool stats)
{
  size_t r = (size_t) (rows ? rows : 1);

  s->x = x;
  s->rows = rows;
  s->ld = ld;
  s->nan = malloc (r);
  s->max = malloc (r * sizeof *s->max);
  s->min = malloc (r * sizeof *s->min);
  s->l1 = malloc (r * sizeof *s->l1);
  if (!s->nan || !s->max || !s->min || !s->l1)
    return -1;
  if (stats)
    {
      elma8_rows (x, rows, ld, kk, s->nan, s->max);
      elma8_rows_min (x, rows, ld, kk, s->min);
    }
  return 0;
}

static void
e8_side_clear (e8_side *s)
{
  free (s->nan);
  free (s->max);
  free (s->min);
  free (s->l1);
}

/* Output (ii, jj) of a tile: its value, NaN where either operand row held a
 * NaN. */
static inline void
put_value (double *out, bool *ovf, int64_t ldo, int64_t ii, int64_t jj, const bool *nan_a,
           const bool *nan_b, double v)
{
  out[ii * ldo + jj] = nan_a[ii] || nan_b[jj] ? NAN : v;
  if (ovf)
    ovf[ii * ldo + jj] = false;
}

static int
run_elma8_vec (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const int16_t *a,
               int64_t lda, const int16_t *b, int64_t ldb, double *out, int64_t ldo, bool *ovf,
               char *err, size_t errlen)
{
  enum { TR = ELMA8_TILE_ROWS, TC = ELMA8_TILE_COLS };
  const bool swap = n > m;            /* broadcast B's rows, panels of A */
  e8_side sa = { 0 }, sb = { 0 };
  e8_side *x = swap ? &sb : &sa, *p = swap ? &sa : &sb;
  int64_t npan = ((swap ? m : n) + TC - 1) / TC;
  uint64_t *pv = malloc ((size_t) (npan * kk * TC + 1) * sizeof *pv);
  uint64_t *xv = malloc ((size_t) (TR * kk + 1) * sizeof *xv);
  int32_t *ts = malloc ((size_t) (3 * kk + 1) * sizeof *ts);
  int32_t *fast = ts + kk, *slow = ts + 2 * kk;
  int16_t *pmin = malloc ((size_t) (npan * kk + 1) * sizeof *pmin);
  int16_t *xmin = malloc ((size_t) (kk + 1) * sizeof *xmin);
  bool have_norms = false;
  int ret = -1;

  /* the broadcast side's row facts come four rows at a time, below */
  if (!pv || !xv || !ts || !pmin || !xmin || e8_side_init (&sa, a, m, lda, kk, swap) < 0
      || e8_side_init (&sb, b, n, ldb, kk, !swap) < 0)
    {
      _bs_fail (err, errlen, "out of memory");
      goto out;
    }
  pthread_once (&e8_out_once, e8_out_init);
  for (int64_t pan = 0; pan < npan; pan++)
    {
      int64_t cols = p->rows - pan * TC < TC ? p->rows - pan * TC : TC;
      _bs_elma8_simd_panel (p->x + pan * TC * p->ld, p->ld, cols, kk, pv + pan * kk * TC);
      _bs_elma8_simd_rmin (p->x + pan * TC * p->ld, p->ld, cols, kk, pmin + pan * kk, NULL,
                           NULL, NULL);
    }

  for (int64_t i0 = 0; i0 < x->rows; i0 += TR)
    {
      int64_t rows = x->rows - i0 < TR ? x->rows - i0 : TR;
      int ka, la;
      int64_t nt = -1, nf, ns;
      /* only the t where some row holds a nonzero value (ReLU leaves many
       * where none does: all their products are zero), found by the rows'
       * smallest nonzero key at each t; the rows' facts in the same pass */
      _bs_elma8_simd_rmin (x->x + i0 * x->ld, x->ld, rows, kk, xmin, x->nan + i0, x->max + i0,
                           x->min + i0);
      ka = max_of (x->max, i0, rows);
      la = min_of (x->min, i0, rows);
      _bs_elma8_simd_rows (x->x + i0 * x->ld, x->ld, rows, kk, xv);
      for (int64_t pan = 0; pan < npan; pan++)
        {
          int64_t j0 = pan * TC, cols = p->rows - j0 < TC ? p->rows - j0 : TC;
          int kb = max_of (p->max, j0, cols);
          /* e_u = (ua + ub) >> 4 ≥ 5 for every nonzero product: no floors */
          bool small = la + min_of (p->min, j0, cols) < 5 * 16;
          bool safe = elma8_safe_keys (ka, kb, kk);
          if (!safe && !have_norms)
            {
              elma8_norms (k, sa.x, sa.rows, sa.ld, kk, sa.l1);
              elma8_norms (k, sb.x, sb.rows, sb.ld, kk, sb.l1);
              have_norms = true;
            }
          safe = safe || elma8_safe_norms (k, ka, kb, dmax_of (x->l1, i0, rows),
                                           dmax_of (p->l1, j0, cols), kk);
          if (safe)
            {
              /* the outputs' values straight from the tile; NaN rows after */
              double vals[TR][TC];
              if (small)
                {
                  /* floors only at the t where some product may need one:
                   * the smallest keys of the rows and of the panel there
                   * give e_u < 5 */
                  _bs_elma8_simd_split (xmin, pmin + pan * kk, 5 * 16, kk, fast, &nf, slow,
                                        &ns);
                  _bs_elma8_simd_tile_split (xv, kk, pv + pan * kk * TC, fast, nf, slow, ns,
                                             k->h8, e8_out_value, vals);
                }
              else
                {
                  if (nt < 0)
                    _bs_elma8_simd_split (xmin, NULL, 0, kk, ts, &nt, slow, &ns);
                  _bs_elma8_simd_tile_split (xv, kk, pv + pan * kk * TC, ts, nt, NULL, 0,
                                             k->h8, e8_out_value, vals);
                }
              /* along the output's rows: with swap, a tile row is a column */
              if (swap)
                for (int64_t c = 0; c < cols; c++)
                  for (int64_t r = 0; r < rows; r++)
                    put_value (out, ovf, ldo, j0 + c, i0 + r, sa.nan, sb.nan, vals[r][c]);
              else
                for (int64_t r = 0; r < rows; r++)
                  for (int64_t c = 0; c < cols; c++)
                    put_value (out, ovf, ldo, i0 + r, j0 + c, sa.nan, sb.nan, vals[r][c]);
              continue;
            }
          for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++)
              {
                int64_t ii = swap ? j0 + c : i0 + r, jj = swap ? i0 + r : j0 + c, s;
                bool o = false;
                s = elma8_1x1 (k->prod, a + ii * lda, b + jj * ldb, kk, &o);
                elma8_finish (k, kk, ii, jj, s, o, a, lda, b, ldb, sa.nan, sb.nan, out, ldo,
                              ovf);
              }
        }
    }
  ret = 0;
out:
  free (pv);
  free (xv);
  free (ts);
  free (pmin);
  free (xmin);
  e8_side_clear (&sa);
  e8_side_clear (&sb);
  return ret;
}

static int
run_elma8_scalar (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const int16_t *a,
                  int64_t lda, const int16_t *b, int64_t ldb, double *out, int64_t ldo,
                  bool *ovf, char *err, size_t errlen)
{
  const int64_t *prod = k->prod;
  bool *nan_a = malloc ((size_t) (m ? m : 1)), *nan_b = malloc ((size_t) (n ? n : 1));
  int *max_a = malloc ((size_t) (m ? m : 1) * sizeof *max_a);
  int *max_b = malloc ((size_t) (n ? n : 1) * sizeof *max_b);
  double *l1_a = malloc ((size_t) (m ? m : 1) * sizeof *l1_a);
  double *l1_b = malloc ((size_t) (n ? n : 1) * sizeof *l1_b);
  int16_t *bi = malloc ((size_t) (NB * kk + 1) * sizeof *bi);   /* interleaved B rows */
  int16_t *ai = malloc ((size_t) (m * kk + 1) * sizeof *ai);    /* interleaved A pairs */

  if (!nan_a || !nan_b || !max_a || !max_b || !l1_a || !l1_b || !bi || !ai)
    {
      free (nan_a);
      free (nan_b);
      free (max_a);
      free (max_b);
      free (l1_a);
      free (l1_b);
      free (bi);
      free (ai);
      return _bs_fail (err, errlen, "out of memory");
    }
  for (int64_t i = 0; i + 1 < m; i += 2)
    interleave (a + i * lda, lda, 2, kk, ai + i * kk);
  pthread_once (&e8_out_once, e8_out_init);
  bool have_norms = false;

  elma8_rows (a, m, lda, kk, nan_a, max_a);
  elma8_rows (b, n, ldb, kk, nan_b, max_b);

  for (int64_t j0 = 0; j0 < n; j0 += NB)
    {
      int64_t j1 = j0 + NB < n ? j0 + NB : n;
      /* groups of four B rows, interleaved (elma8_2x4_free) */
      for (int64_t g = j0; g + 3 < j1; g += 4)
        interleave (b + g * ldb, ldb, 4, kk, bi + (g - j0) * kk);
      for (int64_t i = 0; i < m; i += 2)
        {
          const int16_t *a0 = a + i * lda, *a1 = a0 + (i + 1 < m ? lda : 0);
          int rows = i + 1 < m ? 2 : 1;
          int ka = max_of (max_a, i, rows);
          for (int64_t j = j0; j < j1;)
            {
              const int16_t *b0 = b + j * ldb;
              int64_t s[8] = { 0 };
              bool o[8] = { false };
              int cols = j + 1 < j1 ? 2 : 1;
              if ((j - j0) % 4 == 0 && j + 3 < j1 && rows == 2)
                {
                  int kb = max_of (max_b, j, 4);
                  bool safe = elma8_safe_keys (ka, kb, kk);
                  if (!safe && !have_norms)
                    {
                      elma8_norms (k, a, m, lda, kk, l1_a);
                      elma8_norms (k, b, n, ldb, kk, l1_b);
                      have_norms = true;
                    }
                  if (safe || elma8_safe_norms (k, ka, kb, dmax_of (l1_a, i, 2),
                                                dmax_of (l1_b, j, 4), kk))
                    cols = 4;
                }
              if (cols == 4)
                {
                  /* s[q]: row q >> 2, column q & 3 */
                  elma8_2x4_free (prod, ai + i * kk, bi + (j - j0) * kk, kk, s);
                  for (int q = 0; q < 8; q++)
                    elma8_finish (k, kk, i + (q >> 2), j + (q & 3), s[q], false, a, lda, b, ldb,
                                  nan_a, nan_b, out, ldo, ovf);
                  j += 4;
                  continue;
                }
              /* s[q]: row q >> 1, column q & 1 */
              if (rows == 2 && cols == 2)
                elma8_2x2 (prod, a0, a1, b0, b0 + ldb, kk, s, o);
              else
                for (int q = 0; q < 4; q++)
                  if ((q >> 1) < rows && (q & 1) < cols)
                    s[q] = elma8_1x1 (prod, q >> 1 ? a1 : a0, b0 + (q & 1) * ldb, kk, &o[q]);
              for (int q = 0; q < 4; q++)
                if ((q >> 1) < rows && (q & 1) < cols)
                  elma8_finish (k, kk, i + (q >> 1), j + (q & 1), s[q], o[q], a, lda, b, ldb,
                                nan_a, nan_b, out, ldo, ovf);
              j += cols;
            }
        }
    }
  free (nan_a);
  free (nan_b);
  free (max_a);
  free (max_b);
  free (l1_a);
  free (l1_b);
  free (bi);
  free (ai);
  return 0;
}

static int
run_elma8 (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const int16_t *a,
           int64_t lda, const int16_t *b, int64_t ldb, double *out, int64_t ldo, bool *ovf,
           char *err, size_t errlen)
{
  if (bs_dot_simd (-1) >= 1)
    return run_elma8_vec (k, m, n, kk, a, lda, b, ldb, out, ldo, ovf, err, errlen);
  return run_elma8_scalar (k, m, n, kk, a, lda, b, ldb, out, ldo, ovf, err, errlen);
}

/* fp32 and fp16: sequential ---------------------------------------------------------
 * The reference's order (k ascending, one rounding per product and per sum)
 * is kept per output; four outputs are interleaved so the four dependency
 * chains overlap.  fp32: a float·float product rounded to float is the
 * correctly rounded exact product, as the reference's double product then
 * (float).  The project compiles as ISO C (-std=c11): no contraction into
 * fused multiply-adds. */

static bool
nonfinite_f (const float *x, int64_t kk)
{
  for (int64_t t = 0; t < kk; t++)
    if (!isfinite (x[t]))
      return true;
  return false;
}

static void
run_fp (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const float *a, int64_t lda,
        const float *b, int64_t ldb, double *out, int64_t ldo, bool *ovf)
{
  const bool h = k->kind == K_FP16;

  for (int64_t j0 = 0; j0 < n; j0 += NB)
    {
      int64_t j1 = j0 + NB < n ? j0 + NB : n;
      for (int64_t i = 0; i < m; i += 2)
        {
          const float *a0 = a + i * lda, *a1 = a0 + (i + 1 < m ? lda : 0);
          for (int64_t j = j0; j < j1; j += 2)
            {
              const float *b0 = b + j * ldb, *b1 = b0 + (j + 1 < j1 ? ldb : 0);
              double s[4];
              if (!h)
                {
                  float s00 = 0.0f, s01 = 0.0f, s10 = 0.0f, s11 = 0.0f;
                  for (int64_t t = 0; t < kk; t++)
                    {
                      s00 = s00 + a0[t] * b0[t];
                      s01 = s01 + a0[t] * b1[t];
                      s10 = s10 + a1[t] * b0[t];
                      s11 = s11 + a1[t] * b1[t];
                    }
                  s[0] = s00, s[1] = s01, s[2] = s10, s[3] = s11;
                }
              else
                {
                  double s00 = 0, s01 = 0, s10 = 0, s11 = 0;
                  for (int64_t t = 0; t < kk; t++)
                    {
                      /* fp16 values multiply and add exactly in double */
                      s00 = round_fp16 (s00 + round_fp16 ((double) a0[t] * b0[t]));
                      s01 = round_fp16 (s01 + round_fp16 ((double) a0[t] * b1[t]));
                      s10 = round_fp16 (s10 + round_fp16 ((double) a1[t] * b0[t]));
                      s11 = round_fp16 (s11 + round_fp16 ((double) a1[t] * b1[t]));
                    }
                  s[0] = s00, s[1] = s01, s[2] = s10, s[3] = s11;
                }
              for (int q = 0; q < 4; q++)
                {
                  int64_t ii = i + (q >> 1), jj = j + (q & 1);
                  if (ii >= m || jj >= j1)
                    continue;
                  out[ii * ldo + jj] = s[q];
                  if (ovf)
                    ovf[ii * ldo + jj] = isinf (s[q]) && !nonfinite_f (a + ii * lda, kk)
                                         && !nonfinite_f (b + jj * ldb, kk);
                }
            }
        }
    }
}

/* Kulisch and the quire ------------------------------------------------------------
 * The reference adds each exact product to a register sized for the two
 * formats (so no product of their values falls outside it) and reads its
 * content rounded to nearest double: the value is RNE of the exact sum, which
 * any exact method gives.  The quire's content is the same exact sum (it
 * wraps only past 2^31 products); any NaN/inf operand makes it NaR.
 *
 * Fast: when the nonzero operands of A are all multiples of 2^lo_a below
 * 2^(hi_a+1), every one is an integer A_i·2^lo_a with |A_i| < 2^bits_a (and
 * so for B), and the sum is the integer Σ A_i·B_i times 2^(lo_a + lo_b),
 * exact in an int64 when bits_a + bits_b + log2 k ≤ 62 and in an __int128
 * when ≤ 126: found per call from the operands themselves, which covers the
 * narrow formats (fp8, fp6, fp4, posit8, fp16 …) and block formats whose
 * scales stay within some 60 binades.  The overflow flag compares the sum
 * with the reference register's range, [-2^msb, 2^msb).  Otherwise, and for
 * outputs whose rows hold NaN/inf, a Kulisch register per output, as the
 * reference.
 *
 * Reference kind (log Kulisch, log16 ELMA): the family's own function per
 * output. */

static bs_kulisch *
kulisch_register (const bs_dot_kernel *k)
{
  return k->acc == BS_ACC_QUIRE ? bs_kulisch_new_for_format (k->quire, 40)
                                : _bs_dot_kulisch_pair (&k->f[0], &k->f[1]);
}

/* One output the reference's way: reg from kulisch_register (NULL: the
 * reference kind). */
static int
one_output (const bs_dot_kernel *k, bs_kulisch *reg, const double *ar, const double *br,
            int64_t kk, double *v, bool *o, char *err, size_t errlen)
{
  if (!reg)
    {
      bs_dot_result r;
      int ret = k->acc == BS_ACC_ELMA
                ? _bs_log_dot_elma (&k->f[0], ar, br, (size_t) kk, &r, err, errlen)
                : _bs_log_dot_kulisch (&k->f[0], ar, br, (size_t) kk, &r, err, errlen);
      *v = k->acc == BS_ACC_ELMA ? r.rounded : r.value;
      *o = r.overflow;
      return ret;
    }
  bs_kulisch_clear (reg);
  for (int64_t t = 0; t < kk; t++)
    bs_kulisch_add_product (reg, ar[t], br[t]);
  *v = bs_kulisch_value (reg);
  *o = bs_kulisch_overflowed (reg);
  if (k->acc == BS_ACC_QUIRE && !isfinite (*v))
    *v = NAN;
  return 0;
}

/* A finite nonzero double as m·2^e, m < 2^53 with its hidden bit. */
static inline void
double_parts (double x, uint64_t *m, int *e)
{
  uint64_t u, ef;

  memcpy (&u, &x, sizeof u);
  ef = (u >> 52) & 0x7ff;
  *m = (u & 0xfffffffffffffull) | ((uint64_t) (ef != 0) << 52);
  *e = (int) ef - 1075 + (ef == 0);
}

/* Over rows × kk operands: the lowest set bit (lo) and the highest (hi) of
 * the finite nonzero ones, and which rows hold NaN/inf.  lo > hi if none. */
static void
fixed_range (const double *x, int64_t rows, int64_t ld, int64_t kk, int *lo, int *hi,
             bool *special)
{
  *lo = INT32_MAX;
  *hi = INT32_MIN;
  for (int64_t r = 0; r < rows; r++)
    {
      bool sp = false;
      for (int64_t t = 0; t < kk; t++)
        {
          double v = x[r * ld + t];
          uint64_t m;
          int e;
          if (!isfinite (v))
            {
              sp = true;
              continue;
            }
          if (v == 0)
            continue;
          double_parts (v, &m, &e);
          if (e + __builtin_ctzll (m) < *lo)
            *lo = e + __builtin_ctzll (m);
          if (e + 63 - __builtin_clzll (m) > *hi)
            *hi = e + 63 - __builtin_clzll (m);
        }
      special[r] = sp;
    }
}

/* x = A·2^lo exactly (x a multiple of 2^lo, |A| < 2^62); NaN/inf: FX_SPECIAL. */
static void
fixed_convert (const double *x, int64_t rows, int64_t ld, int64_t kk, int lo, int64_t *dst)
{
  for (int64_t r = 0; r < rows; r++)
    for (int64_t t = 0; t < kk; t++)
      {
        double v = x[r * ld + t];
        uint64_t m;
        int e;
        int64_t a;
        if (!isfinite (v))
          {
            dst[r * kk + t] = FX_SPECIAL;
            continue;
          }
        if (v == 0)
          {
            dst[r * kk + t] = 0;
            continue;
          }
        double_parts (v, &m, &e);
        a = (int64_t) (e >= lo ? m << (e - lo) : m >> (lo - e));
        dst[r * kk + t] = signbit (v) ? -a : a;
      }
}

/* An __int128 rounded to the nearest double (ties to even): 63 bits taken
 * with everything below ORed into the last (round to odd, then one correct
 * rounding to 53 bits). */
static double
i128_to_double (i128 x)
{
  u128 mag = x < 0 ? -(u128) x : (u128) x;
  uint64_t hi = (uint64_t) (mag >> 64), m;
  int len, sh;

  if (mag >> 63 == 0)
    return (double) (int64_t) x;       /* |x| < 2^63: the correctly rounded conversion */
  len = hi ? 128 - __builtin_clzll (hi) : 64;
  sh = len - 63;
  m = (uint64_t) (mag >> sh) | (uint64_t) ((mag & (((u128) 1 << sh) - 1)) != 0);
  return x < 0 ? -ldexp ((double) (int64_t) m, sh) : ldexp ((double) (int64_t) m, sh);
}

/* Two's complement sums in unsigned arithmetic: exact for rows of valid
 * operands (the bounds above), defined behaviour for rows holding
 * FX_SPECIAL (whose sums are not used). */
static inline SCALAR_LOOP void
fixed_2x2_64 (const int64_t *a0, const int64_t *a1, const int64_t *b0, const int64_t *b1,
              int64_t kk, i128 s[4])
{
  uint64_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;

  for (int64_t t = 0; t < kk; t++)
    {
      uint64_t x0 = (uint64_t) a0[t], x1 = (uint64_t) a1[t];
      uint64_t y0 = (uint64_t) b0[t], y1 = (uint64_t) b1[t];
      s00 += x0 * y0;
      s01 += x0 * y1;
      s10 += x1 * y0;
      s11 += x1 * y1;
    }
  s[0] = (int64_t) s00;
  s[1] = (int64_t) s01;
  s[2] = (int64_t) s10;
  s[3] = (int64_t) s11;
}

static inline SCALAR_LOOP void
fixed_2x2_128 (const int64_t *a0, const int64_t *a1, const int64_t *b0, const int64_t *b1,
               int64_t kk, i128 s[4])
{
  u128 s00 = 0, s01 = 0, s10 = 0, s11 = 0;

  for (int64_t t = 0; t < kk; t++)
    {
      /* |product| ≤ 2^126 even with FX_SPECIAL: no overflow */
      s00 += (u128) ((i128) a0[t] * b0[t]);
      s01 += (u128) ((i128) a0[t] * b1[t]);
      s10 += (u128) ((i128) a1[t] * b0[t]);
      s11 += (u128) ((i128) a1[t] * b1[t]);
    }
  s[0] = (i128) s00;
  s[1] = (i128) s01;
  s[2] = (i128) s10;
  s[3] = (i128) s11;
}

/* Whether s · 2^scale lies outside [-2^msb, 2^msb). */
static bool
outside (i128 s, int scale, int msb)
{
  int top = msb - scale;

  if (top >= 126)
    return false;
  if (top < 0)
    return s != 0;
  return s >= (i128) 1 << top || s < -((i128) 1 << top);
}

static int
run_kulisch (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const double *a,
             int64_t lda, const double *b, int64_t ldb, double *out, int64_t ldo, bool *ovf,
             char *err, size_t errlen)
{
  bs_kulisch *reg = k->kind == K_KULISCH ? kulisch_register (k) : NULL;
  bool *sp_a = malloc ((size_t) (m ? m : 1)), *sp_b = malloc ((size_t) (n ? n : 1));
  int64_t *fa = NULL, *fb = NULL;
  int lo_a = 0, hi_a = 0, lo_b = 0, hi_b = 0, bits_a = 0, bits_b = 0, kbits = 0, ret = 0;
  bool fast = false;

  if ((k->kind == K_KULISCH && !reg) || !sp_a || !sp_b)
    {
      ret = _bs_fail (err, errlen, "out of memory");
      goto out;
    }
  if (k->kind == K_KULISCH)
    {
      fixed_range (a, m, lda, kk, &lo_a, &hi_a, sp_a);
      fixed_range (b, n, ldb, kk, &lo_b, &hi_b, sp_b);
      while (((int64_t) 1 << kbits) < kk)
        kbits++;
      /* a side with no nonzero operand converts to zeros (no shifts) */
      bits_a = lo_a <= hi_a ? hi_a - lo_a + 1 : (lo_a = 0);
      bits_b = lo_b <= hi_b ? hi_b - lo_b + 1 : (lo_b = 0);
      fast = bits_a <= 62 && bits_b <= 62 && bits_a + bits_b + kbits <= 126;
    }
  if (fast)
    {
      fa = malloc ((size_t) (m * kk + 1) * sizeof *fa);
      fb = malloc ((size_t) (n * kk + 1) * sizeof *fb);
      if (!fa || !fb)
        {
          ret = _bs_fail (err, errlen, "out of memory");
          goto out;
        }
      fixed_convert (a, m, lda, kk, lo_a, fa);
      fixed_convert (b, n, ldb, kk, lo_b, fb);
    }

  for (int64_t j0 = 0; j0 < n; j0 += NB)
    {
      int64_t j1 = j0 + NB < n ? j0 + NB : n;
      for (int64_t i = 0; i < m; i += 2)
        for (int64_t j = j0; j < j1; j += 2)
          {
            i128 s[4] = { 0 };
            if (fast)
              {
                const int64_t *a0 = fa + i * kk, *a1 = i + 1 < m ? a0 + kk : a0;
                const int64_t *b0 = fb + j * kk, *b1 = j + 1 < j1 ? b0 + kk : b0;
                if (bits_a + bits_b + kbits > 62)
                  fixed_2x2_128 (a0, a1, b0, b1, kk, s);
                else
                  fixed_2x2_64 (a0, a1, b0, b1, kk, s);
              }
            for (int q = 0; q < 4; q++)
              {
                int64_t ii = i + (q >> 1), jj = j + (q & 1);
                double v;
                bool o;
                if (ii >= m || jj >= j1)
                  continue;
                if (!fast || sp_a[ii] || sp_b[jj])
                  {
                    if ((ret = one_output (k, reg, a + ii * lda, b + jj * ldb, kk, &v, &o, err,
                                           errlen)) < 0)
                      goto out;
                  }
                else
                  {
                    v = ldexp (i128_to_double (s[q]), lo_a + lo_b);
                    o = outside (s[q], lo_a + lo_b, bs_kulisch_msb (reg));
                  }
                out[ii * ldo + jj] = v;
                if (ovf)
                  ovf[ii * ldo + jj] = o;
              }
          }
    }
out:
  bs_kulisch_free (reg);
  free (sp_a);
  free (sp_b);
  free (fa);
  free (fb);
  return ret;
}

int
bs_dot_kernel_run (const bs_dot_kernel *k, int64_t m, int64_t n, int64_t kk, const void *a,
                   int64_t lda, const void *b, int64_t ldb, double *out, int64_t ldo,
                   bool *overflow, char *err, size_t errlen)
{
  if (m <= 0 || n <= 0)
    return 0;
  switch (k->kind)
    {
    case K_INT:
      run_int (k, m, n, kk, a, lda, b, ldb, out, ldo, overflow);
      return 0;
    case K_ELMA8:
      return run_elma8 (k, m, n, kk, a, lda, b, ldb, out, ldo, overflow, err, errlen);
    case K_FP32:
    case K_FP16:
      run_fp (k, m, n, kk, a, lda, b, ldb, out, ldo, overflow);
      return 0;
    case K_KULISCH:
    case K_REFERENCE:
    default:
      return run_kulisch (k, m, n, kk, a, lda, b, ldb, out, ldo, overflow, err, errlen);
    }
}
