/* bitscape-cli sweep — search a space of configurations, every result stored.
 *
 * The sweep runs in a worker thread; the main thread runs a main loop that
 * prints progress (a bar with an ETA on a terminal, plain lines otherwise)
 * and turns SIGINT/SIGTERM into a clean cancellation: the sweep is marked
 * cancelled and the same command resumes it. */
#include "cli.h"

#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>

#include "bs-sweep.h"

/* Exit status of an interrupted sweep (the shell's 128 + SIGINT). */
#define EXIT_INTERRUPTED 130

typedef struct {
  GMainLoop *loop;
  GCancellable *cancel;
  gboolean tty;
  gboolean quiet;
  gboolean bar_drawn;
  gint64 last_line_us;
  BsSweepSummary summary;
  GError *error;
  gboolean finished;
  int signal;
} SweepCli;

static void
format_duration (char *buf, gsize len, double s)
{
  if (isnan (s) || s < 0)
    g_snprintf (buf, len, "--");
  else if (s < 60)
    g_snprintf (buf, len, "%.0fs", s);
  else if (s < 3600)
    g_snprintf (buf, len, "%dm%02ds", (int) (s / 60), (int) fmod (s, 60));
  else
    g_snprintf (buf, len, "%dh%02dm", (int) (s / 3600), (int) fmod (s / 60, 60));
}

static void
on_progress (const BsSweepProgress *p, gpointer data)
{
  SweepCli *c = data;
  char eta[32], elapsed[32];
  double frac = p->total > 0 ? (double) p->done / (double) p->total : 0;

  if (c->quiet)
    return;
  format_duration (eta, sizeof eta, p->eta_s);
  format_duration (elapsed, sizeof elapsed, p->elapsed_s);
  if (c->tty)
    {
      enum { WIDTH = 28 };
      char bar[WIDTH + 1];
      int fill = (int) (frac * WIDTH + 0.5);
      for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '-';
      bar[WIDTH] = '\0';
      fprintf (stderr, "\r\033[K[%s] %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT " %3.0f%%  ETA %s",
               bar, p->done, p->total, 100 * frac, eta);
      if (!isnan (p->best_top1))
        fprintf (stderr, "  best top-1 %.2f%%", p->best_top1);
      c->bar_drawn = TRUE;
    }
  else
    {
      /* plain lines, at most one a second */
      gint64 now = g_get_monotonic_time ();
      if (c->last_line_us && now - c->last_line_us < G_USEC_PER_SEC && p->done < p->total)
        return;
      c->last_line_us = now;
      fprintf (stderr, "sweep %" G_GINT64_FORMAT ": %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT
               " configurations (%" G_GSIZE_FORMAT " evaluated, %" G_GSIZE_FORMAT
               " from the store), elapsed %s, ETA %s\n", p->sweep_id, p->done, p->total,
               p->evaluated, p->from_store, elapsed, eta);
    }
  fflush (stderr);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SweepCli *c = data;

  bs_sweep_run_finish (result, &c->summary, &c->error);
  c->finished = TRUE;
  g_main_loop_quit (c->loop);
}

static gboolean
on_signal (gpointer data)
{
  SweepCli *c = data;

  if (!g_cancellable_is_cancelled (c->cancel))
    {
      if (c->bar_drawn)
        fputc ('\n', stderr);
      c->bar_drawn = FALSE;
      fprintf (stderr, "bitscape-cli: interrupted; finishing the transaction in flight "
                       "(run the same command to resume)\n");
      g_cancellable_cancel (c->cancel);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer data)
{
  ((SweepCli *) data)->signal = SIGINT;
  return on_signal (data);
}

static gboolean
on_sigterm (gpointer data)
{
  ((SweepCli *) data)->signal = SIGTERM;
  return on_signal (data);
}

static void
print_summary (const SweepCli *c, gboolean json)
{
  const BsSweepSummary *s = &c->summary;

  if (json)
    {
      g_autoptr (GString) out = g_string_new ("{");
      gboolean first = TRUE;
      bs_json_key (out, "sweep_id", &first); bs_json_number (out, (double) s->sweep_id);
      bs_json_key (out, "status", &first); bs_json_string (out, s->status);
      bs_json_key (out, "resumed", &first);
      g_string_append (out, s->resumed ? "true" : "false");
      bs_json_key (out, "configurations", &first); bs_json_number (out, (double) s->calls);
      bs_json_key (out, "evaluated", &first); bs_json_number (out, (double) s->evaluated);
      bs_json_key (out, "from_store", &first); bs_json_number (out, (double) s->from_store);
      bs_json_key (out, "infeasible", &first); bs_json_number (out, (double) s->infeasible);
      bs_json_key (out, "results", &first); bs_json_number (out, (double) s->n_results);
      bs_json_key (out, "front", &first); bs_json_number (out, (double) s->n_front);
      bs_json_key (out, "seconds", &first); bs_json_number (out, s->seconds);
      if (s->best)
        {
          gboolean f = TRUE;
          bs_json_key (out, "best", &first);
          g_string_append_c (out, '{');
          bs_json_key (out, "config", &f); bs_json_string (out, s->best);
          bs_json_key (out, "top1", &f); bs_json_number (out, s->best_top1);
          bs_json_key (out, "energy_pj", &f); bs_json_number (out, s->best_energy_pj);
          g_string_append_c (out, '}');
        }
      g_string_append (out, "}\n");
      fputs (out->str, stdout);
    }
  else
    printf ("sweep %" G_GINT64_FORMAT "%s: %s; %" G_GSIZE_FORMAT " configurations (%"
            G_GSIZE_FORMAT " evaluated, %" G_GSIZE_FORMAT " from the store, %" G_GSIZE_FORMAT
            " infeasible); %" G_GSIZE_FORMAT " results, %" G_GSIZE_FORMAT
            " on the front; %.1f s\n", s->sweep_id, s->resumed ? " (resumed)" : "", s->status,
            s->calls, s->evaluated, s->from_store, s->infeasible, s->n_results, s->n_front,
            s->seconds);
  if (s->best && !json)
    printf ("greedy settled on (top-1 %.2f %%, %.6g pJ): %s\n", s->best_top1,
            s->best_energy_pj, s->best);
}

static gboolean
parse_uint (const char *opt, const char *text, guint64 max, guint64 *out)
{
  g_autoptr (GError) e = NULL;

  if (!g_ascii_string_to_unsigned (text, 10, 0, max, out, &e))
    {
      bs_cli_usage_error ("%s '%s': expected a whole number from 0 to %" G_GUINT64_FORMAT, opt,
                          text, max);
      return FALSE;
    }
  return TRUE;
}

/* Turn the option strings into a spec; print the error and return FALSE. */
static gboolean
build_spec (BsSweepSpec *spec, const char *strategy, const char *formats, const char *tensors,
            const char *acc, const char *scaling, const char *drop, const char *rest,
            const char *budget, const char *seed, const char *population)
{
  g_autoptr (GError) error = NULL;
  bs_strategy st;
  guint64 v;

  if (!strategy)
    {
      bs_cli_usage_error ("sweep: --strategy is required (grid, random, greedy, sensitivity, "
                          "nsga2)");
      return FALSE;
    }
  if (bs_strategy_parse (strategy, &st) < 0)
    {
      bs_cli_usage_error ("sweep: unknown strategy '%s' (grid, random, greedy, sensitivity, "
                          "nsga2)", strategy);
      return FALSE;
    }
  bs_sweep_spec_init (spec, st);
  if (formats && !bs_sweep_spec_set_formats (spec, formats, &error))
    {
      bs_cli_usage_error ("%s", error->message);
      return FALSE;
    }
  if (tensors)
    {
      if (g_str_equal (tensors, "tied"))
        spec->tensors = BS_TENSORS_TIED;
      else if (g_str_equal (tensors, "separate"))
        spec->tensors = BS_TENSORS_SEPARATE;
      else
        {
          bs_cli_usage_error ("--tensors must be tied or separate (got '%s')", tensors);
          return FALSE;
        }
    }
  if (acc)
    {
      g_free (spec->acc);
      spec->acc = g_strdup (acc);
    }
  if (scaling)
    {
      g_free (spec->scaling);
      spec->scaling = g_strdup (scaling);
    }
  if (drop && (!bs_cli_parse_double (drop, &spec->target_drop) || !isfinite (spec->target_drop)
               || spec->target_drop < 0))
    {
      bs_cli_usage_error ("--target-drop '%s': expected percentage points of top-1 ≥ 0", drop);
      return FALSE;
    }
  if (rest)
    {
      if (g_str_equal (rest, "fp32"))
        spec->greedy_rest = BS_GREEDY_REST_FP32;
      else if (g_str_equal (rest, "top"))
        spec->greedy_rest = BS_GREEDY_REST_TOP;
      else
        {
          bs_cli_usage_error ("--greedy-rest must be fp32 or top (got '%s')", rest);
          return FALSE;
        }
    }
  if (budget)
    {
      if (!parse_uint ("--budget", budget, G_MAXINT32, &v))
        return FALSE;
      spec->budget = (gsize) v;
    }
  if (seed)
    {
      if (!parse_uint ("--seed", seed, G_MAXUINT64, &v))
        return FALSE;
      spec->seed = v;
    }
  if (population)
    {
      if (!parse_uint ("--population", population, 1024, &v))
        return FALSE;
      spec->population = (int) v;
    }
  if (!bs_sweep_spec_validate (spec, &error))
    {
      bs_cli_usage_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

int
bs_cli_sweep (int argc, char **argv)
{
  BsCliModelArgs a = { 0 };
  g_autofree char *target_name = NULL, *strategy = NULL, *formats = NULL, *tensors = NULL;
  g_autofree char *drop = NULL, *rest = NULL, *budget = NULL, *seed = NULL, *population = NULL;
  g_autofree char *db = NULL;
  gboolean quiet = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (BsProject) p = NULL;
  g_autoptr (GOptionContext) ctx = NULL;
  BsSweepSpec spec = { 0 };
  bs_config *cfg = NULL;
  bs_target *t = NULL;
  SweepCli c = { 0 };
  char err[512];
  int ret = BS_CLI_USAGE;
  GOptionEntry extra[] = {
    { "target", 'T', 0, G_OPTION_ARG_STRING, &target_name,
      "Energy target name (see 'targets') or path of a target XML", "T" },
    { "strategy", 's', 0, G_OPTION_ARG_STRING, &strategy,
      "grid, random, greedy, sensitivity or nsga2", "S" },
    { "formats", 'f', 0, G_OPTION_ARG_STRING, &formats,
      "Candidate formats, comma-separated (greedy: one format stands for its ladder)", "LIST" },
    { "tensors", 0, 0, G_OPTION_ARG_STRING, &tensors,
      "tied (default: weights and inputs share a format) or separate", "T" },
    { "acc", 0, 0, G_OPTION_ARG_STRING, &a.acc,
      "Accumulator of quantized layers: fp32 (default), exact, kulisch, quire, elma, int32, fp16",
      "ACC" },
    { "scaling", 0, 0, G_OPTION_ARG_STRING, &a.scaling,
      "Scaling of quantized layers: auto (default: the format family's natural choice), none, layer-pow2, pow2, channel, block, block<N>, "
      "maxabs, pct<P>", "S" },
    { "target-drop", 0, 0, G_OPTION_ARG_STRING, &drop,
      "Greedy: top-1 may fall this many percentage points below fp32 (default 1)", "P" },
    { "greedy-rest", 0, 0, G_OPTION_ARG_STRING, &rest,
      "Greedy: later layers start at fp32 (default) or top (the first rung)", "R" },
    { "budget", 0, 0, G_OPTION_ARG_STRING, &budget,
      "At most N configurations (random and nsga2: default 100)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Seed of random and nsga2 (default 1)", "N" },
    { "population", 0, 0, G_OPTION_ARG_STRING, &population, "NSGA-II population (default 32)",
      "N" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Project database (created if absent)", "F" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress output", NULL },
    { NULL },
  };

  ctx = g_option_context_new ("sweep — search configurations, store every result");
  g_option_context_add_main_entries (ctx, bs_cli_model_entries (&a, FALSE), NULL);
  g_option_context_add_main_entries (ctx, extra, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      bs_cli_model_args_clear (&a);
      return bs_cli_usage_error ("sweep: %s", error->message);
    }
  if (argc > 1)
    {
      bs_cli_usage_error ("sweep: unexpected argument '%s'", argv[1]);
      goto out;
    }
  if (!a.model || !target_name || !db)
    {
      bs_cli_usage_error ("sweep: --model, --target, --strategy and --db are required");
      goto out;
    }
  if (!build_spec (&spec, strategy, formats, tensors, a.acc, a.scaling, drop, rest, budget, seed,
                   population))
    goto out;
  t = bs_target_load (target_name, err, sizeof err);
  if (!t)
    {
      bs_cli_usage_error ("%s", err);
      goto out;
    }
  /* the database before the (slow) model: a foreign or damaged file is
   * refused at once, untouched */
  store = bs_store_open (db, &error);
  if (!store)
    {
      bs_cli_usage_error ("%s", error->message);
      goto out;
    }
  /* bs_cli_open builds a uniform configuration from --acc/--scaling: it
   * validates them; the sweep builds its own */
  if (!bs_cli_open (&a, &p, &cfg, NULL))
    goto out;
  g_clear_pointer (&cfg, bs_config_free);

  c.loop = g_main_loop_new (NULL, FALSE);
  c.cancel = g_cancellable_new ();
  c.tty = isatty (STDERR_FILENO);
  c.quiet = quiet;
  {
    guint s_int = g_unix_signal_add (SIGINT, on_sigint, &c);
    guint s_term = g_unix_signal_add (SIGTERM, on_sigterm, &c);
    bs_sweep_run_async (p, t, store, &spec, c.cancel, on_progress, &c, on_done, &c);
    while (!c.finished)
      g_main_loop_run (c.loop);
    g_source_remove (s_int);
    g_source_remove (s_term);
  }
  /* let pending progress reports run before the summary */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (c.bar_drawn)
    fputc ('\n', stderr);

  if (c.error && !g_error_matches (c.error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_CANCELLED))
    {
      bs_cli_usage_error ("sweep: %s", c.error->message);
      ret = c.error->domain == BS_SWEEP_ERROR && c.error->code == BS_SWEEP_ERROR_SPEC
            ? BS_CLI_USAGE : BS_CLI_FAILED;
    }
  else
    {
      print_summary (&c, a.json);
      if (fflush (stdout) != 0)
        ret = BS_CLI_FAILED;
      else if (c.error)
        ret = c.signal == SIGTERM ? 128 + SIGTERM : EXIT_INTERRUPTED;
      else
        ret = BS_CLI_OK;
    }

out:
  bs_sweep_summary_clear (&c.summary);
  g_clear_error (&c.error);
  g_clear_object (&c.cancel);
  g_clear_pointer (&c.loop, g_main_loop_unref);
  bs_config_free (cfg);
  bs_target_free (t);
  bs_sweep_spec_clear (&spec);
  bs_cli_model_args_clear (&a);
  return ret;
}
