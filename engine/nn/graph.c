/* graph.c — building a graph: values by name, nodes, attributes, and the
 * checks and topological sort of bs_graph_finalize. */
#include "nn-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const _bs_op_def *const op_defs[BS_N_OPS] = {
  [BS_OP_CONV] = &_bs_op_conv,
  [BS_OP_GEMM] = &_bs_op_gemm,
  [BS_OP_MATMUL] = &_bs_op_matmul,
  [BS_OP_RELU] = &_bs_op_relu,
  [BS_OP_CLIP] = &_bs_op_clip,
  [BS_OP_MAXPOOL] = &_bs_op_maxpool,
  [BS_OP_AVERAGEPOOL] = &_bs_op_averagepool,
  [BS_OP_GLOBALAVERAGEPOOL] = &_bs_op_globalaveragepool,
  [BS_OP_BATCHNORM] = &_bs_op_batchnorm,
  [BS_OP_ADD] = &_bs_op_add,
  [BS_OP_FLATTEN] = &_bs_op_flatten,
  [BS_OP_RESHAPE] = &_bs_op_reshape,
  [BS_OP_SOFTMAX] = &_bs_op_softmax,
  [BS_OP_CONCAT] = &_bs_op_concat,
  [BS_OP_IDENTITY] = &_bs_op_identity,
  [BS_OP_DROPOUT] = &_bs_op_dropout,
  [BS_OP_MUL] = &_bs_op_mul,
  [BS_OP_SUB] = &_bs_op_sub,
  [BS_OP_DIV] = &_bs_op_div,
  [BS_OP_PAD] = &_bs_op_pad,
  [BS_OP_SHAPE] = &_bs_op_shape,
  [BS_OP_GATHER] = &_bs_op_gather,
  [BS_OP_UNSQUEEZE] = &_bs_op_unsqueeze,
  [BS_OP_SQUEEZE] = &_bs_op_squeeze,
  [BS_OP_CAST] = &_bs_op_cast,
};

const _bs_op_def *
_bs_op_def_get (bs_op op)
{
  return (unsigned) op < BS_N_OPS ? op_defs[op] : NULL;
}

const char *
bs_op_name (bs_op op)
{
  const _bs_op_def *d = _bs_op_def_get (op);
  return d ? d->name : "unknown";
}

int
bs_op_from_name (const char *op_type, bs_op *op)
{
  for (int i = 0; i < BS_N_OPS; i++)
    if (op_type && strcmp (op_defs[i]->name, op_type) == 0)
      {
        *op = (bs_op) i;
        return 0;
      }
  return -1;
}

bool
bs_op_is_compute (bs_op op)
{
  return op == BS_OP_CONV || op == BS_OP_GEMM || op == BS_OP_MATMUL;
}

/* Graph ------------------------------------------------------------------------- */

bs_graph *
bs_graph_new (int opset)
{
  bs_graph *g = calloc (1, sizeof *g);
  if (!g)
    return NULL;
  g->opset = opset;
  g->ir_version = 8;
  return g;
}

static void
node_clear (bs_node *n)
{
  free (n->name);
  free (n->inputs);
  free (n->outputs);
  for (int i = 0; i < n->n_attrs; i++)
    _bs_attr_clear (&n->attrs[i]);
  free (n->attrs);
  memset (n, 0, sizeof *n);
}

void
bs_graph_free (bs_graph *g)
{
  if (!g)
    return;
  for (int i = 0; i < g->n_values; i++)
    {
      free (g->values[i].name);
      bs_tensor_clear (&g->values[i].data);
    }
  for (int i = 0; i < g->n_nodes; i++)
    node_clear (&g->nodes[i]);
  free (g->values);
  free (g->nodes);
  free (g->inputs);
  free (g->outputs);
  for (int i = 0; i < g->n_meta; i++)
    {
      free (g->meta_keys[i]);
      free (g->meta_values[i]);
    }
  free (g->meta_keys);
  free (g->meta_values);
  free (g->name);
  free (g->producer);
  free (g);
}

const char *
bs_graph_metadata (const bs_graph *g, const char *key)
{
  for (int i = 0; i < g->n_meta; i++)
    if (strcmp (g->meta_keys[i], key) == 0)
      return g->meta_values[i];
  return NULL;
}

int
bs_graph_set_metadata (bs_graph *g, const char *key, const char *value)
{
  char **k, **v, *kd, *vd;

  for (int i = 0; i < g->n_meta; i++)
    if (strcmp (g->meta_keys[i], key) == 0)
      {
        if (!(vd = strdup (value)))
          return -1;
        free (g->meta_values[i]);
        g->meta_values[i] = vd;
        return 0;
      }
  k = realloc (g->meta_keys, (size_t) (g->n_meta + 1) * sizeof *k);
  if (k)
    g->meta_keys = k;
  v = realloc (g->meta_values, (size_t) (g->n_meta + 1) * sizeof *v);
  if (v)
    g->meta_values = v;
  kd = strdup (key);
  vd = strdup (value);
  if (!k || !v || !kd || !vd)
    {
      free (kd);
      free (vd);
      return -1;
    }
  g->meta_keys[g->n_meta] = kd;
  g->meta_values[g->n_meta] = vd;
  g->n_meta++;
  return 0;
}

int
bs_graph_find_value (const bs_graph *g, const char *name)
{
  for (int i = 0; i < g->n_values; i++)
    if (strcmp (g->values[i].name, name) == 0)
      return i;
  return -1;
}

static bool
is_placeholder (const bs_value *v)
{
  return v->kind == BS_VALUE_INTERMEDIATE && v->producer < 0;
}

/* The id of value `name`, creating an undefined placeholder if needed. */
static int
value_ref (bs_graph *g, const char *name, char *err, size_t errlen)
{
  int id = bs_graph_find_value (g, name);
  bs_value *v;

  if (id >= 0)
    return id;
  if (g->n_values == g->cap_values)
    {
      int cap = g->cap_values ? 2 * g->cap_values : 16;
      bs_value *nv = realloc (g->values, (size_t) cap * sizeof *nv);
      if (!nv)
        return _bs_nn_fail (err, errlen, "out of memory");
      g->values = nv;
      g->cap_values = cap;
    }
  v = &g->values[g->n_values];
  memset (v, 0, sizeof *v);
  v->name = strdup (name);
  if (!v->name)
    return _bs_nn_fail (err, errlen, "out of memory");
  v->kind = BS_VALUE_INTERMEDIATE;
  v->dtype = BS_DT_FLOAT;
  v->producer = -1;
  return g->n_values++;
}

/* A value `name` about to be defined: fresh, or a placeholder so far. */
static int
value_define (bs_graph *g, const char *name, char *err, size_t errlen)
{
  int id;
  if (!name || !*name)
    return _bs_nn_fail (err, errlen, "empty value name");
  id = value_ref (g, name, err, errlen);
  if (id < 0)
    return -1;
  if (!is_placeholder (&g->values[id]) || g->values[id].kind != BS_VALUE_INTERMEDIATE)
    return _bs_nn_fail (err, errlen, "value '%s' is defined twice", name);
  return id;
}

static int
push_int (int **arr, int *n, int v)
{
  int *na = realloc (*arr, (size_t) (*n + 1) * sizeof (int));
  if (!na)
    return -1;
  na[(*n)++] = v;
  *arr = na;
  return 0;
}

int
bs_graph_add_input (bs_graph *g, const char *name, bs_dtype dt, const bs_shape *shape,
                    char *err, size_t errlen)
{
  int id = value_define (g, name, err, errlen);
  if (id < 0)
    return -1;
  if (!bs_dtype_size (dt))
    return _bs_nn_fail (err, errlen, "input '%s': unsupported element type %d", name, (int) dt);
  if (shape->ndim < 0 || shape->ndim > BS_MAX_DIMS)
    return _bs_nn_fail (err, errlen, "input '%s': rank %d is outside 0..%d", name, shape->ndim,
                        BS_MAX_DIMS);
  g->values[id].kind = BS_VALUE_INPUT;
  g->values[id].dtype = dt;
  g->values[id].shape = *shape;
  if (push_int (&g->inputs, &g->n_inputs, id) < 0)
    return _bs_nn_fail (err, errlen, "out of memory");
  g->finalized = false;
  return id;
}

int
bs_graph_add_initializer (bs_graph *g, const char *name, bs_tensor *t, char *err, size_t errlen)
{
  int id = value_define (g, name, err, errlen);
  if (id < 0)
    return -1;
  g->values[id].kind = BS_VALUE_INITIALIZER;
  g->values[id].dtype = t->dtype;
  g->values[id].shape = t->shape;
  bs_tensor_move (&g->values[id].data, t);
  g->finalized = false;
  return id;
}

int
bs_graph_add_output (bs_graph *g, const char *name, char *err, size_t errlen)
{
  int id;
  if (!name || !*name)
    return _bs_nn_fail (err, errlen, "empty output name");
  id = value_ref (g, name, err, errlen);
  if (id < 0)
    return -1;
  if (g->values[id].is_output)
    return _bs_nn_fail (err, errlen, "output '%s' is listed twice", name);
  g->values[id].is_output = true;
  if (push_int (&g->outputs, &g->n_outputs, id) < 0)
    return _bs_nn_fail (err, errlen, "out of memory");
  g->finalized = false;
  return id;
}

int
bs_graph_add_node (bs_graph *g, const char *op_type, const char *name, int n_inputs,
                   const char *const *inputs, int n_outputs, const char *const *outputs,
                   int n_attrs, const bs_attr *attrs, char *err, size_t errlen)
{
  bs_node *n;
  bs_op op;
  char label[96];

  snprintf (label, sizeof label, "%s", name && *name ? name : "(unnamed)");
  if (bs_op_from_name (op_type, &op) < 0)
    return _bs_nn_fail (err, errlen, "node '%s': unsupported op '%s'", label,
                        op_type ? op_type : "(none)");
  if (n_inputs < 0 || n_inputs > BS_NODE_MAX_IO || n_outputs < 1 || n_outputs > BS_NODE_MAX_IO
      || n_attrs < 0)
    return _bs_nn_fail (err, errlen, "node '%s' (%s): %d inputs, %d outputs", label, op_type,
                        n_inputs, n_outputs);
  if (g->n_nodes == g->cap_nodes)
    {
      int cap = g->cap_nodes ? 2 * g->cap_nodes : 16;
      bs_node *nn = realloc (g->nodes, (size_t) cap * sizeof *nn);
      if (!nn)
        return _bs_nn_fail (err, errlen, "out of memory");
      g->nodes = nn;
      g->cap_nodes = cap;
    }
  n = &g->nodes[g->n_nodes];
  memset (n, 0, sizeof *n);
  n->op = op;
  if (name && *name)
    n->name = strdup (name);
  else
    {
      char buf[64];
      snprintf (buf, sizeof buf, "%s_%d", op_type, g->n_nodes);
      n->name = strdup (buf);
    }
  n->inputs = calloc ((size_t) (n_inputs ? n_inputs : 1), sizeof (int));
  n->outputs = calloc ((size_t) n_outputs, sizeof (int));
  n->attrs = calloc ((size_t) (n_attrs ? n_attrs : 1), sizeof (bs_attr));
  if (!n->name || !n->inputs || !n->outputs || !n->attrs)
    goto oom;
  for (int i = 0; i < n_attrs; i++)
    {
      if (_bs_attr_copy (&n->attrs[i], &attrs[i]) < 0)
        goto oom;
      n->n_attrs++;
    }
  for (int i = 0; i < n_inputs; i++)
    {
      n->inputs[i] = -1;
      if (inputs[i] && *inputs[i])
        {
          int id = value_ref (g, inputs[i], err, errlen);
          if (id < 0)
            goto fail;
          n->inputs[i] = id;
        }
      n->n_inputs++;
    }
  for (int i = 0; i < n_outputs; i++)
    {
      n->outputs[i] = -1;
      if (outputs[i] && *outputs[i])
        {
          int id = value_ref (g, outputs[i], err, errlen);
          if (id < 0)
            goto fail;
          if (!is_placeholder (&g->values[id]))
            {
              _bs_nn_fail (err, errlen, "node '%s' (%s): output '%s' is defined twice",
                           n->name, op_type, outputs[i]);
              goto fail;
            }
          g->values[id].producer = g->n_nodes;
          n->outputs[i] = id;
        }
      n->n_outputs++;
    }
  if (n->outputs[0] < 0)
    {
      _bs_nn_fail (err, errlen, "node '%s' (%s): first output has no name", n->name, op_type);
      goto fail;
    }
  g->finalized = false;
  return g->n_nodes++;

oom:
  _bs_nn_fail (err, errlen, "out of memory");
fail:
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i] >= 0)
      g->values[n->outputs[i]].producer = -1;
  node_clear (n);
  return -1;
}

void
_bs_graph_relink (bs_graph *g)
{
  for (int i = 0; i < g->n_values; i++)
    {
      g->values[i].n_consumers = 0;
      if (g->values[i].kind == BS_VALUE_INTERMEDIATE)
        g->values[i].producer = -1;
    }
  for (int j = 0; j < g->n_nodes; j++)
    {
      for (int i = 0; i < g->nodes[j].n_inputs; i++)
        if (g->nodes[j].inputs[i] >= 0)
          g->values[g->nodes[j].inputs[i]].n_consumers++;
      for (int i = 0; i < g->nodes[j].n_outputs; i++)
        if (g->nodes[j].outputs[i] >= 0)
          g->values[g->nodes[j].outputs[i]].producer = j;
    }
}

/* Kahn's algorithm, taking the lowest-index ready node first so that an
 * already sorted graph keeps its order. */
static int
topo_sort (bs_graph *g, char *err, size_t errlen)
{
  int nn = g->n_nodes;
  int *indeg = calloc ((size_t) nn + 1, sizeof (int));
  int *order = calloc ((size_t) nn + 1, sizeof (int));
  bool *done = calloc ((size_t) nn + 1, sizeof (bool));
  bs_node *sorted = NULL;
  int k = 0, rc = -1;

  if (!indeg || !order || !done)
    {
      _bs_nn_fail (err, errlen, "out of memory");
      goto out;
    }
  for (int j = 0; j < nn; j++)
    for (int i = 0; i < g->nodes[j].n_inputs; i++)
      {
        int v = g->nodes[j].inputs[i];
        if (v >= 0 && g->values[v].producer >= 0)
          indeg[j]++;
      }
  while (k < nn)
    {
      int pick = -1;
      for (int j = 0; j < nn && pick < 0; j++)
        if (!done[j] && indeg[j] == 0)
          pick = j;
      if (pick < 0)
        {
          for (int j = 0; j < nn; j++)
            if (!done[j])
              {
                _bs_nn_fail (err, errlen, "node '%s' (%s) is on a cycle", g->nodes[j].name,
                             bs_op_name (g->nodes[j].op));
                break;
              }
          goto out;
        }
      done[pick] = true;
      order[k++] = pick;
      for (int o = 0; o < g->nodes[pick].n_outputs; o++)
        {
          int v = g->nodes[pick].outputs[o];
          if (v < 0)
            continue;
          for (int j = 0; j < nn; j++)
            for (int i = 0; i < g->nodes[j].n_inputs; i++)
              if (g->nodes[j].inputs[i] == v)
                indeg[j]--;
        }
    }
  sorted = malloc ((size_t) (nn > 0 ? nn : 1) * sizeof *sorted);
  if (!sorted)
    {
      _bs_nn_fail (err, errlen, "out of memory");
      goto out;
    }
  for (int j = 0; j < nn; j++)
    sorted[j] = g->nodes[order[j]];
  if (nn > 0)
    memcpy (g->nodes, sorted, (size_t) nn * sizeof *sorted);
  _bs_graph_relink (g);
  rc = 0;
out:
  free (sorted);
  free (indeg);
  free (order);
  free (done);
  return rc;
}

int
bs_graph_finalize (bs_graph *g, char *err, size_t errlen)
{
  char msg[256];

  if (g->opset < 1 || g->opset > 17)
    return _bs_nn_fail (err, errlen, "opset %d is outside the supported 1..17", g->opset);
  _bs_graph_relink (g);
  for (int j = 0; j < g->n_nodes; j++)
    {
      bs_node *n = &g->nodes[j];
      const _bs_op_def *d = _bs_op_def_get (n->op);
      int n_out = 0;

      if (n->n_inputs < d->min_in || n->n_inputs > d->max_in)
        return _bs_nn_fail (err, errlen, "node '%s' (%s): %d inputs, expected %d..%d", n->name,
                            d->name, n->n_inputs, d->min_in, d->max_in);
      for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0)
          n_out = i + 1;
      if (n_out > d->max_out)
        return _bs_nn_fail (err, errlen, "node '%s' (%s): output %d ('%s') is not supported",
                            n->name, d->name, n_out - 1, g->values[n->outputs[n_out - 1]].name);
      for (int i = 0; i < d->min_in; i++)
        if (n->inputs[i] < 0)
          return _bs_nn_fail (err, errlen, "node '%s' (%s): input %d is required", n->name,
                              d->name, i);
      for (int i = 0; i < n->n_inputs; i++)
        {
          int v = n->inputs[i];
          if (v >= 0 && is_placeholder (&g->values[v]))
            return _bs_nn_fail (err, errlen,
                                "node '%s' (%s): input '%s' is missing (no initializer, "
                                "graph input or node output of that name)",
                                n->name, d->name, g->values[v].name);
        }
      if (d->parse (n, g->opset, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
    }
  for (int i = 0; i < g->n_outputs; i++)
    if (is_placeholder (&g->values[g->outputs[i]]))
      return _bs_nn_fail (err, errlen, "output '%s' is not produced by any node",
                          g->values[g->outputs[i]].name);
  if (topo_sort (g, err, errlen) < 0)
    return -1;
  /* element types, in topological order: every node's inputs are typed
   * before it is checked */
  for (int j = 0; j < g->n_nodes; j++)
    {
      bs_node *n = &g->nodes[j];
      bs_dtype out[BS_NODE_MAX_IO];
      if (_bs_node_dtypes (g, n, out, err, errlen) < 0)
        return -1;
      for (int o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0 && g->values[n->outputs[o]].kind == BS_VALUE_INTERMEDIATE)
          g->values[n->outputs[o]].dtype = out[o];
    }
  if (_bs_graph_fold_shapes (g, err, errlen) < 0)
    return -1;
  g->finalized = true;
  return 0;
}

int
_bs_node_dtypes (const bs_graph *g, const bs_node *n, bs_dtype *out, char *err, size_t errlen)
{
  const _bs_op_def *d = _bs_op_def_get (n->op);
  bs_dtype in[BS_NODE_MAX_IO];
  char msg[200];

  for (int i = 0; i < n->n_inputs; i++)
    in[i] = n->inputs[i] >= 0 ? g->values[n->inputs[i]].dtype : (bs_dtype) 0;
  for (int o = 0; o < n->n_outputs; o++)
    out[o] = BS_DT_FLOAT;
  if (d->dtypes)
    {
      if (d->dtypes (n, in, out, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
      return 0;
    }
  for (int i = 0; i < n->n_inputs; i++)
    if (in[i] && in[i] != BS_DT_FLOAT)
      return _bs_nn_fail (err, errlen, "node '%s' (%s): input %d ('%s') is %s, expected %s",
                          n->name, d->name, i, g->values[n->inputs[i]].name,
                          bs_dtype_name (in[i]), bs_dtype_name (BS_DT_FLOAT));
  return 0;
}

int
bs_graph_bind_input (bs_graph *g, const char *name, bs_tensor *t, char *err, size_t errlen)
{
  int id = bs_graph_find_value (g, name), k = -1;
  if (id < 0 || g->values[id].kind != BS_VALUE_INPUT)
    return _bs_nn_fail (err, errlen, "'%s' is not a graph input", name);
  for (int i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] == id)
      k = i;
  memmove (g->inputs + k, g->inputs + k + 1, (size_t) (g->n_inputs - k - 1) * sizeof (int));
  g->n_inputs--;
  g->values[id].kind = BS_VALUE_INITIALIZER;
  g->values[id].dtype = t->dtype;
  g->values[id].shape = t->shape;
  bs_tensor_move (&g->values[id].data, t);
  return 0;
}

/* Values worth keeping: anything a node or the outputs use, runtime inputs
 * (part of the model's signature), and node outputs. */
static bool
value_live (const bs_value *v)
{
  if (v->kind == BS_VALUE_INPUT || v->is_output || v->n_consumers > 0)
    return true;
  return v->kind == BS_VALUE_INTERMEDIATE && v->producer >= 0;
}

void
_bs_graph_compact (bs_graph *g)
{
  int *map = malloc ((size_t) (g->n_values ? g->n_values : 1) * sizeof (int));
  int k = 0;

  if (!map)
    return;   /* keeping dead values is harmless */
  _bs_graph_relink (g);
  for (int i = 0; i < g->n_values; i++)
    {
      if (value_live (&g->values[i]))
        {
          map[i] = k;
          g->values[k++] = g->values[i];
        }
      else
        {
          map[i] = -1;
          free (g->values[i].name);
          bs_tensor_clear (&g->values[i].data);
        }
    }
  g->n_values = k;
  for (int j = 0; j < g->n_nodes; j++)
    {
      for (int i = 0; i < g->nodes[j].n_inputs; i++)
        if (g->nodes[j].inputs[i] >= 0)
          g->nodes[j].inputs[i] = map[g->nodes[j].inputs[i]];
      for (int i = 0; i < g->nodes[j].n_outputs; i++)
        if (g->nodes[j].outputs[i] >= 0)
          g->nodes[j].outputs[i] = map[g->nodes[j].outputs[i]];
    }
  for (int i = 0; i < g->n_inputs; i++)
    g->inputs[i] = map[g->inputs[i]];
  for (int i = 0; i < g->n_outputs; i++)
    g->outputs[i] = map[g->outputs[i]];
  free (map);
  _bs_graph_relink (g);
}

void
_bs_graph_remove_node (bs_graph *g, int j)
{
  node_clear (&g->nodes[j]);
  memmove (g->nodes + j, g->nodes + j + 1, (size_t) (g->n_nodes - j - 1) * sizeof *g->nodes);
  g->n_nodes--;
  _bs_graph_relink (g);
}

void
_bs_graph_unique_name (const bs_graph *g, const char *base, char *buf, size_t len)
{
  snprintf (buf, len, "%s", base);
  for (int i = 1; bs_graph_find_value (g, buf) >= 0; i++)
    snprintf (buf, len, "%s_%d", base, i);
}
