/* test-search-synth.h — a synthetic evaluator for the search tests.
 *
 * Accuracy and energy are known functions of the per-layer bit widths:
 *   top1   = 90 − Σ_l (cw_l · 2^−bw_l + ca_l · 2^−ba_l)
 *   energy = Σ_l macs_l · bw_l · ba_l
 * with the widths read from the format names here (fixed<Q> → Q, int<N> → N,
 * float_e<E>m<M> → 1 + E + M, fp32 → 32), not through the engine.
 *
 * The evaluator checks, on every call, the contract the strategies promise:
 * no configuration twice, and first_changed_layer equal to the first layer
 * at which the configuration differs from the previous call's (compared here
 * field by field). */
#pragma once

#include "bs-search.h"

#include <glib.h>

#define SYNTH_MAX_LAYERS 16

typedef struct {
  int n_layers;
  double cw[SYNTH_MAX_LAYERS], ca[SYNTH_MAX_LAYERS], macs[SYNTH_MAX_LAYERS];
  const char *infeasible_format;  /* configurations using it return 1 */

  /* cancellation: after `cancel_after` calls set *cancel; with kill_on_cancel
   * that call itself returns -1 (killed mid-evaluation) */
  atomic_int *cancel;
  size_t cancel_after;
  gboolean kill_on_cancel;

  /* what happened */
  size_t calls;
  GHashTable *seen;          /* canonical texts passed in */
  bs_config *prev;
  GPtrArray *order;          /* canonical texts in call order */
  GArray *first_changed;     /* int per call */
} synth;

/* Bits of a format name, parsed here. */
int synth_bits (const char *name);
double synth_top1 (const synth *s, const int *bw, const int *ba);
double synth_energy (const synth *s, const int *bw, const int *ba);

void synth_init (synth *s, int n_layers);
void synth_clear (synth *s);
/* The first layer where a and b differ, compared field by field. */
int synth_first_difference (const bs_config *a, const bs_config *b);
int synth_evaluate (const bs_config *cfg, int first_changed, bs_metrics *out, void *user);

/* The resuming store: answers stored configurations from the store, passes
 * the others to the inner synth (recomputing first_changed against what the
 * inner evaluator saw last) and stores them.  Infeasible answers are stored
 * too. */
typedef struct {
  GHashTable *store;     /* canonical text → stored_result* */
  synth *inner;
  bs_config *last_real;
  size_t real_calls;
} store_eval;

void store_init (store_eval *st, synth *inner);
/* A new process on the same store: fresh inner evaluator, nothing cached. */
void store_restart (store_eval *st, synth *inner);
void store_clear (store_eval *st);
int store_evaluate (const bs_config *cfg, int first_changed, bs_metrics *out, void *user);

/* Assert two results are the same: points (texts, metrics, flags), front,
 * status, best. */
void assert_same_result (const bs_search_result *a, const bs_search_result *b);
