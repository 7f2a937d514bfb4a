/* bs-search.h — sweep strategies: pure functions over an evaluator callback.
 *
 * Plain C11, no GLib, no global state.  A strategy proposes configurations
 * (bs-config.h) and hands each to the caller's evaluator, which returns its
 * metrics; the strategy decides from those metrics what to try next and
 * collects every distinct configuration it evaluated, with the Pareto front
 * of accuracy (top-1, maximised) against energy (energy_pj, minimised).
 *
 * Strategies (the candidate formats are ctx->formats):
 *   grid         every layer the same format, one configuration per format
 *                (per weight × input pair with BS_TENSORS_SEPARATE).
 *   random       per-layer random choices, seeded, distinct, ctx->budget of
 *                them (fewer if the space is smaller).
 *   greedy       the seed's per-layer search (Moons et al.): from the first
 *                layer, lower the bit width of its inputs while top-1 stays
 *                at or above the target, keep the last width that passed,
 *                then do the same for its weights, then the next layer.
 *                The ladder is ctx->formats in order (one format: its
 *                bs_format_ladder); each tensor stops at its first failing
 *                rung (infeasible counts as failing) and keeps its starting
 *                format if even the first rung fails.  Later layers start at
 *                fp32 or at the first rung (ctx->greedy_rest).  Always
 *                searches inputs and weights separately (ctx->tensors and
 *                ctx->seed are not used).
 *   sensitivity  each layer alone at each candidate format, the rest fp32.
 *   nsga2        NSGA-II (Deb et al. 2002) for the accuracy/energy front
 *                within ctx->budget evaluations.
 *
 * Guarantees common to every strategy:
 *   - No configuration is passed to the evaluator twice within one run: the
 *     run keeps a set of the configurations it has evaluated (keyed by
 *     bs_config_hash, confirmed with bs_config_equal) and answers repeats
 *     from it.
 *   - At most ctx->budget evaluator calls (when budget > 0).
 *   - Deterministic: the sequence of configurations passed to the evaluator
 *     depends only on ctx (formats, options, seed) and on the metrics the
 *     evaluator returned for the earlier ones.  No clock, no address, no
 *     global state enters a decision.
 *   - A layer whose weights and inputs are both fp32 is always
 *     BS_LAYER_CONFIG_FP32 (fp32 accumulator, no scaling), so "fp32
 *     everywhere" is always the same configuration, the baseline; a layer
 *     with at least one quantized tensor takes ctx->layer_template's
 *     accumulator and scaling.
 *
 * Resuming a killed sweep.  Because of determinism, a sweep resumes by simply
 * running the same strategy with the same ctx again, with an evaluator that
 * answers the configurations already stored (by canonical text or hash) from
 * the store, without evaluating them, and evaluates and stores the others.
 * The strategy retraces the same path, so nothing stored is evaluated again
 * and nothing is missed; the budget counts calls to the callback, stored or
 * not, so the resumed run stops where an uninterrupted one would have.  For
 * that the store must give back the metrics bit for bit (SQLite REAL keeps
 * doubles exactly) and remember infeasible answers (> 0) as well; an
 * evaluation killed halfway is simply not stored and runs again.
 *
 * Prefix reuse.  Evaluation after a change at layer k can reuse the cached
 * activations of the layers before k.  Each call says from which layer on the
 * configuration differs from the previous one, and strategies order their
 * proposals to keep that layer late:
 *   - sensitivity walks the layers from the last to the first, so every
 *     configuration differs from its predecessor first at its own layer
 *     (walking forwards would also change the layer just left);
 *   - greedy changes only the layer it is working on (moving on to the next
 *     layer also reverts the failed rung of the previous one, one layer
 *     earlier);
 *   - random draws its whole sample first and evaluates it in lexicographic
 *     order of the per-layer choices (layer 0 most significant), a
 *     depth-first walk of the tree of choices, so consecutive
 *     configurations share their longest prefixes; NSGA-II does the same
 *     with each generation's offspring;
 *   - grid changes every layer at every step: nothing to reuse.
 * Keeping activations costs a copy of them, so before each call a strategy
 * also says how deep later calls can reuse this call's activations
 * (ctx->cache_hint): grid nothing, sensitivity up to the layer it probes,
 * greedy up to the layer after the one it searches, random and NSGA-II
 * everything.
 */
#pragma once

#include "bs-config.h"
#include "bs-pareto.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What an evaluation reports.  Strategies read top1 and energy_pj; the rest
 * is carried through to the results. */
typedef struct {
  double top1, top5;                 /* accuracy in percent, 0..100 */
  double energy_pj;                  /* per inference: compute_pj + memory_pj */
  double compute_pj, memory_pj;
  double mean_weight_bits, mean_input_bits;
  double weight_sparsity, input_sparsity;   /* fraction of zero operands, 0..1 */
} bs_metrics;

/* The evaluator.  Evaluate cfg and fill *out.
 *
 * first_changed_layer: cfg equals the configuration of the previous call of
 * this run in every layer before this one, and differs from it at this layer
 * (exactly: bs_config_first_difference (previous, cfg)); 0 on the run's
 * first call.  An evaluator that caches the activations of the configuration
 * it evaluated last may reuse them up to this layer.  A wrapper that answers
 * some calls without evaluating (the resuming store) must recompute it
 * against the configuration its real evaluator saw last, with
 * bs_config_first_difference.  An evaluator in which a layer depends on later
 * layers' choices (say, one network-wide scale derived from every layer's
 * format) must lower it itself.
 *
 * Returns 0 on success; > 0 if cfg cannot be evaluated (an unsupported
 * combination): the point is kept, marked infeasible, never on a front, and
 * fails greedy's accuracy test; < 0 on an error that stops the run
 * (BS_SEARCH_CANCELLED if ctx->cancel is set by then, else BS_SEARCH_FAILED)
 * and cfg is not recorded.  May take long; may poll ctx->cancel. */
typedef int (*bs_evaluate_fn) (const bs_config *cfg, int first_changed_layer,
                               bs_metrics *out, void *user);

/* The prefix-reuse hint, called just before each evaluator call with the
 * evaluator's user data: keep is the deepest layer k such that a later call
 * of this run may restart at layer k from this call's activations before it
 * (the configurations agreeing in layers < k); 0 when no later call can
 * reuse anything of this one, n_layers − 1 when any may.  An evaluator that
 * caches activations need only keep those before layers 1..keep.  A hint
 * for speed and memory; it never changes what is evaluated. */
typedef void (*bs_cache_hint_fn) (int keep, void *user);

typedef struct {
  size_t done;                /* evaluator calls so far in this run */
  size_t total;               /* planned calls (greedy: an upper bound) */
  const bs_config *config;    /* the configuration just evaluated */
  const bs_metrics *metrics;
  bool infeasible;
} bs_search_progress;

/* Called after each evaluator call, from the thread running the strategy. */
typedef void (*bs_progress_fn) (const bs_search_progress *progress, void *user);

typedef enum {
  BS_TENSORS_TIED,      /* a layer's weights and inputs take the same format */
  BS_TENSORS_SEPARATE,  /* weights and inputs are chosen independently */
} bs_tensors;

/* Greedy: where the layers after the one being searched start. */
typedef enum {
  BS_GREEDY_REST_FP32,  /* at fp32 (default): the network is the float baseline
                         * except for the layers already fixed */
  BS_GREEDY_REST_TOP,   /* at the ladder's first (widest) rung */
} bs_greedy_rest;

typedef struct {
  int n_layers;                  /* layers of the network, ≥ 1 */
  const char *const *formats;    /* candidate format names (distinct) */
  size_t n_formats;              /* ≥ 1 */
  bs_tensors tensors;            /* grid, random, sensitivity, nsga2 */
  /* Accumulator and scaling of every quantized layer (the names in it are
   * ignored). */
  bs_layer_config layer_template;

  /* greedy: its ladder is ctx->formats in order, widest first; a single
   * format stands for its ladder, bs_format_ladder (formats[0]). */
  const bs_metrics *baseline;    /* metrics of the fp32 configuration; NULL:
                                  * greedy evaluates it first */
  double max_drop;               /* greedy's target: top1 ≥ baseline top1 −
                                  * max_drop, in percentage points of top-1
                                  * (1.0: 76.1 % → at least 75.1 %) */
  bs_greedy_rest greedy_rest;

  size_t budget;                 /* most evaluator calls; 0 = no limit
                                  * (random and nsga2 need one) */
  uint64_t seed;                 /* random and nsga2 */

  /* nsga2 (bs_search_ctx_init sets the defaults) */
  int population;                /* 4 … 1024, default 32 */
  double crossover;              /* per child, default 0.9 */
  double mutation;               /* per gene (a layer's format, or with
                                  * BS_TENSORS_SEPARATE a tensor's); ≤ 0:
                                  * 1 / number of genes */

  /* The caller sets *cancel to nonzero to stop the run; checked before every
   * evaluator call.  NULL: never cancelled. */
  const atomic_int *cancel;

  bs_evaluate_fn evaluate;
  void *evaluate_data;
  bs_cache_hint_fn cache_hint;   /* may be NULL; gets evaluate_data */
  bs_progress_fn progress;       /* may be NULL */
  void *progress_data;
} bs_search_ctx;

/* Zero ctx and set the defaults: BS_TENSORS_TIED, template accumulator
 * "exact" with per-layer power-of-two scaling, max_drop 1.0, population 32,
 * crossover 0.9, mutation 1/genes, seed 1. */
void bs_search_ctx_init (bs_search_ctx *ctx);

typedef enum {
  BS_SEARCH_DONE,       /* the strategy finished */
  BS_SEARCH_BUDGET,     /* stopped early: the budget ran out first (random and
                         * nsga2 plan within the budget and end DONE) */
  BS_SEARCH_CANCELLED,  /* *ctx->cancel was set */
  BS_SEARCH_FAILED,     /* invalid ctx or an evaluator error (see err) */
} bs_search_status;

typedef enum {
  BS_TENSOR_BOTH,       /* a whole configuration or layer */
  BS_TENSOR_WEIGHTS,
  BS_TENSOR_INPUTS,
} bs_search_tensor;

typedef struct {
  bs_config *config;
  bs_metrics metrics;
  bool infeasible;      /* the evaluator returned > 0 */
  /* What the strategy was probing when it first proposed this configuration:
   * sensitivity and greedy give the layer, the format (index into
   * ctx->formats, greedy: into its ladder) and the tensor; other strategies
   * and the baseline give layer = format = -1, tensor = BS_TENSOR_BOTH. */
  int layer;
  int format;
  bs_search_tensor tensor;
} bs_search_point;

typedef struct {
  bs_search_status status;
  bs_search_point *points;   /* every configuration evaluated, in call order */
  size_t n_points;           /* = evaluator calls that returned ≥ 0 */
  size_t *front;             /* indices into points: the accuracy/energy front
                              * of the feasible points (bs_pareto_front) */
  size_t n_front;
  /* greedy: the configuration it settled on and its metrics (also when
   * stopped early: the layers fixed so far); NULL for other strategies. */
  bs_config *best;
  bs_metrics best_metrics;
} bs_search_result;

/* Run a strategy.  res need not be initialised; it is filled in every case
 * (bs_search_result_clear it afterwards).  Returns 0 when the run ends DONE,
 * BUDGET or CANCELLED, -1 when it FAILED, with a one-line reason in err. */
int bs_search_grid (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen);
int bs_search_random (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen);
int bs_search_greedy (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen);
int bs_search_sensitivity (const bs_search_ctx *ctx, bs_search_result *res, char *err,
                           size_t errlen);
int bs_search_nsga2 (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen);

void bs_search_result_clear (bs_search_result *res);

typedef enum {
  BS_STRATEGY_GRID,
  BS_STRATEGY_RANDOM,
  BS_STRATEGY_GREEDY,
  BS_STRATEGY_SENSITIVITY,
  BS_STRATEGY_NSGA2,
  BS_N_STRATEGIES
} bs_strategy;

/* "grid", "random", "greedy", "sensitivity", "nsga2". */
const char *bs_strategy_name (bs_strategy s);
int bs_strategy_parse (const char *name, bs_strategy *s);   /* 0 or -1 */
int bs_search_run (bs_strategy s, const bs_search_ctx *ctx, bs_search_result *res,
                   char *err, size_t errlen);
const char *bs_search_status_name (bs_search_status s);   /* "done", "budget", … */

#ifdef __cplusplus
}
#endif
