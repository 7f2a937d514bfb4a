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
  gint64 sweep_id;
  BsPlotSeries *series;        /* the points streamed so far */
  GHashTable *seen;            /* canonical texts streamed */
};

static void start_next (BsWindow *self);

/* The worker ---------------------------------------------------------------- */

/* A reported point, queued for the main thread. */
typedef struct {
  char *config;
  double top1, energy_pj;
} Reported;

/* Shared by the worker and the main thread (the task data). */
typedef struct {
  BsSweepRequest *request;     /* the worker's copy */
  BsSweepRun *run;             /* main thread only */
  GMutex lock;
  BsSweepProgress latest;      /* last_config not kept */
  gboolean has_latest;
  GArray *points;              /* Reported, queued */
  gboolean idle_pending;
  gboolean skipped;            /* already done: not run */
  BsSweepSummary summary;
} Shared;

static void
reported_clear (gpointer data)
{
  g_free (((Reported *) data)->config);
}

static void
shared_free (Shared *sh)
{
  bs_sweep_request_free (sh->request);
  g_mutex_clear (&sh->lock);
  g_array_unref (sh->points);
  bs_sweep_summary_clear (&sh->summary);
  g_free (sh);
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

static gboolean flush_idle (gpointer data);

/* In the worker, at most every 100 ms (bs_sweep_run): queue the point and
 * the state; at most one idle callback waits for the main thread. */
static void
on_thread_progress (const BsSweepProgress *p, gpointer data)
{
  GTask *task = data;
  Shared *sh = g_task_get_task_data (task);
  gboolean schedule;

  g_mutex_lock (&sh->lock);
  sh->latest = *p;
  sh->latest.last_config = NULL;
  sh->has_latest = TRUE;
  if (p->last_config && isfinite (p->last_top1) && isfinite (p->last_energy_pj))
    {
      Reported r = { g_strdup (p->last_config), p->last_top1, p->last_energy_pj };

      g_array_append_val (sh->points, r);
    }
  schedule = !sh->idle_pending;
  sh->idle_pending = TRUE;
  g_mutex_unlock (&sh->lock);
  if (schedule)
    g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT_IDLE, flush_idle,
                                g_object_ref (task), g_object_unref);
}

/* Open the project (with the request's image limit), the target and a store
 * connection of its own, run the sweep, close them: all in this thread, at
 * background priority. */
static void
run_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Shared *sh = data;
  const BsSweepRequest *r = sh->request;
  BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (BsSharedTarget) target = NULL;
  g_autoptr (BsProject) project = NULL;
  GError *error = NULL;

  bs_worker_lower_priority ();
  o.limit = r->limit;
  o.threads = r->threads;
  if (!(store = bs_store_open (r->db, &error)) ||
      !(target = bs_shared_target_load (r->target, &error)) ||
      !(project = bs_project_open (r->model, r->dataset, &o, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_cancellable_is_cancelled (cancellable) ||
      (r->skip_if_done && already_done (store, project, r)))
    {
      sh->skipped = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!bs_sweep_run (project, bs_shared_target_get (target), store, &r->spec, cancellable,
                     on_thread_progress, task, &sh->summary, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
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
  double fraction;

  if (run->request->limit > 0)
    /* TRANSLATORS: the number of test images a quick sweep uses */
    images = g_strdup_printf (_("first %lld images"), (long long) run->request->limit);
  else
    images = g_strdup (_("all images"));
  label = g_strdup_printf ("%s · %s", title, images);
  if (g_strcmp0 (gtk_label_get_label (self->sweep_label), label) != 0)
    gtk_label_set_label (self->sweep_label, label);
  if (!p)
    {
      gtk_progress_bar_set_text (self->sweep_progress, _("Loading the model…"));
      gtk_progress_bar_pulse (self->sweep_progress);
      return;
    }
  if (isfinite (p->eta_s) && p->eta_s >= 90)
    /* TRANSLATORS: configurations done, planned, and the minutes left */
    text = g_strdup_printf (_("%zu of %zu · %.0f min left"), p->done, p->total, ceil (p->eta_s / 60));
  else if (isfinite (p->eta_s))
    /* TRANSLATORS: configurations done, planned, and the time left */
    text = g_strdup_printf (_("%zu of %zu · %.0f s left"), p->done, p->total, ceil (p->eta_s));
  else
    text = g_strdup_printf (_("%zu of %zu"), p->done, p->total);
  /* only what changed: a new text makes the window lay out again */
  if (g_strcmp0 (gtk_progress_bar_get_text (self->sweep_progress), text) != 0)
    gtk_progress_bar_set_text (self->sweep_progress, text);
  fraction = p->total ? MIN (1.0, (double) p->done / (double) p->total) : 0;
  if (gtk_progress_bar_get_fraction (self->sweep_progress) != fraction)
    gtk_progress_bar_set_fraction (self->sweep_progress, fraction);
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

/* Main thread: what the worker queued. */
static void
flush (Shared *sh)
{
  BsSweepRun *run = sh->run;
  BsWindow *self = run->window;
  g_autoptr (GArray) points = NULL;
  BsSweepProgress p;
  gboolean has;

  g_mutex_lock (&sh->lock);
  points = g_steal_pointer (&sh->points);
  sh->points = g_array_new (FALSE, FALSE, sizeof (Reported));
  g_array_set_clear_func (sh->points, reported_clear);
  p = sh->latest;
  has = sh->has_latest;
  sh->idle_pending = FALSE;
  g_mutex_unlock (&sh->lock);

  if (!has || g_cancellable_is_cancelled (self->cancellable))
    return;
  if (run->sweep_id == 0 && p.sweep_id > 0)
    adopt_sweep (self, run, p.sweep_id);
  show_progress (self, run, &p);
  if (!run->series)
    return;
  _bs_window_update_sweep_row (self, run->sweep_id, (gint64) p.done);
  for (guint i = 0; i < points->len; i++)
    {
      Reported *r = &g_array_index (points, Reported, i);
      GPtrArray *canon = g_hash_table_lookup (self->streamed, run->series);
      g_autofree char *label = NULL;
      BsPlotPoint pt = { r->energy_pj, r->top1, 0, 0, NULL };

      if (!canon || g_hash_table_contains (run->seen, r->config))
        continue;
      pt.family = bs_config_summary (r->config, &label);
      pt.label = label;
      g_ptr_array_add (canon, g_strdup (r->config));
      g_hash_table_add (run->seen, g_strdup (r->config));
      bs_plot_series_append (run->series, &pt, 1);
    }
}

static gboolean
flush_idle (gpointer data)
{
  GTask *task = data;

  if (!g_task_get_completed (task))
    flush (g_task_get_task_data (task));
  return G_SOURCE_REMOVE;
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
run_free (BsSweepRun *run)
{
  bs_sweep_request_free (run->request);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->series);
  g_hash_table_unref (run->seen);
  g_clear_object (&run->window);
  g_free (run);
}

static void
on_finished (GObject *source, GAsyncResult *result, gpointer data)
{
  BsSweepRun *run = data;
  g_autoptr (BsWindow) self = g_object_ref (run->window);
  Shared *sh = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gint64 sweep_id;

  flush (sh);
  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      g_autofree char *title = run_title (run);
      /* TRANSLATORS: a sweep's title, then why it failed */
      g_autofree char *msg = g_strdup_printf (_("%s failed: %s"), title, error->message);

      _bs_window_toast (self, msg);
    }
  if (run->series && self->streamed)
    g_hash_table_remove (self->streamed, run->series);
  self->sweep = NULL;
  sweep_id = run->sweep_id;
  run_free (run);
  _bs_window_release (self);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (!sh->skipped)
    _bs_window_reload_sweeps (self, sweep_id);   /* statuses, counts, its series from the store */
  start_next (self);
}

static void
start_next (BsWindow *self)
{
  BsSweepRequest *r;
  BsSweepRun *run;
  Shared *sh;
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

  sh = g_new0 (Shared, 1);
  sh->request = bs_sweep_request_copy (r);
  sh->run = run;
  g_mutex_init (&sh->lock);
  sh->points = g_array_new (FALSE, FALSE, sizeof (Reported));
  g_array_set_clear_func (sh->points, reported_clear);
  _bs_window_hold (self);
  task = g_task_new (NULL, run->cancellable, on_finished, run);
  /* the worker always ends its transaction; cancelling is its result */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, sh, (GDestroyNotify) shared_free);
  g_task_run_in_thread (task, run_thread);
}

/* Queue a sweep on the open model and project (request taken). */
static void
queue_sweep (BsWindow *self, BsSweepRequest *r)
{
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;

  if (!p || !self->path || self->project_failed)
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
