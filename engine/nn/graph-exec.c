/* graph-exec.c — running a graph's nodes on buffers sized for one set of
 * input shapes. */
#include "nn-private.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct bs_exec {
  const bs_graph *g;
  bs_shape *shapes;    /* per value */
  bs_tensor *bufs;     /* per value; empty for initializers */
  _bs_scratch scratch;
  _bs_scratch pool_buf;   /* bs_exec_run_conv_fused's Conv outputs before a MaxPool */
};

float *
_bs_scratch_get (_bs_scratch *s, size_t n)
{
  if (n > s->n)
    {
      float *p = realloc (s->p, n * sizeof (float));
      if (!p)
        return NULL;
      s->p = p;
      s->n = n;
    }
  return s->p;
}

void
bs_exec_free (bs_exec *x)
{
  if (!x)
    return;
  if (x->bufs)
    for (int i = 0; i < x->g->n_values; i++)
      bs_tensor_clear (&x->bufs[i]);
  free (x->bufs);
  free (x->shapes);
  free (x->scratch.p);
  free (x->pool_buf.p);
  free (x);
}

/* The engine parallelises over the batch (graph-run.c); OpenBLAS's own
 * threads would only compete with those workers and serialise concurrent
 * calls, so the process's OpenBLAS runs single-threaded from the first exec
 * on.  One-time and idempotent; every GEMM then runs the same way whoever
 * calls it, which keeps results independent of the worker count. */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void
blas_single_thread (void)
{
  openblas_set_num_threads (1);
}

bs_exec *
bs_exec_new (const bs_graph *g, const bs_shape *in_shapes, char *err, size_t errlen)
{
  bs_exec *x;
  size_t nv = (size_t) (g->n_values ? g->n_values : 1);
  char msg[200];

  pthread_once (&blas_once, blas_single_thread);
  x = calloc (1, sizeof *x);
  if (!x)
    {
      _bs_nn_fail (err, errlen, "out of memory");
      return NULL;
    }
  x->g = g;
  x->shapes = calloc (nv, sizeof *x->shapes);
  x->bufs = calloc (nv, sizeof *x->bufs);
  if (!x->shapes || !x->bufs)
    {
      _bs_nn_fail (err, errlen, "out of memory");
      goto fail;
    }
  if (bs_graph_infer_shapes (g, in_shapes, x->shapes, err, errlen) < 0)
    goto fail;
  for (int i = 0; i < g->n_values; i++)
    {
      const bs_value *v = &g->values[i];
      if (v->kind == BS_VALUE_INITIALIZER || (v->kind == BS_VALUE_INTERMEDIATE && v->producer < 0))
        continue;
      if (bs_tensor_init (&x->bufs[i], v->dtype, &x->shapes[i], msg, sizeof msg) < 0)
        {
          _bs_nn_fail (err, errlen, "value '%s': %s", v->name, msg);
          goto fail;
        }
    }
  return x;

fail:
  bs_exec_free (x);
  return NULL;
}

const bs_graph *
bs_exec_graph (const bs_exec *x)
{
  return x->g;
}

const bs_shape *
bs_exec_shape (const bs_exec *x, int value)
{
  return &x->shapes[value];
}

float *
bs_exec_data (bs_exec *x, int value)
{
  if (value < 0 || value >= x->g->n_values || x->bufs[value].dtype != BS_DT_FLOAT)
    return NULL;
  return bs_tensor_f32 (&x->bufs[value]);
}

const bs_tensor *
bs_exec_tensor (const bs_exec *x, int value)
{
  if (x->g->values[value].kind == BS_VALUE_INITIALIZER)
    return &x->g->values[value].data;
  return &x->bufs[value];
}

int
bs_exec_set_input (bs_exec *x, int index, const float *data, int64_t n, char *err, size_t errlen)
{
  bs_tensor *t;
  if (index < 0 || index >= x->g->n_inputs)
    return _bs_nn_fail (err, errlen, "no input %d", index);
  t = &x->bufs[x->g->inputs[index]];
  if (t->dtype != BS_DT_FLOAT || n != bs_tensor_numel (t))
    return _bs_nn_fail (err, errlen, "input '%s' takes %lld floats, got %lld",
                        x->g->values[x->g->inputs[index]].name, (long long) bs_tensor_numel (t),
                        (long long) n);
  if (n)
    memcpy (t->data, data, (size_t) n * sizeof (float));
  return 0;
}

/* Node `node`'s input and output tensors, with ov's replacements (tmp holds
 * their headers). */
static int
node_io (bs_exec *x, int node, const bs_layer_override *ov, const bs_tensor **in,
         bs_tensor **out, bs_tensor *tmp, char *err, size_t errlen)
{
  const bs_graph *g = x->g;
  const bs_node *n;

  if (node < 0 || node >= g->n_nodes)
    return _bs_nn_fail (err, errlen, "no node %d", node);
  n = &g->nodes[node];
  for (int i = 0; i < n->n_inputs; i++)
    in[i] = n->inputs[i] >= 0 ? bs_exec_tensor (x, n->inputs[i]) : NULL;
  for (int i = 0; i < n->n_outputs; i++)
    out[i] = n->outputs[i] >= 0 ? &x->bufs[n->outputs[i]] : NULL;
  if (ov)
    {
      const float *rep[3] = { ov->input, ov->weight, ov->bias };
      if (!bs_op_is_compute (n->op))
        return _bs_nn_fail (err, errlen, "node '%s' (%s): overrides apply to Conv, Gemm and "
                            "MatMul only", n->name, _bs_op_def_get (n->op)->name);
      for (int i = 0; i < 3 && i < n->n_inputs; i++)
        if (rep[i] && in[i])
          {
            tmp[i] = *in[i];
            tmp[i].data = (void *) rep[i];
            in[i] = &tmp[i];
          }
    }
  return 0;
}

int
bs_exec_run_node (bs_exec *x, int node, const bs_layer_override *ov, char *err, size_t errlen)
{
  const bs_graph *g = x->g;
  const bs_node *n;
  const _bs_op_def *d;
  bs_tensor tmp[3];
  const bs_tensor *in[BS_NODE_MAX_IO];
  bs_tensor *out[BS_NODE_MAX_IO];
  char msg[256];

  if (node_io (x, node, ov, in, out, tmp, err, errlen) < 0)
    return -1;
  n = &g->nodes[node];
  d = _bs_op_def_get (n->op);
  if (n->op == BS_OP_CONV && ov && ov->pack)
    {
      /* Conv's run, with the packed weights kept */
      if (_bs_conv_run_fused (n, in, ov->pack, NULL, false, bs_tensor_f32 (out[0]), &x->scratch,
                              NULL, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
      return 0;
    }
  if (d->run (n, g->opset, in, out, &x->scratch, msg, sizeof msg) < 0)
    return _bs_nn_fail (err, errlen, "node '%s' (%s): %s", n->name, d->name, msg);
  return 0;
}

static bool
same_float_shape (const bs_exec *x, int a, int b)
{
  return x->bufs[a].dtype == BS_DT_FLOAT && x->bufs[b].dtype == BS_DT_FLOAT
         && bs_shape_equal (&x->shapes[a], &x->shapes[b]);
}

/* Conv (+ epilogue) then MaxPool, a few images at a time through a buffer
 * of about POOL_BUFFER_FLOATS. */
#define POOL_BUFFER_FLOATS ((int64_t) 64 * 1024)

static int
run_with_pool (bs_exec *x, const bs_node *n, const bs_tensor *const *in, bs_conv_pack *pack,
               const bs_conv_fusion *f, int64_t *zeros, char *err, size_t errlen)
{
  const bs_graph *g = x->g;
  const bs_node *pn = &g->nodes[f->pool];
  bs_shape mid = x->shapes[n->outputs[0]];
  int64_t batch = mid.dims[0];
  int64_t per = batch ? bs_shape_numel (&mid) / batch : 0;
  int64_t per_in = batch ? bs_tensor_numel (in[0]) / batch : 0;
  int64_t per_out = batch ? bs_shape_numel (&x->shapes[f->out]) / batch : 0;
  int64_t sb = per ? POOL_BUFFER_FLOATS / per : 1;
  const float *add = f->add >= 0 ? bs_tensor_f32 (&x->bufs[f->add]) : NULL;
  float *buf;
  char msg[256];

  sb = sb < 1 ? 1 : sb;
  sb = sb > batch ? batch : sb;
  if (!(buf = _bs_scratch_get (&x->pool_buf, (size_t) (sb * per > 0 ? sb * per : 1))))
    return _bs_nn_fail (err, errlen, "out of memory");
  for (int64_t n0 = 0; n0 < batch; n0 += sb)
    {
      int64_t cnt = batch - n0 < sb ? batch - n0 : sb;
      bs_tensor part = *in[0];
      const bs_tensor *pin[3] = { &part, in[1], n->n_inputs > 2 ? in[2] : NULL };
      float *pooled = bs_tensor_f32 (&x->bufs[f->out]) + n0 * per_out;

      part.shape.dims[0] = cnt;
      part.data = (float *) bs_tensor_f32 (in[0]) + n0 * per_in;
      mid.dims[0] = cnt;
      if (_bs_conv_run_fused (n, pin, pack, add ? add + n0 * per : NULL, f->relu, buf,
                              &x->scratch, NULL, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (Conv): %s", n->name, msg);
      if (_bs_pool_run_on (pn, &mid, buf, pooled, msg, sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (MaxPool): %s", pn->name, msg);
      if (zeros)
        *zeros += bs_count_zeros (pooled, cnt * per_out);
    }
  return 0;
}

int
bs_exec_run_conv_fused (bs_exec *x, int node, const bs_layer_override *ov,
                        const bs_conv_fusion *f, int64_t *zeros, char *err, size_t errlen)
{
  const bs_graph *g = x->g;
  const bs_node *n;
  bs_tensor tmp[3];
  const bs_tensor *in[BS_NODE_MAX_IO];
  bs_tensor *out[BS_NODE_MAX_IO];
  char msg[256];
  int c;

  if (zeros)
    *zeros = -1;
  if (node_io (x, node, ov, in, out, tmp, err, errlen) < 0)
    return -1;
  n = &g->nodes[node];
  c = n->outputs[0];
  if (n->op != BS_OP_CONV || f->n_absorbed < 1 || node + f->n_absorbed >= g->n_nodes
      || !same_float_shape (x, f->mid, c) || (f->add >= 0 && !same_float_shape (x, f->add, c))
      || (f->pool >= 0 && (x->bufs[f->out].dtype != BS_DT_FLOAT || x->shapes[c].ndim != 4)))
    {
      /* not a fusion this exec can run: the nodes one by one */
      if (bs_exec_run_node (x, node, ov, err, errlen) < 0)
        return -1;
      return bs_exec_run_nodes (x, node + 1, node + 1 + (f->n_absorbed > 0 ? f->n_absorbed : 0),
                                err, errlen);
    }
  /* the fused run adds the zeros it writes */
  if (zeros)
    *zeros = 0;
  if (f->pool < 0)
    {
      if (_bs_conv_run_fused (n, in, ov ? ov->pack : NULL,
                              f->add >= 0 ? bs_tensor_f32 (&x->bufs[f->add]) : NULL, f->relu,
                              bs_tensor_f32 (&x->bufs[f->out]), &x->scratch, zeros, msg,
                              sizeof msg) < 0)
        return _bs_nn_fail (err, errlen, "node '%s' (Conv): %s", n->name, msg);
      return 0;
    }
  return run_with_pool (x, n, in, ov ? ov->pack : NULL, f, zeros, err, errlen);
}

int
bs_exec_run_nodes (bs_exec *x, int first, int end, char *err, size_t errlen)
{
  if (first < 0 || end > x->g->n_nodes || first > end)
    return _bs_nn_fail (err, errlen, "node range [%d, %d) is outside [0, %d)", first, end,
                        x->g->n_nodes);
  for (int j = first; j < end; j++)
    if (bs_exec_run_node (x, j, NULL, err, errlen) < 0)
      return -1;
  return 0;
}

int
bs_exec_run (bs_exec *x, char *err, size_t errlen)
{
  return bs_exec_run_nodes (x, 0, x->g->n_nodes, err, errlen);
}
