/* Sweep strategies on synthetic evaluators whose accuracy and energy are
 * known functions of the per-layer widths (test-search-synth.h).  The
 * evaluator itself checks on every call that no configuration comes twice
 * and that first_changed_layer is the real first difference. */
#include "test-search-synth.h"
#include "bs-test-ref.h"

#include <stdio.h>

static void
ctx_for (bs_search_ctx *ctx, synth *s, const char *const *formats, size_t n)
{
  bs_search_ctx_init (ctx);
  ctx->n_layers = s->n_layers;
  ctx->formats = formats;
  ctx->n_formats = n;
  ctx->evaluate = synth_evaluate;
  ctx->evaluate_data = s;
}

static void
run_ok (int (*fn) (const bs_search_ctx *, bs_search_result *, char *, size_t),
        const bs_search_ctx *ctx, bs_search_result *res)
{
  char err[256] = "";

  if (fn (ctx, res, err, sizeof err) < 0)
    g_error ("search failed: %s", err);
}

/* Layer l of a point: its widths. */
static void
widths_of (const bs_config *cfg, int l, int *bw, int *ba)
{
  *bw = synth_bits (bs_config_layer (cfg, l)->weight);
  *ba = synth_bits (bs_config_layer (cfg, l)->input);
}

/* Every point's metrics are the evaluator's formula at its widths. */
static void
check_metrics (const synth *s, const bs_search_result *res)
{
  for (size_t i = 0; i < res->n_points; i++)
    {
      int bw[SYNTH_MAX_LAYERS], ba[SYNTH_MAX_LAYERS];
      for (int l = 0; l < s->n_layers; l++)
        widths_of (res->points[i].config, l, &bw[l], &ba[l]);
      g_assert_cmpfloat (res->points[i].metrics.top1, ==, synth_top1 (s, bw, ba));
      g_assert_cmpfloat (res->points[i].metrics.energy_pj, ==, synth_energy (s, bw, ba));
    }
  g_assert_cmpuint (res->n_points, ==, s->calls);
}

/* Grid ------------------------------------------------------------------ */

static void
test_grid_tied (void)
{
  static const char *const formats[] = { "fixed4", "fixed8", "fp32" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;
  char *text;

  synth_init (&s, 3);
  ctx_for (&ctx, &s, formats, 3);
  run_ok (bs_search_grid, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_cmpuint (res.n_points, ==, 3);
  check_metrics (&s, &res);
  text = bs_config_to_string (res.points[1].config);
  g_assert_cmpstr (text, ==,
                   "v1;L0:w=fixed8,a=fixed8,acc=exact,s=layer-pow2"
                   ";L1:w=fixed8,a=fixed8,acc=exact,s=layer-pow2"
                   ";L2:w=fixed8,a=fixed8,acc=exact,s=layer-pow2");
  free (text);
  /* fp32 everywhere is the baseline, whatever the template says */
  text = bs_config_to_string (res.points[2].config);
  g_assert_cmpstr (text, ==,
                   "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;L1:w=fp32,a=fp32,acc=fp32,s=none"
                   ";L2:w=fp32,a=fp32,acc=fp32,s=none");
  free (text);
  /* wider is both more accurate and dearer here: all three on the front */
  g_assert_cmpuint (res.n_front, ==, 3);
  for (size_t i = 0; i < 3; i++)
    {
      g_assert_cmpint (res.points[i].layer, ==, -1);
      g_assert_cmpuint (res.front[i], ==, i);
    }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_grid_separate (void)
{
  static const char *const formats[] = { "fixed2", "fixed4", "fixed8" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 2);
  ctx_for (&ctx, &s, formats, 3);
  ctx.tensors = BS_TENSORS_SEPARATE;
  run_ok (bs_search_grid, &ctx, &res);
  g_assert_cmpuint (res.n_points, ==, 9);
  check_metrics (&s, &res);
  for (size_t i = 0; i < 9; i++)
    for (int l = 0; l < 2; l++)
      {
        int bw, ba;
        widths_of (res.points[i].config, l, &bw, &ba);
        g_assert_cmpint (bw, ==, 2 << (i / 3));   /* weights outer */
        g_assert_cmpint (ba, ==, 2 << (i % 3));
      }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

/* Sensitivity ----------------------------------------------------------- */

static void
test_sensitivity_order (void)
{
  static const char *const formats[] = { "fixed2", "fixed4", "fixed8" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 4);
  ctx_for (&ctx, &s, formats, 3);
  run_ok (bs_search_sensitivity, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_cmpuint (res.n_points, ==, 12);
  check_metrics (&s, &res);
  for (size_t i = 0; i < 12; i++)
    {
      const bs_search_point *p = &res.points[i];
      int layer = 3 - (int) (i / 3);

      g_assert_cmpint (p->layer, ==, layer);
      g_assert_cmpint (p->format, ==, (int) (i % 3));
      g_assert_cmpint (p->tensor, ==, BS_TENSOR_BOTH);
      for (int l = 0; l < 4; l++)
        {
          int bw, ba;
          widths_of (p->config, l, &bw, &ba);
          g_assert_cmpint (bw, ==, l == layer ? 2 << (i % 3) : 32);
          g_assert_cmpint (ba, ==, bw);
        }
      /* the best possible reuse: each call restarts at its own layer */
      g_assert_cmpint (g_array_index (s.first_changed, int, i), ==, i == 0 ? 0 : layer);
    }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_sensitivity_separate (void)
{
  static const char *const formats[] = { "fixed3", "fixed6" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 3);
  ctx_for (&ctx, &s, formats, 2);
  ctx.tensors = BS_TENSORS_SEPARATE;
  run_ok (bs_search_sensitivity, &ctx, &res);
  g_assert_cmpuint (res.n_points, ==, 12);
  check_metrics (&s, &res);
  for (size_t i = 0; i < 12; i++)
    {
      const bs_search_point *p = &res.points[i];
      int layer = 2 - (int) (i / 4), bw, ba, want = 3 * (1 + (int) (i % 4) / 2);
      gboolean weights = i % 2 == 0;

      g_assert_cmpint (p->layer, ==, layer);
      g_assert_cmpint (p->tensor, ==, weights ? BS_TENSOR_WEIGHTS : BS_TENSOR_INPUTS);
      widths_of (p->config, layer, &bw, &ba);
      g_assert_cmpint (bw, ==, weights ? want : 32);
      g_assert_cmpint (ba, ==, weights ? 32 : want);
    }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

/* Greedy ---------------------------------------------------------------- */

/* The seed's procedure written here on widths alone: returns the number of
 * distinct configurations it evaluates and the widths it settles on. */
static size_t
ref_greedy (const synth *s, const int *ladder, int rungs, gboolean rest_top,
            gboolean with_baseline, double drop, int *bw, int *ba)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int w32[SYNTH_MAX_LAYERS], start = rest_top ? ladder[0] : 32;
  double target;

#define VISIT()                                                             \
  G_STMT_START {                                                            \
    GString *k = g_string_new (NULL);                                       \
    for (int q = 0; q < s->n_layers; q++)                                   \
      g_string_append_printf (k, "%d,%d;", bw[q], ba[q]);                   \
    g_hash_table_add (seen, g_string_free (k, FALSE));                      \
  } G_STMT_END

  for (int l = 0; l < s->n_layers; l++)
    w32[l] = bw[l] = ba[l] = 32;
  if (with_baseline)
    VISIT ();
  target = synth_top1 (s, w32, w32) - drop;
  for (int l = 0; l < s->n_layers; l++)
    bw[l] = ba[l] = start;
  if (rest_top)
    VISIT ();
  for (int l = 0; l < s->n_layers; l++)
    for (int phase = 0; phase < 2; phase++)
      {
        int *t = phase == 0 ? &ba[l] : &bw[l], keep = *t;
        for (int r = 0; r < rungs; r++)
          {
            *t = ladder[r];
            VISIT ();
            if (!(synth_top1 (s, bw, ba) >= target))
              break;
            keep = ladder[r];
          }
        *t = keep;
      }
#undef VISIT
  return g_hash_table_size (seen);
}

static void
test_greedy_by_hand (void)
{
  static const char *const ladder[] = { "fixed16" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;
  /* penalties c·2^-bits; target: total penalty ≤ 1.0 (+ the fp32 crumbs).
   * L0 inputs: 0.3·2^-1 = 0.15 passes at every rung → fixed1;
   * L0 weights: 0.2·2^-1 = 0.1 (total 0.25) → fixed1;
   * L1 inputs: 2.8/4 = 0.7 (0.95) passes, 2.8/2 fails → fixed2;
   * L1 weights: 2/64 = 0.03125 (0.98125) passes, 2/32 (1.0125) fails → fixed6;
   * L2 inputs: 30/2048 = 0.0146 (0.99590) passes, 30/1024 fails → fixed11;
   * L2 weights: 20/8192 = 0.00244 (0.99834) passes, 20/4096 (1.0008) fails
   * → fixed13.  Calls: baseline 1, then 16 + 16 + 16 + 12 + 7 + 5. */
  const double ca[] = { 0.3, 2.8, 30 }, cw[] = { 0.2, 2, 20 };
  const int want_a[] = { 1, 2, 11 }, want_w[] = { 1, 6, 13 };

  synth_init (&s, 3);
  for (int l = 0; l < 3; l++)
    {
      s.ca[l] = ca[l];
      s.cw[l] = cw[l];
    }
  ctx_for (&ctx, &s, ladder, 1);
  ctx.max_drop = 1.0;
  run_ok (bs_search_greedy, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_nonnull (res.best);
  for (int l = 0; l < 3; l++)
    {
      int bw, ba;
      widths_of (res.best, l, &bw, &ba);
      g_assert_cmpint (ba, ==, want_a[l]);
      g_assert_cmpint (bw, ==, want_w[l]);
    }
  g_assert_cmpuint (res.n_points, ==, 73);
  check_metrics (&s, &res);
  /* the first call is the baseline; then layer 0's inputs */
  g_assert_cmpint (res.points[0].layer, ==, -1);
  g_assert_cmpint (res.points[1].layer, ==, 0);
  g_assert_cmpint (res.points[1].tensor, ==, BS_TENSOR_INPUTS);
  g_assert_cmpint (res.points[17].tensor, ==, BS_TENSOR_WEIGHTS);
  /* best_metrics are those of the best configuration */
  {
    int bw[3], ba[3];
    for (int l = 0; l < 3; l++)
      widths_of (res.best, l, &bw[l], &ba[l]);
    g_assert_cmpfloat (res.best_metrics.top1, ==, synth_top1 (&s, bw, ba));
    g_assert_cmpfloat (res.best_metrics.top1, >=, res.points[0].metrics.top1 - 1.0);
  }
  /* greedy changes only the layer it works on */
  for (size_t i = 1; i < res.n_points; i++)
    {
      int fc = g_array_index (s.first_changed, int, i);
      g_assert_cmpint (fc, <=, res.points[i].layer);
      g_assert_cmpint (fc, >=, res.points[i].layer - 1);
    }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

/* Random problems against the reference, in every mode. */
static void
test_greedy_reference (void)
{
  static const char *const explicit_ladder[] = { "fixed12", "fixed10", "fixed7", "fixed5",
                                                 "fixed4", "fixed3" };
  const int explicit_bits[] = { 12, 10, 7, 5, 4, 3 };
  bs_test_rng rng = { 4242 };

  for (int it = 0; it < 80; it++)
    {
      int n = 1 + (int) (bs_test_rng_next (&rng) % 7);
      gboolean rest_top = it % 2, with_baseline = (it / 2) % 2, expl = (it / 4) % 2;
      int ladder[16], rungs, bw[SYNTH_MAX_LAYERS], ba[SYNTH_MAX_LAYERS];
      const char *single[] = { "fixed16" };
      bs_metrics base;
      bs_search_ctx ctx;
      bs_search_result res;
      size_t want_calls;
      synth s;

      synth_init (&s, n);
      for (int l = 0; l < n; l++)
        {
          s.ca[l] = 0.01 + 40 * bs_test_rng_uniform (&rng);
          s.cw[l] = 0.01 + 40 * bs_test_rng_uniform (&rng);
        }
      if (expl)
        {
          rungs = 6;
          memcpy (ladder, explicit_bits, sizeof explicit_bits);
          ctx_for (&ctx, &s, explicit_ladder, 6);
        }
      else
        {
          rungs = 16;
          for (int r = 0; r < 16; r++)
            ladder[r] = 16 - r;
          ctx_for (&ctx, &s, single, 1);
        }
      ctx.max_drop = 0.2 + 3 * bs_test_rng_uniform (&rng);
      ctx.greedy_rest = rest_top ? BS_GREEDY_REST_TOP : BS_GREEDY_REST_FP32;
      if (!with_baseline)
        {
          int w32[SYNTH_MAX_LAYERS];
          for (int l = 0; l < n; l++)
            w32[l] = 32;
          memset (&base, 0, sizeof base);
          base.top1 = synth_top1 (&s, w32, w32);
          ctx.baseline = &base;
        }
      want_calls = ref_greedy (&s, ladder, rungs, rest_top, with_baseline, ctx.max_drop, bw, ba);
      run_ok (bs_search_greedy, &ctx, &res);
      g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
      g_assert_cmpuint (res.n_points, ==, want_calls);
      check_metrics (&s, &res);
      for (int l = 0; l < n; l++)
        {
          int gw, ga;
          widths_of (res.best, l, &gw, &ga);
          g_assert_cmpint (gw, ==, bw[l]);
          g_assert_cmpint (ga, ==, ba[l]);
        }
      g_assert_cmpfloat (res.best_metrics.top1, ==, synth_top1 (&s, bw, ba));
      bs_search_result_clear (&res);
      synth_clear (&s);
    }
}

/* The seed's finding: when later layers are more sensitive, greedy gives the
 * lower layers fewer bits. */
static void
test_greedy_trend (void)
{
  static const char *const ladder[] = { "fixed16" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;
  int prev_w = 0, prev_a = 0;

  synth_init (&s, 6);
  for (int l = 0; l < 6; l++)
    s.ca[l] = s.cw[l] = 0.05 * pow (3, l);
  ctx_for (&ctx, &s, ladder, 1);
  run_ok (bs_search_greedy, &ctx, &res);
  for (int l = 0; l < 6; l++)
    {
      int bw, ba;
      widths_of (res.best, l, &bw, &ba);
      g_assert_cmpint (bw, >=, prev_w);
      g_assert_cmpint (ba, >=, prev_a);
      prev_w = bw;
      prev_a = ba;
    }
  /* and not trivially: the last layer needs more than the first */
  {
    int bw0, ba0, bw5, ba5;
    widths_of (res.best, 0, &bw0, &ba0);
    widths_of (res.best, 5, &bw5, &ba5);
    g_assert_cmpint (bw5 + ba5, >, bw0 + ba0 + 4);
  }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

/* An infeasible rung fails like an inaccurate one. */
static void
test_greedy_infeasible (void)
{
  static const char *const ladder[] = { "fixed8", "fixed6", "fixed5", "fixed4" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 2);
  s.ca[0] = s.cw[0] = s.ca[1] = s.cw[1] = 0.001;   /* everything accurate */
  s.infeasible_format = "fixed5";
  ctx_for (&ctx, &s, ladder, 4);
  run_ok (bs_search_greedy, &ctx, &res);
  for (int l = 0; l < 2; l++)
    {
      int bw, ba;
      widths_of (res.best, l, &bw, &ba);
      g_assert_cmpint (bw, ==, 6);
      g_assert_cmpint (ba, ==, 6);
    }
  for (size_t i = 0; i < res.n_points; i++)
    {
      gboolean uses = FALSE;
      for (int l = 0; l < 2; l++)
        uses |= strcmp (bs_config_layer (res.points[i].config, l)->weight, "fixed5") == 0
                || strcmp (bs_config_layer (res.points[i].config, l)->input, "fixed5") == 0;
      g_assert_cmpint (res.points[i].infeasible, ==, uses);
    }
  for (size_t i = 0; i < res.n_front; i++)
    g_assert_false (res.points[res.front[i]].infeasible);
  bs_search_result_clear (&res);
  synth_clear (&s);
}

/* Random ---------------------------------------------------------------- */

static gboolean
in_formats (const char *name, const char *const *formats, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (name, formats[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
format_index (const char *name, const char *const *formats, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (name, formats[i]) == 0)
      return (int) i;
  return -1;
}

static void
test_random_distinct (void)
{
  static const char *const formats[] = { "fixed2", "fixed5", "fixed8" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 6);
  ctx_for (&ctx, &s, formats, 3);
  ctx.budget = 50;
  ctx.seed = 11;
  run_ok (bs_search_random, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_cmpuint (res.n_points, ==, 50);   /* distinctness: the synth checks */
  check_metrics (&s, &res);
  for (size_t i = 0; i < res.n_points; i++)
    for (int l = 0; l < 6; l++)
      {
        const bs_layer_config *lc = bs_config_layer (res.points[i].config, l);
        g_assert_true (in_formats (lc->weight, formats, 3));
        g_assert_cmpstr (lc->weight, ==, lc->input);   /* tied */
      }
  /* evaluated in lexicographic order of the per-layer choices */
  for (size_t i = 1; i < res.n_points; i++)
    {
      int d = 0;
      for (int l = 0; l < 6 && d == 0; l++)
        d = format_index (bs_config_layer (res.points[i - 1].config, l)->weight, formats, 3)
            - format_index (bs_config_layer (res.points[i].config, l)->weight, formats, 3);
      g_assert_cmpint (d, <, 0);
    }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_random_whole_space (void)
{
  static const char *const formats[] = { "fixed2", "fixed8" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 3);
  ctx_for (&ctx, &s, formats, 2);
  ctx.budget = 100;
  run_ok (bs_search_random, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_cmpuint (res.n_points, ==, 8);   /* 2^3: all of it, each once */
  bs_search_result_clear (&res);
  synth_clear (&s);

  /* separate tensors: 2^6 configurations */
  synth_init (&s, 3);
  ctx_for (&ctx, &s, formats, 2);
  ctx.budget = 1000;
  ctx.tensors = BS_TENSORS_SEPARATE;
  run_ok (bs_search_random, &ctx, &res);
  g_assert_cmpuint (res.n_points, ==, 64);
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_random_deterministic (void)
{
  static const char *const formats[] = { "fixed2", "fixed3", "fixed4", "fixed6", "fixed8" };
  GPtrArray *orders[3];

  for (int run = 0; run < 3; run++)
    {
      synth s;
      bs_search_ctx ctx;
      bs_search_result res;

      synth_init (&s, 5);
      ctx_for (&ctx, &s, formats, 5);
      ctx.tensors = BS_TENSORS_SEPARATE;
      ctx.budget = 30;
      ctx.seed = run == 2 ? 8 : 7;
      run_ok (bs_search_random, &ctx, &res);
      g_assert_cmpuint (res.n_points, ==, 30);
      orders[run] = g_ptr_array_ref (s.order);
      bs_search_result_clear (&res);
      synth_clear (&s);
    }
  for (guint i = 0; i < 30; i++)
    g_assert_cmpstr (orders[0]->pdata[i], ==, orders[1]->pdata[i]);
  {
    gboolean differ = FALSE;
    for (guint i = 0; i < 30; i++)
      differ |= strcmp (orders[0]->pdata[i], orders[2]->pdata[i]) != 0;
    g_assert_true (differ);
  }
  for (int run = 0; run < 3; run++)
    g_ptr_array_unref (orders[run]);
}

/* Budget, cancellation, errors, context ------------------------------- */

typedef int (*strategy_fn) (const bs_search_ctx *, bs_search_result *, char *, size_t);

static void
test_budget (void)
{
  static const char *const formats[] = { "fixed3", "fixed5", "fixed7", "fixed9" };
  strategy_fn fns[] = { bs_search_grid, bs_search_sensitivity, bs_search_greedy };
  const char *single[] = { "fixed16" };

  for (size_t f = 0; f < G_N_ELEMENTS (fns); f++)
    for (size_t budget = 1; budget < 9; budget += 3)
      {
        synth s;
        bs_search_ctx ctx;
        bs_search_result res;

        synth_init (&s, 4);
        if (fns[f] == bs_search_greedy)
          ctx_for (&ctx, &s, single, 1);
        else
          ctx_for (&ctx, &s, formats, 4);
        ctx.tensors = BS_TENSORS_SEPARATE;
        ctx.budget = budget;
        run_ok (fns[f], &ctx, &res);
        g_assert_cmpint (res.status, ==, BS_SEARCH_BUDGET);
        g_assert_cmpuint (res.n_points, ==, budget);
        g_assert_cmpuint (s.calls, ==, budget);
        if (fns[f] == bs_search_greedy)
          g_assert_nonnull (res.best);
        bs_search_result_clear (&res);
        synth_clear (&s);
      }
}

static void
test_cancel_before_start (void)
{
  static const char *const formats[] = { "fixed3", "fixed5" };
  atomic_int cancel = 1;
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 2);
  ctx_for (&ctx, &s, formats, 2);
  ctx.cancel = &cancel;
  run_ok (bs_search_sensitivity, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_CANCELLED);
  g_assert_cmpuint (res.n_points, ==, 0);
  g_assert_cmpuint (s.calls, ==, 0);
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static int
failing_evaluate (const bs_config *cfg, int first, bs_metrics *out, void *user)
{
  int *calls = user;
  return ++*calls == 3 ? -1 : (memset (out, 0, sizeof *out), 0);
}

static void
test_evaluator_error (void)
{
  static const char *const formats[] = { "fixed3", "fixed5", "fixed7" };
  bs_search_ctx ctx;
  bs_search_result res;
  char err[256] = "";
  int calls = 0;

  bs_search_ctx_init (&ctx);
  ctx.n_layers = 2;
  ctx.formats = formats;
  ctx.n_formats = 3;
  ctx.evaluate = failing_evaluate;
  ctx.evaluate_data = &calls;
  g_assert_cmpint (bs_search_grid (&ctx, &res, err, sizeof err), ==, -1);
  g_assert_cmpint (res.status, ==, BS_SEARCH_FAILED);
  g_assert_cmpuint (res.n_points, ==, 2);
  g_assert_nonnull (strstr (err, "fixed7"));
  bs_search_result_clear (&res);
}

static void
test_invalid_ctx (void)
{
  static const char *const good[] = { "fixed3", "fixed5" };
  static const char *const unknown[] = { "fixed3", "fixed99x" };
  static const char *const twice[] = { "fixed3", "fixed3" };
  strategy_fn fns[] = { bs_search_grid, bs_search_random, bs_search_greedy,
                        bs_search_sensitivity, bs_search_nsga2 };
  synth s;

  synth_init (&s, 2);
  for (size_t f = 0; f < G_N_ELEMENTS (fns); f++)
    for (int bad = 0; bad < 6; bad++)
      {
        bs_search_ctx ctx;
        bs_search_result res;
        char err[256] = "";

        ctx_for (&ctx, &s, good, 2);
        ctx.budget = 10;
        switch (bad)
          {
          case 0: ctx.formats = unknown; break;
          case 1: ctx.formats = twice; break;
          case 2: ctx.n_formats = 0; break;
          case 3: ctx.n_layers = 0; break;
          case 4: ctx.evaluate = NULL; break;
          case 5: ctx.layer_template.scaling = BS_SCALING_PERCENTILE; break;   /* pct 0 */
          }
        g_assert_cmpint (fns[f] (&ctx, &res, err, sizeof err), ==, -1);
        g_assert_cmpint (res.status, ==, BS_SEARCH_FAILED);
        g_assert_cmpuint (strlen (err), >, 0);
        bs_search_result_clear (&res);
      }
  /* random and nsga2 need a budget; greedy a sane drop */
  {
    bs_search_ctx ctx;
    bs_search_result res;
    char err[256];

    ctx_for (&ctx, &s, good, 2);
    g_assert_cmpint (bs_search_random (&ctx, &res, err, sizeof err), ==, -1);
    bs_search_result_clear (&res);
    g_assert_cmpint (bs_search_nsga2 (&ctx, &res, err, sizeof err), ==, -1);
    bs_search_result_clear (&res);
    ctx.max_drop = -1;
    g_assert_cmpint (bs_search_greedy (&ctx, &res, err, sizeof err), ==, -1);
    bs_search_result_clear (&res);
  }
  g_assert_cmpuint (s.calls, ==, 0);
  synth_clear (&s);
}

typedef struct {
  size_t n;
  size_t total;
} progress_log;

static void
on_progress (const bs_search_progress *p, void *user)
{
  progress_log *log = user;

  g_assert_cmpuint (p->done, ==, log->n + 1);
  g_assert_nonnull (p->config);
  g_assert_nonnull (p->metrics);
  log->n++;
  log->total = p->total;
}

static void
test_progress_and_dispatch (void)
{
  static const char *const formats[] = { "fixed3", "fixed5", "fixed7" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;
  progress_log log = { 0, 0 };
  bs_strategy st;
  char err[256];

  synth_init (&s, 3);
  ctx_for (&ctx, &s, formats, 3);
  ctx.progress = on_progress;
  ctx.progress_data = &log;
  g_assert_cmpint (bs_strategy_parse ("sensitivity", &st), ==, 0);
  g_assert_cmpint (st, ==, BS_STRATEGY_SENSITIVITY);
  g_assert_cmpint (bs_search_run (st, &ctx, &res, err, sizeof err), ==, 0);
  g_assert_cmpuint (log.n, ==, 9);
  g_assert_cmpuint (log.total, ==, 9);
  bs_search_result_clear (&res);
  synth_clear (&s);

  for (int i = 0; i < BS_N_STRATEGIES; i++)
    {
      g_assert_cmpint (bs_strategy_parse (bs_strategy_name ((bs_strategy) i), &st), ==, 0);
      g_assert_cmpint (st, ==, i);
    }
  g_assert_cmpint (bs_strategy_parse ("annealing", &st), ==, -1);
  g_assert_cmpstr (bs_search_status_name (BS_SEARCH_CANCELLED), ==, "cancelled");
}

/* Cache hints: one before every evaluator call, with the depth each
 * strategy documents (bs-search.h): grid 0; sensitivity the layer probed;
 * greedy 0 for its starting points and the layer after the one searched
 * (at most the last); random and NSGA-II the last layer. */
typedef struct {
  synth *s;
  GArray *keep;          /* int per evaluator call */
  int pending;           /* the hint given since the last call, or -1 */
} hint_log;

static void
on_hint (int keep, void *user)
{
  hint_log *h = user;
  g_assert_cmpint (h->pending, ==, -1);   /* one hint per call */
  h->pending = keep;
}

static int
hinted_evaluate (const bs_config *cfg, int first_changed, bs_metrics *out, void *user)
{
  hint_log *h = user;
  g_assert_cmpint (h->pending, >=, 0);    /* given before the call */
  g_array_append_val (h->keep, h->pending);
  h->pending = -1;
  return synth_evaluate (cfg, first_changed, out, h->s);
}

static void
test_cache_hints (void)
{
  static const char *const formats[] = { "fixed8", "fixed6", "fixed4", "fixed3" };
  enum { L = 4 };

  for (int st = 0; st < BS_N_STRATEGIES; st++)
    {
      synth s;
      bs_search_ctx ctx;
      bs_search_result res;
      hint_log h = { &s, g_array_new (FALSE, FALSE, sizeof (int)), -1 };
      char err[256];

      synth_init (&s, L);
      for (int l = 0; l < L; l++)
        s.ca[l] = s.cw[l] = 2.0 * (l + 1);
      ctx_for (&ctx, &s, formats, G_N_ELEMENTS (formats));
      ctx.evaluate = hinted_evaluate;
      ctx.evaluate_data = &h;
      ctx.cache_hint = on_hint;
      ctx.budget = st == BS_STRATEGY_RANDOM || st == BS_STRATEGY_NSGA2 ? 30 : 0;
      ctx.population = 8;
      ctx.max_drop = 0.5;
      g_assert_cmpint (bs_search_run ((bs_strategy) st, &ctx, &res, err, sizeof err), ==, 0);
      g_assert_cmpuint (res.n_points, >=, 4);
      g_assert_cmpuint (h.keep->len, ==, res.n_points);
      for (size_t i = 0; i < res.n_points; i++)
        {
          const bs_search_point *p = &res.points[i];
          int want;
          switch (st)
            {
            case BS_STRATEGY_GRID:
              want = 0;
              break;
            case BS_STRATEGY_SENSITIVITY:
              want = p->layer;
              break;
            case BS_STRATEGY_GREEDY:
              want = p->layer < 0 ? 0 : p->layer + 1 < L ? p->layer + 1 : L - 1;
              break;
            default:
              want = L - 1;
              break;
            }
          g_assert_cmpint (g_array_index (h.keep, int, i), ==, want);
        }
      bs_search_result_clear (&res);
      g_array_unref (h.keep);
      synth_clear (&s);
    }
}

/* Resume ---------------------------------------------------------------- */

typedef struct {
  strategy_fn fn;
  int n_layers;
  const char *const *formats;
  size_t n_formats;
  bs_tensors tensors;
  size_t budget;
} resume_case;

static void
setup_problem (synth *s, int n_layers)
{
  synth_init (s, n_layers);
  for (int l = 0; l < n_layers; l++)
    {
      s->ca[l] = 0.3 * (l + 1) * (l + 1);
      s->cw[l] = 0.2 * (l + 2) * (l + 1);
      s->macs[l] = 100.0 / (l + 1);
    }
}

static void
ctx_for_case (bs_search_ctx *ctx, const resume_case *c, store_eval *st)
{
  bs_search_ctx_init (ctx);
  ctx->n_layers = c->n_layers;
  ctx->formats = c->formats;
  ctx->n_formats = c->n_formats;
  ctx->tensors = c->tensors;
  ctx->budget = c->budget;
  ctx->seed = 5;
  ctx->population = 12;
  ctx->evaluate = store_evaluate;
  ctx->evaluate_data = st;
}

/* Kill the run after k evaluations (the k-th finished and stored, or killed
 * halfway), rerun on the same store: the same result as an uninterrupted run,
 * the same number of real evaluations, none repeated. */
static void
check_resume (const resume_case *c)
{
  synth s0;
  store_eval st0;
  bs_search_ctx ctx;
  bs_search_result whole;
  size_t total, ks[4];

  setup_problem (&s0, c->n_layers);
  store_init (&st0, &s0);
  ctx_for_case (&ctx, c, &st0);
  run_ok (c->fn, &ctx, &whole);
  total = st0.real_calls;
  g_assert_cmpuint (total, ==, whole.n_points);
  g_assert_cmpuint (total, >=, 8);

  ks[0] = 1;
  ks[1] = 2;
  ks[2] = total / 2;
  ks[3] = total - 1;
  for (int ki = 0; ki < 4; ki++)
    for (int kill = 0; kill < 2; kill++)
      {
        atomic_int cancel = 0;
        synth first, second;
        store_eval st;
        bs_search_result part, resumed;
        GHashTableIter iter;
        gpointer key;
        size_t stored;

        setup_problem (&first, c->n_layers);
        first.cancel = &cancel;
        first.cancel_after = ks[ki];
        first.kill_on_cancel = kill;
        store_init (&st, &first);
        ctx_for_case (&ctx, c, &st);
        ctx.cancel = &cancel;
        run_ok (c->fn, &ctx, &part);
        g_assert_cmpint (part.status, ==, BS_SEARCH_CANCELLED);
        stored = st.real_calls;
        g_assert_cmpuint (stored, ==, kill ? ks[ki] - 1 : ks[ki]);
        g_assert_cmpuint (part.n_points, ==, stored);

        /* a new process on the same store */
        setup_problem (&second, c->n_layers);
        store_restart (&st, &second);
        atomic_store (&cancel, 0);
        run_ok (c->fn, &ctx, &resumed);
        assert_same_result (&whole, &resumed);
        g_assert_cmpuint (stored + second.calls, ==, total);
        g_hash_table_iter_init (&iter, second.seen);
        while (g_hash_table_iter_next (&iter, &key, NULL))
          g_assert_false (g_hash_table_contains (first.seen, key));

        bs_search_result_clear (&part);
        bs_search_result_clear (&resumed);
        store_clear (&st);
        synth_clear (&first);
        synth_clear (&second);
      }
  bs_search_result_clear (&whole);
  store_clear (&st0);
  synth_clear (&s0);
}

static const char *const resume_formats[] = { "fixed2", "fixed3", "fixed4", "fixed6", "fixed8" };
static const char *const resume_ladder[] = { "fixed16" };

static void
test_resume_grid (void)
{
  resume_case c = { bs_search_grid, 3, resume_formats, 5, BS_TENSORS_SEPARATE, 0 };
  check_resume (&c);
}

static void
test_resume_random (void)
{
  resume_case c = { bs_search_random, 6, resume_formats, 5, BS_TENSORS_TIED, 40 };
  check_resume (&c);
}

static void
test_resume_greedy (void)
{
  resume_case c = { bs_search_greedy, 3, resume_ladder, 1, BS_TENSORS_TIED, 0 };
  check_resume (&c);
}

static void
test_resume_sensitivity (void)
{
  resume_case c = { bs_search_sensitivity, 4, resume_formats, 5, BS_TENSORS_SEPARATE, 0 };
  check_resume (&c);
}

static void
test_resume_nsga2 (void)
{
  resume_case c = { bs_search_nsga2, 6, resume_formats, 5, BS_TENSORS_TIED, 100 };
  check_resume (&c);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/search/grid/tied", test_grid_tied);
  g_test_add_func ("/engine/search/grid/separate", test_grid_separate);
  g_test_add_func ("/engine/search/sensitivity/order", test_sensitivity_order);
  g_test_add_func ("/engine/search/sensitivity/separate", test_sensitivity_separate);
  g_test_add_func ("/engine/search/greedy/by-hand", test_greedy_by_hand);
  g_test_add_func ("/engine/search/greedy/reference", test_greedy_reference);
  g_test_add_func ("/engine/search/greedy/trend", test_greedy_trend);
  g_test_add_func ("/engine/search/greedy/infeasible", test_greedy_infeasible);
  g_test_add_func ("/engine/search/random/distinct", test_random_distinct);
  g_test_add_func ("/engine/search/random/whole-space", test_random_whole_space);
  g_test_add_func ("/engine/search/random/deterministic", test_random_deterministic);
  g_test_add_func ("/engine/search/run/budget", test_budget);
  g_test_add_func ("/engine/search/run/cancel-before-start", test_cancel_before_start);
  g_test_add_func ("/engine/search/run/evaluator-error", test_evaluator_error);
  g_test_add_func ("/engine/search/run/invalid-ctx", test_invalid_ctx);
  g_test_add_func ("/engine/search/run/progress-and-dispatch", test_progress_and_dispatch);
  g_test_add_func ("/engine/search/run/cache-hints", test_cache_hints);
  g_test_add_func ("/engine/search/resume/grid", test_resume_grid);
  g_test_add_func ("/engine/search/resume/random", test_resume_random);
  g_test_add_func ("/engine/search/resume/greedy", test_resume_greedy);
  g_test_add_func ("/engine/search/resume/sensitivity", test_resume_sensitivity);
  g_test_add_func ("/engine/search/resume/nsga2", test_resume_nsga2);
  return g_test_run ();
}
