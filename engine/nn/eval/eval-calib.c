/* eval-calib.c — calibration ranges, reference outputs, scales, and the
 * quantized weights of each layer. */
#include "eval-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_PER_LAYER 65536

double
_bs_sqnr_db (double signal, double noise)
{
  if (noise == 0.0)
    return INFINITY;
  if (signal == 0.0)
    return -INFINITY;
  return 10.0 * log10 (signal / noise);
}

bool
_bs_ev_self_scaled (const bs_format *f)
{
  switch (bs_format_family (f))
    {
    case BS_FAMILY_NF4:
    case BS_FAMILY_MX:
    case BS_FAMILY_NVFP4:
    case BS_FAMILY_KMEANS:
      return true;
    default:
      return strcmp (f->name, "fp32") == 0;
    }
}

bs_scaling
_bs_ev_scaling (const bs_format *f, bs_scaling s)
{
  if (s != BS_SCALING_AUTO)
    return s;
  switch (bs_format_family (f))
    {
    case BS_FAMILY_POSIT:
    case BS_FAMILY_LOG:
      return BS_SCALING_NONE;
    default:
      return _bs_ev_self_scaled (f) ? BS_SCALING_NONE : BS_SCALING_LAYER_POW2;
    }
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* Calibration: the fp32 network over the calibration images, one chunk after
 * another on this thread (a few hundred images), recording each compute
 * layer's input range and a strided sample of |x| for percentiles. */
int
_bs_ev_calibrate (bs_evaluator *ev, const bs_dataset *calib, char *err, size_t errlen)
{
  bs_tensor in = { 0 };
  int64_t n = calib->n, chunk = 64;
  bs_exec *x = NULL;
  int ret = -1;
  int64_t *taken = calloc ((size_t) ev->n_layers, sizeof *taken);
  int64_t *stride = calloc ((size_t) ev->n_layers, sizeof *stride);

  if (!taken || !stride)
    goto out;
  for (int j = 0; j < ev->n_layers; j++)
    {
      _bs_ev_layer *L = &ev->layers[j];
      int64_t total = L->in_per_image * n;
      stride[j] = total / SAMPLE_PER_LAYER + 1;
      L->a_sample = malloc (SAMPLE_PER_LAYER * sizeof *L->a_sample);
      L->a_min = INFINITY;
      L->a_max = -INFINITY;
      if (!L->a_sample)
        goto out;
    }

  for (int64_t first = 0; first < n; first += chunk)
    {
      int64_t count = n - first < chunk ? n - first : chunk;
      bs_shape shape;

      bs_tensor_clear (&in);
      if (bs_dataset_batch (calib, first, count, &ev->o.norm, &in, err, errlen) < 0)
        goto out;
      shape = in.shape;
      bs_exec_free (x);
      x = bs_exec_new (ev->g, &shape, err, errlen);
      if (!x || bs_exec_set_input (x, 0, bs_tensor_f32 (&in), bs_tensor_numel (&in), err,
                                   errlen) < 0)
        goto out;
      for (int i = 0, j = 0; i < ev->g->n_nodes; i++)
        {
          if (j < ev->n_layers && ev->layers[j].info.node == i)
            {
              _bs_ev_layer *L = &ev->layers[j];
              const float *a = bs_exec_data (x, L->info.input);
              int64_t m = L->in_per_image * count;
              int64_t base = L->in_per_image * first;
              for (int64_t k = 0; k < m; k++)
                {
                  float v = a[k], av = fabsf (v);
                  if (v < L->a_min) L->a_min = v;
                  if (v > L->a_max) L->a_max = v;
                  if (av > L->a_maxabs) L->a_maxabs = av;
                  if ((base + k) % stride[j] == 0 && taken[j] < SAMPLE_PER_LAYER)
                    L->a_sample[taken[j]++] = av;
                }
              j++;
            }
          if (bs_exec_run_node (x, i, NULL, err, errlen) < 0)
            goto out;
        }
    }

  for (int j = 0; j < ev->n_layers; j++)
    {
      _bs_ev_layer *L = &ev->layers[j];
      int bins = ev->o.hist_bins;
      L->a_sample_n = taken[j];
      qsort (L->a_sample, (size_t) taken[j], sizeof (float), cmp_float);
      L->a_hist = calloc ((size_t) bins, sizeof *L->a_hist);
      L->w_hist = calloc ((size_t) bins, sizeof *L->w_hist);
      if (!L->a_hist || !L->w_hist)
        goto out;
      if (!(L->a_max > L->a_min))
        L->a_max = L->a_min + 1.0f;
      if (!(L->w_max > L->w_min))
        L->w_max = L->w_min + 1.0f;
      for (int64_t k = 0; k < L->w_count; k++)
        {
          int b = (int) ((L->w[k] - L->w_min) / (L->w_max - L->w_min) * bins);
          L->w_hist[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
        }
    }
  /* the input histograms: a second pass would double the cost; the signed
   * values are not sampled, so bin the first calibration chunk again */
  {
    int64_t count = n < chunk ? n : chunk;
    bs_tensor_clear (&in);
    if (bs_dataset_batch (calib, 0, count, &ev->o.norm, &in, err, errlen) < 0)
      goto out;
    bs_exec_free (x);
    x = bs_exec_new (ev->g, &in.shape, err, errlen);
    if (!x || bs_exec_set_input (x, 0, bs_tensor_f32 (&in), bs_tensor_numel (&in), err,
                                 errlen) < 0)
      goto out;
    for (int i = 0, j = 0; i < ev->g->n_nodes; i++)
      {
        if (j < ev->n_layers && ev->layers[j].info.node == i)
          {
            _bs_ev_layer *L = &ev->layers[j];
            const float *a = bs_exec_data (x, L->info.input);
            int bins = ev->o.hist_bins;
            for (int64_t k = 0; k < L->in_per_image * count; k++)
              {
                int b = (int) ((a[k] - L->a_min) / (L->a_max - L->a_min) * bins);
                L->a_hist[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
              }
            j++;
          }
        if (bs_exec_run_node (x, i, NULL, err, errlen) < 0)
          goto out;
      }
  }
  ret = 0;
out:
  if (ret < 0 && err && !err[0])
    snprintf (err, errlen, "calibration: out of memory");
  bs_exec_free (x);
  bs_tensor_clear (&in);
  free (taken);
  free (stride);
  return ret;
}

/* fp32 outputs of every compute layer for the first stat images, in the
 * evaluator's chunks (from image 0, as runs take them): a GEMM over another
 * number of rows may sum in another order (OpenBLAS picks its kernel by
 * shape), and an fp32 run must find every layer lossless. */
int
_bs_ev_reference (bs_evaluator *ev, char *err, size_t errlen)
{
  int64_t n = ev->stat_images;
  int64_t per = bs_shape_numel (&ev->test.shape) / ev->test.shape.dims[0];
  int64_t chunk = ev->o.chunk > 0 ? ev->o.chunk : n;
  bs_exec *x = NULL;
  int ret = -1;

  for (int j = 0; j < ev->n_layers; j++)
    {
      _bs_ev_layer *L = &ev->layers[j];
      L->ref_out = malloc ((size_t) (L->out_per_image * (n ? n : 1)) * sizeof (float));
      if (!L->ref_out)
        return -1;
    }
  for (int64_t first = 0; first < n; first += chunk)
    {
      int64_t count = n - first < chunk ? n - first : chunk;
      bs_shape shape = ev->test.shape;
      shape.dims[0] = count;
      bs_exec_free (x);
      x = bs_exec_new (ev->g, &shape, err, errlen);
      if (!x || bs_exec_set_input (x, 0, bs_tensor_f32 (&ev->test) + first * per, count * per,
                                   err, errlen) < 0)
        goto out;
      for (int i = 0, j = 0; i < ev->g->n_nodes; i++)
        {
          if (bs_exec_run_node (x, i, NULL, err, errlen) < 0)
            goto out;
          if (j < ev->n_layers && ev->layers[j].info.node == i)
            {
              _bs_ev_layer *L = &ev->layers[j];
              memcpy (L->ref_out + first * L->out_per_image, bs_exec_data (x, L->info.output),
                      (size_t) (L->out_per_image * count) * sizeof (float));
              j++;
            }
        }
    }
  ret = 0;
out:
  bs_exec_free (x);
  return ret;
}

/* A percentile of the calibration sample (nearest rank). */
static double
sample_percentile (const _bs_ev_layer *L, double p)
{
  int64_t rank;

  if (L->a_sample_n == 0)
    return L->a_maxabs;
  rank = (int64_t) ceil (p / 100.0 * (double) L->a_sample_n);
  if (rank < 1)
    rank = 1;
  if (rank > L->a_sample_n)
    rank = L->a_sample_n;
  return L->a_sample[rank - 1];
}

static float
global_input_maxabs (const bs_evaluator *ev)
{
  float m = 0;
  for (int j = 0; j < ev->n_layers; j++)
    if (ev->layers[j].a_maxabs > m)
      m = ev->layers[j].a_maxabs;
  return m;
}

static float
global_weight_maxabs (const bs_evaluator *ev)
{
  float m = 0;
  for (int j = 0; j < ev->n_layers; j++)
    if (ev->layers[j].w_maxabs > m)
      m = ev->layers[j].w_maxabs;
  return m;
}

double
_bs_ev_input_scale (const bs_evaluator *ev, int j, const bs_format *f, const bs_layer_config *lc)
{
  const _bs_ev_layer *L = &ev->layers[j];

  if (_bs_ev_self_scaled (f))
    return 1.0;
  switch (_bs_ev_scaling (f, lc->scaling))
    {
    case BS_SCALING_POW2:
      return bs_calib_pow2_scale (global_input_maxabs (ev), f->max);
    case BS_SCALING_LAYER_POW2:
      return bs_calib_pow2_scale (L->a_maxabs, f->max);
    case BS_SCALING_CHANNEL:   /* per-layer analogue for activations */
    case BS_SCALING_BLOCK:
    case BS_SCALING_MAXABS:
      return bs_calib_scale (L->a_maxabs, f->max);
    case BS_SCALING_PERCENTILE:
      return bs_calib_scale (sample_percentile (L, lc->percentile), f->max);
    case BS_SCALING_NONE:
    case BS_SCALING_AUTO:
    case BS_N_SCALINGS:
    default:
      return 1.0;
    }
}

/* Which output channel weight element i belongs to. */
static int64_t
channel_of (const _bs_ev_layer *L, int64_t i)
{
  return L->channel_major ? i / (L->w_count / L->channels) : i % L->channels;
}

static void
key_of (const bs_layer_config *lc, char *buf, size_t len)
{
  snprintf (buf, len, "%s/%s/%.6f/%d", lc->weight, bs_scaling_name (lc->scaling),
            lc->percentile, lc->block);
}

int
_bs_ev_quantize_weights (bs_evaluator *ev, int j, const bs_layer_config *lc, char *err,
                         size_t errlen)
{
  _bs_ev_layer *L = &ev->layers[j];
  char key[sizeof L->q_key];
  bs_format f;
  bs_qopts q = BS_QOPTS_INIT;
  double sig = 0, noise = 0;
  int64_t n = L->w_count, zeros = 0;
  const bool exact = ev->o.path != BS_EVAL_FAKE_QUANT;
  bs_scaling scaling;

  key_of (lc, key, sizeof key);
  if (L->qw && strcmp (key, L->q_key) == 0)
    {
      /* the same weights; the input format or accumulator may be new */
      if (exact)
        _bs_ev_exact_pack_weights (ev, j, lc);
      return 0;
    }
  if (bs_format_parse (lc->weight, &f, err, errlen) < 0)
    return -1;
  scaling = _bs_ev_scaling (&f, lc->scaling);
  /* qw changes below (and on failure means nothing) */
  L->q_key[0] = '\0';
  bs_conv_pack_reset (L->pack);
  if (!L->qw)
    {
      /* the exact path's weights share qw's allocation (eval-private.h) */
      size_t head = ((size_t) n * sizeof *L->qw + 7) & ~(size_t) 7;
      size_t bytes = exact ? head + (size_t) (2 * n + L->channels) * sizeof (double)
                           : (size_t) n * sizeof *L->qw;
      if (!(L->qw = malloc (bytes)))
        {
          snprintf (err, errlen, "out of memory for the weights of %s", L->info.name);
          return -1;
        }
      if (exact)
        {
          L->qw_unit = (double *) (void *) ((char *) L->qw + head);
          L->qw_scale = L->qw_unit + n;
          L->w_ops = (char *) (L->qw_scale + L->channels);
        }
    }
  L->q_key[0] = '\0';
  L->qw_per_channel = true;
  for (int64_t c = 0; exact && c < L->channels; c++)
    L->qw_scale[c] = 1.0;

  if (_bs_ev_self_scaled (&f) || scaling == BS_SCALING_NONE)
    {
      if (scaling == BS_SCALING_BLOCK && lc->block > 0)
        q.block = lc->block;
      if (bs_format_quantize (&f, L->w, L->qw, (size_t) n, &q, err, errlen) < 0)
        return -1;
      L->q_scale = 1.0;
    }
  else if (scaling == BS_SCALING_CHANNEL || scaling == BS_SCALING_BLOCK)
    {
      /* per channel (or per block of consecutive weights): max |w| onto max */
      int64_t groups = scaling == BS_SCALING_CHANNEL ? L->channels
                       : (n + (lc->block ? lc->block : 32) - 1) / (lc->block ? lc->block : 32);
      int64_t bsz = lc->block ? lc->block : 32;
      double *gmax = calloc ((size_t) groups, sizeof *gmax);
      if (!gmax)
        {
          snprintf (err, errlen, "out of memory");
          return -1;
        }
      for (int64_t i = 0; i < n; i++)
        {
          int64_t gi = scaling == BS_SCALING_CHANNEL ? channel_of (L, i) : i / bsz;
          double a = fabs (L->w[i]);
          if (a > gmax[gi])
            gmax[gi] = a;
        }
      L->q_scale = 0;
      for (int64_t i = 0; i < n; i++)
        {
          int64_t gi = scaling == BS_SCALING_CHANNEL ? channel_of (L, i) : i / bsz;
          q.scale = bs_calib_scale (gmax[gi], f.max);
          if (q.scale > L->q_scale)
            L->q_scale = q.scale;
          if (exact && scaling == BS_SCALING_CHANNEL)
            L->qw_scale[gi] = q.scale;
          if (bs_format_quantize (&f, &L->w[i], &L->qw[i], 1, &q, err, errlen) < 0)
            {
              free (gmax);
              return -1;
            }
        }
      free (gmax);
      L->qw_per_channel = scaling == BS_SCALING_CHANNEL;
    }
  else
    {
      switch (scaling)
        {
        case BS_SCALING_POW2:
          q.scale = bs_calib_pow2_scale (global_weight_maxabs (ev), f.max);
          break;
        case BS_SCALING_LAYER_POW2:
          q.scale = bs_calib_pow2_scale (L->w_maxabs, f.max);
          break;
        case BS_SCALING_PERCENTILE:
          q.scale = bs_calib_scale (bs_calib_percentile (L->w, (size_t) n, lc->percentile), f.max);
          break;
        default:
          q.scale = bs_calib_scale (L->w_maxabs, f.max);
          break;
        }
      if (bs_format_quantize (&f, L->w, L->qw, (size_t) n, &q, err, errlen) < 0)
        return -1;
      L->q_scale = q.scale;
      for (int64_t c = 0; exact && c < L->channels; c++)
        L->qw_scale[c] = q.scale;
    }
  if (exact && _bs_ev_exact_weights (ev, j, &f, lc, err, errlen) < 0)
    return -1;

  for (int64_t i = 0; i < n; i++)
    {
      double d = (double) L->w[i] - (double) L->qw[i];
      sig += (double) L->w[i] * L->w[i];
      noise += d * d;
      zeros += L->qw[i] == 0.0f;
    }
  L->q_sqnr = _bs_sqnr_db (sig, noise);
  L->q_zeros = zeros;
  snprintf (L->q_key, sizeof L->q_key, "%s", key);
  return 0;
}
