/* bs-axis.c — value ↔ [0, 1] mapping for plots, with zoom, pan and ticks.
 *
 * A log axis works in log10 space: normalize(v) = (log10 v - log10 min) /
 * (log10 max - log10 min).  Non-positive values have no place on it and map
 * to NaN.  Zoom and pan are defined in that transformed space, so zooming a
 * log axis about a point keeps that point fixed on screen. */
#include "config.h"

#include <math.h>

#include "bs-axis.h"

struct _BsAxis
{
  GObject parent_instance;
  double min, max;
  gboolean log;
};

G_DEFINE_FINAL_TYPE (BsAxis, bs_axis, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LOG,
  PROP_MIN,
  PROP_MAX,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Smallest span allowed, in transformed units: zooming stops there. */
#define MIN_SPAN 1e-9

static inline double
fwd (const BsAxis *self, double v)
{
  if (self->log)
    return v > 0 ? log10 (v) : NAN;
  return v;
}

static inline double
inv (const BsAxis *self, double u)
{
  return self->log ? pow (10.0, u) : u;
}

static void
bs_axis_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsAxis *self = BS_AXIS (object);

  switch (prop_id)
    {
    case PROP_LOG:
      g_value_set_boolean (value, self->log);
      break;
    case PROP_MIN:
      g_value_set_double (value, self->min);
      break;
    case PROP_MAX:
      g_value_set_double (value, self->max);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_axis_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  BsAxis *self = BS_AXIS (object);

  switch (prop_id)
    {
    case PROP_LOG:
      self->log = g_value_get_boolean (value);
      if (self->log && self->min <= 0)
        bs_axis_set_range (self, 1, 10);
      break;
    case PROP_MIN:
      bs_axis_set_range (self, g_value_get_double (value), self->max);
      break;
    case PROP_MAX:
      bs_axis_set_range (self, self->min, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_axis_class_init (BsAxisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = bs_axis_get_property;
  object_class->set_property = bs_axis_set_property;

  properties[PROP_LOG] =
    g_param_spec_boolean ("log", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MIN] =
    g_param_spec_double ("min", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX] =
    g_param_spec_double ("max", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 1,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted once per change of the range (after the property notifications). */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bs_axis_init (BsAxis *self)
{
  self->min = 0;
  self->max = 1;
}

BsAxis *
bs_axis_new (gboolean log)
{
  return g_object_new (BS_TYPE_AXIS, "log", log, NULL);
}

gboolean
bs_axis_get_log (BsAxis *self)
{
  g_return_val_if_fail (BS_IS_AXIS (self), FALSE);
  return self->log;
}

double
bs_axis_get_min (BsAxis *self)
{
  g_return_val_if_fail (BS_IS_AXIS (self), 0);
  return self->min;
}

double
bs_axis_get_max (BsAxis *self)
{
  g_return_val_if_fail (BS_IS_AXIS (self), 1);
  return self->max;
}

/* Set [min, max].  Ignored when the range is empty, reversed, not finite, or
 * (log axis) not positive. */
void
bs_axis_set_range (BsAxis *self, double min, double max)
{
  gboolean min_changed, max_changed;

  g_return_if_fail (BS_IS_AXIS (self));

  if (!isfinite (min) || !isfinite (max) || !(min < max))
    return;
  if (self->log && min <= 0)
    return;

  min_changed = min != self->min;
  max_changed = max != self->max;
  if (!min_changed && !max_changed)
    return;

  self->min = min;
  self->max = max;
  if (min_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MIN]);
  if (max_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX]);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* value → t with t(min) = 0, t(max) = 1; outside the range t leaves [0, 1].
 * NaN for NaN, and for v ≤ 0 on a log axis. */
double
bs_axis_normalize (BsAxis *self, double value)
{
  double lo = fwd (self, self->min), hi = fwd (self, self->max);

  return (fwd (self, value) - lo) / (hi - lo);
}

/* The inverse of bs_axis_normalize. */
double
bs_axis_denormalize (BsAxis *self, double t)
{
  double lo = fwd (self, self->min), hi = fwd (self, self->max);

  return inv (self, lo + t * (hi - lo));
}

/* Zoom by factor (> 1 zooms in) about the point at normalized position t, in
 * transformed space: the value at t stays at t.  The span never shrinks below
 * MIN_SPAN of the transformed unit, nor grows past the double range. */
void
bs_axis_zoom (BsAxis *self, double t, double factor)
{
  double lo = fwd (self, self->min), hi = fwd (self, self->max);
  double anchor = lo + t * (hi - lo);
  double span = (hi - lo) / factor;

  g_return_if_fail (BS_IS_AXIS (self));
  if (!(factor > 0) || !isfinite (t))
    return;
  if (span < MIN_SPAN)
    span = MIN_SPAN;
  if (self->log && span > 600)
    span = 600;
  lo = anchor - t * span;
  hi = lo + span;
  bs_axis_set_range (self, inv (self, lo), inv (self, hi));
}

/* Shift the range by dt spans (dt = 0.1 moves it a tenth of its width up). */
void
bs_axis_pan (BsAxis *self, double dt)
{
  double lo = fwd (self, self->min), hi = fwd (self, self->max);
  double d = dt * (hi - lo);

  g_return_if_fail (BS_IS_AXIS (self));
  if (!isfinite (dt))
    return;
  if (self->log && (lo + d < -300 || hi + d > 300))
    return;
  bs_axis_set_range (self, inv (self, lo + d), inv (self, hi + d));
}

static double
nice_step (double span, guint target)
{
  double raw = span / MAX (target, 1);
  double mag = pow (10.0, floor (log10 (raw)));
  double f = raw / mag;

  if (f <= 1)
    return mag;
  if (f <= 2)
    return 2 * mag;
  if (f <= 5)
    return 5 * mag;
  return 10 * mag;
}

/* Tick values inside [min, max], ascending, at most max_ticks of them.
 * Linear: multiples of a 1-2-5 step, about max_ticks / 2 of them.  Log: whole
 * decades (every k-th when there are many); with less than two decades in
 * view, also 2× and 5× each decade; with less than one, a linear 1-2-5 step.
 * Returns how many were written. */
guint
bs_axis_get_ticks (BsAxis *self, double *ticks, guint max_ticks)
{
  double lo, hi;
  guint n = 0;

  g_return_val_if_fail (BS_IS_AXIS (self), 0);
  if (max_ticks == 0)
    return 0;

  lo = self->min;
  hi = self->max;
  if (self->log)
    {
      double dlo = log10 (lo), dhi = log10 (hi);
      double decades = dhi - dlo;

      if (decades >= 2)
        {
          int every = (int) ceil ((decades + 1) / max_ticks);
          int first = (int) ceil (dlo - 1e-9);

          every = MAX (every, 1);
          first = (int) (ceil ((double) first / every) * every);
          for (int k = first; k <= dhi + 1e-9 && n < max_ticks; k += every)
            ticks[n++] = pow (10.0, k);
          return n;
        }
      if (decades >= 0.7)
        {
          static const double mult[] = { 1, 2, 5 };

          for (int k = (int) floor (dlo); k <= (int) ceil (dhi); k++)
            for (guint j = 0; j < G_N_ELEMENTS (mult); j++)
              {
                double v = mult[j] * pow (10.0, k);

                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) && n < max_ticks)
                  ticks[n++] = v;
              }
          return n;
        }
    }

  {
    double step = nice_step (hi - lo, MAX (max_ticks / 2, 2));
    double first = ceil (lo / step - 1e-9) * step;

    for (double v = first; v <= hi + step * 1e-9 && n < max_ticks; v += step)
      ticks[n++] = fabs (v) < step * 1e-9 ? 0 : v;
  }
  return n;
}

void
bs_axis_nice_range (gboolean log, double lo, double hi, double *out_min, double *out_max)
{
  if (log)
    {
      if (!(lo > 0) || !(hi > 0))
        {
          *out_min = 1;
          *out_max = 10;
          return;
        }
      *out_min = pow (10.0, floor (log10 (lo)));
      *out_max = pow (10.0, ceil (log10 (hi)));
      if (*out_max <= *out_min)
        *out_max = *out_min * 10;
      return;
    }

  if (!(hi > lo))
    {
      double pad = lo != 0 ? fabs (lo) * 0.1 : 0.5;

      lo -= pad;
      hi += pad;
    }
  {
    double step = nice_step (hi - lo, 10);

    *out_min = floor (lo / step + 1e-9) * step;
    *out_max = ceil (hi / step - 1e-9) * step;
  }
}
