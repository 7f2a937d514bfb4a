/* bs-plot-series.c — points of one series in flat arrays, and its front.
 *
 * The front is the set of points not dominated for (minimum x, maximum y):
 * kept sorted by x ascending (so y ascends too), updated per appended point in
 * O(log f + removed), never recomputed from scratch on append. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bs-plot-series.h"

struct _BsPlotSeries
{
  GObject parent_instance;

  char *title;
  gint64 key;
  int marker;               /* the marker asked for, or -1: the chart's choice */

  GArray *x, *y;            /* double */
  GArray *family;           /* guint8 */
  GArray *ids;              /* gint64 */
  GPtrArray *labels;        /* char * */
  GArray *front;            /* guint indices, x ascending */
  guint family_count[BS_PLOT_N_FAMILIES];
  double x_min, x_max, y_min, y_max;   /* of finite points with x > 0 */

  GListModel *model;
  BsPlotSeriesMapFunc map_func;
  gpointer map_data;
  GDestroyNotify map_destroy;
  gulong items_changed_id;
};

G_DEFINE_FINAL_TYPE (BsPlotSeries, bs_plot_series, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_KEY,
  PROP_N_POINTS,
  N_PROPS
};

enum {
  POINTS_ADDED,
  RESET,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
unbind_model (BsPlotSeries *self)
{
  if (self->model)
    g_clear_signal_handler (&self->items_changed_id, self->model);
  g_clear_object (&self->model);
  if (self->map_destroy)
    self->map_destroy (self->map_data);
  self->map_destroy = NULL;
  self->map_data = NULL;
  self->map_func = NULL;
}

static void
bs_plot_series_finalize (GObject *object)
{
  BsPlotSeries *self = BS_PLOT_SERIES (object);

  unbind_model (self);
  g_free (self->title);
  g_array_unref (self->x);
  g_array_unref (self->y);
  g_array_unref (self->family);
  g_array_unref (self->ids);
  g_ptr_array_unref (self->labels);
  g_array_unref (self->front);

  G_OBJECT_CLASS (bs_plot_series_parent_class)->finalize (object);
}

static void
bs_plot_series_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsPlotSeries *self = BS_PLOT_SERIES (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_KEY:
      g_value_set_int64 (value, self->key);
      break;
    case PROP_N_POINTS:
      g_value_set_uint (value, self->x->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_plot_series_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  BsPlotSeries *self = BS_PLOT_SERIES (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      bs_plot_series_set_title (self, g_value_get_string (value));
      break;
    case PROP_KEY:
      bs_plot_series_set_key (self, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_plot_series_class_init (BsPlotSeriesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bs_plot_series_finalize;
  object_class->get_property = bs_plot_series_get_property;
  object_class->set_property = bs_plot_series_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY] =
    g_param_spec_int64 ("key", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_POINTS] =
    g_param_spec_uint ("n-points", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* points-added (first, n): points [first, first + n) are new. */
  signals[POINTS_ADDED] =
    g_signal_new ("points-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /* reset: every point may have changed (cleared or rebuilt). */
  signals[RESET] =
    g_signal_new ("reset", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
reset_arrays (BsPlotSeries *self)
{
  g_array_set_size (self->x, 0);
  g_array_set_size (self->y, 0);
  g_array_set_size (self->family, 0);
  g_array_set_size (self->ids, 0);
  g_ptr_array_set_size (self->labels, 0);
  g_array_set_size (self->front, 0);
  memset (self->family_count, 0, sizeof self->family_count);
  self->x_min = self->y_min = INFINITY;
  self->x_max = self->y_max = -INFINITY;
}

static void
bs_plot_series_init (BsPlotSeries *self)
{
  self->x = g_array_new (FALSE, FALSE, sizeof (double));
  self->y = g_array_new (FALSE, FALSE, sizeof (double));
  self->family = g_array_new (FALSE, FALSE, sizeof (guint8));
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->labels = g_ptr_array_new_with_free_func (g_free);
  self->front = g_array_new (FALSE, FALSE, sizeof (guint));
  self->marker = -1;
  reset_arrays (self);
}

BsPlotSeries *
bs_plot_series_new (const char *title)
{
  return g_object_new (BS_TYPE_PLOT_SERIES, "title", title, NULL);
}

const char *
bs_plot_series_get_title (BsPlotSeries *self)
{
  g_return_val_if_fail (BS_IS_PLOT_SERIES (self), NULL);
  return self->title;
}

void
bs_plot_series_set_title (BsPlotSeries *self, const char *title)
{
  g_return_if_fail (BS_IS_PLOT_SERIES (self));
  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

gint64
bs_plot_series_get_key (BsPlotSeries *self)
{
  g_return_val_if_fail (BS_IS_PLOT_SERIES (self), 0);
  return self->key;
}

void
bs_plot_series_set_key (BsPlotSeries *self, gint64 key)
{
  g_return_if_fail (BS_IS_PLOT_SERIES (self));
  if (self->key == key)
    return;
  self->key = key;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY]);
}

/* The marker a chart draws this series with, whatever the order series are
 * added in (-1: the first one free). */
void
bs_plot_series_set_marker (BsPlotSeries *self, int marker)
{
  g_return_if_fail (BS_IS_PLOT_SERIES (self));
  g_return_if_fail (marker >= -1 && marker < BS_N_MARKERS);
  self->marker = marker;
}

int
bs_plot_series_get_marker (BsPlotSeries *self)
{
  g_return_val_if_fail (BS_IS_PLOT_SERIES (self), -1);
  return self->marker;
}

/* Insert point i into the front if no front point dominates it, removing the
 * front points it dominates.  Points with NaN coordinates or x ≤ 0 never
 * enter.  Ties: a point equal to a front point in both coordinates is
 * dominated (the earlier one stays). */
static void
front_insert (BsPlotSeries *self, guint i)
{
  const double *xs = (const double *) self->x->data;
  const double *ys = (const double *) self->y->data;
  guint *f = (guint *) self->front->data;
  guint n = self->front->len, lo = 0, hi = n, end;
  double x = xs[i], y = ys[i];

  if (!(x > 0) || !isfinite (x) || !isfinite (y))
    return;

  /* lo = first front point with x > new x */
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (xs[f[mid]] <= x)
        lo = mid + 1;
      else
        hi = mid;
    }
  /* the best front point with x ≤ new x has the largest y among them */
  if (lo > 0 && ys[f[lo - 1]] >= y)
    return;
  /* an earlier point at the same x but lower y is now dominated */
  if (lo > 0 && xs[f[lo - 1]] == x)
    lo--;
  /* points from lo on with y ≤ new y are dominated */
  end = lo;
  while (end < n && ys[f[end]] <= y)
    end++;
  if (end > lo)
    g_array_remove_range (self->front, lo, end - lo);
  g_array_insert_val (self->front, lo, i);
}

/* Append points; one points-added emission for the lot. */
void
bs_plot_series_append (BsPlotSeries *self, const BsPlotPoint *points, guint n_points)
{
  guint first;

  g_return_if_fail (BS_IS_PLOT_SERIES (self));
  if (n_points == 0)
    return;

  first = self->x->len;
  for (guint k = 0; k < n_points; k++)
    {
      const BsPlotPoint *p = &points[k];
      guint8 fam = p->family < BS_PLOT_N_FAMILIES ? p->family : BS_PLOT_FAMILY_OTHER;

      g_array_append_val (self->x, p->x);
      g_array_append_val (self->y, p->y);
      g_array_append_val (self->family, fam);
      g_array_append_val (self->ids, p->id);
      g_ptr_array_add (self->labels, g_strdup (p->label));
      self->family_count[fam]++;
      if (p->x > 0 && isfinite (p->x) && isfinite (p->y))
        {
          self->x_min = MIN (self->x_min, p->x);
          self->x_max = MAX (self->x_max, p->x);
          self->y_min = MIN (self->y_min, p->y);
          self->y_max = MAX (self->y_max, p->y);
        }
      front_insert (self, first + k);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
  g_signal_emit (self, signals[POINTS_ADDED], 0, first, n_points);
}

void
bs_plot_series_clear (BsPlotSeries *self)
{
  g_return_if_fail (BS_IS_PLOT_SERIES (self));
  reset_arrays (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
  g_signal_emit (self, signals[RESET], 0);
}

guint
bs_plot_series_get_n_points (BsPlotSeries *self)
{
  g_return_val_if_fail (BS_IS_PLOT_SERIES (self), 0);
  return self->x->len;
}

const double *
bs_plot_series_get_x (BsPlotSeries *self)
{
  return (const double *) self->x->data;
}

const double *
bs_plot_series_get_y (BsPlotSeries *self)
{
  return (const double *) self->y->data;
}

const guint8 *
bs_plot_series_get_families (BsPlotSeries *self)
{
  return (const guint8 *) self->family->data;
}

gint64
bs_plot_series_get_id (BsPlotSeries *self, guint index)
{
  g_return_val_if_fail (index < self->ids->len, 0);
  return g_array_index (self->ids, gint64, index);
}

const char *
bs_plot_series_get_label (BsPlotSeries *self, guint index)
{
  g_return_val_if_fail (index < self->labels->len, NULL);
  return g_ptr_array_index (self->labels, index);
}

guint
bs_plot_series_count_family (BsPlotSeries *self, guint family)
{
  return family < BS_PLOT_N_FAMILIES ? self->family_count[family] : 0;
}

const guint *
bs_plot_series_get_front (BsPlotSeries *self, guint *n_front)
{
  *n_front = self->front->len;
  return (const guint *) self->front->data;
}

/* Bounds of the points that can be drawn (finite, x > 0); FALSE if none. */
gboolean
bs_plot_series_get_bounds (BsPlotSeries *self, double *x_min, double *x_max, double *y_min,
                           double *y_max)
{
  if (!(self->x_min <= self->x_max))
    return FALSE;
  *x_min = self->x_min;
  *x_max = self->x_max;
  *y_min = self->y_min;
  *y_max = self->y_max;
  return TRUE;
}

static void
append_items (BsPlotSeries *self, guint from, guint to)
{
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (BsPlotPoint));

  for (guint i = from; i < to; i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (self->model, i);
      BsPlotPoint p = { NAN, NAN, 0, BS_PLOT_FAMILY_OTHER, NULL };

      if (self->map_func (item, &p, self->map_data))
        g_array_append_val (pts, p);
    }
  bs_plot_series_append (self, (const BsPlotPoint *) pts->data, pts->len);
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  BsPlotSeries *self = data;
  guint n = g_list_model_get_n_items (model);

  if (removed == 0 && position + added == n)
    {
      append_items (self, position, n);
      return;
    }
  reset_arrays (self);
  g_signal_emit (self, signals[RESET], 0);
  append_items (self, 0, n);
}

void
bs_plot_series_bind_model (BsPlotSeries *self, GListModel *model, BsPlotSeriesMapFunc map_func,
                           gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (BS_IS_PLOT_SERIES (self));
  g_return_if_fail (!model || map_func);

  unbind_model (self);
  bs_plot_series_clear (self);
  if (!model)
    return;
  self->model = g_object_ref (model);
  self->map_func = map_func;
  self->map_data = user_data;
  self->map_destroy = destroy;
  self->items_changed_id = g_signal_connect (model, "items-changed",
                                             G_CALLBACK (on_items_changed), self);
  append_items (self, 0, g_list_model_get_n_items (model));
}
