/* graph-shapes.c — static shape inference over a finalized graph. */
#include "nn-private.h"

#include <stdio.h>

/* The runtime inputs' shapes: given ones must keep the declared rank and
 * every declared fixed dim except the batch (dim 0). */
static int
input_shapes (const bs_graph *g, const bs_shape *in_shapes, bs_shape *shapes, char *err,
              size_t errlen)
{
  char msg[160];

  for (int k = 0; k < g->n_inputs; k++)
    {
      const bs_value *v = &g->values[g->inputs[k]];
      bs_shape s = v->shape;
      if (in_shapes)
        {
          s = in_shapes[k];
          if (s.ndim != v->shape.ndim)
            return _bs_nn_fail (err, errlen, "input '%s': rank %d, the model declares %d",
                                v->name, s.ndim, v->shape.ndim);
          for (int i = 1; i < s.ndim; i++)
            if (v->shape.dims[i] >= 0 && s.dims[i] != v->shape.dims[i])
              return _bs_nn_fail (err, errlen, "input '%s': dim %d is %lld, the model declares %lld",
                                  v->name, i, (long long) s.dims[i], (long long) v->shape.dims[i]);
        }
      else
        for (int i = 0; i < s.ndim; i++)
          if (s.dims[i] < 0)
            s.dims[i] = 1;
      if (bs_shape_check (&s, bs_dtype_size (v->dtype), msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "input '%s': %s", v->name, msg);
      shapes[g->inputs[k]] = s;
    }
  return 0;
}

int
_bs_graph_infer (const bs_graph *g, const bs_shape *in_shapes, bs_shape *shapes, char *err,
                 size_t errlen)
{
  char msg[256];

  if (!g->finalized)
    return _bs_nn_fail (err, errlen, "graph is not finalized");
  for (int i = 0; i < g->n_values; i++)
    {
      shapes[i] = (bs_shape) { 0 };
      if (g->values[i].kind == BS_VALUE_INITIALIZER)
        shapes[i] = g->values[i].data.shape;
    }
  if (input_shapes (g, in_shapes, shapes, err, errlen) < 0)
    return -1;

  for (int j = 0; j < g->n_nodes; j++)
    {
      const bs_node *n = &g->nodes[j];
      const _bs_op_def *d = _bs_op_def_get (n->op);
      const bs_shape *in[BS_NODE_MAX_IO];
      const bs_tensor *cin[BS_NODE_MAX_IO];
      bs_shape out[BS_NODE_MAX_IO] = { { 0 } };
      int r;

      bs_dtype odt[BS_NODE_MAX_IO];
      if (_bs_node_dtypes (g, n, odt, err, errlen) < 0)
        return -1;
      for (int i = 0; i < n->n_inputs; i++)
        {
          int v = n->inputs[i];
          in[i] = v >= 0 ? &shapes[v] : NULL;
          cin[i] = v >= 0 && g->values[v].kind == BS_VALUE_INITIALIZER ? &g->values[v].data : NULL;
        }
      r = d->infer (n, g->opset, in, cin, out, msg, sizeof msg);
      if (r < 0)
        {
          _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
          return r == BS_ERR_NONCONST ? BS_ERR_NONCONST : -1;
        }
      for (int o = 0; o < n->n_outputs; o++)
        {
          if (n->outputs[o] < 0)
            continue;
          if (bs_shape_check (&out[o], sizeof (float), msg, sizeof msg) < 0)
            return _bs_nn_fail (err, errlen, "node '%s' (%s): output %s", n->name, d->name, msg);
          shapes[n->outputs[o]] = out[o];
        }
    }
  return 0;
}

int
bs_graph_infer_shapes (const bs_graph *g, const bs_shape *in_shapes, bs_shape *shapes, char *err,
                       size_t errlen)
{
  return _bs_graph_infer (g, in_shapes, shapes, err, errlen) < 0 ? -1 : 0;
}
