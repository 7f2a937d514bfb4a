/* graph-constfold.c — fold shape arithmetic into constants at finalize.
 *
 * PyTorch exports `x.view(x.size(0), -1)` with a dynamic batch as
 * Shape → Gather → Unsqueeze → Concat → Reshape.  The engine's shapes are
 * static per run, so such int64 chains are evaluated here once, for two
 * batch sizes (2 and 3 in place of a runtime input's symbolic dim 0):
 *
 *   - a value that comes out the same for both is a constant: it becomes an
 *     initializer and the nodes computing it go;
 *   - a value that differs may only be a Reshape's shape: the entries that
 *     differ must equal the Reshape data's dim at the same index (they become
 *     0, "copy that dim") or be the only such entry with no -1 in the shape
 *     (it becomes -1).  Anything else depending on the batch is refused.
 *
 * Dims other than the batch must be fixed under a Shape. */
#include "nn-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_HYP 2
static const int64_t hyp_batch[N_HYP] = { 2, 3 };

typedef struct {
  bs_shape *shapes[N_HYP];   /* per value */
  bool *shape_ok;            /* shapes known (for every hypothesis) */
  bs_tensor *vals[N_HYP];    /* computed values (folded nodes' outputs) */
  bool *computed;
  bool *folded;              /* per node */
} fold_state;

static bool
fold_op (bs_op op)
{
  switch (op)
    {
    case BS_OP_SHAPE:
    case BS_OP_GATHER:
    case BS_OP_UNSQUEEZE:
    case BS_OP_SQUEEZE:
    case BS_OP_CONCAT:
    case BS_OP_CAST:
    case BS_OP_RESHAPE:
    case BS_OP_IDENTITY:
      return true;
    default:
      return false;
    }
}

/* A node computing int64 values (or casting them to float): worth folding;
 * float data movement of constants is left alone. */
static bool
int64_node (const bs_graph *g, const bs_node *n)
{
  if (n->op == BS_OP_SHAPE)
    return true;
  if (!fold_op (n->op))
    return false;
  if (g->values[n->outputs[0]].dtype == BS_DT_INT64)
    return true;
  return n->op == BS_OP_CAST && g->values[n->inputs[0]].dtype == BS_DT_INT64;
}

static void
state_free (const bs_graph *g, fold_state *s)
{
  for (int h = 0; h < N_HYP; h++)
    {
      if (s->vals[h])
        for (int i = 0; i < g->n_values; i++)
          bs_tensor_clear (&s->vals[h][i]);
      free (s->vals[h]);
      free (s->shapes[h]);
    }
  free (s->shape_ok);
  free (s->computed);
  free (s->folded);
}

static bool
same_tensor (const bs_tensor *a, const bs_tensor *b)
{
  return a->dtype == b->dtype && bs_shape_equal (&a->shape, &b->shape)
         && (bs_tensor_numel (a) == 0
             || memcmp (a->data, b->data, (size_t) bs_tensor_numel (a) * bs_dtype_size (a->dtype))
                  == 0);
}

/* Shapes of every value and the computed values, per hypothesis. */
static int
evaluate (const bs_graph *g, fold_state *s, bool other_symbolic, char *err, size_t errlen)
{
  char msg[256];

  for (int i = 0; i < g->n_values; i++)
    if (g->values[i].kind == BS_VALUE_INITIALIZER)
      {
        s->shape_ok[i] = true;
        for (int h = 0; h < N_HYP; h++)
          s->shapes[h][i] = g->values[i].data.shape;
      }
  for (int k = 0; k < g->n_inputs; k++)
    {
      int v = g->inputs[k];
      s->shape_ok[v] = true;
      for (int h = 0; h < N_HYP; h++)
        {
          bs_shape sh = g->values[v].shape;
          for (int i = 0; i < sh.ndim; i++)
            if (sh.dims[i] < 0)
              sh.dims[i] = i == 0 ? hyp_batch[h] : 1;
          s->shapes[h][v] = sh;
        }
    }

  for (int j = 0; j < g->n_nodes; j++)
    {
      const bs_node *n = &g->nodes[j];
      const _bs_op_def *d = _bs_op_def_get (n->op);
      bool ok = true, all_known = true;

      for (int i = 0; i < n->n_inputs; i++)
        {
          int v = n->inputs[i];
          if (v < 0)
            continue;
          ok = ok && s->shape_ok[v];
          all_known = all_known
                      && (g->values[v].kind == BS_VALUE_INITIALIZER || s->computed[v]);
        }
      if (!ok)
        continue;
      s->folded[j] = int64_node (g, n) && (n->op == BS_OP_SHAPE || all_known);
      if (s->folded[j] && n->op == BS_OP_SHAPE && other_symbolic)
        return _bs_nn_fail (err, errlen,
                            "node '%s' (Shape): a runtime input has symbolic dims other than "
                            "the batch (dim 0); only the batch may vary under a Shape",
                            n->name);
      for (int h = 0; h < N_HYP && ok; h++)
        {
          const bs_shape *in[BS_NODE_MAX_IO];
          const bs_tensor *cin[BS_NODE_MAX_IO];
          bs_tensor tin[BS_NODE_MAX_IO];
          const bs_tensor *rin[BS_NODE_MAX_IO];
          bs_tensor *rout[BS_NODE_MAX_IO];
          bs_shape out[BS_NODE_MAX_IO] = { { 0 } };
          _bs_scratch scratch = { 0 };
          int rc = 0;

          for (int i = 0; i < n->n_inputs; i++)
            {
              int v = n->inputs[i];
              in[i] = v >= 0 ? &s->shapes[h][v] : NULL;
              cin[i] = v < 0 ? NULL
                       : g->values[v].kind == BS_VALUE_INITIALIZER ? &g->values[v].data
                       : s->computed[v] ? &s->vals[h][v] : NULL;
            }
          if (d->infer (n, g->opset, in, cin, out, msg, sizeof msg) < 0)
            {
              /* the import's own shape check reports real errors */
              ok = false;
              s->folded[j] = false;
              break;
            }
          for (int o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0)
              s->shapes[h][n->outputs[o]] = out[o];
          if (!s->folded[j])
            continue;
          for (int i = 0; i < n->n_inputs; i++)
            {
              int v = n->inputs[i];
              if (v >= 0 && !cin[i])
                {
                  /* Shape's input: its shape only */
                  tin[i] = (bs_tensor) { .dtype = g->values[v].dtype, .shape = *in[i] };
                  cin[i] = &tin[i];
                }
              rin[i] = cin[i];
            }
          for (int o = 0; o < n->n_outputs; o++)
            {
              int v = n->outputs[o];
              rout[o] = NULL;
              if (v < 0)
                continue;
              if (bs_tensor_init (&s->vals[h][v], g->values[v].dtype, &out[o], msg,
                                  sizeof msg) < 0)
                return _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
              rout[o] = &s->vals[h][v];
            }
          rc = d->run (n, g->opset, rin, rout, &scratch, msg, sizeof msg);
          free (scratch.p);
          if (rc < 0)
            return _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
        }
      for (int o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0)
          {
            s->shape_ok[n->outputs[o]] = ok;
            s->computed[n->outputs[o]] = ok && s->folded[j];
          }
    }
  return 0;
}

/* The constant shape for Reshape node r whose shape input differs between
 * the hypotheses, in t (int64, 1-D). */
static int
reshape_shape (const bs_graph *g, const fold_state *s, const bs_node *r, bs_tensor *t,
               char *err, size_t errlen)
{
  int v = r->inputs[1], x = r->inputs[0], batch_at = -1, n_batch = 0;
  const bs_tensor *a = &s->vals[0][v], *b = &s->vals[1][v];
  int64_t *dst;
  bool has_minus = false;

  if (r->p.reshape.allowzero || !s->shape_ok[x] || a->shape.ndim != 1
      || !bs_shape_equal (&a->shape, &b->shape))
    goto refuse;
  if (bs_tensor_copy (t, a, err, errlen) < 0)
    return -1;
  dst = bs_tensor_i64 (t);
  for (int64_t k = 0; k < a->shape.dims[0]; k++)
    has_minus = has_minus || (bs_tensor_i64 (a)[k] == -1 && bs_tensor_i64 (b)[k] == -1);
  for (int64_t k = 0; k < a->shape.dims[0]; k++)
    {
      int64_t ea = bs_tensor_i64 (a)[k], eb = bs_tensor_i64 (b)[k];
      if (ea == eb)
        continue;
      if (k < s->shapes[0][x].ndim && s->shapes[0][x].dims[k] == ea
          && s->shapes[1][x].dims[k] == eb)
        dst[k] = 0;
      else
        {
          batch_at = (int) k;
          n_batch++;
        }
    }
  if (n_batch == 0)
    return 0;
  if (n_batch == 1 && !has_minus)
    {
      dst[batch_at] = -1;
      return 0;
    }
  bs_tensor_clear (t);
refuse:
  return _bs_nn_fail (err, errlen,
                      "node '%s' (Reshape): the shape '%s' depends on the batch size in a way "
                      "that cannot be folded", r->name, g->values[v].name);
}

/* Make value v an initializer holding t (moved). */
static void
make_initializer (bs_graph *g, int v, bs_tensor *t)
{
  bs_value *val = &g->values[v];
  val->kind = BS_VALUE_INITIALIZER;
  val->dtype = t->dtype;
  val->shape = t->shape;
  val->producer = -1;
  bs_tensor_move (&val->data, t);
}

int
_bs_graph_fold_shapes (bs_graph *g, char *err, size_t errlen)
{
  fold_state s = { 0 };
  size_t nv = (size_t) g->n_values + 1, nn = (size_t) g->n_nodes + 1;
  bool any = false, other_symbolic = false;
  int n_folded = 0, rc = -1;

  for (int j = 0; j < g->n_nodes; j++)
    any = any || int64_node (g, &g->nodes[j]);
  if (!any)
    return 0;
  for (int k = 0; k < g->n_inputs; k++)
    {
      const bs_value *v = &g->values[g->inputs[k]];
      for (int i = 1; i < v->shape.ndim; i++)
        other_symbolic = other_symbolic || v->shape.dims[i] < 0;
    }
  s.shape_ok = calloc (nv, sizeof (bool));
  s.computed = calloc (nv, sizeof (bool));
  s.folded = calloc (nn, sizeof (bool));
  for (int h = 0; h < N_HYP; h++)
    {
      s.shapes[h] = calloc (nv, sizeof (bs_shape));
      s.vals[h] = calloc (nv, sizeof (bs_tensor));
      if (!s.shapes[h] || !s.vals[h])
        goto oom;
    }
  if (!s.shape_ok || !s.computed || !s.folded)
    goto oom;
  if (evaluate (g, &s, other_symbolic, err, errlen) < 0)
    goto out;

  /* consumers outside the folded nodes, and the graph outputs */
  for (int j = 0; j < g->n_nodes; j++)
    {
      bs_node *n = &g->nodes[j];
      if (s.folded[j])
        continue;
      for (int i = 0; i < n->n_inputs; i++)
        {
          int v = n->inputs[i];
          bs_tensor t = { 0 };
          char name[256];
          int id;

          if (v < 0 || !s.computed[v] || same_tensor (&s.vals[0][v], &s.vals[1][v]))
            continue;
          if (n->op != BS_OP_RESHAPE || i != 1)
            {
              _bs_nn_fail (err, errlen,
                           "node '%s' (%s): input %d ('%s') depends on the batch size (only a "
                           "Reshape shape may)", n->name, bs_op_name (n->op), i,
                           g->values[v].name);
              goto out;
            }
          if (reshape_shape (g, &s, n, &t, err, errlen) < 0)
            goto out;
          _bs_graph_unique_name (g, g->values[v].name, name, sizeof name);
          id = bs_graph_add_initializer (g, name, &t, err, errlen);
          bs_tensor_clear (&t);
          if (id < 0)
            goto out;
          n = &g->nodes[j];   /* values may have moved; nodes did not, but be plain */
          n->inputs[1] = id;
        }
    }
  for (int k = 0; k < g->n_outputs; k++)
    {
      int v = g->outputs[k];
      if (s.computed[v] && !same_tensor (&s.vals[0][v], &s.vals[1][v]))
        {
          _bs_nn_fail (err, errlen, "output '%s' is a shape that depends on the batch size",
                       g->values[v].name);
          goto out;
        }
    }
  /* the constant results still read become initializers; the folded nodes go */
  _bs_graph_relink (g);
  for (int v = 0; v < g->n_values && v < (int) nv - 1; v++)
    if (s.computed[v] && (g->values[v].is_output || g->values[v].n_consumers > 0)
        && same_tensor (&s.vals[0][v], &s.vals[1][v]))
      {
        /* consumers that are themselves folded do not count */
        bool live = g->values[v].is_output;
        for (int j = 0; j < g->n_nodes && !live; j++)
          if (!s.folded[j])
            for (int i = 0; i < g->nodes[j].n_inputs; i++)
              live = live || g->nodes[j].inputs[i] == v;
        if (live)
          make_initializer (g, v, &s.vals[0][v]);
      }
  for (int j = g->n_nodes - 1; j >= 0; j--)
    if (s.folded[j])
      {
        for (int o = 0; o < g->nodes[j].n_outputs; o++)
          {
            int v = g->nodes[j].outputs[o];
            if (v >= 0 && g->values[v].kind == BS_VALUE_INITIALIZER)
              g->nodes[j].outputs[o] = -1;
          }
        _bs_graph_remove_node (g, j);
        n_folded++;
      }
  _bs_graph_compact (g);
  rc = n_folded;
  goto out;

oom:
  _bs_nn_fail (err, errlen, "out of memory");
out:
  /* the arrays were sized for the values before any initializer was added */
  {
    bs_graph tmp = *g;
    tmp.n_values = (int) nv - 1;
    state_free (&tmp, &s);
  }
  return rc;
}
