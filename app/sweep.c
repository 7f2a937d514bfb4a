/* sweep.c — the sweep runner (see bs-sweep.h). */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bs-sweep.h"

G_DEFINE_QUARK (bs-sweep-error-quark, bs_sweep_error)

#define REPORT_INTERVAL_US (100 * 1000)

/* Options ----------------------------------------------------------------- */

/* Greedy walks one format's ladder (fixed16, fixed15, …: the seed's search);
 * the other strategies choose among a spread of 4- to 32-bit formats. */
#define GREEDY_FORMATS "fixed16"
#define SPREAD_FORMATS "fp32,fp16,bf16,fp8_e4m3,fp8_e5m2,int8,fixed8,posit8_1,log8,int4,fp4_e2m1"

void
bs_sweep_spec_init (BsSweepSpec *spec, bs_strategy strategy)
{
  bs_search_ctx defaults;

  bs_search_ctx_init (&defaults);
  memset (spec, 0, sizeof *spec);
  spec->strategy = strategy;
  spec->formats = g_strsplit (strategy == BS_STRATEGY_GREEDY ? GREEDY_FORMATS : SPREAD_FORMATS,
                              ",", -1);
  spec->tensors = BS_TENSORS_TIED;
  spec->acc = g_strdup ("fp32");
  spec->scaling = g_strdup ("auto");
  spec->target_drop = defaults.max_drop;
  spec->greedy_rest = defaults.greedy_rest;
  spec->budget = strategy == BS_STRATEGY_RANDOM || strategy == BS_STRATEGY_NSGA2 ? 100 : 0;
  spec->seed = defaults.seed;
  spec->population = defaults.population;
  spec->crossover = defaults.crossover;
  spec->mutation = defaults.mutation;
}

void
bs_sweep_spec_clear (BsSweepSpec *spec)
{
  g_clear_pointer (&spec->formats, g_strfreev);
  g_clear_pointer (&spec->acc, g_free);
  g_clear_pointer (&spec->scaling, g_free);
}

static void
spec_copy (BsSweepSpec *dst, const BsSweepSpec *src)
{
  *dst = *src;
  dst->formats = g_strdupv (src->formats);
  dst->acc = g_strdup (src->acc);
  dst->scaling = g_strdup (src->scaling);
}

gboolean
bs_sweep_spec_set_formats (BsSweepSpec *spec, const char *list, GError **error)
{
  g_auto (GStrv) names = g_strsplit (list ? list : "", ",", -1);
  char err[256];

  if (!names[0] || !names[0][0])
    {
      g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                   "--formats: give a comma-separated list of format names");
      return FALSE;
    }
  for (guint i = 0; names[i]; i++)
    {
      bs_format f;
      if (!names[i][0])
        {
          g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                       "--formats '%s': empty name in the list", list);
          return FALSE;
        }
      if (bs_format_parse (names[i], &f, err, sizeof err) < 0)
        {
          g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC, "--formats: %s", err);
          return FALSE;
        }
      if (strlen (names[i]) >= BS_NAME_MAX)
        {
          g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                       "--formats: name '%s' too long", names[i]);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (strcmp (names[i], names[j]) == 0)
          {
            g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                         "--formats: '%s' is listed twice", names[i]);
            return FALSE;
          }
    }
  g_strfreev (spec->formats);
  spec->formats = g_steal_pointer (&names);
  return TRUE;
}

/* The template layer of the search: accumulator and scaling parsed through
 * the configuration parser, so every spelling it accepts is accepted here. */
static gboolean
spec_template (const BsSweepSpec *spec, bs_layer_config *out, GError **error)
{
  g_autofree char *text = NULL;
  char err[256];
  bs_config *probe;

  text = g_strdup_printf ("v1;L0:w=fp32,a=fp32,acc=%s,s=%s", spec->acc ? spec->acc : "",
                          spec->scaling ? spec->scaling : "");
  probe = bs_config_parse (text, err, sizeof err);
  if (!probe)
    {
      bs_acc acc;
      if (!spec->acc || bs_acc_parse (spec->acc, &acc) < 0)
        g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                     "unknown accumulator '%s' (exact, kulisch, quire, elma, int32, fp32, fp16)",
                     spec->acc ? spec->acc : "");
      else
        g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                     "unknown scaling '%s' (auto, none, pow2, layer-pow2, channel, block, block<N>, "
                     "maxabs, pct<P>)", spec->scaling ? spec->scaling : "");
      return FALSE;
    }
  *out = *bs_config_layer (probe, 0);
  bs_config_free (probe);
  return TRUE;
}

gboolean
bs_sweep_spec_validate (const BsSweepSpec *spec, GError **error)
{
  bs_layer_config tmpl;
  g_autofree char *list = NULL;

  if ((unsigned) spec->strategy >= BS_N_STRATEGIES)
    {
      g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC, "unknown strategy %d",
                   (int) spec->strategy);
      return FALSE;
    }
  if (!spec->formats || !spec->formats[0])
    {
      g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC, "no candidate formats");
      return FALSE;
    }
  {
    /* the same checks as for a list given on the command line */
    BsSweepSpec probe = { 0 };
    list = g_strjoinv (",", spec->formats);
    if (!bs_sweep_spec_set_formats (&probe, list, error))
      return FALSE;
    g_strfreev (probe.formats);
  }
  if (!spec_template (spec, &tmpl, error))
    return FALSE;
  if (!(spec->target_drop >= 0) || !isfinite (spec->target_drop))
    {
      g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                   "--target-drop must be a finite number ≥ 0 (percentage points of top-1)");
      return FALSE;
    }
  if ((spec->strategy == BS_STRATEGY_RANDOM || spec->strategy == BS_STRATEGY_NSGA2)
      && spec->budget == 0)
    {
      g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC, "%s needs a --budget ≥ 1",
                   bs_strategy_name (spec->strategy));
      return FALSE;
    }
  if (spec->strategy == BS_STRATEGY_NSGA2
      && (spec->population < 4 || spec->population > 1024 || !(spec->crossover >= 0)
          || !(spec->crossover <= 1) || !(spec->mutation <= 1) || isnan (spec->mutation)))
    {
      g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_SPEC,
                   "nsga2: population 4…1024, crossover and mutation rates at most 1");
      return FALSE;
    }
  return TRUE;
}

static void
append_double (GString *s, const char *key, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf (s, ";%s=%s", key, g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

char *
bs_sweep_spec_to_string (const BsSweepSpec *spec)
{
  GString *s = g_string_new ("v1;strategy=");
  bs_strategy st = spec->strategy;
  g_autofree char *formats = g_strjoinv (",", spec->formats);

  g_string_append (s, bs_strategy_name (st));
  g_string_append_printf (s, ";formats=%s;acc=%s;scaling=%s", formats, spec->acc, spec->scaling);
  if (st == BS_STRATEGY_GREEDY)
    {
      append_double (s, "drop", spec->target_drop);
      g_string_append_printf (s, ";rest=%s", spec->greedy_rest == BS_GREEDY_REST_TOP
                                             ? "top" : "fp32");
    }
  else
    g_string_append_printf (s, ";tensors=%s", spec->tensors == BS_TENSORS_SEPARATE
                                              ? "separate" : "tied");
  g_string_append_printf (s, ";budget=%" G_GSIZE_FORMAT, spec->budget);
  if (st == BS_STRATEGY_RANDOM || st == BS_STRATEGY_NSGA2)
    g_string_append_printf (s, ";seed=%" G_GUINT64_FORMAT, spec->seed);
  if (st == BS_STRATEGY_NSGA2)
    {
      g_string_append_printf (s, ";population=%d", spec->population);
      append_double (s, "crossover", spec->crossover);
      append_double (s, "mutation", spec->mutation);
    }
  return g_string_free (s, FALSE);
}

/* Registration ------------------------------------------------------------ */

static const char *
path_name (bs_eval_path p)
{
  return p == BS_EVAL_FAKE_QUANT ? "fake-quant" : p == BS_EVAL_EXACT ? "exact" : "auto";
}

/* The dataset row: the test set as this project evaluates it (bs-sweep.h). */
static gint64
ensure_dataset (BsStore *store, BsProject *p, gint64 *images, GError **error)
{
  const BsProjectOptions *o = bs_project_options (p);
  gint64 n = bs_project_images (p);
  gint64 used = o->limit > 0 && o->limit < n ? o->limit : n;
  gint64 calib = o->calib_images > 0 ? o->calib_images : 512;
  g_autoptr (GString) settings = g_string_new (NULL);
  g_autofree char *key = NULL, *name = NULL;

  *images = used;
  if (used != n)
    g_string_append_printf (settings, "%sfirst %" G_GINT64_FORMAT " images",
                            settings->len ? ", " : "", used);
  if (o->normalize)
    g_string_append_printf (settings, "%snormalize %s", settings->len ? ", " : "", o->normalize);
  if (calib != 512)
    g_string_append_printf (settings, "%s%" G_GINT64_FORMAT " calibration images",
                            settings->len ? ", " : "", calib);
  if (o->path != BS_EVAL_AUTO)
    g_string_append_printf (settings, "%spath %s", settings->len ? ", " : "",
                            path_name (o->path));
  if (settings->len == 0)
    return bs_store_ensure_dataset (store, bs_project_dataset_name (p),
                                    bs_project_dataset_sha256 (p), bs_project_dataset_name (p),
                                    error);
  {
    g_autofree char *text = g_strdup_printf (
      "bitscape-evaluation-v1\ntest=%s\nimages=%" G_GINT64_FORMAT "\nnormalize=%s\n"
      "calibration=%" G_GINT64_FORMAT "\npath=%s\n", bs_project_dataset_sha256 (p), used,
      o->normalize ? o->normalize : "", calib, path_name (o->path));
    key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  }
  name = g_strdup_printf ("%s (%s)", bs_project_dataset_name (p), settings->str);
  return bs_store_ensure_dataset (store, name, key, bs_project_dataset_name (p), error);
}

/* The run ------------------------------------------------------------------ */

typedef struct {
  BsProject *project;
  const bs_target *target;
  BsStore *store;
  gint64 sweep_id;
  gint64 images;
  GHashTable *known;          /* canonical → BsStoreResult: the sweep's stored results */
  GCancellable *cancellable;
  atomic_int cancel;
  GError *error;              /* what stopped the run, if not the strategy */

  gsize evaluated, from_store, infeasible;
  gint64 start_us, eval_us, last_report_us;
  gsize last_report_done, last_report_total;
  gboolean reported;
  double best_top1;
  BsSweepProgressFunc progress;
  gpointer progress_data;
  int cache_keep;             /* the strategy's hint for the next evaluation */
} Run;

static gboolean
is_cancelled (Run *r)
{
  return atomic_load (&r->cancel) != 0 || g_cancellable_is_cancelled (r->cancellable);
}

static void
on_cancelled (GCancellable *c, gpointer data)
{
  Run *r = data;

  atomic_store (&r->cancel, 1);
  bs_evaluator_cancel (bs_project_evaluator (r->project));
}

static void
answer (const BsStoreResult *res, bs_metrics *out)
{
  out->top1 = res->m.top1;
  out->top5 = res->m.top5;
  out->energy_pj = res->m.energy_pj;
  out->compute_pj = res->m.compute_pj;
  out->memory_pj = res->m.memory_pj;
  out->mean_weight_bits = res->m.mean_weight_bits;
  out->mean_input_bits = res->m.mean_input_bits;
  out->weight_sparsity = res->m.weight_sparsity;
  out->input_sparsity = res->m.input_sparsity;
}

typedef char ScalingText[64];

/* The configuration's layers as the store keeps them (scaling texts in
 * scal, which must have room for n layers). */
static BsStoreLayer *
store_layers (const bs_config *cfg, ScalingText *scal)
{
  int n = bs_config_n_layers (cfg);
  BsStoreLayer *layers = g_new (BsStoreLayer, (gsize) n);

  for (int i = 0; i < n; i++)
    {
      const bs_layer_config *lc = bs_config_layer (cfg, i);
      bs_layer_config_scaling_text (lc, scal[i], sizeof scal[i]);
      layers[i] = (BsStoreLayer) { lc->weight, lc->input, bs_acc_name (lc->acc), scal[i] };
    }
  return layers;
}

/* Store a result (metrics NULL: infeasible, with reason). */
static gint64
store_result (Run *r, const bs_config *cfg, const char *canon, const BsStoreMetrics *m,
              const char *reason, GError **error)
{
  int n = bs_config_n_layers (cfg);
  g_autofree ScalingText *scal = g_new (ScalingText, (gsize) n);
  g_autofree BsStoreLayer *layers = store_layers (cfg, scal);
  guint64 hash = bs_config_hash (cfg);

  if (m)
    return bs_store_add_result (r->store, r->sweep_id, canon, hash, layers, (guint) n, m, error);
  return bs_store_add_infeasible (r->store, r->sweep_id, canon, hash, layers, (guint) n,
                                  r->images, reason, error);
}

/* An evaluator error that says the configuration cannot be evaluated (kept
 * as infeasible) rather than that the run cannot go on. */
static gboolean
is_infeasible (const GError *e)
{
  return e->domain == BS_PROJECT_ERROR
         && (e->code == BS_PROJECT_ERROR_EVAL || e->code == BS_PROJECT_ERROR_TARGET
             || e->code == BS_PROJECT_ERROR_CONFIG)
         && !strstr (e->message, "out of memory");
}

/* The strategy's prefix-reuse hint: how deep the next evaluation's
 * activations are worth keeping in the evaluator's cache. */
static void
run_cache_hint (int keep, void *user)
{
  Run *r = user;

  r->cache_keep = keep;
}

/* The evaluator the strategy calls: the store first, the project second. */
static int
run_evaluate (const bs_config *cfg, int first_changed_layer, bs_metrics *out, void *user)
{
  Run *r = user;
  char *canon = bs_config_to_string (cfg);
  BsStoreResult *known;
  g_autoptr (GError) local = NULL;
  bs_eval_result ev;
  bs_energy_result *energy = NULL;
  bs_metrics m;
  BsStoreMetrics sm;
  gint64 t0;
  int ret = -1;

  /* first_changed_layer is relative to the previous call, which may have
   * been answered from the store, so it cannot be passed on as it is.  The
   * project's evaluator needs nothing passed: it recomputes the first
   * difference against the configuration it ran last itself
   * (bs_evaluator_run), which is exactly the recomputation bs-search.h asks
   * of a resuming wrapper. */
  (void) first_changed_layer;
  if (!canon)
    {
      g_set_error (&r->error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_FAILED, "out of memory");
      return -1;
    }

  known = g_hash_table_lookup (r->known, canon);
  if (!known)
    {
      BsStoreResult *found = NULL;
      if (!bs_store_lookup (r->store, r->sweep_id, canon, &found, &local) && local)
        goto fail;
      if (found)
        {
          /* evaluated by another sweep or process: make it this sweep's too */
          gint64 id = found->infeasible
                      ? store_result (r, cfg, canon, NULL, found->note, &local)
                      : store_result (r, cfg, canon, &found->m, NULL, &local);
          if (id < 0)
            {
              bs_store_result_free (found);
              goto fail;
            }
          known = found;
          g_hash_table_insert (r->known, g_strdup (canon), found);
        }
    }
  if (known)
    {
      r->from_store++;
      if (known->infeasible)
        {
          r->infeasible++;
          ret = 1;
        }
      else
        {
          answer (known, out);
          ret = 0;
        }
      free (canon);
      return ret;
    }

  if (is_cancelled (r))
    {
      free (canon);
      return -1;
    }
  t0 = g_get_monotonic_time ();
  bs_evaluator_set_cache_keep (bs_project_evaluator (r->project),
                               r->cache_keep > 0 ? r->cache_keep : BS_EVAL_CACHE_NONE);
  if (!bs_project_evaluate (r->project, cfg, r->target, &m, &ev, &energy, &local))
    {
      r->eval_us += g_get_monotonic_time () - t0;
      if (is_cancelled (r))
        {
          free (canon);
          return -1;
        }
      if (!is_infeasible (local))
        goto fail;
      r->evaluated++;
      r->infeasible++;
      if (store_result (r, cfg, canon, NULL, local->message, &r->error) < 0)
        {
          free (canon);
          return -1;
        }
      free (canon);
      return 1;
    }
  r->eval_us += g_get_monotonic_time () - t0;
  r->evaluated++;

  sm = (BsStoreMetrics) {
    .top1 = m.top1, .top5 = m.top5, .energy_pj = m.energy_pj, .compute_pj = m.compute_pj,
    .memory_pj = m.memory_pj, .area_um2 = NAN, .luts = NAN, .ffs = NAN, .dsps = NAN,
    .brams = NAN, .mean_weight_bits = m.mean_weight_bits, .mean_input_bits = m.mean_input_bits,
    .weight_sparsity = m.weight_sparsity, .input_sparsity = m.input_sparsity,
    .images = ev.images, .path = ev.path,
  };
  if (bs_target_get_kind (r->target) == BS_TARGET_FPGA)
    {
      sm.luts = energy->luts;
      sm.ffs = energy->ffs;
      sm.dsps = energy->dsps;
      sm.brams = energy->bram;
    }
  else
    sm.area_um2 = energy->area_um2;
  if (store_result (r, cfg, canon, &sm, NULL, &local) < 0)
    ret = -1;
  else
    {
      *out = m;
      ret = 0;
    }
  bs_eval_result_clear (&ev);
  bs_energy_result_free (energy);
  if (ret < 0)
    goto fail;
  free (canon);
  return 0;

fail:
  free (canon);
  if (!r->error)
    r->error = g_steal_pointer (&local);
  return -1;
}

static void
report (Run *r, const bs_search_progress *sp, gboolean last)
{
  BsSweepProgress p = { 0 };
  g_autofree char *canon = NULL;
  gint64 now = g_get_monotonic_time ();

  if (!r->progress)
    return;
  if (!last && r->reported && sp->done != sp->total
      && now - r->last_report_us < REPORT_INTERVAL_US)
    return;
  /* the closing report repeats nothing the last one said */
  if (last && r->reported && r->last_report_done == sp->done
      && r->last_report_total == sp->done)
    return;
  r->reported = TRUE;
  r->last_report_us = now;
  r->last_report_done = sp->done;
  r->last_report_total = sp->total;
  p.sweep_id = r->sweep_id;
  p.done = sp->done;
  p.total = sp->total < sp->done ? sp->done : sp->total;
  p.evaluated = r->evaluated;
  p.from_store = r->from_store;
  p.infeasible = r->infeasible;
  p.elapsed_s = (double) (now - r->start_us) / 1e6;
  p.eta_s = r->evaluated > 0
            ? (double) (p.total - p.done) * ((double) r->eval_us / 1e6 / (double) r->evaluated)
            : (p.done == p.total ? 0 : NAN);
  p.best_top1 = r->best_top1;
  p.last_top1 = p.last_energy_pj = NAN;
  if (sp->config)
    {
      canon = bs_config_to_string (sp->config);
      p.last_config = canon;
      if (!sp->infeasible && sp->metrics)
        {
          p.last_top1 = sp->metrics->top1;
          p.last_energy_pj = sp->metrics->energy_pj;
        }
    }
  r->progress (&p, r->progress_data);
  free (g_steal_pointer (&canon));
}

static void
run_progress (const bs_search_progress *sp, void *user)
{
  Run *r = user;

  if (!sp->infeasible && sp->metrics && (isnan (r->best_top1) || sp->metrics->top1 > r->best_top1))
    r->best_top1 = sp->metrics->top1;
  report (r, sp, FALSE);
}

/* Load the sweep's stored results into r->known. */
static gboolean
load_known (Run *r, GError **error)
{
  g_autoptr (GPtrArray) rows = bs_store_list_results (r->store, r->sweep_id, FALSE, error);

  if (!rows)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      BsStoreResult *res = g_ptr_array_steal_index_fast (rows, i--);
      g_hash_table_replace (r->known, g_strdup (res->canonical), res);
    }
  return TRUE;
}

static gsize
count_results (BsStore *store, gint64 sweep_id, gboolean front_only)
{
  g_autoptr (GPtrArray) rows = bs_store_list_results (store, sweep_id, front_only, NULL);
  return rows ? rows->len : 0;
}

gboolean
bs_sweep_run (BsProject *project, const bs_target *target, BsStore *store,
              const BsSweepSpec *spec, GCancellable *cancellable,
              BsSweepProgressFunc progress, gpointer progress_data,
              BsSweepSummary *summary, GError **error)
{
  Run r = { 0 };
  BsSweepSummary sum = { .status = "failed", .best_top1 = NAN, .best_energy_pj = NAN };
  bs_search_ctx ctx;
  bs_search_result res = { 0 };
  bs_layer_config tmpl;
  g_autofree char *spec_text = NULL, *target_sha = NULL;
  gint64 model_id, dataset_id, target_id;
  gulong handler = 0;
  char err[512] = "";
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (project && target && store && spec, FALSE);
  if (summary)
    *summary = sum;
  if (!bs_sweep_spec_validate (spec, error) || !spec_template (spec, &tmpl, error))
    return FALSE;

  /* register what the results depend on */
  target_sha = bs_store_hash_file (bs_target_path (target), error);
  if (!target_sha)
    return FALSE;
  model_id = bs_store_ensure_model (store, bs_project_model_name (project),
                                    bs_project_model_sha256 (project),
                                    bs_project_model_path (project), error);
  if (model_id < 0)
    return FALSE;
  dataset_id = ensure_dataset (store, project, &r.images, error);
  if (dataset_id < 0)
    return FALSE;
  target_id = bs_store_ensure_target (store, bs_target_name (target), target_sha,
                                      bs_target_path (target), error);
  if (target_id < 0)
    return FALSE;
  spec_text = bs_sweep_spec_to_string (spec);
  sum.sweep_id = bs_store_begin_sweep (store, model_id, dataset_id, target_id,
                                       bs_strategy_name (spec->strategy), spec_text,
                                       &sum.resumed, error);
  if (sum.sweep_id < 0)
    return FALSE;

  r.project = project;
  r.target = target;
  r.store = store;
  r.sweep_id = sum.sweep_id;
  r.known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) bs_store_result_free);
  r.cancellable = cancellable;
  atomic_init (&r.cancel, 0);
  r.best_top1 = NAN;
  r.progress = progress;
  r.progress_data = progress_data;
  r.start_us = g_get_monotonic_time ();
  r.cache_keep = bs_project_n_layers (project) - 1;
  if (!load_known (&r, error))
    goto out;

  bs_search_ctx_init (&ctx);
  ctx.n_layers = bs_project_n_layers (project);
  ctx.formats = (const char *const *) spec->formats;
  ctx.n_formats = g_strv_length (spec->formats);
  ctx.tensors = spec->tensors;
  ctx.layer_template = tmpl;
  ctx.max_drop = spec->target_drop;
  ctx.greedy_rest = spec->greedy_rest;
  ctx.budget = spec->budget;
  ctx.seed = spec->seed;
  ctx.population = spec->population;
  ctx.crossover = spec->crossover;
  ctx.mutation = spec->mutation;
  ctx.cancel = &r.cancel;
  ctx.evaluate = run_evaluate;
  ctx.evaluate_data = &r;
  ctx.cache_hint = run_cache_hint;
  ctx.progress = run_progress;
  ctx.progress_data = &r;

  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &r, NULL);
  rc = bs_search_run (spec->strategy, &ctx, &res, err, sizeof err);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  /* other users of the project cache every boundary again */
  bs_evaluator_set_cache_keep (bs_project_evaluator (project), BS_EVAL_CACHE_ALL);

  sum.search_status = res.status;
  sum.calls = res.n_points;
  sum.evaluated = r.evaluated;
  sum.from_store = r.from_store;
  sum.infeasible = r.infeasible;
  if (res.best)
    {
      char *text = bs_config_to_string (res.best);
      sum.best = g_strdup (text);
      free (text);
      sum.best_top1 = res.best_metrics.top1;
      sum.best_energy_pj = res.best_metrics.energy_pj;
    }
  {
    bs_search_progress last = {
      .done = res.n_points, .total = res.n_points,
      .config = res.n_points ? res.points[res.n_points - 1].config : NULL,
      .metrics = res.n_points ? &res.points[res.n_points - 1].metrics : NULL,
      .infeasible = res.n_points ? res.points[res.n_points - 1].infeasible : FALSE,
    };
    report (&r, &last, TRUE);
  }

  switch (res.status)
    {
    case BS_SEARCH_DONE:
    case BS_SEARCH_BUDGET:
      sum.status = "done";
      break;
    case BS_SEARCH_CANCELLED:
      sum.status = "cancelled";
      break;
    case BS_SEARCH_FAILED:
    default:
      sum.status = "failed";
      break;
    }
  if (rc < 0 || res.status == BS_SEARCH_FAILED)
    {
      if (r.error)
        g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_FAILED, "%s", r.error->message);
      else
        g_set_error (error, BS_SWEEP_ERROR, BS_SWEEP_ERROR_FAILED, "%s",
                     err[0] ? err : "the search failed");
    }
  else
    ok = TRUE;

out:
  {
    /* whatever happened, leave the sweep with a final status and its front */
    GError **e = ok ? error : NULL;
    if (!bs_store_update_front (store, sum.sweep_id, e)
        || !bs_store_set_sweep_status (store, sum.sweep_id, sum.status, e))
      ok = FALSE;
  }
  sum.n_results = count_results (store, sum.sweep_id, FALSE);
  sum.n_front = count_results (store, sum.sweep_id, TRUE);
  sum.seconds = (double) (g_get_monotonic_time () - r.start_us) / 1e6;
  if (summary)
    *summary = sum;
  else
    bs_sweep_summary_clear (&sum);
  bs_search_result_clear (&res);
  g_clear_error (&r.error);
  g_hash_table_unref (r.known);
  return ok;
}

void
bs_sweep_summary_clear (BsSweepSummary *summary)
{
  g_clear_pointer (&summary->best, g_free);
}

/* Asynchronous ------------------------------------------------------------- */

typedef struct {
  BsProject *project;
  const bs_target *target;
  BsStore *store;
  BsSweepSpec spec;
  BsSweepProgressFunc progress;
  gpointer progress_data;
  GMainContext *context;
  GMutex lock;
  BsSweepProgress latest;       /* latest.last_config owned (latest_config) */
  char *latest_config;
  gboolean pending;
  BsSweepSummary summary;
} AsyncData;

static void
async_data_free (AsyncData *d)
{
  bs_sweep_spec_clear (&d->spec);
  bs_sweep_summary_clear (&d->summary);
  g_main_context_unref (d->context);
  g_mutex_clear (&d->lock);
  g_free (d->latest_config);
  g_free (d);
}

static gboolean
async_report (gpointer data)
{
  GTask *task = data;
  AsyncData *d = g_task_get_task_data (task);
  BsSweepProgress p;
  g_autofree char *config = NULL;

  g_mutex_lock (&d->lock);
  p = d->latest;
  config = g_steal_pointer (&d->latest_config);
  p.last_config = config;
  d->pending = FALSE;
  g_mutex_unlock (&d->lock);
  d->progress (&p, d->progress_data);
  return G_SOURCE_REMOVE;
}

/* In the worker: keep the latest state; at most one report waits. */
static void
async_progress (const BsSweepProgress *p, gpointer data)
{
  GTask *task = data;
  AsyncData *d = g_task_get_task_data (task);
  gboolean schedule;

  g_mutex_lock (&d->lock);
  d->latest = *p;
  g_free (d->latest_config);
  d->latest_config = g_strdup (p->last_config);
  schedule = !d->pending;
  d->pending = TRUE;
  g_mutex_unlock (&d->lock);
  if (schedule)
    {
      GSource *s = g_idle_source_new ();
      g_source_set_priority (s, G_PRIORITY_DEFAULT);
      g_source_set_callback (s, async_report, g_object_ref (task), g_object_unref);
      g_source_attach (s, d->context);
      g_source_unref (s);
    }
}

static void
async_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  AsyncData *d = data;
  GError *error = NULL;

  if (!bs_sweep_run (d->project, d->target, d->store, &d->spec, cancellable,
                     d->progress ? async_progress : NULL, task, &d->summary, &error))
    g_task_return_error (task, error);
  else if (d->summary.search_status == BS_SEARCH_CANCELLED)
    g_task_return_new_error (task, BS_SWEEP_ERROR, BS_SWEEP_ERROR_CANCELLED,
                             "sweep %" G_GINT64_FORMAT " cancelled", d->summary.sweep_id);
  else
    g_task_return_boolean (task, TRUE);
}

void
bs_sweep_run_async (BsProject *project, const bs_target *target, BsStore *store,
                    const BsSweepSpec *spec, GCancellable *cancellable,
                    BsSweepProgressFunc progress, gpointer progress_data,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  d->project = project;
  d->target = target;
  d->store = store;
  spec_copy (&d->spec, spec);
  d->progress = progress;
  d->progress_data = progress_data;
  d->context = g_main_context_ref_thread_default ();
  g_mutex_init (&d->lock);
  g_task_set_source_tag (task, bs_sweep_run_async);
  g_task_set_task_data (task, d, (GDestroyNotify) async_data_free);
  /* the worker always finishes its transaction; cancellation is its result */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, async_thread);
}

gboolean
bs_sweep_run_finish (GAsyncResult *result, BsSweepSummary *summary, GError **error)
{
  GTask *task = G_TASK (result);
  AsyncData *d = g_task_get_task_data (task);

  g_return_val_if_fail (g_task_get_source_tag (task) == bs_sweep_run_async, FALSE);
  if (summary)
    {
      *summary = d->summary;
      d->summary.best = NULL;      /* moved */
    }
  return g_task_propagate_boolean (task, error);
}
