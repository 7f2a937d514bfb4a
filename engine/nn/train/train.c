/* train.c — the trainer: parameters, per-value buffers, the forward and
 * backward sweeps over the graph, optimizer steps, epochs and evaluation. */
#include "train-private.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The trainer parallelises over the batch with its own threads; OpenBLAS's
 * threads would compete with them and make GEMM results depend on its
 * partitioning, so it runs single-threaded (as the engine's executor does). */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void
blas_single_thread (void)
{
  openblas_set_num_threads (1);
}

/* Values ------------------------------------------------------------------- */

float *
_tr_data (bs_trainer *t, int v)
{
  const bs_value *bv = &t->g->values[v];
  if (bv->kind == BS_VALUE_INITIALIZER)
    {
      if (t->vals[v].param >= 0)
        return t->params[t->vals[v].param].pub.wf;
      return bs_tensor_f32 (&bv->data);
    }
  return t->vals[v].act;
}

static bool
is_float_init (const bs_graph *g, int v)
{
  return v >= 0 && g->values[v].kind == BS_VALUE_INITIALIZER
         && g->values[v].dtype == BS_DT_FLOAT;
}

/* Which inputs of a node are trained, and which of those are weights. */
static bool
input_is_trained (const bs_node *n, int i, bool *is_weight)
{
  *is_weight = false;
  switch (n->op)
    {
    case BS_OP_CONV:
    case BS_OP_GEMM:
      *is_weight = i == 1;
      return i == 1 || i == 2;
    case BS_OP_MATMUL:
      *is_weight = i == 1;
      return i == 1;
    case BS_OP_BATCHNORM:
      return i == 1 || i == 2;
    case BS_OP_ADD:
      return true;
    default:
      return false;
    }
}

static int
add_param (bs_trainer *t, int v, bool is_weight, char *err, size_t errlen)
{
  tr_param *p;
  const bs_value *bv = &t->g->values[v];
  int64_t n = bs_tensor_numel (&bv->data);

  if (t->vals[v].param >= 0)
    {
      t->params[t->vals[v].param].pub.is_weight |= is_weight;
      return 0;
    }
  p = &t->params[t->n_params];
  memset (p, 0, sizeof *p);
  p->pub.name = bv->name;
  p->pub.value = v;
  p->pub.numel = n;
  p->pub.is_weight = is_weight;
  p->pub.w = malloc ((size_t) (n ? n : 1) * sizeof (float));
  p->pub.grad = calloc ((size_t) (n ? n : 1), sizeof (float));
  p->m = calloc ((size_t) (n ? n : 1), sizeof (float));
  p->v = calloc ((size_t) (n ? n : 1), sizeof (float));
  if (!p->pub.w || !p->pub.grad || !p->m || !p->v)
    return _tr_fail (err, errlen, "out of memory");
  memcpy (p->pub.w, bs_tensor_f32 (&bv->data), (size_t) n * sizeof (float));
  p->pub.wf = p->pub.w;
  t->vals[v].param = t->n_params++;
  return 0;
}

/* Checks that the trainer can differentiate node n as the graph states it. */
static int
check_node (bs_trainer *t, const bs_node *n, char *err, size_t errlen)
{
  const bs_graph *g = t->g;
  switch (n->op)
    {
    case BS_OP_CONV:
      if (!is_float_init (g, n->inputs[1]))
        return _tr_fail (err, errlen, "node '%s' (Conv): the weight must be an initializer",
                         n->name);
      break;
    case BS_OP_GEMM:
      if (n->p.gemm.trans_a)
        return _tr_fail (err, errlen, "node '%s' (Gemm): transA = 1 is not trained", n->name);
      if (!is_float_init (g, n->inputs[1]))
        return _tr_fail (err, errlen, "node '%s' (Gemm): B must be an initializer", n->name);
      if (n->n_inputs > 2 && n->inputs[2] >= 0)
        {
          int64_t nc = bs_tensor_numel (&g->values[n->inputs[2]].data);
          const bs_shape *bs = &g->values[n->inputs[1]].shape;
          int64_t cols = n->p.gemm.trans_b ? bs->dims[0] : bs->dims[1];
          if (!is_float_init (g, n->inputs[2]) || (nc != 1 && nc != cols))
            return _tr_fail (err, errlen,
                             "node '%s' (Gemm): C must be an initializer of 1 or N elements",
                             n->name);
        }
      break;
    case BS_OP_MATMUL:
      if (!is_float_init (g, n->inputs[1]) || g->values[n->inputs[1]].shape.ndim != 2
          || g->values[n->inputs[0]].kind == BS_VALUE_INITIALIZER)
        return _tr_fail (err, errlen,
                         "node '%s' (MatMul): only activation × 2-D initializer is trained",
                         n->name);
      break;
    case BS_OP_BATCHNORM:
      for (int i = 1; i < 5; i++)
        if (!is_float_init (g, n->inputs[i]))
          return _tr_fail (err, errlen,
                           "node '%s' (BatchNormalization): input %d must be an initializer",
                           n->name, i);
      if (n->n_outputs > 1)
        for (int i = 1; i < n->n_outputs; i++)
          if (n->outputs[i] >= 0)
            return _tr_fail (err, errlen,
                             "node '%s' (BatchNormalization): training outputs are not "
                             "supported", n->name);
      break;
    case BS_OP_CLIP:
      for (int i = 1; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && !is_float_init (g, n->inputs[i]))
          return _tr_fail (err, errlen, "node '%s' (Clip): bounds must be initializers",
                           n->name);
      break;
    case BS_OP_DROPOUT:
      if (n->n_outputs > 1 && n->outputs[1] >= 0)
        return _tr_fail (err, errlen, "node '%s' (Dropout): the mask output is not supported",
                         n->name);
      break;
    default:
      break;
    }
  return 0;
}

/* Shapes and geometry at batch n (n ≤ cap). */
static int
set_batch (bs_trainer *t, int64_t n, char *err, size_t errlen)
{
  bs_graph *g = t->g;
  bs_shape in;

  if (n == t->n)
    return 0;
  if (n < 1 || n > t->cap)
    return _tr_fail (err, errlen, "batch of %lld images (1 .. %lld)", (long long) n,
                     (long long) t->cap);
  in = g->values[t->input].shape;
  in.dims[0] = n;
  for (int i = 1; i < in.ndim; i++)
    if (in.dims[i] < 0)
      in.dims[i] = 1;
  if (bs_graph_infer_shapes (g, &in, t->shapes, err, errlen) < 0)
    return -1;
  for (int v = 0; v < g->n_values; v++)
    {
      if (g->values[v].kind == BS_VALUE_INITIALIZER)
        continue;
      if (t->shapes[v].ndim < 1 || t->shapes[v].dims[0] != n)
        return _tr_fail (err, errlen, "value '%s' does not have the batch as its first dim",
                         g->values[v].name);
      t->vals[v].per = bs_shape_numel (&t->shapes[v]) / n;
    }
  for (int i = 0; i < g->n_nodes; i++)
    {
      const bs_node *nd = &g->nodes[i];
      tr_node *tn = &t->nodes[i];
      const bs_shape *xs = &t->shapes[nd->inputs[0]];
      int64_t ih = 1, iw = 1;

      switch (nd->op)
        {
        case BS_OP_CONV:
          {
            const bs_shape *ws = &g->values[nd->inputs[1]].shape;
            if (xs->ndim == 4)
              ih = xs->dims[2], iw = xs->dims[3];
            else if (xs->ndim == 3)
              iw = xs->dims[2];
            tn->cd.n = n;
            tn->cd.c = xs->dims[1];
            tn->cd.m = ws->dims[0];
            tn->cd.group = nd->p.conv.group;
            if (bs_window_resolve (&nd->p.conv.win, ih, iw, ws->ndim == 4 ? ws->dims[2] : 1,
                                   ws->dims[ws->ndim - 1], &tn->cd.g, err, errlen) < 0)
              return -1;
            break;
          }
        case BS_OP_MAXPOOL:
        case BS_OP_AVERAGEPOOL:
          if (xs->ndim == 4)
            ih = xs->dims[2], iw = xs->dims[3];
          else if (xs->ndim == 3)
            iw = xs->dims[2];
          if (bs_window_resolve (&nd->p.pool, ih, iw, 0, 0, &tn->pg, err, errlen) < 0)
            return -1;
          tn->outer = n * xs->dims[1];
          break;
        case BS_OP_GLOBALAVERAGEPOOL:
          tn->outer = n * xs->dims[1];
          tn->inner = t->vals[nd->inputs[0]].per / xs->dims[1];
          break;
        case BS_OP_BATCHNORM:
          tn->len = xs->ndim > 1 ? xs->dims[1] : 1;
          tn->inner = t->vals[nd->inputs[0]].per / tn->len;
          break;
        case BS_OP_GEMM:
        case BS_OP_MATMUL:
          {
            const bs_shape *ws = &g->values[nd->inputs[1]].shape;
            bool tb = nd->op == BS_OP_GEMM && nd->p.gemm.trans_b;
            tn->k = tb ? ws->dims[1] : ws->dims[0];
            tn->ncols = tb ? ws->dims[0] : ws->dims[1];
            tn->rows_per_image = t->vals[nd->inputs[0]].per / tn->k;
            break;
          }
        case BS_OP_SOFTMAX:
          {
            int64_t ax = nd->p.axis.axis, r = xs->ndim;
            if (ax < 0)
              ax += r;
            if (t->g->opset < 13)
              {
                /* opsets < 13: softmax over the flattened dims from axis on */
                tn->len = 1;
                for (int64_t d = ax; d < r; d++)
                  tn->len *= xs->dims[d];
                tn->inner = 1;
              }
            else
              {
                tn->len = xs->dims[ax];
                tn->inner = 1;
                for (int64_t d = ax + 1; d < r; d++)
                  tn->inner *= xs->dims[d];
              }
            tn->outer = bs_shape_numel (xs) / (tn->len * tn->inner);
            if (ax == 0)
              return _tr_fail (err, errlen, "node '%s' (Softmax): axis 0 mixes the batch",
                               nd->name);
            break;
          }
        default:
          break;
        }
    }
  t->n = n;
  return 0;
}

static void
set_clip_bounds (bs_trainer *t, int i)
{
  const bs_node *nd = &t->g->nodes[i];
  tr_node *tn = &t->nodes[i];
  tn->lo = nd->p.clip.min;
  tn->hi = nd->p.clip.max;
  if (nd->n_inputs > 1 && nd->inputs[1] >= 0)
    tn->lo = bs_tensor_f32 (&t->g->values[nd->inputs[1]].data)[0];
  if (nd->n_inputs > 2 && nd->inputs[2] >= 0)
    tn->hi = bs_tensor_f32 (&t->g->values[nd->inputs[2]].data)[0];
}

bs_trainer *
bs_trainer_new (bs_graph *g, const bs_train_opts *o, char *err, size_t errlen)
{
  bs_trainer *t;
  size_t max_param = 1, max_channels = 1;
  int nt;

  if (!g || !g->finalized)
    {
      _tr_fail (err, errlen, "the graph is not finalized");
      return NULL;
    }
  if (g->n_inputs != 1 || g->values[g->inputs[0]].dtype != BS_DT_FLOAT || g->n_outputs < 1)
    {
      _tr_fail (err, errlen, "the trainer needs one float input and an output");
      return NULL;
    }
  if (o->batch < 1 || !(o->lr > 0) || o->epochs < 0 || o->momentum < 0 || o->momentum >= 1
      || o->beta1 < 0 || o->beta1 >= 1 || o->beta2 < 0 || o->beta2 >= 1 || !(o->eps > 0)
      || o->weight_decay < 0 || o->warmup_epochs < 0 || o->step_epochs < 1
      || o->bn_momentum < 0 || o->bn_momentum > 1 || o->augment_shift < 0 || o->lr_min < 0)
    {
      _tr_fail (err, errlen, "training options out of range");
      return NULL;
    }
  pthread_once (&blas_once, blas_single_thread);

  t = calloc (1, sizeof *t);
  if (!t)
    {
      _tr_fail (err, errlen, "out of memory");
      return NULL;
    }
  t->g = g;
  t->o = *o;
  nt = o->n_threads;
  if (nt <= 0)
    {
      long c = sysconf (_SC_NPROCESSORS_ONLN);
      nt = c > 0 ? (int) c : 1;
    }
  t->nt = nt > TR_MAX_THREADS ? TR_MAX_THREADS : nt;
  t->cap = o->batch;
  t->n = 0;
  t->input = g->inputs[0];
  t->shapes = calloc ((size_t) g->n_values, sizeof *t->shapes);
  t->vals = calloc ((size_t) g->n_values, sizeof *t->vals);
  t->nodes = calloc ((size_t) (g->n_nodes ? g->n_nodes : 1), sizeof *t->nodes);
  t->params = calloc ((size_t) g->n_values, sizeof *t->params);
  t->pool = _tr_pool_new (t->nt);
  if (!t->shapes || !t->vals || !t->nodes || !t->params || !t->pool)
    {
      _tr_fail (err, errlen, "out of memory");
      goto fail;
    }
  for (int v = 0; v < g->n_values; v++)
    t->vals[v].param = -1;

  /* parameters and node checks */
  for (int i = 0; i < g->n_nodes; i++)
    {
      const bs_node *nd = &g->nodes[i];
      t->nodes[i].node = i;
      t->nodes[i].op = nd->op;
      if (check_node (t, nd, err, errlen) < 0)
        goto fail;
      for (int k = 0; k < nd->n_inputs; k++)
        {
          bool w;
          int v = nd->inputs[k];
          if (v >= 0 && is_float_init (g, v) && input_is_trained (nd, k, &w)
              && add_param (t, v, w, err, errlen) < 0)
            goto fail;
        }
      if (nd->op == BS_OP_CLIP)
        set_clip_bounds (t, i);
    }
  /* BN running statistics must not be trained elsewhere */
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == BS_OP_BATCHNORM)
      for (int k = 3; k < 5; k++)
        if (t->vals[g->nodes[i].inputs[k]].param >= 0)
          {
            _tr_fail (err, errlen, "node '%s': running statistics '%s' are also trained",
                      g->nodes[i].name, g->values[g->nodes[i].inputs[k]].name);
            goto fail;
          }

  /* the loss reads the first output, or the input of a Softmax producing it */
  t->logits = g->outputs[0];
  {
    int pn = g->values[t->logits].producer;
    if (pn >= 0 && g->nodes[pn].op == BS_OP_SOFTMAX)
      {
        t->nodes[pn].skip_backward = true;
        t->logits = g->nodes[pn].inputs[0];
      }
  }

  /* buffers at the full batch; the batch must be dim 0 everywhere (checked
   * at two batch sizes so that a constant dim cannot pass for it) */
  {
    int64_t keep = t->cap;
    t->cap = keep + 1;
    if (set_batch (t, keep + 1, err, errlen) < 0)
      goto fail;
    t->cap = keep;
    t->n = 0;
    if (set_batch (t, keep, err, errlen) < 0)
      goto fail;
  }
  if (t->shapes[t->logits].ndim != 2)
    {
      _tr_fail (err, errlen, "the logits '%s' must be [N, classes]",
                g->values[t->logits].name);
      goto fail;
    }
  t->classes = (int) t->shapes[t->logits].dims[1];

  for (int v = 0; v < g->n_values; v++)
    {
      size_t sz;
      if (g->values[v].kind == BS_VALUE_INITIALIZER)
        continue;
      if (g->values[v].dtype != BS_DT_FLOAT)
        {
          _tr_fail (err, errlen, "value '%s' is not float", g->values[v].name);
          goto fail;
        }
      sz = (size_t) (t->cap * t->vals[v].per);
      t->vals[v].act = malloc ((sz ? sz : 1) * sizeof (float));
      t->vals[v].grad = calloc (sz ? sz : 1, sizeof (float));
      t->vals[v].need_grad = v != t->input;
      if (!t->vals[v].act || !t->vals[v].grad)
        {
          _tr_fail (err, errlen, "out of memory");
          goto fail;
        }
    }
  for (int i = 0; i < t->n_params; i++)
    {
      if ((size_t) t->params[i].pub.numel > max_param)
        max_param = (size_t) t->params[i].pub.numel;
    }
  for (int i = 0; i < g->n_nodes; i++)
    {
      const bs_node *nd = &g->nodes[i];
      tr_node *tn = &t->nodes[i];
      if (nd->op == BS_OP_MAXPOOL)
        {
          size_t sz = (size_t) (t->cap * t->vals[nd->outputs[0]].per);
          tn->argmax = malloc ((sz ? sz : 1) * sizeof *tn->argmax);
          if (!tn->argmax)
            {
              _tr_fail (err, errlen, "out of memory");
              goto fail;
            }
        }
      if (nd->op == BS_OP_BATCHNORM)
        {
          tn->bn_mean = calloc ((size_t) tn->len, sizeof (float));
          tn->bn_invstd = calloc ((size_t) tn->len, sizeof (float));
          if (!tn->bn_mean || !tn->bn_invstd)
            {
              _tr_fail (err, errlen, "out of memory");
              goto fail;
            }
          if ((size_t) tn->len > max_channels)
            max_channels = (size_t) tn->len;
        }
      if (nd->op == BS_OP_GEMM || nd->op == BS_OP_MATMUL || nd->op == BS_OP_CONV)
        {
          /* weight + bias partials of one layer */
          size_t s = 0;
          for (int k = 1; k < nd->n_inputs; k++)
            if (nd->inputs[k] >= 0)
              s += (size_t) bs_tensor_numel (&g->values[nd->inputs[k]].data);
          if (nd->op == BS_OP_CONV)   /* the bias partials are always kept */
            s = (size_t) bs_tensor_numel (&g->values[nd->inputs[1]].data) + (size_t) tn->cd.m;
          if (s > max_param)
            max_param = s;
          if (nd->op != BS_OP_CONV && (size_t) tn->ncols > max_channels)
            max_channels = (size_t) tn->ncols;
          if (nd->op == BS_OP_CONV && (size_t) tn->cd.m > max_channels)
            max_channels = (size_t) tn->cd.m;
        }
    }
  t->part_n = max_param;
  t->dpart_n = 2 * max_channels + 8;
  for (int k = 0; k < t->nt; k++)
    {
      t->part[k] = calloc (t->part_n, sizeof (float));
      t->dpart[k] = calloc (t->dpart_n, sizeof (double));
      if (!t->part[k] || !t->dpart[k])
        {
          _tr_fail (err, errlen, "out of memory");
          goto fail;
        }
    }
  t->labels = calloc ((size_t) t->cap, sizeof *t->labels);
  t->probs = calloc ((size_t) (t->cap * t->classes), sizeof (float));
  if (!t->labels || !t->probs)
    {
      _tr_fail (err, errlen, "out of memory");
      goto fail;
    }
  t->mode = TR_MODE_TRAIN;
  return t;

fail:
  bs_trainer_free (t);
  return NULL;
}

void
bs_trainer_free (bs_trainer *t)
{
  if (!t)
    return;
  _tr_pool_free (t->pool);
  if (t->vals)
    for (int v = 0; v < t->g->n_values; v++)
      {
        free (t->vals[v].act);
        free (t->vals[v].grad);
      }
  if (t->nodes)
    for (int i = 0; i < t->g->n_nodes; i++)
      {
        free (t->nodes[i].bn_mean);
        free (t->nodes[i].bn_invstd);
        free (t->nodes[i].qx);
        free (t->nodes[i].argmax);
        free (t->nodes[i].cols);
        free (t->nodes[i].dq);
      }
  if (t->params)
    for (int i = 0; i < t->n_params; i++)
      {
        tr_param *p = &t->params[i];
        if (p->pub.wf != p->pub.w)
          free (p->pub.wf);
        free (p->pub.w);
        free (p->pub.grad);
        free (p->m);
        free (p->v);
        _tr_cluster_free (p);
      }
  for (int k = 0; k < TR_MAX_THREADS; k++)
    {
      free (t->part[k]);
      free (t->dpart[k]);
      for (int j = 0; j < 3; j++)
        free (t->buf[k][j].p);
    }
  free (t->labels);
  free (t->probs);
  free (t->shapes);
  free (t->vals);
  free (t->nodes);
  free (t->params);
  free (t);
}

int
bs_trainer_restart (bs_trainer *t, const bs_train_opts *o, char *err, size_t errlen)
{
  bs_train_opts n = t->o;
  if (!(o->lr > 0) || o->epochs < 0 || o->momentum < 0 || o->momentum >= 1 || o->beta1 < 0
      || o->beta1 >= 1 || o->beta2 < 0 || o->beta2 >= 1 || !(o->eps > 0)
      || o->weight_decay < 0 || o->warmup_epochs < 0 || o->step_epochs < 1 || o->lr_min < 0)
    return _tr_fail (err, errlen, "training options out of range");
  n.optimizer = o->optimizer;
  n.lr = o->lr;
  n.momentum = o->momentum;
  n.beta1 = o->beta1;
  n.beta2 = o->beta2;
  n.eps = o->eps;
  n.weight_decay = o->weight_decay;
  n.schedule = o->schedule;
  n.warmup_epochs = o->warmup_epochs;
  n.step_epochs = o->step_epochs;
  n.step_gamma = o->step_gamma;
  n.lr_min = o->lr_min;
  n.epochs = o->epochs;
  t->o = n;
  t->step = 0;
  t->adam_t = 0;
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      memset (p->m, 0, (size_t) p->pub.numel * sizeof (float));
      memset (p->v, 0, (size_t) p->pub.numel * sizeof (float));
      if (p->cm)
        {
          memset (p->cm, 0, (size_t) p->pub.clusters * sizeof (float));
          memset (p->cv, 0, (size_t) p->pub.clusters * sizeof (float));
        }
    }
  return 0;
}

int
bs_trainer_n_params (const bs_trainer *t)
{
  return t->n_params;
}

bs_train_param *
bs_trainer_param (bs_trainer *t, int i)
{
  return i >= 0 && i < t->n_params ? &t->params[i].pub : NULL;
}

int64_t
bs_trainer_steps (const bs_trainer *t)
{
  return t->step;
}

int
bs_trainer_n_threads (const bs_trainer *t)
{
  return t->nt;
}

int
bs_trainer_refresh (bs_trainer *t, char *err, size_t errlen)
{
  for (int i = 0; i < t->n_params; i++)
    if (t->params[i].idx)
      _tr_cluster_apply (&t->params[i]);
  return _tr_qnn_weights (t, err, errlen);
}

/* Sweeps ------------------------------------------------------------------------ */

static bool
threads_failed (bs_trainer *t)
{
  bool f = false;
  for (int k = 0; k < t->nt; k++)
    {
      f |= t->thread_failed[k];
      t->thread_failed[k] = false;
    }
  return f;
}

static int
forward (bs_trainer *t, tr_mode mode, char *err, size_t errlen)
{
  t->mode = mode;
  for (int i = 0; i < t->g->n_nodes; i++)
    {
      tr_node *tn = &t->nodes[i];
      int r;
      switch (tn->op)
        {
        case BS_OP_CONV:
          r = _tr_conv_forward (t, tn, err, errlen);
          break;
        case BS_OP_GEMM:
        case BS_OP_MATMUL:
          r = _tr_dense_forward (t, tn, err, errlen);
          break;
        case BS_OP_MAXPOOL:
        case BS_OP_AVERAGEPOOL:
        case BS_OP_GLOBALAVERAGEPOOL:
          r = _tr_pool_forward (t, tn, err, errlen);
          break;
        case BS_OP_BATCHNORM:
          r = _tr_bn_forward (t, tn, err, errlen);
          break;
        default:
          r = _tr_elementwise_forward (t, tn, err, errlen);
          break;
        }
      if (r == 0 && threads_failed (t))
        r = _tr_fail (err, errlen, "out of memory");
      if (r < 0)
        return -1;
    }
  return 0;
}

typedef struct {
  bs_trainer *t;
} zero_task;

static void
zero_grads_run (void *ctx, int tid, int nt)
{
  bs_trainer *t = ((zero_task *) ctx)->t;
  int64_t b0, b1;
  _tr_slice (t->n, tid, nt, &b0, &b1);
  for (int v = 0; v < t->g->n_values; v++)
    if (t->vals[v].grad && t->g->values[v].kind != BS_VALUE_INITIALIZER)
      memset (t->vals[v].grad + b0 * t->vals[v].per, 0,
              (size_t) ((b1 - b0) * t->vals[v].per) * sizeof (float));
}

static int
backward (bs_trainer *t, char *err, size_t errlen)
{
  zero_task z = { t };
  _tr_pool_run (t->pool, zero_grads_run, &z);
  for (int i = 0; i < t->n_params; i++)
    memset (t->params[i].pub.grad, 0, (size_t) t->params[i].pub.numel * sizeof (float));
  if (_tr_loss (t, true, NULL, NULL, err, errlen) < 0)
    return -1;
  for (int i = t->g->n_nodes - 1; i >= 0; i--)
    {
      tr_node *tn = &t->nodes[i];
      int r;
      if (tn->skip_backward)
        continue;
      switch (tn->op)
        {
        case BS_OP_CONV:
          r = _tr_conv_backward (t, tn, err, errlen);
          break;
        case BS_OP_GEMM:
        case BS_OP_MATMUL:
          r = _tr_dense_backward (t, tn, err, errlen);
          break;
        case BS_OP_MAXPOOL:
        case BS_OP_AVERAGEPOOL:
        case BS_OP_GLOBALAVERAGEPOOL:
          r = _tr_pool_backward (t, tn, err, errlen);
          break;
        case BS_OP_BATCHNORM:
          r = _tr_bn_backward (t, tn, err, errlen);
          break;
        default:
          r = _tr_elementwise_backward (t, tn, err, errlen);
          break;
        }
      if (r == 0 && threads_failed (t))
        r = _tr_fail (err, errlen, "out of memory");
      if (r < 0)
        return -1;
      if (tn->quant_in && _tr_compute_input_grad (t, tn))
        _tr_ste_input (t, tn);
    }
  _tr_qnn_ste_weights (t);
  return 0;
}

static int
load_batch (bs_trainer *t, const float *x, const int32_t *labels, int64_t n, char *err,
            size_t errlen)
{
  if (set_batch (t, n, err, errlen) < 0)
    return -1;
  memcpy (t->vals[t->input].act, x, (size_t) (n * t->vals[t->input].per) * sizeof (float));
  if (labels)
    for (int64_t i = 0; i < n; i++)
      {
        if (labels[i] < 0 || labels[i] >= t->classes)
          return _tr_fail (err, errlen, "label %d of image %lld is not a class (0 .. %d)",
                           (int) labels[i], (long long) i, t->classes - 1);
        t->labels[i] = labels[i];
      }
  return 0;
}

int
bs_trainer_loss_grad (bs_trainer *t, const float *x, const int32_t *labels, int64_t n,
                      bool train_mode, double *loss, float *dx, char *err, size_t errlen)
{
  int r;
  if (load_batch (t, x, labels, n, err, errlen) < 0)
    return -1;
  if (forward (t, train_mode ? TR_MODE_TRAIN_FROZEN : TR_MODE_EVAL, err, errlen) < 0)
    return -1;
  if (_tr_loss (t, false, loss, NULL, err, errlen) < 0)
    return -1;
  t->vals[t->input].need_grad = dx != NULL;
  r = backward (t, err, errlen);
  t->vals[t->input].need_grad = false;
  if (r == 0 && dx)
    memcpy (dx, t->vals[t->input].grad, (size_t) (n * t->vals[t->input].per) * sizeof (float));
  return r;
}

static int
update (bs_trainer *t, int64_t steps_per_epoch, char *err, size_t errlen)
{
  double lr = bs_train_lr (&t->o, t->step, steps_per_epoch);
  t->adam_t++;
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      if (p->idx)
        _tr_cluster_step (t, p, lr);
      else
        _tr_optim_update (&t->o, lr, t->adam_t, p->pub.w, p->pub.grad, p->m, p->v,
                          p->pub.numel, p->pub.is_weight ? t->o.weight_decay : 0.0);
    }
  t->step++;
  _tr_qnn_clip (t);
  return _tr_qnn_weights (t, err, errlen);
}

int
bs_trainer_step (bs_trainer *t, const float *x, const int32_t *labels, int64_t n,
                 int64_t steps_per_epoch, double *loss, int64_t *correct, char *err,
                 size_t errlen)
{
  if (!labels)
    return _tr_fail (err, errlen, "a training step needs labels");
  if (load_batch (t, x, labels, n, err, errlen) < 0)
    return -1;
  return forward (t, TR_MODE_TRAIN, err, errlen) < 0
             || _tr_loss (t, false, loss, correct, err, errlen) < 0
             || backward (t, err, errlen) < 0
             || update (t, steps_per_epoch, err, errlen) < 0
           ? -1 : 0;
}

/* Epochs ------------------------------------------------------------------------ */

/* Image src (c × h × w) into dst, mirrored and shifted by (dy, dx) with the
 * fill value where the source falls outside. */
static void
augment_copy (const bs_train_data *d, const float *src, float *dst, bool flip, int dy, int dx)
{
  for (int64_t c = 0; c < d->c; c++)
    for (int64_t y = 0; y < d->h; y++)
      for (int64_t x = 0; x < d->w; x++)
        {
          int64_t sy = y - dy, sx = x - dx;
          if (flip)
            sx = d->w - 1 - sx;
          dst[(c * d->h + y) * d->w + x] = sy >= 0 && sy < d->h && sx >= 0 && sx < d->w
                                             ? src[(c * d->h + sy) * d->w + sx]
                                             : d->fill[c < BS_DATASET_MAX_CHANNELS ? c : 0];
        }
}

int
bs_trainer_epoch (bs_trainer *t, const bs_train_data *d, int epoch, bs_epoch_stats *st,
                  bs_train_progress_fn fn, void *user, char *err, size_t errlen)
{
  int64_t per = d->c * d->h * d->w, B = t->o.batch, spe = d->n / B;
  int64_t *perm;
  float *xb;
  int32_t *yb;
  double loss_sum = 0;
  int64_t correct_sum = 0;
  uint64_t s;
  int ret = 0;

  if (spe < 1)
    return _tr_fail (err, errlen, "%lld images make no batch of %lld", (long long) d->n,
                     (long long) B);
  if (per != t->vals[t->input].per)
    return _tr_fail (err, errlen, "images of %lld values, the graph takes %lld",
                     (long long) per, (long long) t->vals[t->input].per);
  perm = malloc ((size_t) d->n * sizeof *perm);
  xb = malloc ((size_t) (B * per) * sizeof *xb);
  yb = malloc ((size_t) B * sizeof *yb);
  if (!perm || !xb || !yb)
    {
      free (perm), free (xb), free (yb);
      return _tr_fail (err, errlen, "out of memory");
    }
  /* Fisher–Yates from (seed, epoch) */
  for (int64_t i = 0; i < d->n; i++)
    perm[i] = i;
  s = _tr_mix (t->o.seed, 0x5eed5u, (uint64_t) epoch);
  for (int64_t i = d->n - 1; i > 0; i--)
    {
      int64_t j = (int64_t) (_tr_uniform (&s) * (double) (i + 1));
      int64_t tmp = perm[i];
      if (j > i)
        j = i;
      perm[i] = perm[j];
      perm[j] = tmp;
    }
  for (int64_t step = 0; step < spe; step++)
    {
      double loss;
      int64_t correct;
      for (int64_t i = 0; i < B; i++)
        {
          int64_t k = perm[step * B + i];
          const float *src = d->x + k * per;
          yb[i] = d->labels[k];
          if (t->o.augment_flip || t->o.augment_shift > 0)
            {
              uint64_t a = _tr_mix (t->o.seed ^ 0xa06e0a06ull, (uint64_t) epoch,
                                    (uint64_t) (step * B + i));
              int S = t->o.augment_shift;
              bool flip = t->o.augment_flip && (_tr_splitmix64 (&a) & 1);
              int dy = S ? (int) (_tr_splitmix64 (&a) % (uint64_t) (2 * S + 1)) - S : 0;
              int dx = S ? (int) (_tr_splitmix64 (&a) % (uint64_t) (2 * S + 1)) - S : 0;
              augment_copy (d, src, xb + i * per, flip, dy, dx);
            }
          else
            memcpy (xb + i * per, src, (size_t) per * sizeof (float));
        }
      if (bs_trainer_step (t, xb, yb, B, spe, &loss, &correct, err, errlen) < 0)
        {
          ret = -1;
          break;
        }
      if (!isfinite (loss))
        {
          ret = _tr_fail (err, errlen, "epoch %d step %lld: the loss is %g (diverged; lower "
                          "the learning rate)", epoch, (long long) step, loss);
          break;
        }
      loss_sum += loss;
      correct_sum += correct;
      if (fn && ((step + 1) % 50 == 0 || step + 1 == spe)
          && fn (user, epoch, step + 1, spe, loss_sum / (double) (step + 1)) != 0)
        {
          ret = _tr_fail (err, errlen, "stopped");
          break;
        }
    }
  if (st)
    {
      st->steps = spe;
      st->loss = loss_sum / (double) spe;
      st->accuracy = (double) correct_sum / (double) (spe * B);
      st->lr_last = bs_train_lr (&t->o, t->step > 0 ? t->step - 1 : 0, spe);
    }
  free (perm);
  free (xb);
  free (yb);
  return ret;
}

/* Evaluation ------------------------------------------------------------------ */

int
bs_trainer_logits (bs_trainer *t, const float *x, int64_t n, float *logits, char *err,
                   size_t errlen)
{
  int64_t per = t->vals[t->input].per;
  for (int64_t first = 0; first < n; first += t->cap)
    {
      int64_t cnt = n - first < t->cap ? n - first : t->cap;
      if (load_batch (t, x + first * per, NULL, cnt, err, errlen) < 0
          || forward (t, TR_MODE_EVAL, err, errlen) < 0)
        return -1;
      memcpy (logits + first * t->classes, t->vals[t->logits].act,
              (size_t) (cnt * t->classes) * sizeof (float));
    }
  return 0;
}

int
bs_trainer_evaluate (bs_trainer *t, const bs_train_data *d, double *loss, double *accuracy,
                     char *err, size_t errlen)
{
  int64_t per = d->c * d->h * d->w;
  double loss_sum = 0;
  int64_t correct_sum = 0;

  if (d->n < 1)
    return _tr_fail (err, errlen, "no images to evaluate");
  for (int64_t first = 0; first < d->n; first += t->cap)
    {
      int64_t cnt = d->n - first < t->cap ? d->n - first : t->cap, correct;
      double l;
      if (load_batch (t, d->x + first * per, d->labels + first, cnt, err, errlen) < 0
          || forward (t, TR_MODE_EVAL, err, errlen) < 0
          || _tr_loss (t, false, &l, &correct, err, errlen) < 0)
        return -1;
      loss_sum += l * (double) cnt;
      correct_sum += correct;
    }
  if (loss)
    *loss = loss_sum / (double) d->n;
  if (accuracy)
    *accuracy = (double) correct_sum / (double) d->n;
  return 0;
}

int
bs_trainer_sync (bs_trainer *t, char *err, size_t errlen)
{
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      bs_value *bv = &t->g->values[p->pub.value];
      if (bs_tensor_numel (&bv->data) != p->pub.numel)
        return _tr_fail (err, errlen, "initializer '%s' changed size", bv->name);
      memcpy (bs_tensor_f32 (&bv->data), p->pub.wf, (size_t) p->pub.numel * sizeof (float));
    }
  return 0;
}
