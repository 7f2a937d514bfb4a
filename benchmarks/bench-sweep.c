/* bench-sweep — configurations evaluated per minute by each search strategy
 * on the bundled CNN over the 10 000 Fashion-MNIST test images, with the
 * evaluator's prefix cache and without it (a 1-byte budget), in one run.
 *
 * Each measurement is a fresh sweep (an empty database, so nothing is
 * answered from the store) through the sweep runner exactly as
 * `bitscape-cli sweep` runs it, store writes included; project loading and
 * calibration are outside the timings.  The sweeps (whole runs, so that each
 * strategy's order of proposals, which decides what the cache can reuse,
 * plays out):
 *   grid         the 11 default formats, every layer alike (nothing to reuse)
 *   random       16 configurations of those formats, tied
 *   greedy       the ladder fixed8, fixed6, fixed4, fixed3, fixed2, 1 point drop
 *   sensitivity  fixed8, fixed4, fp8_e4m3 at each layer alone
 *   nsga2        16 configurations, population 8
 * --budget N caps every one of them at N configurations.
 *
 * Two clocks: wall time (what a user waits) and the process's CPU time (all
 * threads), which a busy machine disturbs far less.  --repeat N runs every
 * sweep N times, alternating cache and no cache, and keeps the fastest of
 * each (the run least disturbed by other jobs); ratios use those.
 *
 *   bench-sweep [--model data/models/fmnist-cnn.onnx] [--dataset fashion-mnist]
 *               [--target asic-45nm] [--budget 0] [--limit 0] [--threads 0]
 *               [--repeat 1] [--strategies grid,random,greedy,sensitivity,nsga2]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bs-sweep.h"

typedef struct {
  double seconds;       /* wall */
  double cpu;           /* process CPU time, all threads */
  gsize evaluated;
} Measure;

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static gboolean
measure (BsProject *p, const bs_target *t, bs_strategy s, gsize budget, const char *dir,
         const char *tag, Measure *out)
{
  g_autofree char *db = g_strdup_printf ("%s/%s-%s.bitscape", dir, bs_strategy_name (s), tag);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (db, &error);
  BsSweepSpec spec;
  BsSweepSummary sum;
  gboolean ok;
  double cpu0;

  if (!store)
    {
      fprintf (stderr, "bench-sweep: %s\n", error->message);
      return FALSE;
    }
  bs_sweep_spec_init (&spec, s);
  switch (s)
    {
    case BS_STRATEGY_RANDOM:
      spec.budget = 16;
      break;
    case BS_STRATEGY_GREEDY:
      bs_sweep_spec_set_formats (&spec, "fixed8,fixed6,fixed4,fixed3,fixed2", NULL);
      break;
    case BS_STRATEGY_SENSITIVITY:
      bs_sweep_spec_set_formats (&spec, "fixed8,fixed4,fp8_e4m3", NULL);
      break;
    case BS_STRATEGY_NSGA2:
      spec.budget = 16;
      spec.population = 8;
      break;
    case BS_STRATEGY_GRID:
    default:
      break;
    }
  if (budget > 0)
    spec.budget = budget;
  cpu0 = cpu_seconds ();
  ok = bs_sweep_run (p, t, store, &spec, NULL, NULL, NULL, &sum, &error);
  out->cpu = cpu_seconds () - cpu0;
  bs_sweep_spec_clear (&spec);
  if (!ok)
    {
      fprintf (stderr, "bench-sweep: %s: %s\n", bs_strategy_name (s), error->message);
      return FALSE;
    }
  out->seconds = sum.seconds;
  out->evaluated = sum.evaluated;
  bs_sweep_summary_clear (&sum);
  return TRUE;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL, *dataset = NULL, *target_name = NULL, *strategies = NULL;
  gint64 budget = 0, limit = 0;
  gint threads = 0, repeat = 1;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "ONNX model (data/models/fmnist-cnn.onnx)",
      "M" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, "Dataset (fashion-mnist)", "D" },
    { "target", 'T', 0, G_OPTION_ARG_STRING, &target_name, "Energy target (asic-45nm)", "T" },
    { "budget", 'b', 0, G_OPTION_ARG_INT64, &budget, "Cap every sweep at N configurations (0: none)", "N" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Test images (0 = all)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Evaluator threads (0 = all cores)", "N" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat,
      "Runs of each sweep, alternating cache and no cache; the fastest counts (1)", "N" },
    { "strategies", 's', 0, G_OPTION_ARG_STRING, &strategies, "Comma-separated strategies",
      "LIST" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— sweep throughput per strategy");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  g_autofree char *dir = NULL;
  BsProject *projects[2] = { NULL, NULL };
  const char *tags[2] = { "cache", "nocache" };
  bs_target *t;
  char err[512];
  int ret = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-sweep: %s\n", error->message);
      return 2;
    }
  if (repeat < 1)
    {
      fprintf (stderr, "bench-sweep: --repeat must be at least 1\n");
      return 2;
    }
  if (!model)
    model = g_strdup ("data/models/fmnist-cnn.onnx");
  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      printf ("# bench-sweep: skipped, %s not found (train it: see data/models)\n", model);
      return 0;
    }
  t = bs_target_load (target_name ? target_name : "asic-45nm", err, sizeof err);
  if (!t)
    {
      fprintf (stderr, "bench-sweep: %s\n", err);
      return 2;
    }
  names = g_strsplit (strategies ? strategies : "grid,random,greedy,sensitivity,nsga2", ",", -1);

  /* one project per cache setting, opened (and calibrated) before timing */
  for (int c = 0; c < 2; c++)
    {
      BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
      o.threads = threads;
      o.limit = limit;
      o.cache_bytes = c == 0 ? 0 : 1;
      projects[c] = bs_project_open (model, dataset ? dataset : "fashion-mnist", &o, &error);
      if (!projects[c])
        {
          fprintf (stderr, "bench-sweep: %s\n", error->message);
          ret = 2;
          goto out;
        }
    }
  dir = g_dir_make_tmp ("bench-sweep-XXXXXX", &error);
  if (!dir)
    {
      fprintf (stderr, "bench-sweep: %s\n", error->message);
      ret = 2;
      goto out;
    }

  printf ("# sweep throughput: %s, %" G_GINT64_FORMAT " test images, %s, %d threads, "
          "a fresh database per run, fastest of %d%s\n", bs_project_model_name (projects[0]),
          limit > 0 && limit < bs_project_images (projects[0]) ? limit
          : bs_project_images (projects[0]), bs_target_name (t),
          threads > 0 ? threads : (int) g_get_num_processors (), repeat,
          budget > 0 ? ", capped by --budget" : "");
  printf ("%-12s %8s %10s %13s %10s %16s %8s %10s %12s %8s\n", "strategy", "configs",
          "cache s", "cache cfg/min", "no-cache s", "no-cache cfg/min", "speedup",
          "cache cpu", "no-cache cpu", "cpu gain");
  for (guint i = 0; names[i]; i++)
    {
      bs_strategy s;
      Measure m[2] = { { INFINITY, INFINITY, 0 }, { INFINITY, INFINITY, 0 } };
      gboolean ok = TRUE;
      if (bs_strategy_parse (names[i], &s) < 0)
        {
          fprintf (stderr, "bench-sweep: unknown strategy '%s'\n", names[i]);
          ret = 2;
          goto out;
        }
      for (int k = 0; k < repeat && ok; k++)
        for (int c = 0; c < 2 && ok; c++)
          {
            /* alternate which setting goes first */
            int which = (k % 2 == 0) ? c : 1 - c;
            g_autofree char *tag = g_strdup_printf ("%s-%d", tags[which], k);
            Measure one;
            ok = measure (projects[which], t, s, (gsize) budget, dir, tag, &one);
            if (ok)
              {
                m[which].seconds = MIN (m[which].seconds, one.seconds);
                m[which].cpu = MIN (m[which].cpu, one.cpu);
                m[which].evaluated = one.evaluated;
              }
          }
      if (!ok)
        {
          ret = 1;
          continue;
        }
      {
        double r0 = 60.0 * (double) m[0].evaluated / m[0].seconds;
        double r1 = 60.0 * (double) m[1].evaluated / m[1].seconds;
        printf ("%-12s %8" G_GSIZE_FORMAT " %10.1f %13.2f %10.1f %16.2f %8.2f %10.1f %12.1f %8.2f\n",
                names[i], m[0].evaluated, m[0].seconds, r0, m[1].seconds, r1, r0 / r1, m[0].cpu,
                m[1].cpu, m[1].cpu / m[0].cpu);
        fflush (stdout);
      }
    }

out:
  if (dir)
    remove_dir (dir);
  bs_project_free (projects[0]);
  bs_project_free (projects[1]);
  bs_target_free (t);
  return ret;
}
