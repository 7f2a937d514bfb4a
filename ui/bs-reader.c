/* bs-reader.c — every read of a project store runs in a GTask thread that
 * opens its own connection (the store is one SQLite handle per thread).
 *
 * Results stream into a BsPlotSeries: the worker converts rows into points
 * in chunks and queues them; one idle callback at a time moves whatever is
 * queued into the series, so the main loop sees a few appends, not one per
 * row. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "bs-config-summary.h"
#include "bs-reader.h"

#define CHUNK 4096

/* $XDG_DATA_HOME/bitscape/default.bitscape */
char *
bs_reader_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "bitscape", "default.bitscape", NULL);
}

void
bs_sweep_list_free (BsSweepList *info)
{
  if (!info)
    return;
  g_free (info->path);
  g_clear_pointer (&info->sweeps, g_ptr_array_unref);
  g_free (info);
}

void
bs_result_detail_free (BsResultDetail *info)
{
  if (!info)
    return;
  g_clear_pointer (&info->result, bs_store_result_free);
  g_clear_pointer (&info->layers, g_ptr_array_unref);
  g_free (info);
}

static BsStore *
open_store (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", dir,
                   g_strerror (errsv));
      return NULL;
    }
  return bs_store_open (path, error);
}

/* Open ------------------------------------------------------------------- */

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (BsSweepList) info = g_new0 (BsSweepList, 1);
  GError *error = NULL;

  store = open_store (path, &error);
  if (!store || !(info->sweeps = bs_store_list_sweeps (store, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  /* newest first */
  for (guint i = 0, j = info->sweeps->len; i + 1 < j; i++, j--)
    {
      gpointer t = info->sweeps->pdata[i];

      info->sweeps->pdata[i] = info->sweeps->pdata[j - 1];
      info->sweeps->pdata[j - 1] = t;
    }
  info->path = g_strdup (path);
  g_task_return_pointer (task, g_steal_pointer (&info), (GDestroyNotify) bs_sweep_list_free);
}

/* Open (creating if absent) the store at path and list its sweeps. */
void
bs_reader_open_async (const char *path, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, bs_reader_open_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, open_thread);
}

BsSweepList *
bs_reader_open_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Results ------------------------------------------------------------------ */

typedef struct {
  char *path;
  gint64 sweep_id;
  BsPlotSeries *series;        /* touched on the main thread only */
  GMutex lock;
  GArray *queue;               /* BsPlotPoint, labels owned */
  gboolean idle_pending;
} LoadResults;

static void
clear_points (GArray *points)
{
  for (guint i = 0; i < points->len; i++)
    g_free ((char *) g_array_index (points, BsPlotPoint, i).label);
  g_array_set_size (points, 0);
}

static void
load_results_free (gpointer data)
{
  LoadResults *lr = data;

  g_free (lr->path);
  g_clear_object (&lr->series);
  clear_points (lr->queue);
  g_array_unref (lr->queue);
  g_mutex_clear (&lr->lock);
  g_free (lr);
}

/* Main thread: move what the worker queued into the series. */
static void
flush_queue (LoadResults *lr)
{
  g_autoptr (GArray) points = NULL;

  g_mutex_lock (&lr->lock);
  points = g_steal_pointer (&lr->queue);
  lr->queue = g_array_new (FALSE, FALSE, sizeof (BsPlotPoint));
  lr->idle_pending = FALSE;
  g_mutex_unlock (&lr->lock);

  bs_plot_series_append (lr->series, (const BsPlotPoint *) points->data, points->len);
  clear_points (points);
}

static gboolean
flush_idle (gpointer data)
{
  GTask *task = data;

  if (!g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    flush_queue (g_task_get_task_data (task));
  return G_SOURCE_REMOVE;
}

static void
push_points (GTask *task, LoadResults *lr, GArray *points)
{
  gboolean schedule;

  g_mutex_lock (&lr->lock);
  g_array_append_vals (lr->queue, points->data, points->len);
  g_array_set_size (points, 0);            /* labels now owned by the queue */
  schedule = !lr->idle_pending;
  lr->idle_pending = TRUE;
  g_mutex_unlock (&lr->lock);

  if (schedule)
    g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT_IDLE, flush_idle,
                                g_object_ref (task), g_object_unref);
}

static void
load_results_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadResults *lr = task_data;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GArray) points = g_array_new (FALSE, FALSE, sizeof (BsPlotPoint));
  GError *error = NULL;

  store = bs_store_open (lr->path, &error);
  if (!store || !(rows = bs_store_list_results (store, lr->sweep_id, FALSE, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      BsStoreResult *r = g_ptr_array_index (rows, i);
      BsPlotPoint p = { r->m.energy_pj, r->m.top1, r->id, 0, NULL };
      char *label = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      p.family = bs_config_summary (r->canonical, &label);
      p.label = label;
      g_array_append_val (points, p);
      if (points->len == CHUNK)
        push_points (task, lr, points);
    }
  if (points->len)
    push_points (task, lr, points);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
}

/* Read every result of a sweep into series (appended as they are read; the
 * series is touched on the calling thread only). */
void
bs_reader_load_results_async (const char *path, gint64 sweep_id, BsPlotSeries *series,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadResults *lr = g_new0 (LoadResults, 1);

  lr->path = g_strdup (path);
  lr->sweep_id = sweep_id;
  lr->series = g_object_ref (series);
  lr->queue = g_array_new (FALSE, FALSE, sizeof (BsPlotPoint));
  g_mutex_init (&lr->lock);
  g_task_set_source_tag (task, bs_reader_load_results_async);
  g_task_set_task_data (task, lr, load_results_free);
  g_task_run_in_thread (task, load_results_thread);
}

/* Whatever is still queued reaches the series before this returns. */
gboolean
bs_reader_load_results_finish (GAsyncResult *result, GError **error)
{
  LoadResults *lr = g_task_get_task_data (G_TASK (result));

  if (!g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    flush_queue (lr);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* One result ---------------------------------------------------------------- */

typedef struct {
  char *path;
  gint64 result_id;
} LoadResult;

static void
load_result_free (gpointer data)
{
  LoadResult *lr = data;

  g_free (lr->path);
  g_free (lr);
}

static void
load_result_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadResult *lr = task_data;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (BsResultDetail) info = g_new0 (BsResultDetail, 1);
  GError *error = NULL;

  store = bs_store_open (lr->path, &error);
  if (!store ||
      !(info->result = bs_store_get_result (store, lr->result_id, &error)) ||
      !(info->layers = bs_store_get_layers (store, info->result->config_id, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&info), (GDestroyNotify) bs_result_detail_free);
}

/* A stored result with its per-layer choices. */
void
bs_reader_load_result_async (const char *path, gint64 result_id, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadResult *lr = g_new0 (LoadResult, 1);

  lr->path = g_strdup (path);
  lr->result_id = result_id;
  g_task_set_source_tag (task, bs_reader_load_result_async);
  g_task_set_task_data (task, lr, load_result_free);
  g_task_run_in_thread (task, load_result_thread);
}

BsResultDetail *
bs_reader_load_result_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
