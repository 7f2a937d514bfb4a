/* test-search-synth.c — the synthetic evaluator of the search tests. */
#include "test-search-synth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int
synth_bits (const char *name)
{
  int a, b;
  char tail;

  if (strcmp (name, "fp32") == 0)
    return 32;
  if (sscanf (name, "fixed%d%c", &a, &tail) == 1)
    return a;
  if (sscanf (name, "int%d%c", &a, &tail) == 1)
    return a;
  if (sscanf (name, "float_e%dm%d%c", &a, &b, &tail) == 2)
    return 1 + a + b;
  g_error ("synth: no width for format '%s'", name);
  return 0;
}

double
synth_top1 (const synth *s, const int *bw, const int *ba)
{
  double pen = 0;

  for (int l = 0; l < s->n_layers; l++)
    pen += s->cw[l] * ldexp (1.0, -bw[l]) + s->ca[l] * ldexp (1.0, -ba[l]);
  return 90.0 - pen;
}

double
synth_energy (const synth *s, const int *bw, const int *ba)
{
  double e = 0;

  for (int l = 0; l < s->n_layers; l++)
    e += s->macs[l] * bw[l] * ba[l];
  return e;
}

void
synth_init (synth *s, int n_layers)
{
  memset (s, 0, sizeof *s);
  g_assert_cmpint (n_layers, <=, SYNTH_MAX_LAYERS);
  s->n_layers = n_layers;
  for (int l = 0; l < n_layers; l++)
    {
      s->cw[l] = 1;
      s->ca[l] = 1;
      s->macs[l] = 1;
    }
  s->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->order = g_ptr_array_new_with_free_func (g_free);
  s->first_changed = g_array_new (FALSE, FALSE, sizeof (int));
}

void
synth_clear (synth *s)
{
  g_hash_table_unref (s->seen);
  g_ptr_array_unref (s->order);
  g_array_unref (s->first_changed);
  bs_config_free (s->prev);
  memset (s, 0, sizeof *s);
}

static gboolean
same_layer (const bs_layer_config *a, const bs_layer_config *b)
{
  return strcmp (a->weight, b->weight) == 0 && strcmp (a->input, b->input) == 0
         && a->acc == b->acc && a->scaling == b->scaling && a->percentile == b->percentile
         && a->block == b->block;
}

int
synth_first_difference (const bs_config *a, const bs_config *b)
{
  int n = bs_config_n_layers (a), l;

  g_assert_cmpint (n, ==, bs_config_n_layers (b));
  for (l = 0; l < n; l++)
    if (!same_layer (bs_config_layer (a, l), bs_config_layer (b, l)))
      break;
  return l;
}

int
synth_evaluate (const bs_config *cfg, int first_changed, bs_metrics *out, void *user)
{
  synth *s = user;
  int bw[SYNTH_MAX_LAYERS], ba[SYNTH_MAX_LAYERS];
  gboolean infeasible = FALSE;
  char *text = bs_config_to_string (cfg);
  int expect;

  g_assert_nonnull (text);
  g_assert_cmpint (bs_config_n_layers (cfg), ==, s->n_layers);

  /* the contract: never the same configuration twice; first_changed exact
   * (in particular never later than the real first difference) */
  if (g_hash_table_contains (s->seen, text))
    g_error ("configuration evaluated twice: %s", text);
  expect = s->prev ? synth_first_difference (s->prev, cfg) : 0;
  g_assert_cmpint (first_changed, <=, expect);
  g_assert_cmpint (first_changed, ==, expect);
  g_array_append_val (s->first_changed, first_changed);

  s->calls++;
  if (s->cancel && s->cancel_after && s->calls == s->cancel_after)
    {
      atomic_store (s->cancel, 1);
      if (s->kill_on_cancel)
        {
          g_free (text);
          return -1;
        }
    }

  g_hash_table_add (s->seen, g_strdup (text));
  g_ptr_array_add (s->order, text);
  bs_config_free (s->prev);
  s->prev = bs_config_copy (cfg);

  for (int l = 0; l < s->n_layers; l++)
    {
      const bs_layer_config *lc = bs_config_layer (cfg, l);
      bw[l] = synth_bits (lc->weight);
      ba[l] = synth_bits (lc->input);
      if (s->infeasible_format && (strcmp (lc->weight, s->infeasible_format) == 0
                                   || strcmp (lc->input, s->infeasible_format) == 0))
        infeasible = TRUE;
    }
  memset (out, 0, sizeof *out);
  out->top1 = synth_top1 (s, bw, ba);
  out->top5 = out->top1;
  out->energy_pj = synth_energy (s, bw, ba);
  out->compute_pj = out->energy_pj;
  return infeasible ? 1 : 0;
}

/* The store ------------------------------------------------------------- */

typedef struct {
  bs_metrics m;
  int r;
} stored_result;

void
store_init (store_eval *st, synth *inner)
{
  memset (st, 0, sizeof *st);
  st->store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->inner = inner;
}

void
store_restart (store_eval *st, synth *inner)
{
  bs_config_free (st->last_real);
  st->last_real = NULL;
  st->inner = inner;
  st->real_calls = 0;
}

void
store_clear (store_eval *st)
{
  g_hash_table_unref (st->store);
  bs_config_free (st->last_real);
  memset (st, 0, sizeof *st);
}

int
store_evaluate (const bs_config *cfg, int first_changed, bs_metrics *out, void *user)
{
  store_eval *st = user;
  char *text = bs_config_to_string (cfg);
  stored_result *hit = g_hash_table_lookup (st->store, text);
  int r, first;

  if (hit)
    {
      *out = hit->m;
      g_free (text);
      return hit->r;
    }
  /* the inner evaluator's cache holds what it saw last, not what the
   * strategy passed last */
  first = st->last_real ? bs_config_first_difference (st->last_real, cfg) : 0;
  r = synth_evaluate (cfg, first, out, st->inner);
  if (r < 0)
    {
      g_free (text);
      return r;
    }
  st->real_calls++;
  hit = g_new (stored_result, 1);
  hit->m = *out;
  hit->r = r;
  g_hash_table_insert (st->store, text, hit);
  bs_config_free (st->last_real);
  st->last_real = bs_config_copy (cfg);
  return r;
}

void
assert_same_result (const bs_search_result *a, const bs_search_result *b)
{
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpuint (a->n_points, ==, b->n_points);
  for (size_t i = 0; i < a->n_points; i++)
    {
      const bs_search_point *p = &a->points[i], *q = &b->points[i];
      g_assert_true (bs_config_equal (p->config, q->config));
      g_assert_true (memcmp (&p->metrics, &q->metrics, sizeof p->metrics) == 0);
      g_assert_cmpint (p->infeasible, ==, q->infeasible);
      g_assert_cmpint (p->layer, ==, q->layer);
      g_assert_cmpint (p->format, ==, q->format);
      g_assert_cmpint (p->tensor, ==, q->tensor);
    }
  g_assert_cmpuint (a->n_front, ==, b->n_front);
  for (size_t i = 0; i < a->n_front; i++)
    g_assert_cmpuint (a->front[i], ==, b->front[i]);
  g_assert_cmpint (a->best != NULL, ==, b->best != NULL);
  if (a->best)
    {
      g_assert_true (bs_config_equal (a->best, b->best));
      g_assert_true (memcmp (&a->best_metrics, &b->best_metrics, sizeof a->best_metrics) == 0);
    }
}
