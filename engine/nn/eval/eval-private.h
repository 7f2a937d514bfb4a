/* eval-private.h — shared between the evaluator's files. */
#pragma once

#include "bs-eval.h"
#include "bs-format.h"

#include <stdatomic.h>

/* What the evaluator knows of one compute layer. */
typedef struct {
  bs_layer_info info;        /* at batch 1 */
  /* the nodes after a Conv that the fake-quant path runs with it
   * (bs_graph_conv_fusion), on chunks whose outputs no statistic reads */
  bs_conv_fusion fusion;
  const float *w;            /* fp32 weights (the graph's initializer) */
  int64_t w_count;
  int64_t channels;          /* output channels (channel scaling) */
  int64_t channel_stride;    /* weights of channel c: w[c·stride + i·step]… see channel_of */
  bool channel_major;        /* channel = i / (w_count / channels), else i % channels */
  float w_maxabs, w_min, w_max;
  /* calibration of the inputs (fp32 network, calibration set) */
  float a_maxabs, a_min, a_max;
  float *a_sample;           /* |x| of a deterministic subsample, sorted */
  int64_t a_sample_n;
  uint64_t *w_hist, *a_hist;
  /* fp32 reference outputs of the first stat images */
  float *ref_out;
  int64_t out_per_image, in_per_image;
  /* the quantized weights last made, and for which choice */
  char q_key[160];
  float *qw;
  /* qw packed for the direct Conv loops, made by the first run that needs
   * it (NULL for other layers); reset whenever qw changes */
  bs_conv_pack *pack;
  double q_scale;            /* per-layer scale (channel/block: the largest) */
  double q_sqnr;
  int64_t q_zeros;
  /* The exact path's view of the same weights, made beside qw when
   * opts.path is not fake-quant and kept in qw's allocation (freed with it):
   * the unit-scale values round_f(w / s) as doubles (a log8 value is not a
   * float), rows [output channel][k]; the scale s of each output channel;
   * and whether one scale per output channel describes the weights (not so
   * for block scaling of an element format). */
  double *qw_unit;
  double *qw_scale;
  bool qw_per_channel;
  /* … and those values packed as operands (side 0) of the kernel named by
   * w_ops_key (kind, formats, accumulator), made once per configuration so
   * that chunks do not repack them; up to 8 bytes per weight, in the same
   * allocation.  w_ops_key is empty when they were not made. */
  char *w_ops;
  char w_ops_key[96];
  /* input and output statistics of the last run (reused when the prefix
   * cache skips the layer) */
  int64_t last_z_fp32, last_z;
  double last_sig, last_noise;
} _bs_ev_layer;

/* One boundary of the prefix cache: the values live before compute layer j. */
typedef struct {
  int layer;
  int node;
  int n_live;
  int *live;                 /* value ids */
  int64_t *elems;            /* floats per image of each live value */
  int64_t per_image;         /* Σ elems */
  float *data;               /* [images][per_image], NULL if over budget */
  bool valid;                /* holds the activations of ev->cache_cfg */
} _bs_ev_boundary;

struct bs_evaluator {
  bs_graph *g;
  bs_eval_opts o;
  int64_t fast_chunk;        /* chunk past the statistics' images, fake-quant */
  int n_layers;
  _bs_ev_layer *layers;
  bs_tensor test;            /* normalised test images [N, C, H, W] */
  int32_t *labels;
  int64_t n_images;
  int64_t stat_images;
  int n_classes;
  _bs_ev_boundary *bounds;   /* n_layers entries; bounds[0] unused (input) */
  bs_config *cache_cfg;
  atomic_int cancel;
};

/* eval-calib.c */
int _bs_ev_calibrate (bs_evaluator *ev, const bs_dataset *calib, char *err, size_t errlen);
int _bs_ev_reference (bs_evaluator *ev, char *err, size_t errlen);
/* The scale of layer j's inputs for a format and scaling choice. */
double _bs_ev_input_scale (const bs_evaluator *ev, int j, const bs_format *f,
                           const bs_layer_config *lc);
/* Quantize layer j's weights for lc (cached on the layer by choice). */
int _bs_ev_quantize_weights (bs_evaluator *ev, int j, const bs_layer_config *lc, char *err,
                             size_t errlen);
/* Formats whose values carry their own scales: no extra scaling applies. */
bool _bs_ev_self_scaled (const bs_format *f);
/* BS_SCALING_AUTO resolved for a format (other choices unchanged). */
bs_scaling _bs_ev_scaling (const bs_format *f, bs_scaling s);

double _bs_sqnr_db (double signal, double noise);

/* eval-exact.c — the exact path of one compute layer: from the quantized
 * input q (count images, values already at their scale in_scale; the fp32
 * input is still in bs_exec_data (x, L->info.input)) and the layer's
 * weights (L->qw_unit, L->qw_scale, made by _bs_ev_quantize_weights for lc),
 * compute the layer's output with lc->acc and write it to
 * bs_exec_data (x, L->info.output).  Dot products follow bs_dot semantics
 * (the contract is in eval-exact.c). */
int _bs_ev_exact_layer (bs_evaluator *ev, int j, const bs_layer_config *lc,
                        const bs_format *fin, double in_scale, bs_exec *x, const float *q,
                        int64_t count, char *err, size_t errlen);
/* Pack layer j's exact weights (L->w_ops) for the kernel lc's formats and
 * accumulator name, unless they already are (see w_ops_key). */
void _bs_ev_exact_pack_weights (bs_evaluator *ev, int j, const bs_layer_config *lc);

/* Fill L->qw_unit from L->w for weight format f and choice lc, once L->qw
 * and L->qw_scale are made (called by _bs_ev_quantize_weights). */
int _bs_ev_exact_weights (bs_evaluator *ev, int j, const bs_format *f, const bs_layer_config *lc,
                          char *err, size_t errlen);
/* Whether a configuration needs the exact path under opts.path. */
bool _bs_ev_wants_exact (const bs_evaluator *ev, const bs_config *cfg);
