/* bench-eval — images per second of evaluating each bundled model on the
 * Fashion-MNIST test images, in three modes, through the evaluator exactly
 * as `bitscape-cli eval` runs it (bs_project_open, a uniform configuration,
 * bs_evaluator_run):
 *
 *   fp32       weights and activations fp32, fp32 accumulation (fake-quant
 *              path: OpenBLAS on the float values)
 *   fp8        fake-quant fp8_e4m3 weights and activations (per-layer power
 *              of two scales), fp32 accumulation
 *   log8       exact log8 weights and activations with ELMA accumulation
 *              (every product and sum bit-exact, the exact path)
 *
 * Loading the model and the dataset and calibrating the evaluator are
 * outside the timings.  The prefix cache is off (a 1-byte budget) so every
 * run computes every layer; each mode is run --repeat times and the fastest
 * run is reported, with the process's CPU time (user + system) in that run
 * — on a machine shared with other jobs, images per CPU-second are steadier
 * than per wall-clock second.  Output, one line per model and mode
 * (benchmarks/run reads these):
 *
 *   fmnist-cnn fp32 images/s=12345.6 top1=92.48 correct=9248 seconds=0.810 cpu-seconds=1.598 path=fake-quant
 *
 *   bench-eval [--models data/models/fmnist-mlp.onnx,…] [--threads 2]
 *              [--limit 0] [--modes fp32,fp8,log8] [--repeat 1]
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "bs-project.h"

static const struct {
  const char *name, *weights, *activations, *acc;
} modes[] = {
  { "fp32", "fp32", "fp32", "fp32" },
  { "fp8", "fp8_e4m3", "fp8_e4m3", "fp32" },
  { "log8", "log8", "log8", "elma" },
};

static const char *const default_models
  = "data/models/fmnist-mlp.onnx,data/models/fmnist-cnn.onnx,data/models/fmnist-resnet.onnx";

static double
load_average (void)
{
  double l = -1;
  FILE *f = fopen ("/proc/loadavg", "r");
  if (f)
    {
      if (fscanf (f, "%lf", &l) != 1)
        l = -1;
      fclose (f);
    }
  return l;
}

/* CPU seconds (user + system) of the whole process so far. */
static double
cpu_seconds (void)
{
  struct rusage u;
  if (getrusage (RUSAGE_SELF, &u) < 0)
    return 0;
  return (double) u.ru_utime.tv_sec + 1e-6 * (double) u.ru_utime.tv_usec
         + (double) u.ru_stime.tv_sec + 1e-6 * (double) u.ru_stime.tv_usec;
}

/* One mode on one project: the fastest of `repeat` runs. */
static gboolean
measure (BsProject *p, int mode, int repeat)
{
  g_autoptr (GError) error = NULL;
  bs_config *cfg = bs_project_uniform_config (p, modes[mode].weights, modes[mode].activations,
                                              modes[mode].acc, NULL, &error);
  double best = G_MAXDOUBLE, best_cpu = 0, top1 = 0;
  gint64 images = 0;
  const char *path = "";
  char err[512];

  if (!cfg)
    {
      fprintf (stderr, "bench-eval: %s\n", error->message);
      return FALSE;
    }
  for (int r = 0; r < repeat; r++)
    {
      bs_eval_result res;
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_seconds (), s;
      if (bs_evaluator_run (bs_project_evaluator (p), cfg, &res, err, sizeof err) < 0)
        {
          fprintf (stderr, "bench-eval: %s: %s\n", bs_project_model_name (p), err);
          bs_config_free (cfg);
          return FALSE;
        }
      s = (double) (g_get_monotonic_time () - t0) * 1e-6;
      if (s < best)
        {
          best = s;
          best_cpu = cpu_seconds () - c0;
        }
      top1 = res.top1;
      images = res.images;
      path = res.path;
      bs_eval_result_clear (&res);
    }
  printf ("%s %s images/s=%.1f top1=%.2f correct=%" G_GINT64_FORMAT " seconds=%.3f "
          "cpu-seconds=%.3f path=%s\n",
          bs_project_model_name (p), modes[mode].name, (double) images / best, top1,
          (gint64) (top1 * (double) images / 100.0 + 0.5), best, best_cpu, path);
  fflush (stdout);
  bs_config_free (cfg);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *models = NULL, *mode_list = NULL, *dataset = NULL;
  gint64 limit = 0;
  gint threads = 2, repeat = 1;
  GOptionEntry entries[] = {
    { "models", 'm', 0, G_OPTION_ARG_STRING, &models, "Comma-separated ONNX models", "LIST" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, "Dataset (fashion-mnist)", "D" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Evaluator threads (default 2)", "N" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Test images (0 = all)", "N" },
    { "modes", 0, 0, G_OPTION_ARG_STRING, &mode_list, "Comma-separated: fp32, fp8, log8", "LIST" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Runs per mode; the fastest counts (1)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— evaluation throughput per model");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) paths = NULL, wanted = NULL;
  int ret = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-eval: %s\n", error->message);
      return 2;
    }
  if (threads < 1 || threads > 256 || repeat < 1 || limit < 0)
    {
      fprintf (stderr, "bench-eval: --threads must be 1..256, --repeat ≥ 1, --limit ≥ 0\n");
      return 2;
    }
  paths = g_strsplit (models ? models : default_models, ",", -1);
  wanted = g_strsplit (mode_list ? mode_list : "fp32,fp8,log8", ",", -1);
  for (guint k = 0; wanted[k]; k++)
    {
      gboolean known = FALSE;
      for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
        known = known || strcmp (wanted[k], modes[m].name) == 0;
      if (!known)
        {
          fprintf (stderr, "bench-eval: unknown mode '%s' (fp32, fp8, log8)\n", wanted[k]);
          return 2;
        }
    }

  printf ("# bench-eval: %d threads, load average %.2f at start, prefix cache off, best of %d\n",
          threads, load_average (), repeat);
  for (guint i = 0; paths[i]; i++)
    {
      BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
      g_autoptr (BsProject) p = NULL;

      if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        {
          printf ("# bench-eval: skipped %s (not found)\n", paths[i]);
          continue;
        }
      o.threads = threads;
      o.limit = limit;
      o.cache_bytes = 1;
      p = bs_project_open (paths[i], dataset ? dataset : "fashion-mnist", &o, &error);
      if (!p)
        {
          fprintf (stderr, "bench-eval: %s\n", error->message);
          return 2;
        }
      for (guint k = 0; wanted[k]; k++)
        for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
          if (strcmp (wanted[k], modes[m].name) == 0 && !measure (p, (int) m, repeat))
            ret = 1;
    }
  return ret;
}
