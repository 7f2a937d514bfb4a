/* nsga2.c — NSGA-II (Deb, Pratap, Agarwal, Meyarivan, IEEE TEC 2002) over
 * per-layer format choices: maximise top-1, minimise energy_pj.
 *
 * Genome: one gene per layer (TIED) or per layer and tensor (SEPARATE), each
 * an index into ctx->formats.  Loop, within ctx->budget evaluator calls:
 *   1. initial population: the uniform configurations (every gene the same
 *      format; all formats, or half the population spread over them), then
 *      distinct random genomes up to ctx->population;
 *   2. offspring: parents by binary tournament on (rank ↓, crowding ↑);
 *      with probability ctx->crossover a per-layer uniform crossover (each
 *      layer's genes from either parent), else a copy of the first parent;
 *      each gene mutated with probability ctx->mutation to another format.
 *      A child already in the archive (every genome evaluated or pending)
 *      gets up to four forced single-gene mutations, then is dropped; the
 *      generation has min(population, calls left) children;
 *   3. the children are evaluated in lexicographic genome order (prefix
 *      reuse), then parents ∪ children go through the fast non-dominated
 *      sort and crowding distance, and the best `population` by (rank,
 *      crowding, age) survive.
 * Infeasible points (evaluator > 0, or a non-finite objective) are dominated
 * by every feasible one (constrained domination) and have no crowding.
 * Stops when the budget is spent or a generation yields no new child.
 * The result's front is that of every point evaluated (the archive), which
 * is never worse than the final population's first front. */
#include "bs-search-private.h"

#include <math.h>

#define N_FORCED_MUTATIONS 4

typedef struct {
  _bs_run *run;
  int g;                 /* genes per genome */
  size_t nf;             /* formats */
  _bs_gene *genes;       /* archive genomes, g each */
  size_t *point;         /* archive member → res point (SIZE_MAX: pending) */
  size_t n, cap;
  _bs_hset set;          /* every archive genome */
  _bs_rng rng;
} nsga;

typedef struct {
  const _bs_gene *genes;
  int g;
} gpool;

static bool
eq_genome (size_t item, const void *key, const void *user)
{
  const gpool *p = user;
  return memcmp (p->genes + item * (size_t) p->g, key, (size_t) p->g * sizeof (_bs_gene)) == 0;
}

static int
cmp_genome (size_t a, size_t b, const void *user)
{
  const gpool *p = user;
  const _bs_gene *ga = p->genes + a * (size_t) p->g, *gb = p->genes + b * (size_t) p->g;

  for (int i = 0; i < p->g; i++)
    if (ga[i] != gb[i])
      return ga[i] < gb[i] ? -1 : 1;
  return 0;
}

static bool
known (const nsga *s, const _bs_gene *child, uint64_t h)
{
  gpool pool = { s->genes, s->g };
  return _bs_hset_find (&s->set, h, eq_genome, child, &pool) != SIZE_MAX;
}

/* Append a new genome (not in the archive) as pending. */
static int
archive_add (nsga *s, const _bs_gene *child, uint64_t h)
{
  if (s->n == s->cap)
    {
      size_t cap = s->cap ? 2 * s->cap : 64;
      _bs_gene *genes = realloc (s->genes, cap * (size_t) s->g * sizeof *genes);
      if (!genes)
        return -1;
      s->genes = genes;
      size_t *point = realloc (s->point, cap * sizeof *point);
      if (!point)
        return -1;
      s->point = point;
      s->cap = cap;
    }
  memcpy (s->genes + s->n * (size_t) s->g, child, (size_t) s->g * sizeof *child);
  s->point[s->n] = SIZE_MAX;
  if (_bs_hset_add (&s->set, h, s->n) < 0)
    return -1;
  s->n++;
  return 0;
}

/* Evaluate the pending members from..n-1 in lexicographic genome order.
 * Returns 0, or -1 when the run stopped. */
static int
evaluate_pending (nsga *s, size_t from, bs_config *cfg)
{
  size_t m = s->n - from;
  size_t *order = malloc ((m ? m : 1) * sizeof *order);
  gpool pool = { s->genes, s->g };

  if (!order)
    return _bs_run_fail (s->run, "search: out of memory");
  for (size_t i = 0; i < m; i++)
    order[i] = from + i;
  if (_bs_sort_idx (order, m, cmp_genome, &pool) < 0)
    {
      free (order);
      return _bs_run_fail (s->run, "search: out of memory");
    }
  for (size_t i = 0; i < m; i++)
    {
      size_t a = order[i];
      ptrdiff_t p;

      _bs_run_genome_config (s->run, s->genes + a * (size_t) s->g, cfg);
      p = _bs_run_eval (s->run, cfg, -1, -1, BS_TENSOR_BOTH);
      if (p < 0)
        {
          free (order);
          return -1;
        }
      s->point[a] = (size_t) p;
    }
  free (order);
  return 0;
}

/* Objectives of archive member a, as minimisation: (-top1, energy). */
static bool
objectives (const nsga *s, size_t a, double *f0, double *f1)
{
  const bs_search_point *p = &s->run->res->points[s->point[a]];

  *f0 = -p->metrics.top1;
  *f1 = p->metrics.energy_pj;
  return !p->infeasible && isfinite (*f0) && isfinite (*f1);
}

/* Survivor selection state over a candidate set R (archive indices). */
typedef struct {
  const size_t *r;
  size_t m;
  double *f0, *f1;
  bool *ok;
  int *rank;
  double *crowd;
} pool_state;

static bool
dominates (const pool_state *ps, size_t i, size_t j)
{
  if (!ps->ok[i])
    return false;
  if (!ps->ok[j])
    return true;
  return ps->f0[i] <= ps->f0[j] && ps->f1[i] <= ps->f1[j]
         && (ps->f0[i] < ps->f0[j] || ps->f1[i] < ps->f1[j]);
}

typedef struct {
  const double *v;
  const size_t *r;
} keyed;

static int
cmp_key (size_t a, size_t b, const void *user)
{
  const keyed *k = user;

  if (k->v[a] != k->v[b])
    return k->v[a] < k->v[b] ? -1 : 1;
  return (k->r[a] > k->r[b]) - (k->r[a] < k->r[b]);
}

/* Crowding distance of the members of one front (positions in ps). */
static int
crowding (pool_state *ps, size_t *front, size_t k)
{
  for (size_t i = 0; i < k; i++)
    ps->crowd[front[i]] = 0;
  if (k == 0 || !ps->ok[front[0]])
    return 0;   /* infeasible fronts have no crowding */
  for (int o = 0; o < 2; o++)
    {
      const double *v = o == 0 ? ps->f0 : ps->f1;
      keyed key = { v, ps->r };
      double range;

      if (_bs_sort_idx (front, k, cmp_key, &key) < 0)
        return -1;
      ps->crowd[front[0]] = INFINITY;
      ps->crowd[front[k - 1]] = INFINITY;
      range = v[front[k - 1]] - v[front[0]];
      if (range > 0)
        for (size_t i = 1; i + 1 < k; i++)
          ps->crowd[front[i]] += (v[front[i + 1]] - v[front[i - 1]]) / range;
    }
  return 0;
}

/* rank ↑, crowding ↓, archive index ↑ */
static int
cmp_survivor (size_t a, size_t b, const void *user)
{
  const pool_state *ps = user;

  if (ps->rank[a] != ps->rank[b])
    return ps->rank[a] < ps->rank[b] ? -1 : 1;
  if (ps->crowd[a] != ps->crowd[b])
    return ps->crowd[a] > ps->crowd[b] ? -1 : 1;
  return (ps->r[a] > ps->r[b]) - (ps->r[a] < ps->r[b]);
}

/* Fast non-dominated sort and crowding over r[0..m-1]; the best keep (≤ m)
 * go to pop with their rank and crowding.  Returns 0 or -1 (memory). */
static int
select_survivors (nsga *s, const size_t *r, size_t m, size_t keep, size_t *pop, int *rank,
                  double *crowd)
{
  pool_state ps = { r, m, NULL, NULL, NULL, NULL, NULL };
  unsigned char *dom = malloc (m * m);
  size_t *count = malloc (m * sizeof *count);
  size_t *cur = malloc (m * sizeof *cur), *next = malloc (m * sizeof *next);
  size_t *order = malloc (m * sizeof *order);
  int ret = -1;

  ps.f0 = malloc (m * sizeof *ps.f0);
  ps.f1 = malloc (m * sizeof *ps.f1);
  ps.ok = malloc (m * sizeof *ps.ok);
  ps.rank = malloc (m * sizeof *ps.rank);
  ps.crowd = malloc (m * sizeof *ps.crowd);
  if (!dom || !count || !cur || !next || !order || !ps.f0 || !ps.f1 || !ps.ok || !ps.rank
      || !ps.crowd)
    goto out;

  for (size_t i = 0; i < m; i++)
    ps.ok[i] = objectives (s, r[i], &ps.f0[i], &ps.f1[i]);
  for (size_t i = 0; i < m; i++)
    count[i] = 0;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < m; j++)
      {
        dom[i * m + j] = i != j && dominates (&ps, i, j);
        count[j] += dom[i * m + j];
      }

  /* Deb's fast non-dominated sort: peel fronts by domination counts */
  size_t nc = 0;
  for (size_t i = 0; i < m; i++)
    if (count[i] == 0)
      cur[nc++] = i;
  for (int rk = 0; nc > 0; rk++)
    {
      size_t nn = 0;
      for (size_t a = 0; a < nc; a++)
        {
          size_t p = cur[a];
          ps.rank[p] = rk;
          for (size_t q = 0; q < m; q++)
            if (dom[p * m + q] && --count[q] == 0)
              next[nn++] = q;
        }
      if (crowding (&ps, cur, nc) < 0)
        goto out;
      size_t *t = cur;
      cur = next;
      next = t;
      nc = nn;
    }

  for (size_t i = 0; i < m; i++)
    order[i] = i;
  if (_bs_sort_idx (order, m, cmp_survivor, &ps) < 0)
    goto out;
  for (size_t i = 0; i < keep; i++)
    {
      pop[i] = r[order[i]];
      rank[i] = ps.rank[order[i]];
      crowd[i] = ps.crowd[order[i]];
    }
  ret = 0;

out:
  free (dom);
  free (count);
  free (cur);
  free (next);
  free (order);
  free (ps.f0);
  free (ps.f1);
  free (ps.ok);
  free (ps.rank);
  free (ps.crowd);
  return ret;
}

static size_t
tournament (nsga *s, size_t n_pop, const int *rank, const double *crowd)
{
  size_t i = _bs_rng_below (&s->rng, (uint32_t) n_pop);
  size_t j = _bs_rng_below (&s->rng, (uint32_t) n_pop);

  if (rank[j] < rank[i] || (rank[j] == rank[i] && crowd[j] > crowd[i]))
    return j;
  return i;
}

/* Change gene k to another format, uniformly. */
static void
mutate_gene (nsga *s, _bs_gene *g, int k)
{
  if (s->nf > 1)
    g[k] = (_bs_gene) ((g[k] + 1 + _bs_rng_below (&s->rng, (uint32_t) (s->nf - 1))) % s->nf);
}

/* Propose up to want new children into the archive (pending). */
static int
breed (nsga *s, const size_t *pop, size_t n_pop, const int *rank, const double *crowd,
       size_t want, double pc, double pm, _bs_gene *child)
{
  const bs_search_ctx *ctx = s->run->ctx;
  int per_layer = ctx->tensors == BS_TENSORS_SEPARATE ? 2 : 1;
  size_t made = 0, attempts = 0;

  while (made < want && attempts < 20 * want)
    {
      size_t a = pop[tournament (s, n_pop, rank, crowd)];
      size_t b = pop[tournament (s, n_pop, rank, crowd)];
      const _bs_gene *ga = s->genes + a * (size_t) s->g, *gb = s->genes + b * (size_t) s->g;
      uint64_t h;

      attempts++;
      memcpy (child, ga, (size_t) s->g * sizeof *child);
      if (_bs_rng_unit (&s->rng) < pc)
        for (int l = 0; l < ctx->n_layers; l++)
          if (_bs_rng_below (&s->rng, 2))
            for (int t = 0; t < per_layer; t++)
              child[l * per_layer + t] = gb[l * per_layer + t];
      for (int k = 0; k < s->g; k++)
        if (_bs_rng_unit (&s->rng) < pm)
          mutate_gene (s, child, k);
      h = _bs_genome_hash (child, s->g);
      for (int t = 0; t < N_FORCED_MUTATIONS && known (s, child, h); t++)
        {
          mutate_gene (s, child, (int) _bs_rng_below (&s->rng, (uint32_t) s->g));
          h = _bs_genome_hash (child, s->g);
        }
      if (known (s, child, h))
        continue;
      if (archive_add (s, child, h) < 0)
        return -1;
      made++;
    }
  return 0;
}

/* The initial population: uniform genomes, then random distinct ones. */
static int
seed_population (nsga *s, size_t want, _bs_gene *child)
{
  size_t k = s->nf < want / 2 ? s->nf : want / 2, attempts = 0;

  if (k == 0)
    k = 1;
  for (size_t i = 0; i < k && s->n < want; i++)
    {
      size_t f = k == 1 ? 0 : (i * (s->nf - 1) + (k - 1) / 2) / (k - 1);
      uint64_t h;

      for (int j = 0; j < s->g; j++)
        child[j] = (_bs_gene) f;
      h = _bs_genome_hash (child, s->g);
      if (!known (s, child, h) && archive_add (s, child, h) < 0)
        return -1;
    }
  while (s->n < want && attempts++ < 50 * want)
    {
      uint64_t h;

      for (int j = 0; j < s->g; j++)
        child[j] = (_bs_gene) _bs_rng_below (&s->rng, (uint32_t) s->nf);
      h = _bs_genome_hash (child, s->g);
      if (!known (s, child, h) && archive_add (s, child, h) < 0)
        return -1;
    }
  return 0;
}

int
bs_search_nsga2 (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen)
{
  _bs_run run;
  nsga s;
  size_t n_pop, *pop = NULL, *cand = NULL, want, m, pop_n;
  int *rank = NULL;
  double *crowd = NULL, pc, pm;
  _bs_gene *child = NULL;
  bs_config *cfg = NULL;

  memset (&s, 0, sizeof s);
  if (_bs_run_begin (&run, ctx, res, err, errlen) < 0)
    return _bs_run_end (&run);
  if (ctx->budget == 0)
    {
      _bs_run_fail (&run, "search: nsga2 needs a budget");
      return _bs_run_end (&run);
    }
  if (ctx->population < 4 || ctx->population > 1024)
    {
      _bs_run_fail (&run, "search: nsga2 population %d out of range 4..1024", ctx->population);
      return _bs_run_end (&run);
    }
  if (!(ctx->crossover >= 0 && ctx->crossover <= 1) || !(ctx->mutation <= 1))
    {
      _bs_run_fail (&run, "search: nsga2 probabilities out of range");
      return _bs_run_end (&run);
    }

  n_pop = (size_t) ctx->population;
  s.run = &run;
  s.g = run.n_genes;
  s.nf = ctx->n_formats;
  pc = ctx->crossover;
  pm = ctx->mutation > 0 ? ctx->mutation : 1.0 / s.g;
  run.total = ctx->budget;
  _bs_rng_seed (&s.rng, ctx->seed);

  pop = malloc (n_pop * sizeof *pop);
  cand = malloc (2 * n_pop * sizeof *cand);
  rank = malloc (n_pop * sizeof *rank);
  crowd = malloc (n_pop * sizeof *crowd);
  child = malloc ((size_t) s.g * sizeof *child);
  cfg = bs_config_new (ctx->n_layers);
  if (!pop || !cand || !rank || !crowd || !child || !cfg || _bs_hset_init (&s.set) < 0)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }

  /* generation 0 */
  want = n_pop < ctx->budget ? n_pop : ctx->budget;
  if (seed_population (&s, want, child) < 0)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }
  if (evaluate_pending (&s, 0, cfg) < 0)
    goto out;
  for (size_t i = 0; i < s.n; i++)
    cand[i] = i;
  m = s.n;
  if (select_survivors (&s, cand, m, m, pop, rank, crowd) < 0)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }
  pop_n = m;

  while (!run.stopped)
    {
      size_t left = _bs_run_remaining (&run), first = s.n;

      if (left == 0)
        break;
      if (breed (&s, pop, pop_n, rank, crowd, left < n_pop ? left : n_pop, pc, pm, child) < 0)
        {
          _bs_run_fail (&run, "search: out of memory");
          goto out;
        }
      if (s.n == first)
        break;   /* no new configuration within reach */
      if (evaluate_pending (&s, first, cfg) < 0)
        goto out;

      memcpy (cand, pop, pop_n * sizeof *cand);
      for (size_t i = first; i < s.n; i++)
        cand[pop_n + i - first] = i;
      m = pop_n + (s.n - first);
      pop_n = m < n_pop ? m : n_pop;
      if (select_survivors (&s, cand, m, pop_n, pop, rank, crowd) < 0)
        {
          _bs_run_fail (&run, "search: out of memory");
          goto out;
        }
    }

out:
  _bs_hset_free (&s.set);
  free (s.genes);
  free (s.point);
  free (pop);
  free (cand);
  free (rank);
  free (crowd);
  free (child);
  bs_config_free (cfg);
  return _bs_run_end (&run);
}
