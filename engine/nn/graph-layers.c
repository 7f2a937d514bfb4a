/* graph-layers.c — per-node figures (shapes, params, MACs, the layer as
 * matrix products) and the values live across a cut. */
#include "nn-private.h"

#include <stdlib.h>
#include <string.h>

static int64_t
initializer_params (const bs_graph *g, int v)
{
  if (v < 0 || g->values[v].kind != BS_VALUE_INITIALIZER || g->values[v].dtype != BS_DT_FLOAT)
    return 0;
  return bs_tensor_numel (&g->values[v].data);
}

static void
layer_row (const bs_graph *g, const bs_shape *shapes, int j, bs_layer_info *L)
{
  const bs_node *n = &g->nodes[j];
  bs_shape none = { 0 };

  memset (L, 0, sizeof *L);
  L->node = j;
  L->name = n->name;
  L->op = n->op;
  L->compute = bs_op_is_compute (n->op);
  L->input = n->n_inputs > 0 ? n->inputs[0] : -1;
  L->output = n->outputs[0];
  L->weight = L->bias = -1;
  L->in_shape = L->input >= 0 ? shapes[L->input] : none;
  L->out_shape = shapes[L->output];
  for (int i = 0; i < n->n_inputs; i++)
    L->params += initializer_params (g, n->inputs[i]);
  if (!L->compute)
    return;

  L->weight = n->inputs[1];
  L->bias = n->n_inputs > 2 ? n->inputs[2] : -1;
  L->w_shape = shapes[L->weight];
  L->weight_is_const = g->values[L->weight].kind == BS_VALUE_INITIALIZER;
  if (n->op == BS_OP_CONV)
    {
      bs_conv_dims d;
      if (_bs_conv_dims (n, &L->in_shape, &L->w_shape, &d, NULL, 0) == 0)
        {
          L->gemm_m = d.m / d.group;
          L->gemm_k = d.c / d.group * d.g.kh * d.g.kw;
          L->gemm_n = d.g.oh * d.g.ow;
          L->gemm_count = d.n * d.group;
        }
    }
  else if (n->op == BS_OP_GEMM)
    {
      const bs_gemm_params *p = &n->p.gemm;
      const bs_shape *a = &L->in_shape, *b = &L->w_shape;
      L->gemm_m = p->trans_a ? a->dims[1] : a->dims[0];
      L->gemm_k = p->trans_a ? a->dims[0] : a->dims[1];
      L->gemm_n = p->trans_b ? b->dims[0] : b->dims[1];
      L->gemm_count = 1;
    }
  else
    {
      /* MatMul: batch = output elements / (m · n) */
      const bs_shape *a = &L->in_shape, *b = &L->w_shape;
      L->gemm_m = a->ndim >= 2 ? a->dims[a->ndim - 2] : 1;
      L->gemm_k = a->dims[a->ndim - 1];
      L->gemm_n = b->ndim >= 2 ? b->dims[b->ndim - 1] : 1;
      L->gemm_count = (L->gemm_m * L->gemm_n) != 0
                        ? bs_shape_numel (&L->out_shape) / (L->gemm_m * L->gemm_n) : 0;
    }
  L->macs = L->gemm_m * L->gemm_n * L->gemm_k * L->gemm_count;
}

static int
layers (const bs_graph *g, const bs_shape *in_shapes, bool compute_only, bs_layer_info **out,
        int *n_out, char *err, size_t errlen)
{
  bs_shape *shapes = calloc ((size_t) g->n_values + 1, sizeof *shapes);
  bs_layer_info *rows = calloc ((size_t) g->n_nodes + 1, sizeof *rows);
  int k = 0;

  *out = NULL;
  *n_out = 0;
  if (!shapes || !rows)
    {
      free (shapes);
      free (rows);
      return _bs_nn_fail (err, errlen, "out of memory");
    }
  if (bs_graph_infer_shapes (g, in_shapes, shapes, err, errlen) < 0)
    {
      free (shapes);
      free (rows);
      return -1;
    }
  for (int j = 0; j < g->n_nodes; j++)
    if (!compute_only || bs_op_is_compute (g->nodes[j].op))
      layer_row (g, shapes, j, &rows[k++]);
  free (shapes);
  *out = rows;
  *n_out = k;
  return 0;
}

int
bs_graph_describe_layers (const bs_graph *g, const bs_shape *in_shapes, bs_layer_info **out,
                          int *n, char *err, size_t errlen)
{
  return layers (g, in_shapes, false, out, n, err, errlen);
}

int
bs_graph_compute_layers (const bs_graph *g, const bs_shape *in_shapes, bs_layer_info **out,
                         int *n, char *err, size_t errlen)
{
  return layers (g, in_shapes, true, out, n, err, errlen);
}

int
bs_graph_live_values (const bs_graph *g, int node, int **ids, int *n)
{
  int *list = calloc ((size_t) g->n_values + 1, sizeof (int));
  int k = 0;

  *ids = NULL;
  *n = 0;
  if (!list)
    return -1;
  for (int v = 0; v < g->n_values; v++)
    {
      const bs_value *val = &g->values[v];
      bool before = val->kind == BS_VALUE_INPUT
                    || (val->kind == BS_VALUE_INTERMEDIATE && val->producer >= 0
                        && val->producer < node);
      bool needed = val->is_output;
      if (!before)
        continue;
      for (int j = node; j < g->n_nodes && !needed; j++)
        for (int i = 0; i < g->nodes[j].n_inputs; i++)
          needed = needed || g->nodes[j].inputs[i] == v;
      if (needed)
        list[k++] = v;
    }
  *ids = list;
  *n = k;
  return 0;
}

/* Whether value v is read by one node input only and is no graph output. */
static bool
private_value (const bs_graph *g, int v)
{
  return v >= 0 && g->values[v].n_consumers == 1 && !g->values[v].is_output;
}

int
bs_graph_conv_fusion (const bs_graph *g, int node, bs_conv_fusion *f)
{
  const bs_node *n, *next;
  int c;

  f->add = -1;
  f->relu = false;
  f->pool = -1;
  f->mid = -1;
  f->out = -1;
  f->n_absorbed = 0;
  if (node < 0 || node + 1 >= g->n_nodes || g->nodes[node].op != BS_OP_CONV)
    return 0;
  n = &g->nodes[node];
  c = n->outputs[0];
  next = &g->nodes[node + 1];
  if (!private_value (g, c) || next->n_outputs < 1)
    return 0;
  f->out = c;
  if (next->op == BS_OP_RELU && next->inputs[0] == c)
    {
      f->relu = true;
      f->out = next->outputs[0];
      f->n_absorbed = 1;
    }
  else if (next->op == BS_OP_ADD && next->n_inputs == 2
           && (next->inputs[0] == c) != (next->inputs[1] == c))
    {
      int other = next->inputs[0] == c ? next->inputs[1] : next->inputs[0];
      const bs_value *ov = other >= 0 ? &g->values[other] : NULL;
      /* the other operand exists before the conv runs */
      if (!ov || ov->kind == BS_VALUE_INITIALIZER
          || (ov->kind == BS_VALUE_INTERMEDIATE && (ov->producer < 0 || ov->producer >= node)))
        return 0;
      f->add = other;
      f->out = next->outputs[0];
      f->n_absorbed = 1;
      if (node + 2 < g->n_nodes && private_value (g, f->out)
          && g->nodes[node + 2].op == BS_OP_RELU && g->nodes[node + 2].inputs[0] == f->out)
        {
          f->relu = true;
          f->out = g->nodes[node + 2].outputs[0];
          f->n_absorbed = 2;
        }
    }
  f->mid = f->out;
  /* a MaxPool (its Indices output unused) reading the result alone */
  {
    int k = node + 1 + f->n_absorbed;
    const bs_node *pn = k < g->n_nodes ? &g->nodes[k] : NULL;
    if (pn && pn->op == BS_OP_MAXPOOL && pn->inputs[0] == f->mid && private_value (g, f->mid)
        && (pn->n_outputs == 1 || pn->outputs[1] < 0))
      {
        f->pool = k;
        f->out = pn->outputs[0];
        f->n_absorbed++;
      }
  }
  if (f->n_absorbed == 0)
    f->mid = f->out = -1;
  return f->n_absorbed;
}
