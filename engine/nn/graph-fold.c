/* graph-fold.c — fold inference BatchNormalization into the Conv or Gemm
 * before it.
 *
 * BN(y) = a·(y - mean) + bias with a = scale / sqrt(var + eps), per channel.
 * Conv:  y = W * x + b       →  W' = a·W (per output channel), b' = a·(b - mean) + bias.
 * Gemm:  y = α·A·B + β·C     →  B' = B·a (per output column), C' = a·(β·C - mean) + bias, β' = 1.
 * Factors are computed in double and the results rounded once to float.
 */
#include "nn-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
const_f32 (const bs_graph *g, int v)
{
  return v >= 0 && g->values[v].kind == BS_VALUE_INITIALIZER && g->values[v].dtype == BS_DT_FLOAT;
}

/* The Conv/Gemm node a BN at node j folds into, or -1. */
static int
fold_target (const bs_graph *g, int j)
{
  const bs_node *bn = &g->nodes[j];
  int x = bn->inputs[0], p, c;
  const bs_node *L;

  if (bn->op != BS_OP_BATCHNORM || x < 0)
    return -1;
  p = g->values[x].producer;
  if (p < 0 || g->values[x].n_consumers != 1 || g->values[x].is_output)
    return -1;
  L = &g->nodes[p];
  if (L->op != BS_OP_CONV && L->op != BS_OP_GEMM)
    return -1;
  for (int i = 1; i < 5; i++)
    if (!const_f32 (g, bn->inputs[i]))
      return -1;
  c = (int) bs_tensor_numel (&g->values[bn->inputs[1]].data);
  for (int i = 1; i < 5; i++)
    {
      const bs_shape *s = &g->values[bn->inputs[i]].shape;
      if (s->ndim != 1 || s->dims[0] != c)
        return -1;
    }
  if (!const_f32 (g, L->inputs[1]))
    return -1;
  if (L->n_inputs > 2 && L->inputs[2] >= 0 && !const_f32 (g, L->inputs[2]))
    return -1;
  const bs_shape *w = &g->values[L->inputs[1]].shape;
  if (L->op == BS_OP_CONV)
    {
      if (w->ndim < 3 || w->dims[0] != c)
        return -1;
    }
  else
    {
      if (w->ndim != 2 || (L->p.gemm.trans_b ? w->dims[0] : w->dims[1]) != c)
        return -1;
      if (L->n_inputs > 2 && L->inputs[2] >= 0)
        {
          const bs_shape *cs = &g->values[L->inputs[2]].shape;
          int64_t cn = cs->ndim >= 1 ? cs->dims[cs->ndim - 1] : 1;
          if (cs->ndim > 2 || (cn != 1 && cn != c))
            return -1;
        }
    }
  return p;
}

/* Make input i of node p an initializer that only p reads (copying a shared
 * one under a new name).  Returns the value id, or -1. */
static int
private_initializer (bs_graph *g, int p, int i, char *err, size_t errlen)
{
  int v = g->nodes[p].inputs[i], id;
  bs_tensor copy = { 0 };
  char name[256];

  if (g->values[v].n_consumers <= 1)
    return v;
  if (bs_tensor_copy (&copy, &g->values[v].data, err, errlen) < 0)
    return -1;
  _bs_graph_unique_name (g, g->values[v].name, name, sizeof name);
  id = bs_graph_add_initializer (g, name, &copy, err, errlen);
  bs_tensor_clear (&copy);
  if (id < 0)
    return -1;
  g->nodes[p].inputs[i] = id;
  _bs_graph_relink (g);
  return id;
}

/* Give node p a third input: a new zero initializer of shape s. */
static int
new_bias (bs_graph *g, int p, const bs_shape *s, const char *base, char *err, size_t errlen)
{
  bs_node *L = &g->nodes[p];
  bs_tensor t;
  char name[256];
  int id;

  if (L->n_inputs < 3)
    {
      int *ni = realloc (L->inputs, 3 * sizeof (int));
      if (!ni)
        return _bs_nn_fail (err, errlen, "out of memory");
      L->inputs = ni;
      L->inputs[2] = -1;
      L->n_inputs = 3;
    }
  if (bs_tensor_init (&t, BS_DT_FLOAT, s, err, errlen) < 0)
    return -1;
  _bs_graph_unique_name (g, base, name, sizeof name);
  id = bs_graph_add_initializer (g, name, &t, err, errlen);
  bs_tensor_clear (&t);
  if (id < 0)
    return -1;
  g->nodes[p].inputs[2] = id;
  _bs_graph_relink (g);
  return id;
}

static int
fold_one (bs_graph *g, int p, int j, char *err, size_t errlen)
{
  const bs_node *bn = &g->nodes[j];
  int c = (int) g->values[bn->inputs[1]].shape.dims[0];
  double *a = malloc ((size_t) c * sizeof (double)), *shift = malloc ((size_t) c * sizeof (double));
  const float *sc = bs_tensor_f32 (&g->values[bn->inputs[1]].data);
  const float *bi = bs_tensor_f32 (&g->values[bn->inputs[2]].data);
  const float *mu = bs_tensor_f32 (&g->values[bn->inputs[3]].data);
  const float *va = bs_tensor_f32 (&g->values[bn->inputs[4]].data);
  double eps = bn->p.bn.epsilon;
  bool gemm = g->nodes[p].op == BS_OP_GEMM;
  int w, b, rc = -1, bn_out = bn->outputs[0];
  char base[256];

  if (!a || !shift)
    {
      _bs_nn_fail (err, errlen, "out of memory");
      goto out;
    }
  for (int i = 0; i < c; i++)
    {
      a[i] = sc[i] / sqrt ((double) va[i] + eps);
      shift[i] = bi[i] - a[i] * mu[i];
    }
  /* note: adding initializers may move g->values and g->nodes' contents */
  snprintf (base, sizeof base, "%s_bias", g->nodes[p].name);
  if ((w = private_initializer (g, p, 1, err, errlen)) < 0)
    goto out;
  if (g->nodes[p].n_inputs > 2 && g->nodes[p].inputs[2] >= 0)
    b = private_initializer (g, p, 2, err, errlen);
  else
    {
      bs_shape s = { .ndim = 1, .dims = { c } };
      b = new_bias (g, p, &s, base, err, errlen);
    }
  if (b < 0)
    goto out;

  bs_tensor *wt = &g->values[w].data, *bt = &g->values[b].data;
  float *wd = bs_tensor_f32 (wt), *bd = bs_tensor_f32 (bt);
  if (!gemm)
    {
      int64_t per = bs_tensor_numel (wt) / c;
      for (int o = 0; o < c; o++)
        {
          for (int64_t t = 0; t < per; t++)
            wd[o * per + t] = (float) (wd[o * per + t] * a[o]);
          bd[o] = (float) (a[o] * bd[o] + shift[o]);
        }
    }
  else
    {
      const bs_gemm_params *gp = &g->nodes[p].p.gemm;
      int64_t k = gp->trans_b ? wt->shape.dims[1] : wt->shape.dims[0];
      const bs_shape *cs = &bt->shape;
      int64_t rows = cs->ndim == 2 ? cs->dims[0] : 1;
      int64_t cols = cs->ndim >= 1 ? cs->dims[cs->ndim - 1] : 1;
      bs_tensor nc;
      bs_shape ns = rows == 1 ? (bs_shape) { .ndim = 1, .dims = { c } }
                              : (bs_shape) { .ndim = 2, .dims = { rows, c } };

      for (int64_t t = 0; t < k; t++)
        for (int o = 0; o < c; o++)
          {
            float *e = gp->trans_b ? &wd[o * k + t] : &wd[t * c + o];
            *e = (float) (*e * a[o]);
          }
      /* C' = a·(β·C - mean) + bias, materialised at [rows, c] */
      if (bs_tensor_init (&nc, BS_DT_FLOAT, &ns, err, errlen) < 0)
        goto out;
      for (int64_t r = 0; r < rows; r++)
        for (int o = 0; o < c; o++)
          {
            double cv = bd[r * cols + (cols == 1 ? 0 : o)];
            bs_tensor_f32 (&nc)[r * c + o] = (float) (a[o] * gp->beta * cv + shift[o]);
          }
      bs_tensor_move (bt, &nc);
      g->values[b].shape = bt->shape;
      if (_bs_node_set_float_attr (&g->nodes[p], "beta", 1.0f) < 0)
        {
          _bs_nn_fail (err, errlen, "node '%s': cannot set beta", g->nodes[p].name);
          goto out;
        }
    }
  /* the layer now produces the BN's output; the BN goes */
  g->nodes[j].outputs[0] = -1;
  g->nodes[p].outputs[0] = bn_out;
  _bs_graph_remove_node (g, j);
  rc = 0;
out:
  free (a);
  free (shift);
  return rc;
}

int
bs_graph_fold_batchnorm (bs_graph *g, char *err, size_t errlen)
{
  int folded = 0;

  if (!g->finalized)
    return _bs_nn_fail (err, errlen, "graph is not finalized");
  for (int j = 0; j < g->n_nodes;)
    {
      int p = fold_target (g, j);
      if (p < 0)
        {
          j++;
          continue;
        }
      if (fold_one (g, p, j, err, errlen) < 0)
        return -1;
      folded++;
    }
  if (folded)
    {
      _bs_graph_compact (g);
      if (bs_graph_finalize (g, err, errlen) < 0)
        return -1;
    }
  return folded;
}
