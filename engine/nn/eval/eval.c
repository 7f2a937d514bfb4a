/* eval.c — the evaluator: construction, runs, prefix cache, statistics. */
#include "eval-private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Per-chunk statistics, reduced in chunk order so that results do not
 * depend on which worker ran which chunk. */
typedef struct {
  int64_t top1, top5;
  int64_t *in_zeros_fp32, *in_zeros;   /* per layer */
  double *out_sig, *out_noise;         /* per layer, stat images only */
} chunk_stats;

typedef struct {
  bs_evaluator *ev;
  const bs_config *cfg;
  bs_format *fin;            /* input format per layer */
  double *in_scale;          /* per layer */
  bool *quantize_input;      /* false for fp32 inputs */
  int start_layer;           /* first compute layer to run (0: from the input) */
  int start_node;
  bool exact;                /* the exact path */
  chunk_stats *stats;        /* one per chunk */
  /* Images [0, split) run in chunks of `chunk` (those of the statistics
   * among them), the rest in chunks of fast_chunk; a chunk_fn's `first`
   * counts from `offset`. */
  int64_t chunk, fast_chunk, split, offset;
  /* Layer j's quantized input is layer share_from[j]'s (-1: none) when both
   * read the same value in the same format at the same scale (a residual
   * block's first conv and its projection shortcut). */
  int *share_from;
  /* Per worker thread, n_layers + 1 buffers for quantized inputs, grown on
   * demand and kept across layers and chunks (a fresh buffer of several MB
   * per layer and chunk cost a page fault per 4 KiB): slot j for a layer
   * whose input a later layer shares, slot n_layers for the others. */
  float **qbuf;
  size_t *qcap;              /* floats */
  int n_qbuf;                /* threads */
} run_ctx;

static int fail (char *err, size_t errlen, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

static int
fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

int
bs_evaluator_n_layers (const bs_evaluator *ev)
{
  return ev->n_layers;
}

const bs_layer_info *
bs_evaluator_layer (const bs_evaluator *ev, int i)
{
  return i >= 0 && i < ev->n_layers ? &ev->layers[i].info : NULL;
}

void
bs_evaluator_cancel (bs_evaluator *ev)
{
  atomic_store (&ev->cancel, 1);
}

static void
layer_setup (bs_evaluator *ev, _bs_ev_layer *L)
{
  const bs_node *node = &ev->g->nodes[L->info.node];
  const bs_value *wv = &ev->g->values[L->info.weight];

  L->w = bs_tensor_f32 (&wv->data);
  bs_graph_conv_fusion (ev->g, L->info.node, &L->fusion);
  /* (out of memory: the weights are packed at each run instead) */
  L->pack = L->info.op == BS_OP_CONV ? bs_conv_pack_new () : NULL;
  L->w_count = bs_shape_numel (&L->info.w_shape);
  L->in_per_image = bs_shape_numel (&L->info.in_shape) / L->info.in_shape.dims[0];
  L->out_per_image = bs_shape_numel (&L->info.out_shape) / L->info.out_shape.dims[0];
  /* output channels: Conv W [M, C/g, kh, kw]; Gemm B [N, K] with transB, else
   * [K, N]; MatMul B [K, N] */
  if (L->info.op == BS_OP_CONV || (L->info.op == BS_OP_GEMM && node->p.gemm.trans_b))
    {
      L->channels = L->info.w_shape.dims[0];
      L->channel_major = true;
    }
  else
    {
      L->channels = L->info.w_shape.dims[L->info.w_shape.ndim - 1];
      L->channel_major = false;
    }
  L->w_min = INFINITY;
  L->w_max = -INFINITY;
  for (int64_t i = 0; i < L->w_count; i++)
    {
      float v = L->w[i];
      if (v < L->w_min) L->w_min = v;
      if (v > L->w_max) L->w_max = v;
      if (fabsf (v) > L->w_maxabs) L->w_maxabs = fabsf (v);
    }
}

/* Sizes of the prefix-cache boundaries; memory is taken when first used. */
static int
bounds_setup (bs_evaluator *ev, char *err, size_t errlen)
{
  ev->bounds = calloc ((size_t) ev->n_layers, sizeof *ev->bounds);
  if (!ev->bounds)
    return fail (err, errlen, "%s", "out of memory");
  for (int j = 1; j < ev->n_layers; j++)
    {
      _bs_ev_boundary *b = &ev->bounds[j];
      bs_shape *shapes = malloc ((size_t) ev->g->n_values * sizeof *shapes);
      if (!shapes)
        return fail (err, errlen, "%s", "out of memory");
      b->layer = j;
      b->node = ev->layers[j].info.node;
      if (bs_graph_live_values (ev->g, b->node, &b->live, &b->n_live) < 0
          || bs_graph_infer_shapes (ev->g, NULL, shapes, err, errlen) < 0)
        {
          free (shapes);
          return -1;
        }
      b->elems = calloc ((size_t) (b->n_live ? b->n_live : 1), sizeof *b->elems);
      if (!b->elems)
        {
          free (shapes);
          return fail (err, errlen, "%s", "out of memory");
        }
      for (int k = 0; k < b->n_live; k++)
        {
          const bs_shape *s = &shapes[b->live[k]];
          b->elems[k] = bs_shape_numel (s) / (s->ndim > 0 && s->dims[0] > 0 ? s->dims[0] : 1);
          b->per_image += b->elems[k];
        }
      free (shapes);
    }
  return 0;
}

bs_evaluator *
bs_evaluator_new (bs_graph *g, const bs_dataset *test, const bs_dataset *calib,
                  const bs_eval_opts *o, char *err, size_t errlen)
{
  bs_evaluator *ev = calloc (1, sizeof *ev);
  bs_layer_info *info = NULL;
  int n = 0;
  bs_shape one;
  int64_t dims[4] = { 1, test->c, test->h, test->w };

  if (!ev)
    {
      fail (err, errlen, "%s", "out of memory");
      return NULL;
    }
  ev->g = g;
  ev->o = *o;
  ev->fast_chunk = ev->o.chunk;
  if (ev->o.chunk <= 0)
    ev->o.chunk = ev->fast_chunk = 64;
  if (ev->o.stat_images <= 0)
    ev->o.stat_images = 256;
  if (ev->o.cache_bytes == 0)
    ev->o.cache_bytes = (size_t) 2 << 30;
  if (ev->o.hist_bins <= 0)
    ev->o.hist_bins = 64;
  if (ev->o.n_threads <= 0)
    ev->o.n_threads = (int) sysconf (_SC_NPROCESSORS_ONLN);
  atomic_init (&ev->cancel, 0);

  if (g->n_inputs != 1)
    {
      fail (err, errlen, "the evaluator needs a model with one input (this one has %d)",
            g->n_inputs);
      goto error;
    }
  if (bs_graph_fold_batchnorm (g, err, errlen) < 0)
    goto error;
  one = bs_shape_make (4, dims);
  if (bs_graph_compute_layers (g, &one, &info, &n, err, errlen) < 0)
    goto error;
  if (n == 0)
    {
      fail (err, errlen, "%s", "the model has no Conv, Gemm or MatMul layer to quantize");
      free (info);
      goto error;
    }
  ev->n_layers = n;
  ev->layers = calloc ((size_t) n, sizeof *ev->layers);
  if (!ev->layers)
    {
      free (info);
      fail (err, errlen, "%s", "out of memory");
      goto error;
    }
  for (int j = 0; j < n; j++)
    {
      ev->layers[j].info = info[j];
      if (!info[j].weight_is_const || info[j].weight < 0)
        {
          fail (err, errlen, "layer %s multiplies two activations: not supported", info[j].name);
          free (info);
          goto error;
        }
      layer_setup (ev, &ev->layers[j]);
    }
  free (info);
  /* A network whose convolutions carry the work (few Gemm/MatMul weights,
   * which every chunk reads again) keeps its activations in the L2 cache
   * from one layer to the next in chunks of 8 images: the ResNet's
   * fake-quant runs took 8-15 % less CPU time in chunks of 16 than of 64,
   * and once the Convs kept their packed weights (bs_conv_pack) 3 % (fp32)
   * and 8 % (fp8) less again in chunks of 8 (4 was no better: best of 5
   * interleaved runs); the CNN (a Gemm of 400 000 weights) gained nothing. */
  if (o->chunk <= 0)
    {
      int64_t gemm_w = 0;
      for (int j = 0; j < n; j++)
        if (ev->layers[j].info.op != BS_OP_CONV)
          gemm_w += ev->layers[j].w_count;
      if (gemm_w <= 16384)
        ev->fast_chunk = 8;
    }

  ev->n_images = o->limit > 0 && o->limit < test->n ? o->limit : test->n;
  ev->stat_images = ev->o.stat_images < ev->n_images ? ev->o.stat_images : ev->n_images;
  ev->n_classes = test->n_classes;
  if (bs_dataset_batch (test, 0, ev->n_images, &ev->o.norm, &ev->test, err, errlen) < 0)
    goto error;
  ev->labels = malloc ((size_t) ev->n_images * sizeof *ev->labels);
  if (!ev->labels)
    goto error;
  memcpy (ev->labels, test->labels, (size_t) ev->n_images * sizeof *ev->labels);

  if (_bs_ev_calibrate (ev, calib, err, errlen) < 0 || _bs_ev_reference (ev, err, errlen) < 0
      || bounds_setup (ev, err, errlen) < 0)
    goto error;
  return ev;

error:
  bs_evaluator_free (ev);
  return NULL;
}

void
bs_evaluator_free (bs_evaluator *ev)
{
  if (!ev)
    return;
  for (int j = 0; ev->layers && j < ev->n_layers; j++)
    {
      _bs_ev_layer *L = &ev->layers[j];
      free (L->a_sample);
      free (L->a_hist);
      free (L->w_hist);
      free (L->ref_out);
      free (L->qw);
      bs_conv_pack_free (L->pack);
    }
  for (int j = 0; ev->bounds && j < ev->n_layers; j++)
    {
      free (ev->bounds[j].live);
      free (ev->bounds[j].elems);
      free (ev->bounds[j].data);
    }
  free (ev->bounds);
  free (ev->layers);
  free (ev->labels);
  bs_tensor_clear (&ev->test);
  bs_config_free (ev->cache_cfg);
  free (ev);
}

void
bs_evaluator_set_cache_keep (bs_evaluator *ev, int keep)
{
  ev->o.cache_keep = keep < 0 ? BS_EVAL_CACHE_NONE : keep;
}

/* The deepest boundary runs save (opts.cache_keep resolved). */
static int
cache_keep_last (const bs_evaluator *ev)
{
  int k = ev->o.cache_keep;

  if (k == BS_EVAL_CACHE_ALL || k >= ev->n_layers)
    return ev->n_layers - 1;
  return k < 0 ? 0 : k;
}

/* Boundaries j ≥ from get this run's activations, those up to the deepest
 * one worth keeping and as far as the budget lets; the other boundaries
 * j ≥ from would hold activations of an older configuration: released.
 * Boundaries j < from stay as they are (valid for this run's prefix). */
static void
bounds_prepare (bs_evaluator *ev, int from)
{
  size_t used = 0;
  int last = cache_keep_last (ev);

  for (int j = 1; j < ev->n_layers; j++)
    {
      _bs_ev_boundary *b = &ev->bounds[j];
      size_t bytes = (size_t) (b->per_image * ev->n_images) * sizeof (float);
      bool wanted = j < from ? b->data != NULL : j <= last;
      if (!wanted || used + bytes > ev->o.cache_bytes)
        {
          free (b->data);
          b->data = NULL;
          b->valid = false;
          continue;
        }
      used += bytes;
      if (j >= from)
        {
          b->valid = false;
          if (!b->data)
            b->data = malloc (bytes);
        }
    }
}

/* Layer j's input for this chunk, quantized into q, with the zeros of both
 * counted into st (those of the input given when known ≥ 0).  An element
 * format rounds each value on its own, so the passes run block by block
 * while the block is in the L1 cache; a block format (a scale per block of
 * values, k-means over the tensor) quantizes the whole input at once, as
 * before. */
#define QUANT_BLOCK 4096

static int
quantize_input (run_ctx *rc, int j, const float *in, float *q, int64_t m, int64_t known,
                chunk_stats *st, char *err, size_t errlen)
{
  bs_qopts qo = BS_QOPTS_INIT;
  const bs_format *f = &rc->fin[j];
  int64_t z_fp32 = 0, z = 0;
  int64_t step = bs_format_is_block (f) ? (m > 0 ? m : 1) : QUANT_BLOCK;

  qo.scale = rc->in_scale[j];
  for (int64_t base = 0; base < m; base += step)
    {
      int64_t len = m - base < step ? m - base : step;
      if (known < 0)
        z_fp32 += bs_count_zeros (in + base, len);
      if (bs_format_quantize (f, in + base, q + base, (size_t) len, &qo, err, errlen) < 0)
        return -1;
      z += bs_count_zeros (q + base, len);
    }
  st->in_zeros_fp32[j] += known < 0 ? z_fp32 : known;
  st->in_zeros[j] += z;
  return 0;
}

/* Slot `slot` of the calling thread's buffers, for n floats, or NULL when
 * out of memory. */
static float *
thread_buffer (run_ctx *rc, int thread, int slot, size_t n)
{
  size_t k = (size_t) thread * (size_t) (rc->ev->n_layers + 1) + (size_t) slot;

  if (thread < 0 || thread >= rc->n_qbuf)
    return NULL;
  if (n > rc->qcap[k])
    {
      free (rc->qbuf[k]);
      rc->qbuf[k] = malloc (n * sizeof (float));
      rc->qcap[k] = rc->qbuf[k] ? n : 0;
    }
  return rc->qbuf[k];
}

static int
chunk_fn (void *user, bs_exec *x, int64_t first, int64_t count, int thread, char *err,
          size_t errlen)
{
  run_ctx *rc = user;
  bs_evaluator *ev = rc->ev;
  chunk_stats *st;
  const bs_graph *g = ev->g;
  int j = rc->start_layer;
  int64_t stat_n;
  /* zeros of values a fused Conv counted as it wrote them (the last few):
   * a layer reading one need not read it once more to count them */
  int zero_value[4] = { -1, -1, -1, -1 };
  int64_t zero_count[4];
  int n_zero = 0;

  first += rc->offset;
  st = &rc->stats[first < rc->split ? first / rc->chunk
                  : (rc->split + rc->chunk - 1) / rc->chunk
                      + (first - rc->split) / rc->fast_chunk];
  stat_n = first < ev->stat_images ? (ev->stat_images - first < count
                                      ? ev->stat_images - first : count) : 0;

  if (atomic_load (&ev->cancel))
    return fail (err, errlen, "%s", "cancelled");

  /* restore the activations that cross the starting boundary */
  if (rc->start_layer > 0)
    {
      const _bs_ev_boundary *b = &ev->bounds[rc->start_layer];
      size_t off = 0;
      for (int k = 0; k < b->n_live; k++)
        {
          memcpy (bs_exec_data (x, b->live[k]), b->data + off + (size_t) (first * b->elems[k]),
                  (size_t) (count * b->elems[k]) * sizeof (float));
          off += (size_t) (b->elems[k] * ev->n_images);
        }
    }

  for (int i = rc->start_node; i < g->n_nodes; i++)
    {
      if (j < ev->n_layers && ev->layers[j].info.node == i)
        {
          _bs_ev_layer *L = &ev->layers[j];
          const _bs_ev_boundary *b = j > 0 ? &ev->bounds[j] : NULL;
          float *in = bs_exec_data (x, L->info.input);
          int64_t m = L->in_per_image * count;
          float *q = NULL;
          bs_layer_override ov = { NULL, L->qw, NULL, L->pack };
          int64_t known = -1;

          /* a layer of the exact path can take long: look again */
          if (atomic_load (&ev->cancel))
            return fail (err, errlen, "%s", "cancelled");

          /* save this boundary for later configurations */
          if (b && b->data && j > rc->start_layer)
            {
              size_t off = 0;
              for (int k = 0; k < b->n_live; k++)
                {
                  memcpy (b->data + off + (size_t) (first * b->elems[k]),
                          bs_exec_data (x, b->live[k]),
                          (size_t) (count * b->elems[k]) * sizeof (float));
                  off += (size_t) (b->elems[k] * ev->n_images);
                }
            }

          for (int k = 0; k < 4; k++)
            if (zero_value[k] == L->info.input)
              known = zero_count[k];
          if (rc->quantize_input[j] && rc->share_from[j] >= rc->start_layer)
            {
              /* an earlier layer of this chunk quantized the same values */
              int i0 = rc->share_from[j];
              q = thread_buffer (rc, thread, i0, (size_t) (m > 0 ? m : 1));
              st->in_zeros_fp32[j] = st->in_zeros_fp32[i0];
              st->in_zeros[j] = st->in_zeros[i0];
              ov.input = q;
            }
          else if (rc->quantize_input[j])
            {
              int slot = rc->share_from[j] == -2 ? j : ev->n_layers;
              if (!(q = thread_buffer (rc, thread, slot, (size_t) (m > 0 ? m : 1))))
                return fail (err, errlen, "%s", "out of memory");
              if (quantize_input (rc, j, in, q, m, known, st, err, errlen) < 0)
                return -1;
              ov.input = q;
            }
          else
            {
              st->in_zeros_fp32[j] += known >= 0 ? known : bs_count_zeros (in, m);
              st->in_zeros[j] = st->in_zeros_fp32[j];
            }
          if (rc->exact)
            {
              /* fp32 inputs are used as they are */
              const float *qin = q ? q : in;
              if (_bs_ev_exact_layer (ev, j, bs_config_layer (rc->cfg, j), &rc->fin[j],
                                      rc->in_scale[j], x, qin, count, err, errlen) < 0)
                return -1;
            }
          else if (stat_n == 0 && L->fusion.n_absorbed > 0)
            {
              /* with the Relu / Add after it; no statistic reads the
               * values between */
              int64_t zeros;
              if (bs_exec_run_conv_fused (x, i, &ov, &L->fusion, &zeros, err, errlen) < 0)
                return -1;
              if (zeros >= 0)
                {
                  zero_value[n_zero % 4] = L->fusion.out;
                  zero_count[n_zero % 4] = zeros;
                  n_zero++;
                }
              i += L->fusion.n_absorbed;
            }
          else if (bs_exec_run_node (x, i, &ov, err, errlen) < 0)
            return -1;

          if (stat_n > 0)
            {
              /* running sums in registers, in the same order as ever (a
               * chunk's sums start from zero) */
              const float *out = bs_exec_data (x, L->info.output);
              const float *ref = L->ref_out + first * L->out_per_image;
              double sig = st->out_sig[j], noise = st->out_noise[j];
              for (int64_t k = 0; k < stat_n * L->out_per_image; k++)
                {
                  double d = (double) ref[k] - out[k];
                  sig += (double) ref[k] * ref[k];
                  noise += d * d;
                }
              st->out_sig[j] = sig;
              st->out_noise[j] = noise;
            }
          j++;
        }
      else if (bs_exec_run_node (x, i, NULL, err, errlen) < 0)
        return -1;
    }

  /* top-1 / top-5 from the first output */
  {
    const float *logits = bs_exec_data (x, g->outputs[0]);
    int classes = ev->n_classes;
    for (int64_t k = 0; k < count; k++)
      {
        const float *row = logits + k * classes;
        int label = ev->labels[first + k], rank = 0;
        for (int c = 0; c < classes; c++)
          rank += row[c] > row[label] || (row[c] == row[label] && c < label);
        st->top1 += rank == 0;
        st->top5 += rank < 5;
      }
  }
  return 0;
}

void
bs_eval_result_clear (bs_eval_result *res)
{
  for (int j = 0; res->layers && j < res->n_layers; j++)
    {
      free (res->layers[j].w_hist);
      free (res->layers[j].a_hist);
    }
  free (res->layers);
  memset (res, 0, sizeof *res);
}

static int
prepare_layers (bs_evaluator *ev, const bs_config *cfg, run_ctx *rc, char *err, size_t errlen)
{
  for (int j = 0; j < ev->n_layers; j++)
    {
      const bs_layer_config *lc = bs_config_layer (cfg, j);
      if (bs_format_parse (lc->input, &rc->fin[j], err, errlen) < 0)
        return -1;
      rc->quantize_input[j] = strcmp (lc->input, "fp32") != 0;
      rc->in_scale[j] = _bs_ev_input_scale (ev, j, &rc->fin[j], lc);
      if (_bs_ev_quantize_weights (ev, j, lc, err, errlen) < 0)
        return -1;
    }
  /* share_from: the first earlier layer with the same quantized input, and
   * -2 on that layer (its buffer is then kept for the sharer) */
  for (int j = 0; j < ev->n_layers; j++)
    rc->share_from[j] = -1;
  for (int j = 0; j < ev->n_layers; j++)
    for (int i = 0; i < j && rc->quantize_input[j] && rc->share_from[j] == -1; i++)
      if (rc->quantize_input[i] && rc->share_from[i] < 0
          && ev->layers[i].info.input == ev->layers[j].info.input
          && strcmp (rc->fin[i].name, rc->fin[j].name) == 0
          && rc->in_scale[i] == rc->in_scale[j])
        {
          rc->share_from[j] = i;
          rc->share_from[i] = -2;
        }
  return 0;
}

int
bs_evaluator_run (bs_evaluator *ev, const bs_config *cfg, bs_eval_result *res, char *err,
                  size_t errlen)
{
  run_ctx rc = { 0 };
  int64_t n_chunks, L = ev->n_layers;
  int ret = -1, d;
  bs_run_opts ro = BS_RUN_OPTS_INIT;
  int64_t *zeros_arena = NULL;
  double *sums_arena = NULL;

  memset (res, 0, sizeof *res);
  atomic_store (&ev->cancel, 0);
  if (bs_config_n_layers (cfg) != ev->n_layers)
    {
      if (err && errlen)
        snprintf (err, errlen, "the configuration has %d layers, the model %d compute layers",
                  bs_config_n_layers (cfg), ev->n_layers);
      return -1;
    }

  rc.ev = ev;
  rc.cfg = cfg;
  rc.exact = _bs_ev_wants_exact (ev, cfg);
  rc.chunk = ev->o.chunk;
  /* the exact path's kernels convert their weight panels per call: it
   * keeps its chunks */
  rc.fast_chunk = rc.exact ? rc.chunk : ev->fast_chunk;
  rc.split = (ev->stat_images + rc.chunk - 1) / rc.chunk * rc.chunk;
  if (rc.fast_chunk == rc.chunk || rc.split > ev->n_images)
    rc.split = ev->n_images;
  n_chunks = (rc.split + rc.chunk - 1) / rc.chunk
             + (ev->n_images - rc.split + rc.fast_chunk - 1) / rc.fast_chunk;
  rc.fin = calloc ((size_t) L, sizeof *rc.fin);
  rc.in_scale = calloc ((size_t) L, sizeof *rc.in_scale);
  rc.quantize_input = calloc ((size_t) L, sizeof *rc.quantize_input);
  rc.stats = calloc ((size_t) n_chunks, sizeof *rc.stats);
  zeros_arena = calloc ((size_t) (n_chunks * L * 2), sizeof *zeros_arena);
  sums_arena = calloc ((size_t) (n_chunks * L * 2), sizeof *sums_arena);
  /* worker indices are below n_threads (bs_graph_foreach_chunk) */
  rc.n_qbuf = ev->o.n_threads > 0 ? ev->o.n_threads : 1;
  rc.qbuf = calloc ((size_t) (rc.n_qbuf * (L + 1)), sizeof *rc.qbuf);
  rc.qcap = calloc ((size_t) (rc.n_qbuf * (L + 1)), sizeof *rc.qcap);
  rc.share_from = calloc ((size_t) L, sizeof *rc.share_from);
  if (!rc.fin || !rc.in_scale || !rc.quantize_input || !rc.stats || !zeros_arena || !sums_arena
      || !rc.qbuf || !rc.qcap || !rc.share_from)
    {
      fail (err, errlen, "%s", "out of memory");
      goto out;
    }
  for (int64_t c = 0; c < n_chunks; c++)
    {
      rc.stats[c].in_zeros_fp32 = zeros_arena + c * L * 2;
      rc.stats[c].in_zeros = zeros_arena + c * L * 2 + L;
      rc.stats[c].out_sig = sums_arena + c * L * 2;
      rc.stats[c].out_noise = sums_arena + c * L * 2 + L;
    }
  if (prepare_layers (ev, cfg, &rc, err, errlen) < 0)
    goto out;

  /* where the prefix cache lets this run start */
  d = ev->cache_cfg ? bs_config_first_difference (ev->cache_cfg, cfg) : 0;
  rc.start_layer = 0;
  for (int j = d < ev->n_layers ? d : ev->n_layers - 1; j > 0; j--)
    if (ev->bounds[j].valid && ev->bounds[j].data)
      {
        rc.start_layer = j;
        break;
      }
  rc.start_node = rc.start_layer > 0 ? ev->bounds[rc.start_layer].node : 0;
  bounds_prepare (ev, rc.start_layer + 1);
  bs_config_free (ev->cache_cfg);
  ev->cache_cfg = NULL;

  ro.n_threads = ev->o.n_threads;
  for (int part = 0; part < 2; part++)
    {
      /* the images [0, split) in chunks of `chunk`, then the others */
      bs_tensor view = ev->test;
      int64_t per = bs_tensor_numel (&ev->test) / ev->test.shape.dims[0];
      int64_t lo = part ? rc.split : 0, hi = part ? ev->n_images : rc.split;
      if (hi <= lo)
        continue;
      view.shape.dims[0] = hi - lo;
      view.data = bs_tensor_f32 (&ev->test) + lo * per;
      rc.offset = lo;
      ro.chunk = part ? rc.fast_chunk : rc.chunk;
      if (bs_graph_foreach_chunk (ev->g, &view, &ro, chunk_fn, &rc, err, errlen) < 0)
        goto out;
    }

  for (int j = rc.start_layer + 1; j < ev->n_layers; j++)
    ev->bounds[j].valid = ev->bounds[j].data != NULL;
  ev->cache_cfg = bs_config_copy (cfg);

  /* reduce in chunk order */
  res->n_layers = ev->n_layers;
  res->layers = calloc ((size_t) L, sizeof *res->layers);
  if (!res->layers)
    {
      fail (err, errlen, "%s", "out of memory");
      goto out;
    }
  {
    int64_t top1 = 0, top5 = 0;
    for (int64_t c = 0; c < n_chunks; c++)
      {
        top1 += rc.stats[c].top1;
        top5 += rc.stats[c].top5;
      }
    res->images = ev->n_images;
    res->top1 = 100.0 * (double) top1 / (double) ev->n_images;
    res->top5 = 100.0 * (double) top5 / (double) ev->n_images;
  }
  res->path = rc.exact ? "exact" : "fake-quant";
  res->first_layer_run = rc.start_layer;
  for (int j = 0; j < ev->n_layers; j++)
    {
      _bs_ev_layer *Lj = &ev->layers[j];
      bs_eval_layer *r = &res->layers[j];
      int64_t z_fp32 = 0, z = 0, wz = 0;
      double sig = 0, noise = 0;
      int bins = ev->o.hist_bins;

      if (j < rc.start_layer)
        {
          /* not run: the same inputs as in the run that filled the cache */
          z_fp32 = Lj->last_z_fp32;
          z = Lj->last_z;
          sig = Lj->last_sig;
          noise = Lj->last_noise;
        }
      else
        for (int64_t c = 0; c < n_chunks; c++)
          {
            z_fp32 += rc.stats[c].in_zeros_fp32[j];
            z += rc.stats[c].in_zeros[j];
            sig += rc.stats[c].out_sig[j];
            noise += rc.stats[c].out_noise[j];
          }
      Lj->last_z_fp32 = z_fp32;
      Lj->last_z = z;
      Lj->last_sig = sig;
      Lj->last_noise = noise;
      for (int64_t i = 0; i < Lj->w_count; i++)
        wz += Lj->w[i] == 0.0f;
      snprintf (r->name, sizeof r->name, "%s", Lj->info.name);
      r->op = Lj->info.op;
      r->node = Lj->info.node;
      r->macs = Lj->info.macs;
      r->params = Lj->info.params;
      r->weight_count = Lj->w_count;
      r->input_count = Lj->in_per_image;
      r->output_count = Lj->out_per_image;
      r->input_sparsity_fp32 = (double) z_fp32 / (double) (Lj->in_per_image * ev->n_images);
      r->input_sparsity = (double) z / (double) (Lj->in_per_image * ev->n_images);
      r->weight_sparsity_fp32 = (double) wz / (double) Lj->w_count;
      r->weight_sparsity = (double) Lj->q_zeros / (double) Lj->w_count;
      r->weight_sqnr_db = Lj->q_sqnr;
      r->output_sqnr_db = _bs_sqnr_db (sig, noise);
      r->weight_scale = Lj->q_scale;
      r->input_scale = rc.in_scale[j];
      r->w_min = Lj->w_min;
      r->w_max = Lj->w_max;
      r->a_min = Lj->a_min;
      r->a_max = Lj->a_max;
      r->n_bins = bins;
      r->w_hist = malloc ((size_t) bins * sizeof *r->w_hist);
      r->a_hist = malloc ((size_t) bins * sizeof *r->a_hist);
      if (r->w_hist)
        memcpy (r->w_hist, Lj->w_hist, (size_t) bins * sizeof *r->w_hist);
      if (r->a_hist)
        memcpy (r->a_hist, Lj->a_hist, (size_t) bins * sizeof *r->a_hist);
    }
  ret = 0;
out:
  if (ret < 0)
    bs_eval_result_clear (res);
  free (rc.fin);
  free (rc.in_scale);
  free (rc.quantize_input);
  free (rc.stats);
  free (zeros_arena);
  free (sums_arena);
  for (int t = 0; rc.qbuf && t < rc.n_qbuf * (L + 1); t++)
    free (rc.qbuf[t]);
  free (rc.qbuf);
  free (rc.qcap);
  free (rc.share_from);
  return ret;
}
