/* qnn.c — train-time quantization (QNN) after Moons et al. (Embedded Deep
 * Learning, ch. 3) and Hubara et al. 2016:
 *
 *   weights:      w clipped to [-1, 1] after every update; forward uses
 *                 q(w) = bs_format_quantize(fmt, w) at scale 1 (fixed<Q> is
 *                 clip(round(2^(Q-1)·w) / 2^(Q-1), -1, 1 - 2^-(Q-1)); binary
 *                 is sign(w)); backward g_w = g_q · 1{|w| ≤ 1}.
 *   activations:  the input of every compute layer after the first is
 *                 quantized the same way (it follows a hardtanh in the QNN
 *                 architectures); backward g_x = g_q · 1{|x| ≤ 1}.
 *   first layer:  its input is quantized with the input format (int8) at
 *                 the given scale; its STE passes within ±max·scale. */
#include "train-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const float *
_tr_compute_input (bs_trainer *t, tr_node *tn)
{
  return tn->quant_in ? tn->qx : _tr_data (t, t->g->nodes[tn->node].inputs[0]);
}

float *
_tr_compute_input_grad (bs_trainer *t, tr_node *tn)
{
  int v = t->g->nodes[tn->node].inputs[0];
  if (t->g->values[v].kind == BS_VALUE_INITIALIZER || !t->vals[v].need_grad)
    return NULL;
  return tn->quant_in ? tn->dq : t->vals[v].grad;
}

int
_tr_quantize_input (bs_trainer *t, tr_node *tn, int64_t b0, int64_t b1, char *err,
                    size_t errlen)
{
  int v = t->g->nodes[tn->node].inputs[0];
  int64_t per = t->vals[v].per;
  bs_qopts o = BS_QOPTS_INIT;
  const bs_format *f = tn->first_layer ? &t->ifmt : &t->afmt;
  o.scale = tn->first_layer ? t->in_scale : 1.0;
  return bs_format_quantize (f, _tr_data (t, v) + b0 * per, tn->qx + b0 * per,
                             (size_t) ((b1 - b0) * per), &o, err, errlen);
}

typedef struct {
  bs_trainer *t;
  tr_node *tn;
} ste_task;

static void
ste_run (void *ctx, int tid, int nt)
{
  ste_task *s = ctx;
  bs_trainer *t = s->t;
  int v = t->g->nodes[s->tn->node].inputs[0];
  int64_t per = t->vals[v].per, b0, b1;
  const float *x = _tr_data (t, v), *dq = s->tn->dq;
  float *dx = t->vals[v].grad;
  float lim = s->tn->first_layer ? (float) (t->ifmt.max * t->in_scale) : 1.0f;

  _tr_slice (t->n, tid, nt, &b0, &b1);
  for (int64_t i = b0 * per; i < b1 * per; i++)
    dx[i] += fabsf (x[i]) <= lim ? dq[i] : 0.0f;
}

void
_tr_ste_input (bs_trainer *t, tr_node *tn)
{
  ste_task s = { t, tn };
  _tr_pool_run (t->pool, ste_run, &s);
}

int
_tr_qnn_weights (bs_trainer *t, char *err, size_t errlen)
{
  bs_qopts o = BS_QOPTS_INIT;
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      if (!p->quant)
        continue;
      if (bs_format_quantize (&t->wfmt, p->pub.w, p->pub.wf, (size_t) p->pub.numel, &o, err,
                              errlen) < 0)
        return -1;
    }
  return 0;
}

void
_tr_qnn_clip (bs_trainer *t)
{
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      if (p->quant)
        for (int64_t k = 0; k < p->pub.numel; k++)
          p->pub.w[k] = p->pub.w[k] > 1.0f ? 1.0f : p->pub.w[k] < -1.0f ? -1.0f : p->pub.w[k];
    }
}

void
_tr_qnn_ste_weights (bs_trainer *t)
{
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      if (!p->quant)
        continue;
      for (int64_t k = 0; k < p->pub.numel; k++)
        if (!(fabsf (p->pub.w[k]) <= 1.0f))
          p->pub.grad[k] = 0.0f;
    }
}

static int
parse_fmt (const char *name, bs_format *f, const char *what, char *err, size_t errlen)
{
  char msg[200];
  if (bs_format_parse (name, f, msg, sizeof msg) < 0)
    return _tr_fail (err, errlen, "%s format: %s", what, msg);
  if (bs_format_family (f) == BS_FAMILY_KMEANS)
    return _tr_fail (err, errlen, "%s format: %s is fitted per tensor, use clustering", what,
                     name);
  return 0;
}

int
bs_trainer_set_qnn (bs_trainer *t, const char *weights, const char *activations,
                    const char *input, double input_scale, char *err, size_t errlen)
{
  int first = -1;

  if (t->clustered)
    return _tr_fail (err, errlen, "a clustered network cannot also be trained as a QNN");
  if (t->qnn)
    return _tr_fail (err, errlen, "quantization is already set");
  if ((weights && parse_fmt (weights, &t->wfmt, "weight", err, errlen) < 0)
      || (activations && parse_fmt (activations, &t->afmt, "activation", err, errlen) < 0)
      || (input && parse_fmt (input, &t->ifmt, "input", err, errlen) < 0))
    return -1;
  if (input && !(input_scale > 0 && isfinite (input_scale)))
    return _tr_fail (err, errlen, "input scale must be finite and > 0");
  t->q_weights = weights != NULL;
  t->q_acts = activations != NULL;
  t->q_input = input != NULL;
  t->in_scale = input_scale;
  t->qnn = true;

  if (t->q_weights)
    for (int i = 0; i < t->n_params; i++)
      {
        tr_param *p = &t->params[i];
        if (!p->pub.is_weight)
          continue;
        p->quant = true;
        p->pub.wf = malloc ((size_t) p->pub.numel * sizeof (float));
        if (!p->pub.wf)
          {
            p->pub.wf = p->pub.w;
            p->quant = false;
            return _tr_fail (err, errlen, "out of memory");
          }
      }
  for (int i = 0; i < t->g->n_nodes; i++)
    {
      tr_node *tn = &t->nodes[i];
      int v;
      size_t sz;
      if (!bs_op_is_compute (tn->op))
        continue;
      if (first < 0)
        first = i;
      tn->first_layer = i == first;
      tn->quant_in = tn->first_layer ? t->q_input : t->q_acts;
      if (!tn->quant_in)
        continue;
      v = t->g->nodes[i].inputs[0];
      sz = (size_t) (t->cap * t->vals[v].per);
      tn->qx = malloc ((sz ? sz : 1) * sizeof (float));
      tn->dq = calloc (sz ? sz : 1, sizeof (float));
      if (!tn->qx || !tn->dq)
        return _tr_fail (err, errlen, "out of memory");
    }
  _tr_qnn_clip (t);
  return _tr_qnn_weights (t, err, errlen);
}
