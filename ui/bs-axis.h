/* bs-axis.h — maps values of one dimension onto [0, 1], linearly or in log10. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define BS_TYPE_AXIS (bs_axis_get_type ())
G_DECLARE_FINAL_TYPE (BsAxis, bs_axis, BS, AXIS, GObject)

BsAxis  *bs_axis_new          (gboolean log);
gboolean bs_axis_get_log      (BsAxis *self);
double   bs_axis_get_min      (BsAxis *self);
double   bs_axis_get_max      (BsAxis *self);
void     bs_axis_set_range    (BsAxis *self,
                               double  min,
                               double  max);

double   bs_axis_normalize    (BsAxis *self,
                               double  value);
double   bs_axis_denormalize  (BsAxis *self,
                               double  t);

void     bs_axis_zoom         (BsAxis *self,
                               double  t,
                               double  factor);
void     bs_axis_pan          (BsAxis *self,
                               double  dt);

guint    bs_axis_get_ticks    (BsAxis *self,
                               double *ticks,
                               guint   max_ticks);

/* A "nice" range containing [lo, hi]: whole decades on a log axis, multiples
 * of a 1-2-5 step on a linear one. */
void     bs_axis_nice_range   (gboolean log,
                               double   lo,
                               double   hi,
                               double  *out_min,
                               double  *out_max);

G_END_DECLS
