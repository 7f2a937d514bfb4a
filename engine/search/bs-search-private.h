/* bs-search-private.h — shared by the strategy files of engine/search. */
#pragma once

#include "bs-search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* config.c: the writable layer (no validation). */
bs_layer_config *_bs_config_layer_mut (bs_config *cfg, int i);

/* Random numbers: xoshiro256** seeded through splitmix64.  Same sequence on
 * every platform. ------------------------------------------------------- */

typedef struct {
  uint64_t s[4];
} _bs_rng;

void _bs_rng_seed (_bs_rng *r, uint64_t seed);
uint64_t _bs_rng_next (_bs_rng *r);
/* Uniform in [0, n), n ≥ 1, without modulo bias. */
uint32_t _bs_rng_below (_bs_rng *r, uint32_t n);
/* Uniform in [0, 1), 53 bits. */
double _bs_rng_unit (_bs_rng *r);

/* A hash set of indices: the caller keeps the items and says how to compare
 * one with a key.  Open addressing, linear probing. --------------------- */

typedef bool (*_bs_eq_fn) (size_t item, const void *key, const void *user);

typedef struct {
  uint64_t *hash;
  size_t *item;   /* SIZE_MAX: empty slot */
  size_t cap, n;
} _bs_hset;

int _bs_hset_init (_bs_hset *s);
void _bs_hset_free (_bs_hset *s);
/* The item equal to key (hash h), or SIZE_MAX. */
size_t _bs_hset_find (const _bs_hset *s, uint64_t h, _bs_eq_fn eq, const void *key,
                      const void *user);
/* Add item (not present yet) with hash h.  0, or -1 if memory runs out. */
int _bs_hset_add (_bs_hset *s, uint64_t h, size_t item);

/* Stable merge sort of an index array with a comparison that gets context. */
typedef int (*_bs_cmp_fn) (size_t a, size_t b, const void *user);
int _bs_sort_idx (size_t *idx, size_t n, _bs_cmp_fn cmp, const void *user);

/* Genomes: one choice (index into ctx->formats) per gene.  TIED: gene l is
 * layer l; SEPARATE: gene 2l is layer l's weights, 2l + 1 its inputs.  Genes
 * run in layer order, so genomes sorted lexicographically are configurations
 * sorted for prefix reuse. -------------------------------------------- */

typedef uint16_t _bs_gene;
#define BS_MAX_FORMATS 65535

uint64_t _bs_genome_hash (const _bs_gene *g, int n_genes);

/* A run: the state every strategy shares. ----------------------------- */

typedef struct {
  const bs_search_ctx *ctx;
  bs_search_result *res;
  size_t cap_points;
  _bs_hset seen;                /* items: indices into res->points */
  const bs_config *prev;        /* what the evaluator saw last (a point's) */
  bs_layer_config tmpl;         /* ctx->layer_template, normalised */
  size_t total;                 /* planned calls, for progress */
  int keep;                     /* the cache hint of the next calls (bs_cache_hint_fn);
                                 * n_layers − 1 unless the strategy knows better */
  int n_genes;
  bool stopped;
  char *err;
  size_t errlen;
} _bs_run;

/* Validate ctx, clear *res, set up the run.  Returns 0, or -1 with the run
 * stopped as FAILED (call _bs_run_end all the same). */
int _bs_run_begin (_bs_run *run, const bs_search_ctx *ctx, bs_search_result *res,
                   char *err, size_t errlen);

/* Evaluate cfg unless this run already has: returns the index of its point,
 * or -1 when the run must stop (budget, cancel, evaluator error; res->status
 * says which).  layer, format and tensor annotate a new point. */
ptrdiff_t _bs_run_eval (_bs_run *run, const bs_config *cfg, int layer, int format,
                        bs_search_tensor tensor);

/* Evaluator calls still allowed (SIZE_MAX without a budget). */
size_t _bs_run_remaining (const _bs_run *run);

/* Stop as FAILED with a reason. */
int _bs_run_fail (_bs_run *run, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Compute the front and finish: 0, or -1 if the run FAILED. */
int _bs_run_end (_bs_run *run);

/* Set layer l of cfg to weights w and inputs a with the run's accumulator and
 * scaling, or to BS_LAYER_CONFIG_FP32 when both are fp32. */
void _bs_run_set_layer (const _bs_run *run, bs_config *cfg, int l, const char *w, const char *a);

/* Build the configuration of a genome into cfg (n_layers layers). */
void _bs_run_genome_config (const _bs_run *run, const _bs_gene *g, bs_config *cfg);
