/* greedy.c — the seed's per-layer greedy search (Moons et al., Embedded Deep
 * Learning): from the first layer, lower the bit width of its inputs until
 * accuracy falls below the target, keep the last width that passed, then do
 * the same for its weights; then the next layer.
 *
 * The ladder is ctx->formats in order, widest first (one format: its
 * bs_format_ladder).  Target: top1 ≥ baseline top1 − ctx->max_drop
 * (percentage points).  Each tensor walks the ladder from its first rung and
 * stops at the first rung that fails (or is infeasible), without trying
 * narrower ones: the seed assumes accuracy falls monotonically with width.
 * If even the first rung fails, the tensor keeps its starting format.
 *
 * The rest of the network: layers already done keep their chosen formats;
 * later layers start at fp32 (BS_GREEDY_REST_FP32) or at the first rung
 * (BS_GREEDY_REST_TOP; the starting configuration is evaluated first).
 * Prefix reuse: every configuration differs from the previous call's first at
 * the layer being searched (the first call of a layer's input phase also
 * reverts the previous layer's failed weight rung, so it differs there), so
 * only the activations before layers up to l + 1 are worth caching. */
#include "bs-search-private.h"

#include <math.h>

static void
copy_layers (bs_config *dst, const bs_config *src)
{
  for (int l = 0; l < bs_config_n_layers (src); l++)
    *_bs_config_layer_mut (dst, l) = *bs_config_layer (src, l);
}

int
bs_search_greedy (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen)
{
  _bs_run run;
  char (*ladder)[BS_NAME_MAX] = NULL;
  bs_config *state = NULL, *cand = NULL;
  bs_metrics base, state_m;
  double target;
  int rungs;
  const char *start;

  if (_bs_run_begin (&run, ctx, res, err, errlen) < 0)
    return _bs_run_end (&run);

  /* the ladder */
  if (ctx->n_formats == 1)
    {
      char why[200];
      ladder = malloc (BS_LADDER_MAX * sizeof *ladder);
      if (!ladder)
        {
          _bs_run_fail (&run, "search: out of memory");
          goto out;
        }
      rungs = bs_format_ladder (ctx->formats[0], ladder, BS_LADDER_MAX, why, sizeof why);
      if (rungs < 0)
        {
          _bs_run_fail (&run, "search: %s", why);
          goto out;
        }
      if (rungs > BS_LADDER_MAX)
        rungs = BS_LADDER_MAX;
    }
  else
    {
      rungs = (int) ctx->n_formats;
      ladder = malloc ((size_t) rungs * sizeof *ladder);
      if (!ladder)
        {
          _bs_run_fail (&run, "search: out of memory");
          goto out;
        }
      for (int r = 0; r < rungs; r++)
        snprintf (ladder[r], BS_NAME_MAX, "%s", ctx->formats[r]);
    }
  if (!(ctx->max_drop >= 0) || !isfinite (ctx->max_drop))
    {
      _bs_run_fail (&run, "search: greedy needs a finite max_drop ≥ 0, not %g", ctx->max_drop);
      goto out;
    }
  if ((unsigned) ctx->greedy_rest > BS_GREEDY_REST_TOP)
    {
      _bs_run_fail (&run, "search: bad greedy_rest option %d", (int) ctx->greedy_rest);
      goto out;
    }
  run.total = (ctx->baseline ? 0 : 1) + (ctx->greedy_rest == BS_GREEDY_REST_TOP ? 1 : 0)
              + 2 * (size_t) ctx->n_layers * (size_t) rungs;

  state = bs_config_new (ctx->n_layers);
  cand = bs_config_new (ctx->n_layers);
  if (!state || !cand)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }

  /* the fp32 baseline and the target; the calls after it change layer 0 */
  run.keep = 0;
  if (ctx->baseline)
    base = *ctx->baseline;
  else
    {
      ptrdiff_t i = _bs_run_eval (&run, state, -1, -1, BS_TENSOR_BOTH);
      if (i < 0)
        goto out;
      if (res->points[i].infeasible)
        {
          _bs_run_fail (&run, "search: the fp32 baseline cannot be evaluated");
          goto out;
        }
      base = res->points[i].metrics;
    }
  target = base.top1 - ctx->max_drop;
  state_m = base;

  start = ctx->greedy_rest == BS_GREEDY_REST_TOP ? ladder[0] : "fp32";
  if (ctx->greedy_rest == BS_GREEDY_REST_TOP)
    {
      ptrdiff_t i;
      for (int l = 0; l < ctx->n_layers; l++)
        _bs_run_set_layer (&run, state, l, start, start);
      i = _bs_run_eval (&run, state, -1, -1, BS_TENSOR_BOTH);
      if (i < 0)
        goto out;
      state_m = res->points[i].metrics;
    }

  for (int l = 0; l < ctx->n_layers && !run.stopped; l++)
    for (int phase = 0; phase < 2 && !run.stopped; phase++)
      {
        /* phase 0: the layer's inputs; phase 1: its weights */
        bs_search_tensor tensor = phase == 0 ? BS_TENSOR_INPUTS : BS_TENSOR_WEIGHTS;
        const bs_layer_config *cur = bs_config_layer (state, l);
        char w[BS_NAME_MAX], a[BS_NAME_MAX];
        int chosen = -1;

        memcpy (w, cur->weight, sizeof w);
        memcpy (a, cur->input, sizeof a);
        /* later calls change layer l (this phase and the next) or, moving
         * on, restart at l and search layer l + 1 */
        run.keep = l + 1;
        copy_layers (cand, state);
        for (int r = 0; r < rungs; r++)
          {
            ptrdiff_t i;
            const bs_search_point *p;

            if (phase == 0)
              _bs_run_set_layer (&run, cand, l, w, ladder[r]);
            else
              _bs_run_set_layer (&run, cand, l, ladder[r], a);
            i = _bs_run_eval (&run, cand, l, r, tensor);
            if (i < 0)
              goto out;
            p = &res->points[i];
            if (p->infeasible || !(p->metrics.top1 >= target))
              break;
            chosen = r;
            state_m = p->metrics;
          }
        if (chosen >= 0)
          {
            if (phase == 0)
              _bs_run_set_layer (&run, state, l, w, ladder[chosen]);
            else
              _bs_run_set_layer (&run, state, l, ladder[chosen], a);
          }
      }

out:
  if (state && res->status != BS_SEARCH_FAILED)
    {
      res->best = bs_config_copy (state);
      res->best_metrics = state_m;
    }
  bs_config_free (state);
  bs_config_free (cand);
  free (ladder);
  return _bs_run_end (&run);
}
