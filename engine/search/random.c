/* random.c — random per-layer choices from the candidate formats.
 *
 * Draws min(budget, size of the space) distinct genomes from ctx->seed
 * (uniform choice per gene, duplicates redrawn; when the sample is at least
 * half the space, a uniform subset of the enumerated space instead), then
 * evaluates them in lexicographic order of the genes (layer 0 most
 * significant) so that consecutive configurations share long prefixes.  The
 * sample does not depend on the metrics, so a resumed run draws the same one. */
#include "bs-search-private.h"

typedef struct {
  const _bs_gene *genes;
  int n;
} genome_pool;

static bool
eq_genome (size_t item, const void *key, const void *user)
{
  const genome_pool *p = user;
  return memcmp (p->genes + item * (size_t) p->n, key, (size_t) p->n * sizeof (_bs_gene)) == 0;
}

static int
cmp_genome (size_t a, size_t b, const void *user)
{
  const genome_pool *p = user;
  const _bs_gene *ga = p->genes + a * (size_t) p->n, *gb = p->genes + b * (size_t) p->n;

  for (int i = 0; i < p->n; i++)
    if (ga[i] != gb[i])
      return ga[i] < gb[i] ? -1 : 1;
  return 0;
}

/* F^G, or SIZE_MAX when larger. */
static size_t
space_size (size_t f, int g)
{
  size_t s = 1;

  for (int i = 0; i < g; i++)
    {
      if (s > SIZE_MAX / f)
        return SIZE_MAX;
      s *= f;
    }
  return s;
}

/* Draw n distinct genomes of g genes over f values into genes. */
static int
draw (_bs_rng *rng, size_t f, int g, size_t space, size_t n, _bs_gene *genes)
{
  genome_pool pool = { genes, g };

  if (space <= 2 * n && space <= (1u << 24))
    {
      /* a uniform n-subset of the enumerated space: partial Fisher–Yates */
      size_t *code = malloc (space * sizeof *code);
      if (!code)
        return -1;
      for (size_t i = 0; i < space; i++)
        code[i] = i;
      for (size_t i = 0; i < n; i++)
        {
          size_t j = i + _bs_rng_below (rng, (uint32_t) (space - i));
          size_t t = code[i], c;
          code[i] = code[j];
          code[j] = t;
          c = code[i];
          for (int k = g - 1; k >= 0; k--)
            {
              genes[i * (size_t) g + (size_t) k] = (_bs_gene) (c % f);
              c /= f;
            }
        }
      free (code);
      return 0;
    }

  /* at most half the space: redraw duplicates (expected < 2 draws each) */
  _bs_hset set;
  if (_bs_hset_init (&set) < 0)
    return -1;
  for (size_t i = 0; i < n;)
    {
      _bs_gene *gi = genes + i * (size_t) g;
      uint64_t h;

      for (int k = 0; k < g; k++)
        gi[k] = (_bs_gene) _bs_rng_below (rng, (uint32_t) f);
      h = _bs_genome_hash (gi, g);
      if (_bs_hset_find (&set, h, eq_genome, gi, &pool) != SIZE_MAX)
        continue;
      if (_bs_hset_add (&set, h, i) < 0)
        {
          _bs_hset_free (&set);
          return -1;
        }
      i++;
    }
  _bs_hset_free (&set);
  return 0;
}

int
bs_search_random (const bs_search_ctx *ctx, bs_search_result *res, char *err, size_t errlen)
{
  _bs_run run;
  _bs_rng rng;
  _bs_gene *genes = NULL;
  size_t *order = NULL, n;
  bs_config *cfg = NULL;
  genome_pool pool;

  if (_bs_run_begin (&run, ctx, res, err, errlen) < 0)
    return _bs_run_end (&run);
  if (ctx->budget == 0)
    {
      _bs_run_fail (&run, "search: random needs a budget");
      return _bs_run_end (&run);
    }

  size_t space = space_size (ctx->n_formats, run.n_genes);
  n = ctx->budget < space ? ctx->budget : space;
  run.total = n;
  if (n > SIZE_MAX / sizeof *genes / (size_t) run.n_genes)
    {
      _bs_run_fail (&run, "search: budget %zu too large", ctx->budget);
      goto out;
    }
  genes = malloc (n * (size_t) run.n_genes * sizeof *genes);
  order = malloc (n * sizeof *order);
  cfg = bs_config_new (ctx->n_layers);
  if (!genes || !order || !cfg)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }
  _bs_rng_seed (&rng, ctx->seed);
  if (draw (&rng, ctx->n_formats, run.n_genes, space, n, genes) < 0)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }
  pool = (genome_pool) { genes, run.n_genes };
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  if (_bs_sort_idx (order, n, cmp_genome, &pool) < 0)
    {
      _bs_run_fail (&run, "search: out of memory");
      goto out;
    }

  for (size_t i = 0; i < n && !run.stopped; i++)
    {
      _bs_run_genome_config (&run, genes + order[i] * (size_t) run.n_genes, cfg);
      _bs_run_eval (&run, cfg, -1, -1, BS_TENSOR_BOTH);
    }

out:
  free (genes);
  free (order);
  bs_config_free (cfg);
  return _bs_run_end (&run);
}
