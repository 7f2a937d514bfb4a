/* bs-eval.h — accuracy of a network under a quantization configuration.
 *
 * An evaluator is built once per (model, test set, calibration set).  It
 * folds BatchNormalization into the layers before it, runs the float network
 * once over a calibration subset of the TRAINING set (input ranges per
 * compute layer, for the scales) and over the first test images (reference
 * outputs, for SQNR), then evaluates configurations:
 *
 *   bs_evaluator *ev = bs_evaluator_new (graph, &test, &calib, &opts, err, len);
 *   bs_eval_result r;
 *   bs_evaluator_run (ev, cfg, &r, err, len);      // r.top1, r.layers[i].sqnr …
 *   bs_eval_result_clear (&r);
 *
 * Two paths:
 *   fake-quant  weights and each compute layer's inputs are quantized (fast
 *               float kernels), the products summed in fp32 by OpenBLAS;
 *   exact       the layer's dot products are computed on the formatted values
 *               by the configuration's accumulator (bs_dot semantics: Kulisch,
 *               quire, ELMA, int32, fp16/fp32 rounding after every operation).
 * The result says which one ran.
 *
 * Scales (bs_scaling of each layer): weights from their own values; inputs
 * from the calibration ranges, so they do not depend on the configuration of
 * earlier layers (static calibration, as the seed's rescaling).
 *
 * Prefix cache: the evaluator keeps, within a memory budget, the activations
 * that cross each compute layer's boundary for the configuration it ran last;
 * a configuration that first differs at layer k restarts from layer k.  A
 * run saves the boundaries after the layer it started from, a copy of those
 * activations; a caller that knows how far its next runs can reuse them
 * (a search strategy) limits that with bs_evaluator_set_cache_keep, so that
 * runs nothing will reuse (a grid of uniform formats) copy nothing.
 *
 * Runs use opts.n_threads workers; results do not depend on the thread count
 * (chunks have fixed boundaries and statistics are reduced in chunk order).
 * An evaluator runs one configuration at a time.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs-config.h"
#include "bs-dataset.h"
#include "bs-graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BS_EVAL_AUTO,        /* exact where the configuration asks for a non-fp32 accumulator */
  BS_EVAL_FAKE_QUANT,
  BS_EVAL_EXACT,
} bs_eval_path;

typedef struct {
  int n_threads;          /* 0 = online CPUs */
  int64_t chunk;          /* images per chunk; 0 = 64, or 8 past the
                           * statistics' images on the fake-quant path when
                           * the model's Gemm/MatMul weights are few (below) */
  int64_t limit;          /* test images used (the first `limit`); 0 = all */
  int64_t stat_images;    /* images for output SQNR; 0 = 256 */
  size_t cache_bytes;     /* prefix cache budget; 0 = 2 GiB */
  int hist_bins;          /* histogram bins; 0 = 64 */
  bs_eval_path path;
  bs_norm norm;           /* input normalisation of the model */
  int cache_keep;         /* boundaries a run saves: BS_EVAL_CACHE_ALL (0, the
                           * default), BS_EVAL_CACHE_NONE, or k ≥ 1: those before
                           * compute layers 1..k (bs_evaluator_set_cache_keep) */
} bs_eval_opts;

#define BS_EVAL_CACHE_ALL 0
#define BS_EVAL_CACHE_NONE (-1)

#define BS_EVAL_OPTS_INIT { 0 }

typedef struct {
  char name[64];
  bs_op op;
  int node;
  int64_t macs;             /* per image */
  int64_t params;
  int64_t weight_count;
  int64_t input_count;      /* per image */
  int64_t output_count;     /* per image */
  /* fractions of exact zeros, before and after quantization */
  double input_sparsity_fp32, input_sparsity;
  double weight_sparsity_fp32, weight_sparsity;
  double weight_sqnr_db;    /* quantized weights vs fp32 weights (+inf if identical) */
  double output_sqnr_db;    /* layer output vs the fp32 network's, on stat_images */
  double weight_scale, input_scale;   /* per-layer scale (channel/block: the largest) */
  /* histograms: n_bins bins over [min, max] of the fp32 tensor (inputs: from
   * calibration) */
  float w_min, w_max, a_min, a_max;
  int n_bins;
  uint64_t *w_hist, *a_hist;
} bs_eval_layer;

typedef struct {
  double top1, top5;        /* percent */
  int64_t images;
  const char *path;         /* "fake-quant" or "exact" */
  int first_layer_run;      /* where the prefix cache let the run start */
  int n_layers;
  bs_eval_layer *layers;
} bs_eval_result;

typedef struct bs_evaluator bs_evaluator;

/* g is folded in place (BatchNormalization) and must outlive the evaluator;
 * test and calib are copied as needed (normalised with o->norm). */
bs_evaluator *bs_evaluator_new (bs_graph *g, const bs_dataset *test, const bs_dataset *calib,
                                const bs_eval_opts *o, char *err, size_t errlen);
void bs_evaluator_free (bs_evaluator *ev);

/* The compute layers a configuration addresses, in order. */
int bs_evaluator_n_layers (const bs_evaluator *ev);
const bs_layer_info *bs_evaluator_layer (const bs_evaluator *ev, int i);

int bs_evaluator_run (bs_evaluator *ev, const bs_config *cfg, bs_eval_result *res,
                      char *err, size_t errlen);
void bs_eval_result_clear (bs_eval_result *res);

/* Which prefix-cache boundaries the following runs save (opts.cache_keep):
 * BS_EVAL_CACHE_ALL, BS_EVAL_CACHE_NONE, or k ≥ 1: the activations before
 * compute layers 1..k (k ≥ n_layers − 1 is all of them).  A boundary already
 * held for the run's prefix stays; one after the run's starting layer that
 * is not saved is released.  Only speed and memory depend on it, never a
 * result.  Call it between runs. */
void bs_evaluator_set_cache_keep (bs_evaluator *ev, int keep);

/* Cancel a run from another thread (it returns -1, "cancelled"). */
void bs_evaluator_cancel (bs_evaluator *ev);

#ifdef __cplusplus
}
#endif
