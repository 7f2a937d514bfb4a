/* bench-ui-mainloop — how long the app's main loop goes unserved while a
 * sweep runs: the window opens the model, a sweep starts from the window
 * (as the sweep dialog starts it), and every 2 s a layer of the selected
 * configuration is edited (an evaluation in the background, the point
 * moving).  Meanwhile a 10 ms timeout source and the window's frame clock
 * record the gaps between their callbacks; the longest gap, less the
 * nominal period, is how long the main loop stalled.  Run under a display
 * (xvfb-run); the target is 50 ms.
 *
 * The same window idle for --baseline seconds first gives the gaps the
 * machine itself causes (scheduling, other processes), for comparison.
 *
 *   bench-ui-mainloop [--model data/models/fmnist-cnn.onnx] [--dataset fashion-mnist]
 *                     [--formats LIST] [--limit 1000] [--seconds 120] [--baseline 10]
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "bs-ui.h"
#include "bs-window-private.h"

typedef struct {
  gint64 first, first_cpu;
  gint64 last, last_cpu;
  gint64 max_gap;
  gint64 max_cpu;              /* the main thread's own CPU time in a gap, µs */
  GArray *gaps;                /* gint64 µs */
} Gaps;

/* CPU time the main thread has used, µs: what separates our work from
 * waiting for a processor on a busy machine. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
gap_record (Gaps *g)
{
  gint64 now = g_get_monotonic_time (), cpu = thread_cpu_us ();

  if (!g->first)
    {
      g->first = now;
      g->first_cpu = cpu;
    }
  if (g->last)
    {
      gint64 d = now - g->last;

      g->max_gap = MAX (g->max_gap, d);
      g->max_cpu = MAX (g->max_cpu, cpu - g->last_cpu);
      g_array_append_val (g->gaps, d);
    }
  g->last = now;
  g->last_cpu = cpu;
}

static gboolean
on_timeout (gpointer data)
{
  gap_record (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gap_record (data);
  return G_SOURCE_CONTINUE;
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *name, Gaps *g, double period_ms)
{
  double p99 = 0;

  if (g->gaps->len)
    {
      g_array_sort (g->gaps, cmp_i64);
      p99 = g_array_index (g->gaps, gint64, (guint) (g->gaps->len * 0.99)) / 1000.0;
    }
  printf ("%-12s %6u callbacks  longest gap %7.1f ms  (stall %6.1f ms over the %.1f ms period)"
          "  p99 %6.1f ms  most main-thread CPU in a gap %6.1f ms  main thread busy %4.1f %%\n",
          name, g->gaps->len, g->max_gap / 1000.0, MAX (0, g->max_gap / 1000.0 - period_ms),
          period_ms, p99, g->max_cpu / 1000.0,
          g->last > g->first ? 100.0 * (g->last_cpu - g->first_cpu) / (g->last - g->first) : 0);
}

/* Main-loop helpers -------------------------------------------------------- */

static gboolean
evaluated (BsWindow *win)
{
  return win->evaluation != NULL && win->session && !bs_session_is_busy (win->session);
}

static gboolean
run_until (BsWindow *win, gboolean (*cond) (BsWindow *), gint64 deadline)
{
  while (!cond (win) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return cond (win);
}

static gboolean
sweep_over (BsWindow *win)
{
  return win->sweep == NULL && g_queue_is_empty (win->sweep_queue);
}

/* Every 2 s: the next layer's weights to the next of a few formats. */
static gboolean
on_edit (gpointer data)
{
  static const char *const formats[] = { "fixed8", "fp8_e4m3", "int4", "fp32" };
  static guint step;
  BsWindow *win = data;
  bs_layer_config lc;
  bs_config *cfg;
  int layer;

  if (!win->config)
    return G_SOURCE_CONTINUE;
  layer = (int) (step % (guint) bs_config_n_layers (win->config));
  lc = *bs_config_layer (win->config, layer);
  g_strlcpy (lc.weight, formats[step % G_N_ELEMENTS (formats)], sizeof lc.weight);
  lc.scaling = g_str_equal (lc.weight, "fp32") && g_str_equal (lc.input, "fp32")
               ? BS_SCALING_NONE : BS_SCALING_AUTO;
  cfg = bs_config_copy (win->config);
  if (bs_config_set_layer (cfg, layer, &lc, NULL, 0) == 0)
    _bs_window_set_config (win, cfg, TRUE);
  bs_config_free (cfg);
  step++;
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char *argv[])
{
  g_autofree char *model = NULL, *dataset = NULL, *formats = NULL;
  gint64 limit = 1000;
  int seconds = 120, baseline = 10;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model, "ONNX model (default: the bundled CNN)", "M" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "Dataset (default fashion-mnist)", "D" },
    { "formats", 0, 0, G_OPTION_ARG_STRING, &formats, "Grid formats", "LIST" },
    { "limit", 0, 0, G_OPTION_ARG_INT64, &limit, "Test images of the sweep (default 1000)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Stop after this long (default 120)", "S" },
    { "baseline", 0, 0, G_OPTION_ARG_INT, &baseline, "Idle measurement first (default 10 s)", "S" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— main-loop stalls during a sweep");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL, *db = NULL;
  Gaps timer = { 0 }, frames = { 0 }, idle_timer = { 0 }, idle_frames = { 0 };
  g_autoptr (BsSweepRequest) r = NULL;
  BsWindow *win;
  gint64 t0, deadline;
  guint edit_id, timer_id;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-ui-mainloop: %s\n", error->message);
      return 2;
    }
  if (!model)
    model = g_build_filename (BS_SOURCE_DATADIR, "models", "fmnist-cnn.onnx", NULL);
  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      printf ("bench-ui-mainloop: skipped (no model at %s)\n", model);
      return 0;
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
  if (!gtk_init_check ())
    {
      printf ("bench-ui-mainloop: skipped (no display; run under xvfb-run)\n");
      return 0;
    }
  adw_init ();
  bs_ui_init ();

  dir = g_dir_make_tmp ("bench-ui-XXXXXX", NULL);
  db = g_build_filename (dir, "bench.bitscape", NULL);
  win = bs_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (win), 1200, 780);
  gtk_window_present (GTK_WINDOW (win));
  bs_window_open_path (win, db);
  bs_window_open_model (win, model, dataset);
  t0 = g_get_monotonic_time ();
  if (!run_until (win, evaluated, t0 + 120 * G_USEC_PER_SEC))
    {
      fprintf (stderr, "bench-ui-mainloop: the model did not open\n");
      return 1;
    }
  printf ("model open and fp32 evaluated in %.1f s\n", (g_get_monotonic_time () - t0) / 1e6);

  /* the machine alone: the window open, nothing running */
  idle_timer.gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  idle_frames.gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (baseline > 0)
    {
      guint tick;

      timer_id = g_timeout_add (10, on_timeout, &idle_timer);
      tick = gtk_widget_add_tick_callback (GTK_WIDGET (win->plot), on_tick, &idle_frames, NULL);
      deadline = g_get_monotonic_time () + (gint64) baseline * G_USEC_PER_SEC;
      while (g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timer_id);
      gtk_widget_remove_tick_callback (GTK_WIDGET (win->plot), tick);
      printf ("idle window, %d s:\n", baseline);
      report ("10 ms timer", &idle_timer, 10);
      report ("frame clock", &idle_frames, 1000.0 / 60);
    }

  timer.gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  frames.gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  timer_id = g_timeout_add (10, on_timeout, &timer);
  gtk_widget_add_tick_callback (GTK_WIDGET (win->plot), on_tick, &frames, NULL);
  edit_id = g_timeout_add (2000, on_edit, win);

  r = bs_sweep_request_new (BS_STRATEGY_GRID);
  bs_sweep_spec_set_formats (&r->spec, formats ? formats
                             : "fp16,bf16,fp8_e4m3,int8,fixed8,fixed6,fixed4,posit8_1,log8", NULL);
  r->target = g_strdup ("asic-45nm");
  r->limit = limit;
  t0 = g_get_monotonic_time ();
  _bs_window_queue_sweep (win, r);
  deadline = t0 + (gint64) seconds * G_USEC_PER_SEC;
  if (!run_until (win, sweep_over, deadline))
    {
      printf ("(stopped after %d s)\n", seconds);
      _bs_window_cancel_sweep (win);
      run_until (win, sweep_over, g_get_monotonic_time () + 60 * G_USEC_PER_SEC);
    }
  g_source_remove (edit_id);
  g_source_remove (timer_id);
  printf ("during the sweep:\n");
  {
    char images[32] = "all";

    if (limit > 0)
      g_snprintf (images, sizeof images, "%" G_GINT64_FORMAT, limit);
    printf ("sweep of %s on %s test images took %.1f s, with a layer edit every 2 s\n",
            formats ? formats : "9 formats", images, (g_get_monotonic_time () - t0) / 1e6);
  }
  report ("10 ms timer", &timer, 10);
  report ("frame clock", &frames, 1000.0 / 60);
  printf ("main-loop stall: %.1f ms (target 50 ms) %s\n",
          MAX (0, timer.max_gap / 1000.0 - 10),
          timer.max_gap / 1000.0 - 10 <= 50 ? "ok" : "OVER");

  /* closing cancels the evaluation in flight; wait for it to wind down */
  {
    g_autoptr (BsSession) session = g_object_ref (win->session);

    gtk_window_destroy (GTK_WINDOW (win));
    while (bs_session_is_busy (session))
      g_main_context_iteration (NULL, TRUE);
  }
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (dir, name, NULL);

        g_unlink (p);
      }
    g_rmdir (dir);
  }
  g_array_unref (timer.gaps);
  g_array_unref (frames.gaps);
  g_array_unref (idle_timer.gaps);
  g_array_unref (idle_frames.gaps);
  return 0;
}
