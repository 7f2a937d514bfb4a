/* kmeans.c — kmeans<K>: a tensor's values replaced by the nearest of K
 * centroids fitted to them (Moons et al.'s clustering: log2 K-bit indices into
 * a table of high-precision centroids).
 *
 * The fit is one-dimensional k-means on doubles:
 *   1. the finite values are sorted and merged into distinct values u_j with
 *      counts w_j (-0 is 0), so equal values can never be split;
 *   2. c ≤ K distinct values: they are the centroids, exactly;
 *   3. otherwise k-means++ seeding (Arthur & Vassilvitskii 2007) over the u_j
 *      with weight w_j: the first centre drawn ∝ w_j, each next ∝ w_j · D_j²
 *      (D_j: distance to the nearest centre so far), the draws made by
 *      splitmix64(seed) — the same seed gives the same centroids everywhere;
 *   4. at most `iterations` Lloyd steps: each centroid becomes the weighted
 *      mean of its cluster (an empty one stays put), stopping as soon as no
 *      value changes cluster.
 * A value's cluster is its nearest centroid, cut at the double midpoints
 * fl(a/2 + b/2) of ascending neighbours, a value on a cut going to the lower
 * one.  In 1-D each cluster is a run of the sorted u_j, so a Lloyd step is a
 * binary search per cut plus one pass over the u_j.
 *
 * Tensor quantization applies the global scale as q(x / scale) · scale and
 * ignores bs_qopts.block (one codebook per tensor).  NaN stays NaN; ±inf take
 * no part in the fit and come out as the extreme centroids (saturation); a
 * tensor with no finite value is returned unchanged.  The fast float path
 * runs the same double algorithm on the float input and rounds the output to
 * float, so it equals (float) of the reference by construction.
 */
#include "bs-format-private.h"
#include "bs-kmeans.h"

#include <float.h>
#include <stdlib.h>

#define KM_MAX_K 65536

/* splitmix64 (Steele, Lea, Flood 2014): a seeded, portable generator. */
static uint64_t
km_next (uint64_t *s)
{
  uint64_t z = (*s += UINT64_C (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double
km_unit (uint64_t *s)
{
  return (double) (km_next (s) >> 11) * 0x1p-53;
}

static float
to_f32 (double d)
{
  if (fabs (d) > FLT_MAX)
    {
      float big = fabs (d) >= 0x1.ffffffp127 ? INFINITY : FLT_MAX;
      return d > 0 ? big : -big;
    }
  return (float) d;
}

/* Sorting ------------------------------------------------------------------ */

/* Doubles ordered as unsigned integers: flip every bit of a negative, the sign
 * bit of a positive. */
static inline uint64_t
d2key (double d)
{
  uint64_t u;
  memcpy (&u, &d, sizeof u);
  return (u >> 63) ? ~u : u | (UINT64_C (1) << 63);
}

static inline double
key2d (uint64_t k)
{
  uint64_t u = (k >> 63) ? k & ~(UINT64_C (1) << 63) : ~k;
  double d;
  memcpy (&d, &u, sizeof d);
  return d;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Sort finite doubles ascending: qsort when short, else an LSD radix sort on
 * 16-bit digits of the keys, skipping digits every key shares (float inputs
 * leave the low 29 bits zero).  Returns -1 when out of memory. */
static int
sort_doubles (double *v, size_t n)
{
  uint64_t *a, *b;
  size_t *cnt;

  if (n < 8192)
    {
      qsort (v, n, sizeof *v, cmp_double);
      return 0;
    }
  a = malloc (n * sizeof *a);
  b = malloc (n * sizeof *b);
  cnt = malloc (65536 * sizeof *cnt);
  if (!a || !b || !cnt)
    {
      free (a);
      free (b);
      free (cnt);
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    a[i] = d2key (v[i]);
  for (int shift = 0; shift < 64; shift += 16)
    {
      size_t sum = 0;
      bool trivial = false;

      memset (cnt, 0, 65536 * sizeof *cnt);
      for (size_t i = 0; i < n; i++)
        cnt[(a[i] >> shift) & 0xffffu]++;
      for (size_t d = 0; d < 65536; d++)
        {
          size_t c = cnt[d];
          trivial |= c == n;
          cnt[d] = sum;
          sum += c;
        }
      if (trivial)
        continue;
      for (size_t i = 0; i < n; i++)
        b[cnt[(a[i] >> shift) & 0xffffu]++] = a[i];
      {
        uint64_t *t = a;
        a = b;
        b = t;
      }
    }
  for (size_t i = 0; i < n; i++)
    v[i] = key2d (a[i]);
  free (a);
  free (b);
  free (cnt);
  return 0;
}

/* Points: distinct finite values with their counts ------------------------- */

typedef struct {
  double *u;   /* ascending, distinct */
  double *w;   /* counts */
  size_t m;
} km_points;

static void
km_points_clear (km_points *p)
{
  free (p->u);
  free (p->w);
  p->u = p->w = NULL;
  p->m = 0;
}

static int
km_points_build (const double *y, size_t n, km_points *p)
{
  size_t nf = 0, m = 0;

  p->u = malloc ((n ? n : 1) * sizeof *p->u);
  p->w = malloc ((n ? n : 1) * sizeof *p->w);
  p->m = 0;
  if (!p->u || !p->w)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (isfinite (y[i]))
      p->u[nf++] = y[i] == 0.0 ? 0.0 : y[i];   /* -0 counts as 0 */
  if (sort_doubles (p->u, nf) < 0)
    return -1;
  for (size_t i = 0; i < nf; i++)
    {
      if (m > 0 && p->u[i] == p->u[m - 1])
        p->w[m - 1] += 1.0;
      else
        {
          p->u[m] = p->u[i];
          p->w[m] = 1.0;
          m++;
        }
    }
  p->m = m;
  return 0;
}

/* Clusters ----------------------------------------------------------------- */

static inline double
km_cut (const double *cent, int i)
{
  return cent[i] * 0.5 + cent[i + 1] * 0.5;
}

/* The cluster of v (not NaN) among nc ≥ 1 ascending centroids: the number
 * of cuts strictly below v.  Branch-free halving (the answer stays within
 * [base, base + len]); the cuts are formed on the fly, so the format and
 * bs_kmeans_assign share this one rule. */
static uint32_t
km_cluster (const double *cent, int nc, double v)
{
  size_t base = 0, len = (size_t) nc - 1;

  if (len == 0)
    return 0;
  while (len > 1)
    {
      size_t half = len / 2;
      base = km_cut (cent, (int) (base + half - 1)) < v ? base + half : base;
      len -= half;
    }
  return (uint32_t) base + (km_cut (cent, (int) base) < v);
}

/* start[i]: the first point of cluster i, = #{u_j ≤ cut i-1}; start[nc] = m. */
static void
km_starts (const km_points *p, const double *cent, int nc, size_t *start)
{
  start[0] = 0;
  for (int i = 1; i < nc; i++)
    {
      double cut = km_cut (cent, i - 1);
      size_t lo = start[i - 1], hi = p->m;   /* cuts ascend: search from the last */
      while (lo < hi)
        {
          size_t mid = lo + (hi - lo) / 2;
          if (p->u[mid] <= cut)
            lo = mid + 1;
          else
            hi = mid;
        }
      start[i] = lo;
    }
  start[nc] = p->m;
}

/* Weighted mean of points [a, b) (a < b), taken relative to u_a and kept
 * inside [u_a, u_{b-1}] so rounding cannot reorder neighbouring clusters. */
static double
km_mean (const km_points *p, size_t a, size_t b)
{
  double base = p->u[a], s = 0.0, w = 0.0, mean;

  for (size_t j = a; j < b; j++)
    {
      s += p->w[j] * (p->u[j] - base);
      w += p->w[j];
    }
  mean = base + s / w;
  if (!(mean >= base))
    mean = base;
  if (mean > p->u[b - 1])
    mean = p->u[b - 1];
  return mean;
}

/* k-means++ seeding ---------------------------------------------------------
 * Sampling ∝ w_j · D_j² uses a sum tree over the points (leaves w_j · D_j²,
 * each inner node recomputed as the sum of its children, so it never drifts).
 * In 1-D a new centre c only gets closer to a contiguous run of points around
 * it: the scan outward stops at the first point that it does not bring closer.
 * Distances are taken on u scaled by a power of two into [-1, 1] so squares
 * cannot overflow.  Returns the number of centres (< k only if every remaining
 * point sits on a centre), or -1 when out of memory. */
static size_t
km_pick (const double *tree, size_t size, double t)
{
  size_t node = 1;

  while (node < size)
    {
      double l = tree[2 * node], r = tree[2 * node + 1];
      if (l > 0 && (t < l || !(r > 0)))
        node = 2 * node;
      else
        {
          t -= l;
          node = 2 * node + 1;
        }
    }
  return node - size;
}

static void
km_tree_refresh (double *tree, size_t size, size_t lo, size_t hi)
{
  lo += size;
  hi += size;
  while (lo > 1)
    {
      lo >>= 1;
      hi >>= 1;
      for (size_t i = lo; i <= hi; i++)
        tree[i] = tree[2 * i] + tree[2 * i + 1];
    }
}

static int
km_seed (const km_points *p, int k, uint64_t seed, double *cent)
{
  size_t m = p->m, size = 1, j;
  double *tree, *d2, *un, amax;
  uint64_t rng = seed;
  int nc = 0, e;

  while (size < m)
    size <<= 1;
  tree = calloc (2 * size, sizeof *tree);
  d2 = malloc (m * sizeof *d2);
  un = malloc (m * sizeof *un);
  if (!tree || !d2 || !un)
    {
      free (tree);
      free (d2);
      free (un);
      return -1;
    }
  amax = fmax (fabs (p->u[0]), fabs (p->u[m - 1]));
  e = amax > 0 ? ilogb (amax) + 1 : 0;
  for (size_t i = 0; i < m; i++)
    un[i] = ldexp (p->u[i], -e);

  /* the first centre: a uniformly drawn element */
  for (size_t i = 0; i < m; i++)
    tree[size + i] = p->w[i];
  km_tree_refresh (tree, size, 0, size - 1);
  j = km_pick (tree, size, km_unit (&rng) * tree[1]);
  cent[nc++] = p->u[j];
  for (size_t i = 0; i < m; i++)
    {
      double d = un[i] - un[j];
      d2[i] = d * d;
      tree[size + i] = p->w[i] * d2[i];
    }
  km_tree_refresh (tree, size, 0, size - 1);

  while (nc < k && tree[1] > 0)
    {
      size_t lo, hi;

      j = km_pick (tree, size, km_unit (&rng) * tree[1]);
      cent[nc++] = p->u[j];
      d2[j] = 0.0;
      lo = hi = j;
      for (size_t r = j + 1; r < m; r++)
        {
          double d = un[r] - un[j];
          if (!(d * d < d2[r]))
            break;
          d2[r] = d * d;
          hi = r;
        }
      for (size_t l = j; l-- > 0;)
        {
          double d = un[l] - un[j];
          if (!(d * d < d2[l]))
            break;
          d2[l] = d * d;
          lo = l;
        }
      for (size_t i = lo; i <= hi; i++)
        tree[size + i] = p->w[i] * d2[i];
      km_tree_refresh (tree, size, lo, hi);
    }
  free (tree);
  free (d2);
  free (un);
  qsort (cent, (size_t) nc, sizeof *cent, cmp_double);
  return nc;
}

/* Lloyd -------------------------------------------------------------------- */

static int
km_lloyd (const km_points *p, double *cent, int nc, int iters)
{
  size_t *buf = malloc (2 * ((size_t) nc + 1) * sizeof *buf);
  size_t *start = buf, *prev = buf + nc + 1;

  if (!buf)
    return -1;
  km_starts (p, cent, nc, start);
  for (int it = 0; it < iters; it++)
    {
      size_t *t;

      for (int i = 0; i < nc; i++)
        if (start[i] < start[i + 1])
          cent[i] = km_mean (p, start[i], start[i + 1]);
      t = prev;
      prev = start;
      start = t;
      km_starts (p, cent, nc, start);
      if (memcmp (start, prev, ((size_t) nc + 1) * sizeof *start) == 0)
        break;
    }
  free (buf);
  return 0;
}

/* The fit on doubles: writes k ascending centroids (the last repeated past
 * the c fitted ones) and returns c, or -1. */
static int
km_fit_d (const double *y, size_t n, int k, uint64_t seed, int iters, double *cent,
          char *err, size_t errlen)
{
  km_points p;
  int nc;

  if (km_points_build (y, n, &p) < 0)
    {
      km_points_clear (&p);
      return _bs_fail (err, errlen, "k-means: out of memory (%zu values)", n);
    }
  if (p.m <= (size_t) k)
    {
      memcpy (cent, p.u, p.m * sizeof *cent);
      nc = (int) p.m;
    }
  else
    {
      nc = km_seed (&p, k, seed, cent);
      if (nc < 0 || km_lloyd (&p, cent, nc, iters) < 0)
        {
          km_points_clear (&p);
          return _bs_fail (err, errlen, "k-means: out of memory (%zu values)", n);
        }
    }
  km_points_clear (&p);
  for (int i = nc; i < k; i++)
    cent[i] = nc > 0 ? cent[nc - 1] : 0.0;
  return nc;
}

/* Public API --------------------------------------------------------------- */

int
bs_kmeans_fit (const float *x, size_t n, int k, uint64_t seed, int iters,
               double *centroids, uint32_t *index, char *err, size_t errlen)
{
  double *y;
  int nc;

  if (k < 1 || k > KM_MAX_K)
    return _bs_fail (err, errlen, "k-means: k = %d out of range (1..%d)", k, KM_MAX_K);
  if (iters < 0)
    return _bs_fail (err, errlen, "k-means: iterations = %d must be ≥ 0", iters);
  if (!centroids || (n > 0 && !x))
    return _bs_fail (err, errlen, "k-means: missing input or centroid array");
  y = calloc (n ? n : 1, sizeof *y);
  if (!y)
    return _bs_fail (err, errlen, "k-means: out of memory (%zu values)", n);
  for (size_t i = 0; i < n; i++)
    y[i] = x[i];
  nc = km_fit_d (y, n, k, seed, iters, centroids, err, errlen);
  free (y);
  if (nc >= 0 && index)
    bs_kmeans_assign (centroids, nc, x, n, index);
  return nc;
}

void
bs_kmeans_assign (const double *centroids, int c, const float *x, size_t n,
                  uint32_t *index)
{
  for (size_t i = 0; i < n; i++)
    index[i] = c <= 0 || isnan (x[i]) ? BS_KMEANS_NO_INDEX
                                      : km_cluster (centroids, c, x[i]);
}

/* Traits ------------------------------------------------------------------- */

/* y[i] (x / scale) replaced by its centroid, in place. */
static int
km_quantize_d (const bs_format *f, double *y, size_t n, const bs_qopts *o, char *err,
               size_t errlen)
{
  int k = f->p.kmeans.k, nc;
  double *cent = malloc ((size_t) k * sizeof *cent);

  if (!cent)
    return _bs_fail (err, errlen, "k-means: out of memory");
  nc = km_fit_d (y, n, k, o->seed, o->iterations, cent, err, errlen);
  if (nc > 0)
    for (size_t i = 0; i < n; i++)
      if (!isnan (y[i]))
        y[i] = cent[km_cluster (cent, nc, y[i])];
  free (cent);
  return nc < 0 ? -1 : 0;
}

static int
kmeans_quantize_ref (const bs_format *f, const double *in, double *out, size_t n,
                     const bs_qopts *o, char *err, size_t errlen)
{
  double *y = malloc ((n ? n : 1) * sizeof *y);

  if (!y)
    return _bs_fail (err, errlen, "k-means: out of memory (%zu values)", n);
  for (size_t i = 0; i < n; i++)
    y[i] = in[i] / o->scale;
  if (km_quantize_d (f, y, n, o, err, errlen) < 0)
    {
      free (y);
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    out[i] = y[i] * o->scale;
  free (y);
  return 0;
}

static int
kmeans_quantize (const bs_format *f, const float *in, float *out, size_t n,
                 const bs_qopts *o, char *err, size_t errlen)
{
  double *y = malloc ((n ? n : 1) * sizeof *y);

  if (!y)
    return _bs_fail (err, errlen, "k-means: out of memory (%zu values)", n);
  for (size_t i = 0; i < n; i++)
    y[i] = (double) in[i] / o->scale;
  if (km_quantize_d (f, y, n, o, err, errlen) < 0)
    {
      free (y);
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    out[i] = to_f32 (y[i] * o->scale);
  free (y);
  return 0;
}

static int
kmeans_parse (const char *name, bs_format *f, char *err, size_t errlen)
{
  int k, bits = 0;

  if (!_bs_parse_int_suffix (name, "kmeans", &k))
    return 0;
  if (k < 2 || k > KM_MAX_K)
    return _bs_fail (err, errlen, "format '%s': kmeans<K> needs 2 ≤ K ≤ %d", name, KM_MAX_K);
  while ((1 << bits) < k)
    bits++;
  f->p.kmeans.k = k;
  f->bits = bits;
  f->block = 0;      /* one codebook for the whole tensor */
  f->max = 0.0;      /* data-dependent: no fixed range */
  f->min_pos = 0.0;
  return 1;
}

static void
kmeans_describe (const bs_format *f, char *buf, size_t len)
{
  snprintf (buf, len,
            "%s: %d centroids fitted to the tensor (k-means++ then Lloyd), %d-bit indices "
            "into a table of doubles; range set by the data",
            f->name, f->p.kmeans.k, f->bits);
}

const bs_format_traits _bs_kmeans_traits = {
  .family = BS_FAMILY_KMEANS,
  .pattern = "kmeans<K>",
  .summary = "k-means codebook: K centroids fitted to the tensor, log2 K-bit indices",
  .exact_acc = BS_ACC_KULISCH,
  .parse = kmeans_parse,
  .quantize_tensor_ref = kmeans_quantize_ref,
  .quantize_tensor = kmeans_quantize,
  .describe = kmeans_describe,
};
