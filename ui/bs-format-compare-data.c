/* bs-format-compare-data.c — the comparison's numbers, computed in GTask
 * threads from immutable input: format names and a tensor (GBytes). */
#include "config.h"

#include <gio/gio.h>

#include "bs-format-compare-private.h"

#define N_SAMPLES 4096
#define N_BINS 80

void
bs_compare_data_free (BsCompareData *data)
{
  if (!data)
    return;
  g_clear_pointer (&data->curves, g_ptr_array_unref);
  g_clear_pointer (&data->hist, bs_histogram_free);
  g_free (data->tensor_name);
  g_free (data);
}

typedef struct {
  GStrv names;
  GBytes *tensor;
  char *tensor_name;
} ComputeInput;

static void
compute_input_free (gpointer data)
{
  ComputeInput *in = data;

  g_strfreev (in->names);
  g_clear_pointer (&in->tensor, g_bytes_unref);
  g_free (in->tensor_name);
  g_free (in);
}

/* Worker: parse the formats, pick the sweep range, compute each curve, then
 * the tensor's SQNR per format and its histogram. */
static void
compute_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ComputeInput *in = task_data;
  g_autoptr (BsCompareData) d = g_new0 (BsCompareData, 1);
  g_autofree bs_format *formats = g_new0 (bs_format, g_strv_length (in->names) + 1);
  const float *x = NULL;
  gsize n = 0;
  guint nf = 0;

  d->curves = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_format_curve_free);
  for (guint i = 0; in->names[i]; i++)
    if (bs_format_parse (in->names[i], &formats[nf], NULL, 0) == 0 && bs_format_has_codes (&formats[nf]))
      nf++;
  if (nf == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&d), (GDestroyNotify) bs_compare_data_free);
      return;
    }
  bs_format_sweep_range (formats, nf, &d->lo, &d->hi);
  if (in->tensor)
    {
      x = g_bytes_get_data (in->tensor, &n);
      n /= sizeof (float);
    }

  for (guint i = 0; in->names[i]; i++)
    {
      BsFormatCurve *c;

      if (g_task_return_error_if_cancelled (task))
        return;
      c = bs_format_curve_new (in->names[i], d->lo, d->hi, N_SAMPLES, NULL);
      if (!c)
        continue;
      if (x)
        bs_format_curve_set_tensor (c, x, n);
      g_ptr_array_add (d->curves, c);
    }
  if (x)
    {
      d->hist = bs_histogram_new (x, n, d->lo, d->hi, N_BINS);
      d->tensor_name = g_strdup (in->tensor_name);
      d->tensor_n = n;
    }
  g_task_return_pointer (task, g_steal_pointer (&d), (GDestroyNotify) bs_compare_data_free);
}

/* Compute the comparison of names (formats the engine does not know, or
 * without element codes, are left out) and, when tensor is not NULL (float32
 * values), its histogram and SQNR per format. */
void
_bs_compare_data_compute_async (const char *const *names, GBytes *tensor, const char *tensor_name,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ComputeInput *in = g_new0 (ComputeInput, 1);

  in->names = g_strdupv ((char **) names);
  in->tensor = tensor ? g_bytes_ref (tensor) : NULL;
  in->tensor_name = g_strdup (tensor_name);
  g_task_set_source_tag (task, _bs_compare_data_compute_async);
  g_task_set_task_data (task, in, compute_input_free);
  g_task_run_in_thread (task, compute_thread);
}

BsCompareData *
_bs_compare_data_compute_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Worker: read a tensor file (bs_tensor_load). */
static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  float *data = NULL;
  gsize n = 0;
  GError *error = NULL;

  if (!bs_tensor_load (task_data, &data, &n, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_bytes_new_take (data, n * sizeof (float)),
                           (GDestroyNotify) g_bytes_unref);
}

/* Read the tensor at path off the main thread: its float32 values as GBytes. */
void
_bs_tensor_load_async (const char *path, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, _bs_tensor_load_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_thread);
}

/* The values, or NULL and an error; *path (if not NULL) gets the file's path. */
GBytes *
_bs_tensor_load_finish (GAsyncResult *result, char **path, GError **error)
{
  if (path)
    *path = g_strdup (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_pointer (G_TASK (result), error);
}
