/* bs-format-sweep.h — the numbers behind the format comparison: values a
 * format can represent, its relative rounding error across magnitudes, a
 * tensor's histogram and its SQNR in a format.  No widgets. */
#pragma once

#include <glib.h>

#include "bs-format.h"

G_BEGIN_DECLS

#define BS_SWEEP_BLOCK 8

typedef struct {
  char *name;
  bs_format format;
  guint n_samples;
  double *x;             /* log-spaced positive inputs */
  double *rel_err;       /* |round(x) - x| / x; 0 where x is representable */
  guint n_env;
  double *env_x;         /* geometric centre of each block of BS_SWEEP_BLOCK samples */
  double *env_err;       /* the largest rel_err in that block (NaN if all are NaN) */
  double *values;        /* positive finite representable values, ascending; */
  guint n_values;        /*   NULL / 0 for formats of more than 16 bits */
  double sqnr_unit;      /* dB, the tensor at unit scale; NaN without one */
  double sqnr_scaled;    /* dB, the tensor scaled so that max |x| ↦ format max */
} BsFormatCurve;

typedef struct {
  double lo, hi;         /* |x| range of the bins (log10-spaced) */
  guint n_bins;
  guint64 *counts;
  guint64 zeros, total;
} BsHistogram;

BsFormatCurve *bs_format_curve_new     (const char          *name,
                                        double               lo,
                                        double               hi,
                                        guint                n_samples,
                                        GError             **error);
void           bs_format_curve_free    (BsFormatCurve       *curve);
void           bs_format_curve_set_tensor (BsFormatCurve    *curve,
                                        const float         *x,
                                        gsize                n);
void           bs_format_sweep_range   (const bs_format     *formats,
                                        guint                n_formats,
                                        double              *lo,
                                        double              *hi);
double         bs_format_sqnr          (const bs_format     *format,
                                        const float         *x,
                                        gsize                n,
                                        double               scale);

BsHistogram   *bs_histogram_new        (const float         *x,
                                        gsize                n,
                                        double               lo,
                                        double               hi,
                                        guint                n_bins);
void           bs_histogram_free       (BsHistogram         *hist);

gboolean       bs_tensor_load          (const char          *path,
                                        float              **data,
                                        gsize               *n,
                                        GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsFormatCurve, bs_format_curve_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsHistogram, bs_histogram_free)

G_END_DECLS
