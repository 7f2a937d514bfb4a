/* bs-window-sweep.c — sweeps run from the window, one at a time, queued.
 *
 * A run opens its own project (its test-image limit may differ from the
 * tuned model's), target and store connection in a GTask thread, runs
 * bs_sweep_run_async (progress arrives coalesced, in the main context), and
 * closes them in a thread again.  Points stream into the sweep's series
 * from the progress reports; since reports are coalesced, the series is
 * read back from the store when the run ends.  The application is held
 * while a run is in flight, so closing the window cancels the sweep and the
 * store still records it as cancelled. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-config-summary.h"
#include "bs-sweep-dialog.h"
#include "bs-window-private.h"

/* The first sweeps on a model: these formats, on this many test images
 * first, then on all of them. */
#define FIRST_FORMATS "fp16,bf16,fp8_e4m3,int8,fixed8,fixed6,fixed4,posit8_1,log8"
#define QUICK_IMAGES 1000

struct _BsSweepRun
{
  BsWindow *window;            /* strong while the run is in flight */
  BsSweepRequest *request;
  GCancellable *cancellable;
  BsProject *project;
  BsSharedTarget *target;
  BsStore *store;
  gint64 sweep_id;
  BsPlotSeries *series;        /* the points streamed so far */
  GHashTable *seen;            /* canonical texts streamed */
};

static void start_next (BsWindow *self);

/* Opening, closing --------------------------------------------------------- */

typedef struct {
  BsProject *project;
  BsSharedTarget *target;
  BsStore *store;
  gboolean skip;               /* the sweep is already done */
} Opened;

static void
opened_free (Opened *o)
{
  g_clear_pointer (&o->project, bs_project_free);
  g_clear_pointer (&o->target, bs_shared_target_unref);
  g_clear_pointer (&o->store, bs_store_close);
  g_free (o);
}

/* TRUE if the store holds a finished sweep of this spec on this model,
 * target and test-image count (dataset rows are named as bs-sweep.h says). */
static gboolean
already_done (BsStore *store, BsProject *p, const BsSweepRequest *r)
{
  g_autoptr (GPtrArray) sweeps = bs_store_list_sweeps (store, NULL);
  g_autofree char *spec = bs_sweep_spec_to_string (&r->spec);
  g_autofree char *dataset = r->limit > 0 && r->limit < bs_project_images (p)
    ? g_strdup_printf ("%s (first %" G_GINT64_FORMAT " images)", bs_project_dataset_name (p), r->limit)
    : g_strdup (bs_project_dataset_name (p));

  for (guint i = 0; sweeps && i < sweeps->len; i++)
    {
      const BsStoreSweep *s = g_ptr_array_index (sweeps, i);

      if (g_strcmp0 (s->status, "done") == 0 && g_strcmp0 (s->spec, spec) == 0 &&
          g_strcmp0 (s->model, bs_project_model_name (p)) == 0 &&
          g_strcmp0 (s->target, r->target) == 0 && g_strcmp0 (s->dataset, dataset) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
open_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const BsSweepRequest *r = data;
  BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
  Opened *op = g_new0 (Opened, 1);
  GError *error = NULL;

  o.limit = r->limit;
  o.threads = r->threads;
  if (!(op->store = bs_store_open (r->db, &error)) ||
      !(op->target = bs_shared_target_load (r->target, &error)) ||
      !(op->project = bs_project_open (r->model, r->dataset, &o, &error)))
    {
      opened_free (op);
      g_task_return_error (task, error);
      return;
    }
  op->skip = r->skip_if_done && already_done (op->store, op->project, r);
  g_task_return_pointer (task, op, (GDestroyNotify) opened_free);
}

static void
close_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);   /* the task data (Opened) is freed here */
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;

  _bs_window_release (self);
}

/* Free the project, target and store in a worker (closing the store may
 * checkpoint its journal). */
static void
close_in_thread (BsWindow *self, Opened *op)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, on_closed, g_object_ref (self));

  g_task_set_task_data (task, op, (GDestroyNotify) opened_free);
  _bs_window_hold (self);
  g_task_run_in_thread (task, close_thread);
}

static void
run_free (BsSweepRun *run)
{
  Opened *op = g_new0 (Opened, 1);

  op->project = g_steal_pointer (&run->project);
  op->target = g_steal_pointer (&run->target);
  op->store = g_steal_pointer (&run->store);
  close_in_thread (run->window, op);
  bs_sweep_request_free (run->request);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->series);
  g_hash_table_unref (run->seen);
  g_clear_object (&run->window);
  g_free (run);
}

/* Progress ----------------------------------------------------------------- */

static char *
run_title (const BsSweepRun *run)
{
  const char *strategy = bs_strategy_name (run->request->spec.strategy);

  if (run->sweep_id > 0)
    /* TRANSLATORS: a sweep's title: its number and its strategy */
    return g_strdup_printf (_("Sweep %lld · %s"), (long long) run->sweep_id, strategy);
  return g_strdup (strategy);
}

static void
show_progress (BsWindow *self, BsSweepRun *run, const BsSweepProgress *p)
{
  g_autofree char *title = run_title (run), *images = NULL, *label = NULL, *text = NULL;

  if (run->request->limit > 0)
    /* TRANSLATORS: the number of test images a quick sweep uses */
    images = g_strdup_printf (_("first %lld images"), (long long) run->request->limit);
  else
    images = g_strdup (_("all images"));
  label = g_strdup_printf ("%s · %s", title, images);
  gtk_label_set_label (self->sweep_label, label);
  if (!p)
    {
      gtk_progress_bar_set_text (self->sweep_progress, _("Loading the model…"));
      gtk_progress_bar_pulse (self->sweep_progress);
      return;
    }
  if (isfinite (p->eta_s))
    /* TRANSLATORS: configurations done, planned, and the time left */
    text = g_strdup_printf (_("%zu of %zu · %.0f s left"), p->done, p->total, ceil (p->eta_s));
  else
    text = g_strdup_printf (_("%zu of %zu"), p->done, p->total);
  gtk_progress_bar_set_text (self->sweep_progress, text);
  gtk_progress_bar_set_fraction (self->sweep_progress,
                                 p->total ? MIN (1.0, (double) p->done / (double) p->total) : 0);
}

/* The series the run streams into, made and shown on its first report. */
static void
adopt_sweep (BsWindow *self, BsSweepRun *run, gint64 sweep_id)
{
  BsStoreSweep s = { .id = sweep_id, .strategy = (char *) bs_strategy_name (run->request->spec.strategy) };
  BsPlotSeries *series;

  run->sweep_id = sweep_id;
  if (g_strcmp0 (run->request->db, self->path) != 0)
    return;   /* another project is shown now */
  series = _bs_window_ensure_series (self, &s);
  bs_plot_series_clear (series);
  g_set_object (&run->series, series);
  g_hash_table_insert (self->streamed, g_object_ref (series), g_ptr_array_new_with_free_func (g_free));
  _bs_window_reload_sweeps (self, 0);
}

static void
on_progress (const BsSweepProgress *p, gpointer data)
{
  BsSweepRun *run = data;
  BsWindow *self = run->window;
  GPtrArray *canon;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (run->sweep_id == 0 && p->sweep_id > 0)
    adopt_sweep (self, run, p->sweep_id);
  show_progress (self, run, p);
  if (run->series)
    _bs_window_update_sweep_row (self, run->sweep_id, (gint64) p->done);
  if (!run->series || !p->last_config || !isfinite (p->last_top1) ||
      g_hash_table_contains (run->seen, p->last_config))
    return;
  canon = g_hash_table_lookup (self->streamed, run->series);
  if (canon)
    {
      g_autofree char *label = NULL;
      BsPlotPoint pt = { p->last_energy_pj, p->last_top1, 0, 0, NULL };

      pt.family = bs_config_summary (p->last_config, &label);
      pt.label = label;
      g_ptr_array_add (canon, g_strdup (p->last_config));
      bs_plot_series_append (run->series, &pt, 1);
    }
  g_hash_table_add (run->seen, g_strdup (p->last_config));
}

/* The canonical text of a point streamed into series (its store id is not
 * known yet), or NULL. */
const char *
_bs_window_streamed_canonical (BsWindow *self, BsPlotSeries *series, guint index)
{
  GPtrArray *canon = g_hash_table_lookup (self->streamed, series);

  return canon && index < canon->len ? g_ptr_array_index (canon, index) : NULL;
}

/* Running -------------------------------------------------------------------- */

static void
on_finished (GObject *source, GAsyncResult *result, gpointer data)
{
  BsSweepRun *run = data;
  BsWindow *self = g_object_ref (run->window);
  g_autoptr (GError) error = NULL;
  BsSweepSummary sum = { 0 };
  gint64 sweep_id;
  gboolean ok = bs_sweep_run_finish (result, &sum, &error);

  if (!ok && !g_error_matches (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      g_autofree char *title = run_title (run);
      /* TRANSLATORS: a sweep's title, then why it failed */
      g_autofree char *msg = g_strdup_printf (_("%s failed: %s"), title, error->message);

      _bs_window_toast (self, msg);
    }
  bs_sweep_summary_clear (&sum);
  if (run->series && self->streamed)
    g_hash_table_remove (self->streamed, run->series);
  self->sweep = NULL;
  sweep_id = run->sweep_id;
  run_free (run);
  _bs_window_release (self);
  if (!g_cancellable_is_cancelled (self->cancellable))
    {
      _bs_window_reload_sweeps (self, sweep_id);   /* statuses, counts, its series from the store */
      start_next (self);
    }
  g_object_unref (self);
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  BsSweepRun *run = data;
  BsWindow *self = run->window;
  g_autoptr (GError) error = NULL;
  Opened *op = g_task_propagate_pointer (G_TASK (result), &error);

  if (!op || op->skip || g_cancellable_is_cancelled (run->cancellable))
    {
      if (op)
        close_in_thread (self, op);
      else if (!g_cancellable_is_cancelled (run->cancellable))
        {
          /* TRANSLATORS: %s names the file and the problem */
          g_autofree char *msg = g_strdup_printf (_("Could not start the sweep: %s"), error->message);

          _bs_window_toast (self, msg);
        }
      g_object_ref (self);
      self->sweep = NULL;
      run_free (run);
      _bs_window_release (self);
      if (!g_cancellable_is_cancelled (self->cancellable))
        start_next (self);
      g_object_unref (self);
      return;
    }
  run->project = g_steal_pointer (&op->project);
  run->target = g_steal_pointer (&op->target);
  run->store = g_steal_pointer (&op->store);
  opened_free (op);
  bs_sweep_run_async (run->project, bs_shared_target_get (run->target), run->store,
                      &run->request->spec, run->cancellable, on_progress, run, on_finished, run);
}

static void
start_next (BsWindow *self)
{
  BsSweepRequest *r;
  BsSweepRun *run;
  g_autoptr (GTask) task = NULL;

  if (self->sweep || !(r = g_queue_pop_head (self->sweep_queue)))
    {
      gtk_revealer_set_reveal_child (self->sweep_revealer, self->sweep != NULL);
      _bs_window_update_actions (self);
      return;
    }
  run = g_new0 (BsSweepRun, 1);
  run->window = g_object_ref (self);
  run->request = r;
  run->cancellable = g_cancellable_new ();
  run->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->sweep = run;
  gtk_progress_bar_set_fraction (self->sweep_progress, 0);
  show_progress (self, run, NULL);
  gtk_revealer_set_reveal_child (self->sweep_revealer, TRUE);
  _bs_window_update_actions (self);

  _bs_window_hold (self);
  task = g_task_new (NULL, NULL, on_opened, run);
  g_task_set_task_data (task, bs_sweep_request_copy (r), (GDestroyNotify) bs_sweep_request_free);
  g_task_run_in_thread (task, open_thread);
}

/* Queue a sweep on the open model and project (request taken). */
static void
queue_sweep (BsWindow *self, BsSweepRequest *r)
{
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;

  if (!p || !self->path)
    {
      _bs_window_toast (self, _("Open a model and a project first"));
      bs_sweep_request_free (r);
      return;
    }
  g_free (r->model);
  g_free (r->dataset);
  g_free (r->db);
  r->model = g_strdup (bs_session_get_model (self->session));
  r->dataset = g_strdup (bs_session_get_dataset (self->session));
  r->db = g_strdup (self->path);
  r->threads = g_settings_get_int (self->settings, "threads");
  g_queue_push_tail (self->sweep_queue, r);
  start_next (self);
}

/* The first sweeps on a model: a grid of common 4- to 16-bit formats on the
 * first test images (quick), then on all of them; either is skipped once
 * the store holds it finished. */
void
_bs_window_start_first_sweeps (BsWindow *self)
{
  const char *target = _bs_window_target_name (self);
  g_autofree char *name = g_settings_get_string (self->settings, "default-target");

  if (!name || !*name)
    return;   /* no target: nothing to plot against */
  for (guint pass = 0; pass < 2; pass++)
    {
      BsSweepRequest *r = bs_sweep_request_new (BS_STRATEGY_GRID);

      bs_sweep_spec_set_formats (&r->spec, FIRST_FORMATS, NULL);
      r->target = g_strdup (target ? target : name);
      r->limit = pass == 0 ? QUICK_IMAGES : 0;
      r->skip_if_done = TRUE;
      queue_sweep (self, r);
    }
}

/* Queue a sweep the dialog asked for (request copied). */
void
_bs_window_queue_sweep (BsWindow *self, const BsSweepRequest *request)
{
  queue_sweep (self, bs_sweep_request_copy (request));
}

void
_bs_window_new_sweep_dialog (BsWindow *self)
{
  BsSweepDialog *dialog = bs_sweep_dialog_new (GTK_WINDOW (self), G_LIST_MODEL (self->targets),
                                               _bs_window_target_name (self));

  g_signal_connect_object (dialog, "start", G_CALLBACK (_bs_window_queue_sweep), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Cancel the running sweep and the queued ones. */
void
_bs_window_cancel_sweep (BsWindow *self)
{
  g_queue_clear_full (self->sweep_queue, (GDestroyNotify) bs_sweep_request_free);
  if (self->sweep)
    g_cancellable_cancel (self->sweep->cancellable);
}

void
_bs_window_sweep_init (BsWindow *self)
{
  self->sweep_queue = g_queue_new ();
  self->streamed = g_hash_table_new_full (NULL, NULL, g_object_unref, (GDestroyNotify) g_ptr_array_unref);
}

void
_bs_window_sweep_dispose (BsWindow *self)
{
  if (self->sweep_queue)
    _bs_window_cancel_sweep (self);
  g_clear_pointer (&self->sweep_queue, g_queue_free);
  g_clear_pointer (&self->streamed, g_hash_table_unref);
}
