/* bs-train.h — training networks held as bs_graph: float training (SGD with
 * momentum, Adam, BatchNorm in training mode, weight decay, step/cosine
 * learning-rate schedules with warm-up), train-time quantization (QNN, with
 * the straight-through estimator) and k-means weight sharing with centroid
 * fine-tuning.
 *
 * Plain C11, no GLib.  The trainer works on a finalized graph whose first
 * dim of every activation is the batch and whose first output is the
 * logits [N, classes] (or a Softmax over them, fused with the loss).  It
 * trains the float initializers read by Conv (weight, bias), Gemm (B, C),
 * MatMul (B), BatchNormalization (scale, bias) and Add; BatchNormalization's
 * mean and variance initializers are its running statistics.  The trainer
 * keeps master copies of the parameters; bs_trainer_sync writes the values
 * the forward pass uses (w, q(w) or centroids) back into the graph, which can
 * then be exported with bs_train_save_onnx and evaluated by the engine.
 *
 * Determinism: results depend only on the graph, the options (seed, thread
 * count included) and the data.  Work is split over the batch into n_threads
 * fixed slices; every reduction (weight gradients, batch statistics, the loss)
 * sums per-thread partial results in thread order, and OpenBLAS runs
 * single-threaded, so two runs with the same seed and thread count give
 * bit-identical weights.
 *
 * Loss: mean softmax cross-entropy over the batch, computed in double.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs-dataset.h"
#include "bs-format.h"
#include "bs-graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options ------------------------------------------------------------------ */

typedef enum {
  BS_OPTIM_SGD,    /* v = μ·v + g; w -= lr·v  (PyTorch's momentum form) */
  BS_OPTIM_ADAM,   /* Kingma & Ba, bias-corrected */
} bs_optimizer;

typedef enum {
  BS_LR_CONSTANT,
  BS_LR_STEP,      /* lr · gamma^floor(epoch / step_epochs) */
  BS_LR_COSINE,    /* lr_min + (lr - lr_min) · (1 + cos(π·t)) / 2 after warm-up */
} bs_lr_schedule;

typedef struct {
  bs_optimizer optimizer;
  double lr;              /* base learning rate (> 0) */
  double momentum;        /* SGD momentum, 0 ≤ μ < 1 */
  double beta1, beta2;    /* Adam moment decays */
  double eps;             /* Adam denominator epsilon */
  double weight_decay;    /* L2 on Conv/Gemm/MatMul weights: g += wd · w */
  bs_lr_schedule schedule;
  double warmup_epochs;   /* linear warm-up: lr · (s + 1) / W over the first W steps */
  int step_epochs;        /* BS_LR_STEP period (≥ 1) */
  double step_gamma;      /* BS_LR_STEP factor */
  double lr_min;          /* BS_LR_COSINE floor */
  int epochs;             /* length of the schedule */
  int batch;              /* images per step (≥ 1); an epoch drops its last n mod batch */
  uint64_t seed;          /* shuffling and augmentation (initial weights: the builder's) */
  int n_threads;          /* 0 = online CPUs (capped at 64) */
  double bn_momentum;     /* ONNX form: running = m · running + (1 - m) · batch */
  bool augment_flip;      /* random horizontal flips (p = 1/2) */
  int augment_shift;      /* random shifts of up to this many pixels, filled with black */
} bs_train_opts;

#define BS_TRAIN_OPTS_INIT                                                           \
  { .optimizer = BS_OPTIM_ADAM, .lr = 1e-3, .momentum = 0.9, .beta1 = 0.9,           \
    .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0, .schedule = BS_LR_COSINE,        \
    .warmup_epochs = 0, .step_epochs = 1, .step_gamma = 0.1, .lr_min = 0,            \
    .epochs = 10, .batch = 128, .seed = 1, .n_threads = 0, .bn_momentum = 0.9,       \
    .augment_flip = false, .augment_shift = 0 }

/* The learning rate of step s (0-based) of a run of o->epochs epochs of
 * steps_per_epoch steps. */
double bs_train_lr (const bs_train_opts *o, int64_t step, int64_t steps_per_epoch);

/* Data ------------------------------------------------------------------- */

/* Normalised images in memory, ready for batching. */
typedef struct {
  int64_t n, c, h, w;
  float *x;            /* n · c · h · w, owned */
  int32_t *labels;     /* n, owned */
  int n_classes;
  float fill[BS_DATASET_MAX_CHANNELS];   /* normalised black pixel per channel */
} bs_train_data;

/* Images [first, first + count) of ds normalised by norm. */
int bs_train_data_from_dataset (const bs_dataset *ds, const bs_norm *norm, int64_t first,
                                int64_t count, bs_train_data *out, char *err, size_t errlen);
void bs_train_data_clear (bs_train_data *d);

/* Architectures ------------------------------------------------------------ */

typedef enum {
  BS_ARCH_MLP,      /* Flatten, 784-256-128-10 Gemm+BN+ReLU, Gemm */
  BS_ARCH_CNN,      /* 2 × (Conv 3×3 + BN + ReLU + MaxPool 2), Gemm+ReLU, Gemm */
  BS_ARCH_RESNET,   /* stem, 2 residual blocks (Add), GlobalAveragePool, Gemm */
} bs_arch;

/* resnet's channel widths: stem, block 1, block 2 (default 24, 32, 64). */
#define BS_RESNET_STAGES 3

/* "mlp", "cnn", "resnet". */
const char *bs_arch_name (bs_arch a);
int bs_arch_parse (const char *name, bs_arch *a);

/* Build an architecture for [N, c, h, w] inputs and `classes` outputs,
 * initial weights drawn from seed: He-normal (std √(2/fan_in)) weights, zero
 * biases, BN scale 1, bias 0, mean 0, var 1.  qnn = true builds the QNN form:
 * hardtanh (Clip -1..1) instead of ReLU, no biases on Conv/Gemm, a BN after
 * the last Gemm, and weights uniform in [-1, 1].  Input named "input",
 * output "logits" [N, classes]; finalized.  widths (n_widths of them, 0 for
 * the defaults) sets resnet's BS_RESNET_STAGES channel widths; other
 * architectures refuse them. */
int bs_train_build (bs_arch arch, bool qnn, int64_t c, int64_t h, int64_t w, int classes,
                    const int64_t *widths, int n_widths, uint64_t seed, bs_graph **g,
                    char *err, size_t errlen);

/* Multiply-accumulates and parameters (initializer elements of the
 * Conv/Gemm/MatMul layers; all float initializers in *all_params) of one
 * image. */
int bs_train_graph_cost (const bs_graph *g, int64_t *macs, int64_t *params,
                         int64_t *all_params, char *err, size_t errlen);

/* Trainer -------------------------------------------------------------------- */

typedef struct bs_trainer bs_trainer;

/* One trained initializer. */
typedef struct {
  const char *name;     /* the initializer's name (owned by the graph) */
  int value;            /* its value id */
  int64_t numel;
  bool is_weight;       /* a Conv/Gemm/MatMul weight: decayed, quantized, clustered */
  float *w;             /* master values (may be edited; call bs_trainer_refresh) */
  float *wf;            /* the values the forward pass uses: w, q(w) or the centroids */
  float *grad;          /* dLoss/dw from the last bs_trainer_loss_grad / step, after the
                         * straight-through estimator (QNN) */
  int clusters;         /* number of centroids while clustered, else 0 */
  const float *centroids;  /* clusters values, ascending at clustering time */
} bs_train_param;

/* A trainer over g (borrowed: it must outlive the trainer; its initializers
 * are read now and rewritten by bs_trainer_sync).  NULL with a reason when
 * the graph has an op or form the trainer does not differentiate. */
bs_trainer *bs_trainer_new (bs_graph *g, const bs_train_opts *o, char *err, size_t errlen);
void bs_trainer_free (bs_trainer *t);

/* Train-time quantization (QNN, Moons et al. after Hubara et al.):
 * compute-layer weights are clipped to [-1, 1] after every update and the
 * forward pass uses q(w) = bs_format_quantize(weights, w) at scale 1; the
 * inputs of every compute layer but the first are quantized with
 * `activations` at scale 1; the first layer's input with `input` at
 * input_scale.  Backward: straight-through, g_w = g_q · 1{|w| ≤ 1} and
 * g_x = g_q · 1{|x| ≤ 1}.  weights/activations NULL leave that side in
 * float; input NULL leaves the first input as is.  Call before training;
 * clips the current weights at once. */
int bs_trainer_set_qnn (bs_trainer *t, const char *weights, const char *activations,
                        const char *input, double input_scale, char *err, size_t errlen);

/* k-means weight sharing: each compute-layer weight tensor is clustered into
 * at most k centroids (bs_kmeans_fit, k-means++ seeded from seed) and its
 * elements replaced by their centroid.  From then on each step trains the
 * centroids (gradient of a centroid = Σ gradients of its weights) with the
 * optimizer, fresh moments, and keeps the assignments. */
int bs_trainer_cluster (bs_trainer *t, int k, uint64_t seed, char *err, size_t errlen);

/* Replace the optimizer and schedule options (optimizer, lr, momentum, betas,
 * eps, weight decay, schedule, warm-up, step, lr_min, epochs) and restart the
 * schedule at step 0 with fresh optimizer moments — e.g. for the centroid
 * fine-tuning after bs_trainer_cluster.  batch, seed, threads and the BN
 * momentum stay. */
int bs_trainer_restart (bs_trainer *t, const bs_train_opts *o, char *err, size_t errlen);

int bs_trainer_n_params (const bs_trainer *t);
bs_train_param *bs_trainer_param (bs_trainer *t, int i);
/* Recompute the forward values from w: q(w) for QNN weights (w is not
 * clipped here: only updates clip, so |w| > 1 set by hand stays and the STE
 * blocks its gradient), the centroids for clustered ones (which overwrite w). */
int bs_trainer_refresh (bs_trainer *t, char *err, size_t errlen);
/* Steps taken so far (the schedule's position). */
int64_t bs_trainer_steps (const bs_trainer *t);
int bs_trainer_n_threads (const bs_trainer *t);

/* Forward and backward on images x [n, …] with labels: *loss = the mean
 * cross-entropy, gradients into every param's grad; dx (may be NULL) receives
 * dLoss/dx [n, …].  train_mode = true uses batch statistics in BN (and
 * updates nothing); false uses the running statistics.  No update. */
int bs_trainer_loss_grad (bs_trainer *t, const float *x, const int32_t *labels, int64_t n,
                          bool train_mode, double *loss, float *dx, char *err, size_t errlen);

/* One optimizer step on a batch: forward in training mode (updating the BN
 * running statistics), backward, update at the schedule's rate for the
 * current step.  *loss (may be NULL) = the batch's mean loss before the step;
 * *correct (may be NULL) = images whose logits' argmax was their label. */
int bs_trainer_step (bs_trainer *t, const float *x, const int32_t *labels, int64_t n,
                     int64_t steps_per_epoch, double *loss, int64_t *correct, char *err,
                     size_t errlen);

typedef struct {
  double loss;          /* mean training loss over the epoch's steps */
  double accuracy;      /* training accuracy (in training mode, augmented) */
  double lr_last;       /* rate of the last step */
  int64_t steps;
} bs_epoch_stats;

/* Called every few steps and at the end of an epoch; return non-zero to stop. */
typedef int (*bs_train_progress_fn) (void *user, int epoch, int64_t step, int64_t steps,
                                     double mean_loss);

/* One epoch over d: a permutation drawn from (seed, epoch), batches of
 * o->batch (the last n mod batch images left out), augmentation per image from
 * (seed, epoch, position). */
int bs_trainer_epoch (bs_trainer *t, const bs_train_data *d, int epoch, bs_epoch_stats *st,
                      bs_train_progress_fn fn, void *user, char *err, size_t errlen);

/* The evaluation forward (BN running statistics, quantization as trained):
 * logits [n, classes] of images x [n, …] — the values the loss reads, i.e.
 * the input of a final Softmax when the graph ends with one. */
int bs_trainer_logits (bs_trainer *t, const float *x, int64_t n, float *logits, char *err,
                       size_t errlen);
/* Mean loss and top-1 accuracy of the evaluation forward over d. */
int bs_trainer_evaluate (bs_trainer *t, const bs_train_data *d, double *loss,
                         double *accuracy, char *err, size_t errlen);

/* Write every param's forward values into the graph's initializers (the BN
 * running statistics live there already). */
int bs_trainer_sync (bs_trainer *t, char *err, size_t errlen);

/* Export ------------------------------------------------------------------- */

/* Record metadata_props keys[i] = values[i] on g (replacing equal keys) and
 * save it as ONNX (bs_onnx_save); bs_onnx_load + bs_graph_metadata read them
 * back. */
int bs_train_save_onnx (bs_graph *g, const char *path, int n_meta,
                        const char *const *keys, const char *const *values, char *err,
                        size_t errlen);

/* Key holding the input normalisation "mean,std" of 8-bit pixels:
 * x = (pixel / 255 - mean) / std (one pair per channel, comma-separated, when
 * channels differ). */
#define BS_TRAIN_META_NORMALIZE "bitscape.normalize"

#ifdef __cplusplus
}
#endif
