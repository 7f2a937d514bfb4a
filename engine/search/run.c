/* run.c — what every strategy shares: checking the context, evaluating each
 * configuration once, budget, cancellation, progress, the final front. */
#include "bs-search-private.h"

#include <math.h>
#include <stdarg.h>

void
bs_search_ctx_init (bs_search_ctx *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->tensors = BS_TENSORS_TIED;
  ctx->layer_template = BS_LAYER_CONFIG_FP32;
  ctx->layer_template.acc = BS_ACC_EXACT;
  ctx->layer_template.scaling = BS_SCALING_LAYER_POW2;
  ctx->max_drop = 1.0;
  ctx->greedy_rest = BS_GREEDY_REST_FP32;
  ctx->seed = 1;
  ctx->population = 32;
  ctx->crossover = 0.9;
  ctx->mutation = 0;
}

void
bs_search_result_clear (bs_search_result *res)
{
  for (size_t i = 0; i < res->n_points; i++)
    bs_config_free (res->points[i].config);
  free (res->points);
  free (res->front);
  bs_config_free (res->best);
  memset (res, 0, sizeof *res);
}

int
_bs_run_fail (_bs_run *run, const char *fmt, ...)
{
  if (run->err && run->errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (run->err, run->errlen, fmt, ap);
      va_end (ap);
    }
  run->res->status = BS_SEARCH_FAILED;
  run->stopped = true;
  return -1;
}

static bool
eq_point (size_t item, const void *key, const void *user)
{
  const bs_search_result *res = user;
  return bs_config_equal (res->points[item].config, key);
}

static int
check_ctx (_bs_run *run)
{
  const bs_search_ctx *ctx = run->ctx;
  bs_config *scratch;
  bs_layer_config t;
  char why[200];

  if (ctx->n_layers < 1 || ctx->n_layers > BS_CONFIG_MAX_LAYERS)
    return _bs_run_fail (run, "search: %d layers (need 1..%d)", ctx->n_layers,
                         BS_CONFIG_MAX_LAYERS);
  if (!ctx->evaluate)
    return _bs_run_fail (run, "search: no evaluator");
  if (!ctx->formats || ctx->n_formats < 1)
    return _bs_run_fail (run, "search: no candidate formats");
  if (ctx->n_formats > BS_MAX_FORMATS)
    return _bs_run_fail (run, "search: more than %d candidate formats", BS_MAX_FORMATS);
  if ((unsigned) ctx->tensors > BS_TENSORS_SEPARATE)
    return _bs_run_fail (run, "search: bad tensors option %d", (int) ctx->tensors);
  for (size_t i = 0; i < ctx->n_formats; i++)
    {
      bs_format f;
      if (!ctx->formats[i] || strlen (ctx->formats[i]) >= BS_NAME_MAX)
        return _bs_run_fail (run, "search: candidate format %zu missing or too long", i);
      if (bs_format_parse (ctx->formats[i], &f, why, sizeof why) < 0)
        return _bs_run_fail (run, "search: %s", why);
      for (size_t j = 0; j < i; j++)
        if (strcmp (ctx->formats[i], ctx->formats[j]) == 0)
          return _bs_run_fail (run, "search: format '%s' listed twice", ctx->formats[i]);
    }

  /* normalise the template through the validating setter */
  t = ctx->layer_template;
  snprintf (t.weight, sizeof t.weight, "fp32");
  snprintf (t.input, sizeof t.input, "fp32");
  scratch = bs_config_new (1);
  if (!scratch)
    return _bs_run_fail (run, "search: out of memory");
  if (bs_config_set_layer (scratch, 0, &t, why, sizeof why) < 0)
    {
      bs_config_free (scratch);
      return _bs_run_fail (run, "search: layer template: %s", why);
    }
  run->tmpl = *bs_config_layer (scratch, 0);
  bs_config_free (scratch);
  return 0;
}

int
_bs_run_begin (_bs_run *run, const bs_search_ctx *ctx, bs_search_result *res, char *err,
               size_t errlen)
{
  memset (run, 0, sizeof *run);
  memset (res, 0, sizeof *res);
  run->ctx = ctx;
  run->res = res;
  run->err = err;
  run->errlen = errlen;
  if (err && errlen)
    err[0] = '\0';
  res->status = BS_SEARCH_DONE;
  if (_bs_hset_init (&run->seen) < 0)
    return _bs_run_fail (run, "search: out of memory");
  if (check_ctx (run) < 0)
    return -1;
  run->n_genes = ctx->tensors == BS_TENSORS_SEPARATE ? 2 * ctx->n_layers : ctx->n_layers;
  run->keep = ctx->n_layers - 1;
  return 0;
}

size_t
_bs_run_remaining (const _bs_run *run)
{
  if (run->ctx->budget == 0)
    return SIZE_MAX;
  return run->res->n_points >= run->ctx->budget ? 0 : run->ctx->budget - run->res->n_points;
}

static bool
cancelled (const _bs_run *run)
{
  return run->ctx->cancel && atomic_load (run->ctx->cancel) != 0;
}

static void
stop (_bs_run *run, bs_search_status status)
{
  run->res->status = status;
  run->stopped = true;
}

ptrdiff_t
_bs_run_eval (_bs_run *run, const bs_config *cfg, int layer, int format, bs_search_tensor tensor)
{
  const bs_search_ctx *ctx = run->ctx;
  bs_search_result *res = run->res;
  bs_search_point *pt;
  bs_metrics m;
  uint64_t h;
  size_t found;
  int first, r;

  if (run->stopped)
    return -1;
  h = bs_config_hash (cfg);
  found = _bs_hset_find (&run->seen, h, eq_point, cfg, res);
  if (found != SIZE_MAX)
    return (ptrdiff_t) found;

  if (_bs_run_remaining (run) == 0)
    {
      stop (run, BS_SEARCH_BUDGET);
      return -1;
    }
  if (cancelled (run))
    {
      stop (run, BS_SEARCH_CANCELLED);
      return -1;
    }
  if (res->n_points == run->cap_points)
    {
      size_t cap = run->cap_points ? 2 * run->cap_points : 64;
      bs_search_point *p = realloc (res->points, cap * sizeof *p);
      if (!p)
        return _bs_run_fail (run, "search: out of memory");
      res->points = p;
      run->cap_points = cap;
    }

  first = run->prev ? bs_config_first_difference (run->prev, cfg) : 0;
  memset (&m, 0, sizeof m);
  if (ctx->cache_hint)
    ctx->cache_hint (run->keep < 0 ? 0 : run->keep < ctx->n_layers ? run->keep
                                                                   : ctx->n_layers - 1,
                     ctx->evaluate_data);
  r = ctx->evaluate (cfg, first, &m, ctx->evaluate_data);
  if (r < 0)
    {
      if (cancelled (run))
        {
          stop (run, BS_SEARCH_CANCELLED);
          return -1;
        }
      char *text = bs_config_to_string (cfg);
      _bs_run_fail (run, "search: the evaluator failed on %s", text ? text : "a configuration");
      free (text);
      return -1;
    }

  pt = &res->points[res->n_points];
  pt->config = bs_config_copy (cfg);
  if (!pt->config || _bs_hset_add (&run->seen, h, res->n_points) < 0)
    {
      bs_config_free (pt->config);
      return _bs_run_fail (run, "search: out of memory");
    }
  pt->metrics = m;
  pt->infeasible = r > 0;
  pt->layer = layer;
  pt->format = format;
  pt->tensor = tensor;
  run->prev = pt->config;
  res->n_points++;

  if (ctx->progress)
    {
      bs_search_progress p = {
        .done = res->n_points,
        .total = run->total,
        .config = pt->config,
        .metrics = &pt->metrics,
        .infeasible = pt->infeasible,
      };
      ctx->progress (&p, ctx->progress_data);
    }
  return (ptrdiff_t) (res->n_points - 1);
}

int
_bs_run_end (_bs_run *run)
{
  bs_search_result *res = run->res;
  double *acc = malloc ((res->n_points ? res->n_points : 1) * sizeof *acc);
  double *energy = malloc ((res->n_points ? res->n_points : 1) * sizeof *energy);

  _bs_hset_free (&run->seen);
  res->front = malloc ((res->n_points ? res->n_points : 1) * sizeof *res->front);
  if (!acc || !energy || !res->front)
    {
      free (acc);
      free (energy);
      if (res->status != BS_SEARCH_FAILED)
        _bs_run_fail (run, "search: out of memory");
      return -1;
    }
  for (size_t i = 0; i < res->n_points; i++)
    {
      const bs_search_point *p = &res->points[i];
      acc[i] = p->infeasible ? NAN : p->metrics.top1;
      energy[i] = p->infeasible ? NAN : p->metrics.energy_pj;
    }
  res->n_front = bs_pareto_front (acc, energy, res->n_points, res->front);
  free (acc);
  free (energy);
  return res->status == BS_SEARCH_FAILED ? -1 : 0;
}

void
_bs_run_set_layer (const _bs_run *run, bs_config *cfg, int l, const char *w, const char *a)
{
  bs_layer_config *lc = _bs_config_layer_mut (cfg, l);

  if (strcmp (w, "fp32") == 0 && strcmp (a, "fp32") == 0)
    {
      *lc = BS_LAYER_CONFIG_FP32;
      return;
    }
  *lc = run->tmpl;
  snprintf (lc->weight, sizeof lc->weight, "%s", w);
  snprintf (lc->input, sizeof lc->input, "%s", a);
}

void
_bs_run_genome_config (const _bs_run *run, const _bs_gene *g, bs_config *cfg)
{
  const char *const *f = run->ctx->formats;

  for (int l = 0; l < run->ctx->n_layers; l++)
    if (run->ctx->tensors == BS_TENSORS_SEPARATE)
      _bs_run_set_layer (run, cfg, l, f[g[2 * l]], f[g[2 * l + 1]]);
    else
      _bs_run_set_layer (run, cfg, l, f[g[l]], f[g[l]]);
}

/* Names and dispatch ---------------------------------------------------- */

static const char *const strategy_names[BS_N_STRATEGIES] = {
  [BS_STRATEGY_GRID] = "grid",
  [BS_STRATEGY_RANDOM] = "random",
  [BS_STRATEGY_GREEDY] = "greedy",
  [BS_STRATEGY_SENSITIVITY] = "sensitivity",
  [BS_STRATEGY_NSGA2] = "nsga2",
};

const char *
bs_strategy_name (bs_strategy s)
{
  return (unsigned) s < BS_N_STRATEGIES ? strategy_names[s] : "?";
}

int
bs_strategy_parse (const char *name, bs_strategy *s)
{
  for (int i = 0; i < BS_N_STRATEGIES; i++)
    if (name && strcmp (name, strategy_names[i]) == 0)
      {
        *s = (bs_strategy) i;
        return 0;
      }
  return -1;
}

const char *
bs_search_status_name (bs_search_status s)
{
  switch (s)
    {
    case BS_SEARCH_DONE: return "done";
    case BS_SEARCH_BUDGET: return "budget";
    case BS_SEARCH_CANCELLED: return "cancelled";
    case BS_SEARCH_FAILED: return "failed";
    }
  return "?";
}

int
bs_search_run (bs_strategy s, const bs_search_ctx *ctx, bs_search_result *res, char *err,
               size_t errlen)
{
  switch (s)
    {
    case BS_STRATEGY_GRID: return bs_search_grid (ctx, res, err, errlen);
    case BS_STRATEGY_RANDOM: return bs_search_random (ctx, res, err, errlen);
    case BS_STRATEGY_GREEDY: return bs_search_greedy (ctx, res, err, errlen);
    case BS_STRATEGY_SENSITIVITY: return bs_search_sensitivity (ctx, res, err, errlen);
    case BS_STRATEGY_NSGA2: return bs_search_nsga2 (ctx, res, err, errlen);
    case BS_N_STRATEGIES: break;
    }
  memset (res, 0, sizeof *res);
  res->status = BS_SEARCH_FAILED;
  if (err && errlen)
    snprintf (err, errlen, "search: unknown strategy %d", (int) s);
  return -1;
}
