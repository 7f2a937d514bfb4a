/* NSGA-II on synthetic problems: its front is the brute-force front of what
 * it evaluated, it stays within budget without repeats, it is deterministic,
 * and it finds a better front than random sampling with the same budget. */
#include "test-search-synth.h"
#include "bs-test-ref.h"

static const char *const formats7[] = { "fixed2", "fixed3", "fixed4", "fixed6", "fixed8",
                                        "fixed12", "fixed16" };

/* Seven layers with different sensitivities and costs. */
#define N_LAYERS 7

static void
setup_problem (synth *s)
{
  const double ca[N_LAYERS] = { 0.5, 6, 3, 12, 20, 2, 40 };
  const double cw[N_LAYERS] = { 8, 1, 10, 2, 0.5, 15, 4 };
  const double macs[N_LAYERS] = { 50, 400, 400, 200, 100, 100, 10 };

  synth_init (s, N_LAYERS);
  for (int l = 0; l < N_LAYERS; l++)
    {
      s->ca[l] = ca[l];
      s->cw[l] = cw[l];
      s->macs[l] = macs[l];
    }
}

static void
ctx_for (bs_search_ctx *ctx, synth *s, size_t budget, uint64_t seed)
{
  bs_search_ctx_init (ctx);
  ctx->n_layers = s->n_layers;
  ctx->formats = formats7;
  ctx->n_formats = G_N_ELEMENTS (formats7);
  ctx->budget = budget;
  ctx->seed = seed;
  ctx->population = 20;
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

/* Hypervolume of the region the front dominates, up to the reference point
 * (acc_ref below every accuracy, e_ref above every energy), from the points
 * directly: sweep the points by energy keeping the best accuracy so far. */
static double
hypervolume (const bs_search_result *res, double acc_ref, double e_ref)
{
  size_t n = res->n_points;
  double *e = g_new (double, n), *a = g_new (double, n), hv = 0, best = acc_ref;
  gsize *idx = g_new (gsize, n);

  for (size_t i = 0; i < n; i++)
    {
      e[i] = res->points[i].metrics.energy_pj;
      a[i] = res->points[i].infeasible ? acc_ref : res->points[i].metrics.top1;
      idx[i] = i;
    }
  /* insertion sort by energy: n is small */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && e[idx[j]] < e[idx[j - 1]]; j--)
      {
        gsize t = idx[j];
        idx[j] = idx[j - 1];
        idx[j - 1] = t;
      }
  for (size_t i = 0; i < n; i++)
    {
      double next = i + 1 < n ? e[idx[i + 1]] : e_ref;
      if (a[idx[i]] > best)
        best = a[idx[i]];
      if (next > e_ref)
        next = e_ref;
      hv += (best - acc_ref) * (next - e[idx[i]]);
    }
  g_free (e);
  g_free (a);
  g_free (idx);
  return hv;
}

static void
test_front_non_dominated (void)
{
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  setup_problem (&s);
  ctx_for (&ctx, &s, 300, 3);
  run_ok (bs_search_nsga2, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_cmpuint (res.n_front, >, 3);

  /* brute force: a point is on the front iff nothing evaluated dominates it */
  for (size_t i = 0; i < res.n_points; i++)
    {
      const bs_metrics *mi = &res.points[i].metrics;
      gboolean dominated = FALSE, listed = FALSE;

      for (size_t j = 0; j < res.n_points; j++)
        {
          const bs_metrics *mj = &res.points[j].metrics;
          dominated |= mj->top1 >= mi->top1 && mj->energy_pj <= mi->energy_pj
                       && (mj->top1 > mi->top1 || mj->energy_pj < mi->energy_pj);
        }
      for (size_t k = 0; k < res.n_front; k++)
        listed |= res.front[k] == i;
      g_assert_cmpint (listed, ==, !dominated);
    }
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_budget_distinct (void)
{
  for (size_t budget = 1; budget <= 157; budget += 39)
    {
      synth s;
      bs_search_ctx ctx;
      bs_search_result res;

      setup_problem (&s);
      ctx_for (&ctx, &s, budget, 9);
      run_ok (bs_search_nsga2, &ctx, &res);
      /* the space is huge: the whole budget is spent, each config once (the
       * synth aborts on a repeat) */
      g_assert_cmpuint (res.n_points, ==, budget);
      g_assert_cmpuint (s.calls, ==, budget);
      g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
      bs_search_result_clear (&res);
      synth_clear (&s);
    }
}

/* A space smaller than the budget: NSGA-II stops when nothing new is within
 * reach, never repeating. */
static void
test_small_space (void)
{
  static const char *const two[] = { "fixed2", "fixed8" };
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;

  synth_init (&s, 3);
  ctx_for (&ctx, &s, 500, 1);
  ctx.formats = two;
  ctx.n_formats = 2;
  ctx.population = 4;
  run_ok (bs_search_nsga2, &ctx, &res);
  g_assert_cmpint (res.status, ==, BS_SEARCH_DONE);
  g_assert_cmpuint (res.n_points, <=, 8);
  g_assert_cmpuint (res.n_points, >=, 4);
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_deterministic (void)
{
  GPtrArray *orders[3];

  for (int run = 0; run < 3; run++)
    {
      synth s;
      bs_search_ctx ctx;
      bs_search_result res;

      setup_problem (&s);
      ctx_for (&ctx, &s, 120, run == 2 ? 78 : 77);
      ctx.tensors = BS_TENSORS_SEPARATE;
      run_ok (bs_search_nsga2, &ctx, &res);
      g_assert_cmpuint (res.n_points, ==, 120);
      orders[run] = g_ptr_array_ref (s.order);
      bs_search_result_clear (&res);
      synth_clear (&s);
    }
  for (guint i = 0; i < 120; i++)
    g_assert_cmpstr (orders[0]->pdata[i], ==, orders[1]->pdata[i]);
  {
    gboolean differ = FALSE;
    for (guint i = 0; i < 120; i++)
      differ |= strcmp (orders[0]->pdata[i], orders[2]->pdata[i]) != 0;
    g_assert_true (differ);
  }
  for (int run = 0; run < 3; run++)
    g_ptr_array_unref (orders[run]);
}

/* The exact hypervolume of the problem's true front, by enumerating all 7^7
 * uniform-per-layer width choices (tied tensors). */
typedef struct {
  double e, a;
} ea_point;

static int
cmp_ea (const void *x, const void *y)
{
  const ea_point *p = x, *q = y;
  if (p->e != q->e)
    return p->e < q->e ? -1 : 1;
  return (p->a < q->a) - (p->a > q->a);
}

static double
true_hypervolume (const synth *s, double acc_ref, double e_ref)
{
  const int bits[] = { 2, 3, 4, 6, 8, 12, 16 };
  size_t n = 1;
  ea_point *p;
  double hv = 0, best = acc_ref;

  for (int l = 0; l < s->n_layers; l++)
    n *= 7;
  p = g_new (ea_point, n);
  for (size_t i = 0; i < n; i++)
    {
      int w[SYNTH_MAX_LAYERS];
      size_t c = i;
      for (int l = 0; l < s->n_layers; l++, c /= 7)
        w[l] = bits[c % 7];
      p[i].a = synth_top1 (s, w, w);
      p[i].e = synth_energy (s, w, w);
    }
  qsort (p, n, sizeof *p, cmp_ea);
  for (size_t i = 0; i < n; i++)
    {
      double next = i + 1 < n ? p[i + 1].e : e_ref;
      if (p[i].a > best)
        best = p[i].a;
      hv += (best - acc_ref) * (next - p[i].e);
    }
  g_free (p);
  return hv;
}

/* Same budget, several seeds: NSGA-II's front comes much closer to the true
 * front (hypervolume gap) than random sampling's.  The margin is set so that
 * survivor selection matters: with rank and crowding ignored (survivors by
 * age) the gap ratio is about 0.55, with them about 0.2. */
static void
test_beats_random (void)
{
  double gap_nsga = 0, gap_rand = 0, acc_ref, e_ref, hv_true;
  int narrow[N_LAYERS], wide[N_LAYERS];
  int wins = 0;
  synth s;

  setup_problem (&s);
  for (int l = 0; l < N_LAYERS; l++)
    narrow[l] = 2, wide[l] = 16;
  acc_ref = synth_top1 (&s, narrow, narrow);
  e_ref = synth_energy (&s, wide, wide);
  hv_true = true_hypervolume (&s, acc_ref, e_ref);
  synth_clear (&s);

  for (uint64_t seed = 1; seed <= 4; seed++)
    {
      bs_search_ctx ctx;
      bs_search_result rn, rr;
      double a, b;

      setup_problem (&s);
      ctx_for (&ctx, &s, 2000, seed);
      ctx.population = 40;
      run_ok (bs_search_nsga2, &ctx, &rn);
      synth_clear (&s);
      setup_problem (&s);
      ctx_for (&ctx, &s, 2000, seed);
      run_ok (bs_search_random, &ctx, &rr);
      synth_clear (&s);
      a = hypervolume (&rn, acc_ref, e_ref);
      b = hypervolume (&rr, acc_ref, e_ref);
      g_assert_cmpfloat (a, <=, hv_true * (1 + 1e-12));
      g_assert_cmpfloat (b, <=, hv_true * (1 + 1e-12));
      g_test_message ("seed %" G_GUINT64_FORMAT ": hypervolume gap to the true front: "
                      "nsga2 %.3f %%, random %.3f %%",
                      seed, 100 * (hv_true - a) / hv_true, 100 * (hv_true - b) / hv_true);
      gap_nsga += hv_true - a;
      gap_rand += hv_true - b;
      wins += a > b;
      bs_search_result_clear (&rn);
      bs_search_result_clear (&rr);
    }
  g_assert_cmpint (wins, ==, 4);
  g_assert_cmpfloat (gap_nsga, <, 0.35 * gap_rand);
}

static void
test_infeasible (void)
{
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;
  size_t infeasible = 0;

  setup_problem (&s);
  s.infeasible_format = "fixed4";
  ctx_for (&ctx, &s, 150, 4);
  run_ok (bs_search_nsga2, &ctx, &res);
  for (size_t i = 0; i < res.n_points; i++)
    infeasible += res.points[i].infeasible;
  g_assert_cmpuint (infeasible, >, 0);
  g_assert_cmpuint (res.n_front, >, 0);
  for (size_t k = 0; k < res.n_front; k++)
    g_assert_false (res.points[res.front[k]].infeasible);
  bs_search_result_clear (&res);
  synth_clear (&s);
}

static void
test_bad_options (void)
{
  synth s;
  bs_search_ctx ctx;
  bs_search_result res;
  char err[256];

  setup_problem (&s);
  for (int bad = 0; bad < 4; bad++)
    {
      ctx_for (&ctx, &s, 100, 1);
      switch (bad)
        {
        case 0: ctx.population = 3; break;
        case 1: ctx.population = 1025; break;
        case 2: ctx.crossover = 1.5; break;
        case 3: ctx.mutation = 2; break;
        }
      g_assert_cmpint (bs_search_nsga2 (&ctx, &res, err, sizeof err), ==, -1);
      g_assert_cmpint (res.status, ==, BS_SEARCH_FAILED);
      bs_search_result_clear (&res);
    }
  g_assert_cmpuint (s.calls, ==, 0);
  synth_clear (&s);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/search/nsga2/front-non-dominated", test_front_non_dominated);
  g_test_add_func ("/engine/search/nsga2/budget-distinct", test_budget_distinct);
  g_test_add_func ("/engine/search/nsga2/small-space", test_small_space);
  g_test_add_func ("/engine/search/nsga2/deterministic", test_deterministic);
  g_test_add_func ("/engine/search/nsga2/beats-random", test_beats_random);
  g_test_add_func ("/engine/search/nsga2/infeasible", test_infeasible);
  g_test_add_func ("/engine/search/nsga2/bad-options", test_bad_options);
  return g_test_run ();
}
