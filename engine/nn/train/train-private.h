/* train-private.h — internals shared by the files of engine/nn/train. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs-format.h"
#include "bs-graph.h"
#include "bs-ops.h"
#include "bs-train.h"

#define TR_MAX_THREADS 64

/* Write a one-line reason into err (if any) and return -1. */
int _tr_fail (char *err, size_t errlen, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Random numbers --------------------------------------------------------- */

/* splitmix64: advances *s and returns the next 64-bit output. */
uint64_t _tr_splitmix64 (uint64_t *s);
/* A value in [0, 1) with 53 random bits. */
double _tr_uniform (uint64_t *s);
/* A standard normal deviate (Box–Muller, one value per call). */
double _tr_normal (uint64_t *s);
/* A well-mixed seed from a seed and two counters. */
uint64_t _tr_mix (uint64_t seed, uint64_t a, uint64_t b);

/* Thread pool ----------------------------------------------------------- */

typedef struct tr_pool tr_pool;
typedef void (*tr_task_fn) (void *ctx, int tid, int nt);

/* n workers counting the caller (n - 1 threads are started). */
tr_pool *_tr_pool_new (int n);
void _tr_pool_free (tr_pool *p);
/* fn(ctx, tid, n) for every tid in 0 .. n-1 (tid 0 on the caller); returns
 * when all are done. */
void _tr_pool_run (tr_pool *p, tr_task_fn fn, void *ctx);

/* [lo, hi) of thread tid's share of n items (contiguous, fixed by n and nt). */
static inline void
_tr_slice (int64_t n, int tid, int nt, int64_t *lo, int64_t *hi)
{
  *lo = n * tid / nt;
  *hi = n * (tid + 1) / nt;
}

/* Growable per-thread scratch. */
typedef struct {
  float *p;
  size_t n;
} tr_buf;
float *_tr_buf_get (tr_buf *b, size_t n);

/* Trainer state ----------------------------------------------------------- */

typedef struct {
  bs_train_param pub;
  float *m, *v;          /* optimizer moments (v: Adam only) */
  bool quant;            /* QNN: forward uses q(w) */
  /* clustering */
  uint32_t *idx;         /* cluster of each element */
  float *cent, *cgrad, *cm, *cv;
} tr_param;

typedef struct {
  float *act;            /* [B, …] runtime inputs and intermediates */
  float *grad;           /* dLoss/d(value), same size; NULL when not needed */
  int64_t per;           /* floats per image at the current shapes */
  int param;             /* trained initializer: index into params; else -1 */
  bool need_grad;
} tr_value;

typedef struct {
  int node;
  bs_op op;
  /* resolved for the current batch */
  bs_conv_dims cd;       /* Conv */
  bs_geom pg;            /* pools */
  float lo, hi;          /* Clip */
  int64_t rows_per_image, k, ncols;   /* Gemm/MatMul: per image rows, inner dim, out cols */
  int64_t outer, len, inner;          /* Softmax, BN (len = channels) */
  float *cols;           /* Conv: im2col patches of the last training forward */
  int64_t cols_n;        /* the batch they are for (0: none) */
  int32_t *argmax;       /* MaxPool: [cap, C, oh, ow] winning cell per output */
  /* BN: batch statistics of the last training forward */
  float *bn_mean, *bn_invstd;
  /* QNN: quantized input of a compute layer and the gradient reaching it */
  bool quant_in;
  bool first_layer;
  float *qx, *dq;
  bool skip_backward;    /* the final Softmax fused with the loss */
} tr_node;

typedef enum {
  TR_MODE_EVAL,
  TR_MODE_TRAIN,         /* batch statistics, running statistics updated */
  TR_MODE_TRAIN_FROZEN,  /* batch statistics, nothing updated (gradient checks) */
} tr_mode;

struct bs_trainer {
  bs_graph *g;
  bs_train_opts o;
  int nt;
  tr_pool *pool;
  tr_buf buf[TR_MAX_THREADS][3];       /* per-thread scratch */
  float *part[TR_MAX_THREADS];         /* per-thread gradient partials */
  double *dpart[TR_MAX_THREADS];       /* per-thread double partials (channel sums, loss) */
  size_t part_n, dpart_n;
  bool thread_failed[TR_MAX_THREADS];

  int64_t cap;                         /* batch the buffers are sized for */
  int64_t n;                           /* current batch */
  bs_shape *shapes;                    /* per value at batch n */
  tr_value *vals;
  tr_node *nodes;
  int n_params;
  tr_param *params;

  int input;                           /* runtime input value id */
  int logits;                          /* value the loss reads */
  int classes;
  int32_t *labels;                     /* [cap] labels of the current batch */
  float *probs;                        /* [cap · classes] softmax of the logits */

  /* QNN */
  bool qnn;
  bool q_weights, q_acts, q_input;
  bs_format wfmt, afmt, ifmt;
  double in_scale;

  bool clustered;
  int64_t step;                        /* optimizer steps taken */
  int64_t adam_t;                      /* Adam's step counter (reset by clustering) */
  tr_mode mode;
};

/* Value data: an activation, a param's forward values, or an initializer. */
float *_tr_data (bs_trainer *t, int v);

/* Per-op forward and backward (each runs its own parallel phases).  They
 * return 0, or -1 with err filled. */
int _tr_conv_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_conv_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_dense_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_dense_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_pool_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_pool_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_bn_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_bn_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_elementwise_forward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
int _tr_elementwise_backward (bs_trainer *t, tr_node *tn, char *err, size_t errlen);
/* Softmax cross-entropy of the logits against t->labels: *loss (mean), the
 * number of correct argmaxes, and (when grad) dLoss/dlogits. */
int _tr_loss (bs_trainer *t, bool grad, double *loss, int64_t *correct, char *err,
              size_t errlen);

/* The input of a compute layer as the forward uses it: its QNN quantized copy
 * or the activation itself; and where its gradient goes. */
const float *_tr_compute_input (bs_trainer *t, tr_node *tn);
float *_tr_compute_input_grad (bs_trainer *t, tr_node *tn);
/* QNN: quantize a compute layer's input slice into tn->qx. */
int _tr_quantize_input (bs_trainer *t, tr_node *tn, int64_t b0, int64_t b1, char *err,
                        size_t errlen);
/* QNN: grad(x) += dq · 1{|x| ≤ 1} over the batch. */
void _tr_ste_input (bs_trainer *t, tr_node *tn);
/* QNN: forward weights q(w) of every quantized param. */
int _tr_qnn_weights (bs_trainer *t, char *err, size_t errlen);
/* QNN: clip the master weights of the quantized params to [-1, 1]. */
void _tr_qnn_clip (bs_trainer *t);
/* QNN: grad *= 1{|w| ≤ 1} for the quantized params. */
void _tr_qnn_ste_weights (bs_trainer *t);

/* Parallel sum of the per-thread partials part[0..nt)[off .. off+n) into
 * dst (dst += Σ in thread order). */
void _tr_reduce_partials (bs_trainer *t, size_t off, float *dst, int64_t n);
/* Zero part[tid][0 .. n) for every thread (sizes checked by the caller). */
void _tr_zero_partials (bs_trainer *t, int tid, size_t n);

/* Optimizer update of one array. */
void _tr_optim_update (const bs_train_opts *o, double lr, int64_t adam_t, float *w,
                       const float *g, float *m, float *v, int64_t n, double wd);

/* Clustering: centroid gradients and update, then wf from the centroids. */
void _tr_cluster_step (bs_trainer *t, tr_param *p, double lr);
void _tr_cluster_apply (tr_param *p);
void _tr_cluster_free (tr_param *p);
