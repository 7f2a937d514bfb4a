/* bs-format-sweep.c — format comparison data, computed with the engine's
 * bs_format_round and bs_format_quantize (never re-derived here). */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-format-sweep.h"

/* Magnitudes shown at most (formats like fp32 reach far beyond). */
#define SWEEP_MIN 1e-12
#define SWEEP_MAX 1e12

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Every positive finite value of a format of at most 16 bits, ascending,
 * without repeats. */
static void
enumerate_values (BsFormatCurve *c)
{
  guint n = bs_format_n_codes (&c->format), k = 0;

  if (c->format.bits > 16 || !bs_format_has_codes (&c->format))
    return;
  c->values = g_new (double, n);
  for (guint code = 0; code < n; code++)
    {
      double v = bs_format_decode (&c->format, code);

      if (isfinite (v) && v > 0)
        c->values[k++] = v;
    }
  qsort (c->values, k, sizeof (double), cmp_double);
  c->n_values = 0;
  for (guint i = 0; i < k; i++)
    if (c->n_values == 0 || c->values[i] != c->values[c->n_values - 1])
      c->values[c->n_values++] = c->values[i];
}

/* The curve of format `name` on n_samples inputs log-spaced over [lo, hi]:
 * x_i = lo · (hi / lo)^(i / (n - 1)), rel_err_i = |round(x_i) - x_i| / x_i
 * with round = bs_format_round (ties to even, saturating at ±max), and its
 * envelope: the largest rel_err of each block of BS_SWEEP_BLOCK consecutive
 * samples, which reads as the format's worst-case relative error at that
 * magnitude once samples are denser than the format's values.  NULL and an
 * error for an unknown name or a format without element codes. */
BsFormatCurve *
bs_format_curve_new (const char *name, double lo, double hi, guint n_samples, GError **error)
{
  g_autoptr (BsFormatCurve) c = g_new0 (BsFormatCurve, 1);
  char err[128] = "";
  double llo, lhi;

  g_return_val_if_fail (n_samples >= 2 && lo > 0 && hi > lo, NULL);

  if (bs_format_parse (name, &c->format, err, sizeof err) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s", err);
      return NULL;
    }
  if (!bs_format_has_codes (&c->format))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s has no fixed set of values (its codebook depends on the data)"), name);
      return NULL;
    }
  c->name = g_strdup (name);
  c->n_samples = n_samples;
  c->x = g_new (double, n_samples);
  c->rel_err = g_new (double, n_samples);
  c->sqnr_unit = c->sqnr_scaled = NAN;
  llo = log10 (lo);
  lhi = log10 (hi);
  for (guint i = 0; i < n_samples; i++)
    {
      double x = pow (10.0, llo + (lhi - llo) * i / (n_samples - 1));
      double q = bs_format_round (&c->format, x);

      c->x[i] = x;
      c->rel_err[i] = isnan (q) ? NAN : fabs (q - x) / x;
    }
  c->n_env = n_samples / BS_SWEEP_BLOCK;
  c->env_x = g_new (double, MAX (c->n_env, 1));
  c->env_err = g_new (double, MAX (c->n_env, 1));
  for (guint b = 0; b < c->n_env; b++)
    {
      double worst = NAN;

      for (guint k = b * BS_SWEEP_BLOCK; k < (b + 1) * BS_SWEEP_BLOCK; k++)
        if (!isnan (c->rel_err[k]) && !(c->rel_err[k] <= worst))
          worst = c->rel_err[k];
      c->env_x[b] = sqrt (c->x[b * BS_SWEEP_BLOCK] * c->x[(b + 1) * BS_SWEEP_BLOCK - 1]);
      c->env_err[b] = worst;
    }
  enumerate_values (c);
  return g_steal_pointer (&c);
}

void
bs_format_curve_free (BsFormatCurve *c)
{
  if (!c)
    return;
  g_free (c->name);
  g_free (c->x);
  g_free (c->rel_err);
  g_free (c->env_x);
  g_free (c->env_err);
  g_free (c->values);
  g_free (c);
}

/* Fill the curve's SQNR figures for tensor x (NaN when n is 0). */
void
bs_format_curve_set_tensor (BsFormatCurve *c, const float *x, gsize n)
{
  double m = 0;

  c->sqnr_unit = c->sqnr_scaled = NAN;
  if (n == 0)
    return;
  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]))
      m = MAX (m, fabs (x[i]));
  c->sqnr_unit = bs_format_sqnr (&c->format, x, n, 1.0);
  if (m > 0)
    c->sqnr_scaled = bs_format_sqnr (&c->format, x, n, m / c->format.max);
}

/* A sweep range covering every format: from a quarter of the smallest
 * min_pos to four times the largest max, within [1e-12, 1e12]. */
void
bs_format_sweep_range (const bs_format *formats, guint n_formats, double *lo, double *hi)
{
  *lo = INFINITY;
  *hi = 0;
  for (guint i = 0; i < n_formats; i++)
    {
      *lo = MIN (*lo, formats[i].min_pos / 4);
      *hi = MAX (*hi, formats[i].max * 4);
    }
  *lo = CLAMP (*lo, SWEEP_MIN, SWEEP_MAX / 10);
  *hi = CLAMP (*hi, *lo * 10, SWEEP_MAX);
}

/* Signal-to-quantization-noise ratio in dB of x in format f at the given
 * scale (q(x / scale) · scale, bs_format_quantize):
 * 10 log10(Σ x² / Σ (x - q)²), summed in double over finite elements.
 * +inf when quantization is exact; NaN on error or an empty tensor. */
double
bs_format_sqnr (const bs_format *f, const float *x, gsize n, double scale)
{
  g_autofree float *q = g_new (float, n);
  bs_qopts o = BS_QOPTS_INIT;
  double sig = 0, noise = 0;

  if (n == 0 || !(scale > 0) || !isfinite (scale))
    return NAN;
  o.scale = scale;
  if (bs_format_quantize (f, x, q, n, &o, NULL, 0) != 0)
    return NAN;
  for (gsize i = 0; i < n; i++)
    {
      double d;

      if (!isfinite (x[i]) || !isfinite (q[i]))
        continue;
      d = (double) x[i] - q[i];
      sig += (double) x[i] * x[i];
      noise += d * d;
    }
  if (noise == 0)
    return sig > 0 ? INFINITY : NAN;
  return 10 * log10 (sig / noise);
}

/* Histogram of |x| over n_bins bins log-spaced on [lo, hi]; values below lo
 * go to the first bin, above hi to the last, zeros are counted apart. */
BsHistogram *
bs_histogram_new (const float *x, gsize n, double lo, double hi, guint n_bins)
{
  BsHistogram *h = g_new0 (BsHistogram, 1);
  double llo = log10 (lo), span = log10 (hi) - llo;

  h->lo = lo;
  h->hi = hi;
  h->n_bins = n_bins;
  h->counts = g_new0 (guint64, n_bins);
  for (gsize i = 0; i < n; i++)
    {
      double a = fabs (x[i]);
      long b;

      if (!isfinite (a))
        continue;
      h->total++;
      if (a == 0)
        {
          h->zeros++;
          continue;
        }
      b = (long) floor ((log10 (a) - llo) / span * n_bins);
      h->counts[CLAMP (b, 0, (long) n_bins - 1)]++;
    }
  return h;
}

void
bs_histogram_free (BsHistogram *h)
{
  if (!h)
    return;
  g_free (h->counts);
  g_free (h);
}

/* A NumPy .npy file of float32 or float64 (little-endian, any shape, C or
 * Fortran order: the elements are read as they lie), or text: numbers
 * separated by white space or commas.  Blocking: call from a worker thread. */
gboolean
bs_tensor_load (const char *path, float **data, gsize *n, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;

  if (len >= 10 && memcmp (contents, "\x93NUMPY", 6) == 0)
    {
      guint major = (guchar) contents[6];
      gsize hlen = major >= 2 ? (gsize) (guchar) contents[8] | (gsize) (guchar) contents[9] << 8 |
                                (gsize) (guchar) contents[10] << 16 | (gsize) (guchar) contents[11] << 24
                              : (gsize) (guchar) contents[8] | (gsize) (guchar) contents[9] << 8;
      gsize start = (major >= 2 ? 12 : 10) + hlen;
      g_autofree char *header = NULL;
      gboolean f4, f8;

      if (start > len)
        goto bad_npy;
      header = g_strndup (contents + (major >= 2 ? 12 : 10), hlen);
      f4 = strstr (header, "'<f4'") != NULL;
      f8 = strstr (header, "'<f8'") != NULL;
      if (!f4 && !f8)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("%s: only float32 and float64 arrays are supported"), path);
          return FALSE;
        }
      *n = (len - start) / (f4 ? 4 : 8);
      *data = g_new (float, MAX (*n, 1));
      for (gsize i = 0; i < *n; i++)
        {
          if (f4)
            memcpy (&(*data)[i], contents + start + 4 * i, 4);
          else
            {
              double d;

              memcpy (&d, contents + start + 8 * i, 8);
              (*data)[i] = (float) d;
            }
        }
      return TRUE;

    bad_npy:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s: damaged .npy header"), path);
      return FALSE;
    }

  {
    g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (float));
    const char *p = contents;
    guint line = 1;

    while (*p)
      {
        char *end;
        double d;

        if (*p == '\n')
          line++;
        if (g_ascii_isspace (*p) || *p == ',')
          {
            p++;
            continue;
          }
        d = g_ascii_strtod (p, &end);
        if (end == p)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         _("%s:%u: not a number"), path, line);
            return FALSE;
          }
        {
          float f = (float) d;

          g_array_append_val (values, f);
        }
        p = end;
      }
    *n = values->len;
    *data = (float *) g_array_free (g_steal_pointer (&values), FALSE);
  }
  return TRUE;
}
