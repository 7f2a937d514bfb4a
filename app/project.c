/* project.c — model + dataset + evaluator (see bs-project.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bs-onnx.h"
#include "bs-project.h"

G_DEFINE_QUARK (bs-project-error-quark, bs_project_error)

#define CALIB_SEED 20181104   /* fixed: the same subset every run */

struct _BsProject {
  char *model_path, *model_name, *dataset_name;
  char *model_sha, *dataset_sha;
  bs_graph *g;
  bs_dataset test, train;
  bs_evaluator *ev;
  bs_norm norm;              /* the model's input normalisation, as evaluated */
  BsProjectOptions opts;     /* as opened; opts.normalize is owned */
};

const char *bs_project_model_path (BsProject *p) { return p->model_path; }
const char *bs_project_model_name (BsProject *p) { return p->model_name; }
const char *bs_project_dataset_name (BsProject *p) { return p->dataset_name; }
const char *bs_project_model_sha256 (BsProject *p) { return p->model_sha; }
const char *bs_project_dataset_sha256 (BsProject *p) { return p->dataset_sha; }
bs_evaluator *bs_project_evaluator (BsProject *p) { return p->ev; }
bs_graph *bs_project_graph (BsProject *p) { return p->g; }
int bs_project_n_layers (BsProject *p) { return bs_evaluator_n_layers (p->ev); }

const bs_layer_info *
bs_project_layer (BsProject *p, int i)
{
  return bs_evaluator_layer (p->ev, i);
}

gint64
bs_project_images (BsProject *p)
{
  return p->test.n;
}

const BsProjectOptions *
bs_project_options (BsProject *p)
{
  return &p->opts;
}

void
bs_project_free (BsProject *p)
{
  if (!p)
    return;
  bs_evaluator_free (p->ev);
  bs_graph_free (p->g);
  bs_dataset_clear (&p->test);
  bs_dataset_clear (&p->train);
  g_free (p->model_path);
  g_free (p->model_name);
  g_free (p->dataset_name);
  g_free (p->model_sha);
  g_free (p->dataset_sha);
  g_free ((char *) p->opts.normalize);
  g_free (p);
}

/* "fashion-mnist", an MNIST-layout directory, or .npy files. */
static gboolean
load_dataset (BsProject *p, const char *spec, GError **error)
{
  char err[512] = "";
  g_auto (GStrv) parts = g_strsplit (spec, ",", -1);
  guint n = g_strv_length (parts);

  if (strcmp (spec, "fashion-mnist") == 0 || g_file_test (spec, G_FILE_TEST_IS_DIR))
    {
      const char *dir = strcmp (spec, "fashion-mnist") == 0 ? NULL : spec;
      if (bs_dataset_load_fashion_mnist (dir, false, &p->test, err, sizeof err) < 0
          || bs_dataset_load_fashion_mnist (dir, true, &p->train, err, sizeof err) < 0)
        goto fail;
      p->dataset_name = g_strdup (dir ? dir : "fashion-mnist");
      return TRUE;
    }
  if (n == 2 || n == 4)
    {
      if (bs_dataset_load (parts[0], parts[1], &p->test, err, sizeof err) < 0)
        goto fail;
      if (n == 4 && bs_dataset_load (parts[2], parts[3], &p->train, err, sizeof err) < 0)
        goto fail;
      p->dataset_name = g_path_get_basename (parts[0]);
      return TRUE;
    }
  g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET,
               "dataset '%s': give fashion-mnist, a directory of idx files, or "
               "IMAGES.npy,LABELS.npy[,TRAIN_IMAGES.npy,TRAIN_LABELS.npy]", spec);
  return FALSE;
fail:
  g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET, "%s", err);
  return FALSE;
}

/* A hash of the test set as the evaluator sees it: pixels and labels. */
static char *
hash_dataset (const bs_dataset *d)
{
  g_autoptr (GChecksum) c = g_checksum_new (G_CHECKSUM_SHA256);
  gint64 px = d->n * d->c * d->h * d->w;

  if (d->type == BS_PIXELS_U8)
    g_checksum_update (c, d->u8, (gssize) px);
  else
    g_checksum_update (c, (const guchar *) d->f32, (gssize) (px * (gint64) sizeof (float)));
  g_checksum_update (c, (const guchar *) d->labels, (gssize) (d->n * (gint64) sizeof (int32_t)));
  return g_strdup (g_checksum_get_string (c));
}

static gboolean
parse_norm (const char *text, const bs_dataset *d, bs_norm *norm, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  double mean, std;
  char *end;

  if (g_strv_length (parts) != 2)
    goto bad;
  mean = g_ascii_strtod (parts[0], &end);
  if (*end)
    goto bad;
  std = g_ascii_strtod (parts[1], &end);
  if (*end || !(std > 0) || !isfinite (mean))
    goto bad;
  *norm = bs_norm_unit (d);
  norm->n_channels = 1;
  norm->mean[0] = (float) mean;
  norm->std[0] = (float) std;
  return TRUE;
bad:
  g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET,
               "--normalize '%s': expected MEAN,STD with STD > 0 (pixels scaled to [0,1] first)",
               text);
  return FALSE;
}

BsProject *
bs_project_open (const char *model_path, const char *dataset, const BsProjectOptions *o,
                 GError **error)
{
  static const BsProjectOptions defaults = BS_PROJECT_OPTIONS_INIT;
  g_autoptr (BsProject) p = g_new0 (BsProject, 1);
  bs_eval_opts eo = BS_EVAL_OPTS_INIT;
  bs_dataset calib = { 0 };
  char err[512] = "";
  const char *norm_text;
  g_autofree char *base = NULL;

  if (!o)
    o = &defaults;
  p->opts = *o;
  p->opts.normalize = g_strdup (o->normalize);
  p->model_path = g_strdup (model_path);
  base = g_path_get_basename (model_path);
  p->model_name = g_str_has_suffix (base, ".onnx")
                  ? g_strndup (base, strlen (base) - 5) : g_strdup (base);
  if (bs_onnx_load (model_path, &p->g, err, sizeof err) < 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_MODEL, "%s", err);
      return NULL;
    }
  {
    g_autoptr (GError) local = NULL;
    g_autofree char *contents = NULL;
    gsize len = 0;
    if (!g_file_get_contents (model_path, &contents, &len, &local))
      {
        g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_MODEL, "%s", local->message);
        return NULL;
      }
    p->model_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) contents, len);
  }
  if (!load_dataset (p, dataset, error))
    return NULL;
  p->dataset_sha = hash_dataset (&p->test);

  norm_text = o->normalize ? o->normalize : bs_graph_metadata (p->g, "bitscape.normalize");
  eo.norm = bs_norm_unit (&p->test);
  if (norm_text && !parse_norm (norm_text, &p->test, &eo.norm, error))
    return NULL;

  p->norm = eo.norm;
  eo.n_threads = o->threads;
  eo.limit = o->limit;
  eo.path = o->path;
  eo.cache_bytes = o->cache_bytes;
  if (p->train.n > 0)
    {
      gint64 nc = o->calib_images > 0 ? o->calib_images : 512;
      if (nc > p->train.n)
        nc = p->train.n;
      if (bs_dataset_calibration (&p->train, nc, CALIB_SEED, &calib, err, sizeof err) < 0)
        {
          g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET, "%s", err);
          return NULL;
        }
    }
  else
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET,
                   "dataset '%s' has no training images to calibrate on "
                   "(give TEST_IMG.npy,TEST_LBL.npy,TRAIN_IMG.npy,TRAIN_LBL.npy)", dataset);
      return NULL;
    }
  p->ev = bs_evaluator_new (p->g, &p->test, &calib, &eo, err, sizeof err);
  bs_dataset_clear (&calib);
  if (!p->ev)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_MODEL, "%s: %s", model_path, err);
      return NULL;
    }
  return g_steal_pointer (&p);
}

bs_config *
bs_project_uniform_config (BsProject *p, const char *weights, const char *activations,
                           const char *acc, const char *scaling, GError **error)
{
  int n = bs_project_n_layers (p);
  bs_config *cfg = bs_config_new (n);
  bs_layer_config lc = BS_LAYER_CONFIG_FP32;
  char err[256];

  g_snprintf (lc.weight, sizeof lc.weight, "%s", weights ? weights : "fp32");
  g_snprintf (lc.input, sizeof lc.input, "%s", activations ? activations : "fp32");
  if (acc && bs_acc_parse (acc, &lc.acc) < 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG,
                   "unknown accumulator '%s' (exact, kulisch, quire, elma, int32, fp32, fp16)",
                   acc);
      bs_config_free (cfg);
      return NULL;
    }
  /* a quantized layer defaults to its formats' natural scaling; fp32 stays
   * unscaled */
  lc.scaling = strcmp (lc.weight, "fp32") == 0 && strcmp (lc.input, "fp32") == 0
               ? BS_SCALING_NONE : BS_SCALING_AUTO;
  if (scaling)
    {
      g_autofree char *text = g_strdup_printf ("v1;L0:w=fp32,a=fp32,acc=fp32,s=%s", scaling);
      bs_config *probe = bs_config_parse (text, err, sizeof err);
      if (!probe)
        {
          g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG,
                       "unknown scaling '%s' (auto, none, pow2, layer-pow2, channel, block, block<N>, "
                       "maxabs, pct<P>)", scaling);
          bs_config_free (cfg);
          return NULL;
        }
      lc.scaling = bs_config_layer (probe, 0)->scaling;
      lc.percentile = bs_config_layer (probe, 0)->percentile;
      lc.block = bs_config_layer (probe, 0)->block;
      bs_config_free (probe);
    }
  for (int i = 0; i < n; i++)
    if (bs_config_set_layer (cfg, i, &lc, err, sizeof err) < 0)
      {
        g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG, "%s", err);
        bs_config_free (cfg);
        return NULL;
      }
  return cfg;
}

bs_energy_result *
bs_project_energy (BsProject *p, const bs_config *cfg, const bs_target *t,
                   const bs_eval_result *eval, GError **error)
{
  int n = bs_project_n_layers (p);
  g_autofree bs_energy_layer *layers = g_new0 (bs_energy_layer, (gsize) n);
  char err[512] = "";
  bs_energy_result *r;

  if (bs_config_n_layers (cfg) != n)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG,
                   "the configuration has %d layers, the model %d compute layers",
                   bs_config_n_layers (cfg), n);
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      const bs_layer_info *L = bs_project_layer (p, i);
      const bs_layer_config *lc = bs_config_layer (cfg, i);
      bs_energy_layer *e = &layers[i];
      e->name = L->name;
      e->op = bs_op_name (L->op);
      e->macs = (uint64_t) L->macs;
      e->weights = (uint64_t) bs_shape_numel (&L->w_shape);
      e->inputs = (uint64_t) (bs_shape_numel (&L->in_shape) / L->in_shape.dims[0]);
      e->outputs = (uint64_t) (bs_shape_numel (&L->out_shape) / L->out_shape.dims[0]);
      e->weight_sparsity = eval ? eval->layers[i].weight_sparsity : -1;
      e->input_sparsity = eval ? eval->layers[i].input_sparsity : -1;
      e->weight_format = lc->weight;
      e->input_format = lc->input;
      /* outputs are stored in the next layer's input format */
      e->output_format = i + 1 < n ? bs_config_layer (cfg, i + 1)->input : "fp32";
      e->accumulator = bs_acc_name (lc->acc);
    }
  r = bs_energy_estimate (t, layers, (size_t) n, err, sizeof err);
  if (!r)
    g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_TARGET, "%s", err);
  return r;
}

gboolean
bs_project_evaluate (BsProject *p, const bs_config *cfg, const bs_target *t, bs_metrics *m,
                     bs_eval_result *eval_out, bs_energy_result **energy_out, GError **error)
{
  bs_eval_result r;
  char err[512] = "";
  int n = bs_project_n_layers (p);
  double wz = 0, wn = 0, iz = 0, in = 0;
  g_autofree uint64_t *wc = g_new (uint64_t, (gsize) n);
  g_autofree uint64_t *ic = g_new (uint64_t, (gsize) n);

  memset (m, 0, sizeof *m);
  if (bs_evaluator_run (p->ev, cfg, &r, err, sizeof err) < 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_EVAL, "%s", err);
      return FALSE;
    }
  m->top1 = r.top1;
  m->top5 = r.top5;
  for (int i = 0; i < n; i++)
    {
      const bs_eval_layer *L = &r.layers[i];
      wc[i] = (uint64_t) L->weight_count;
      ic[i] = (uint64_t) L->input_count;
      wz += L->weight_sparsity * (double) L->weight_count;
      wn += (double) L->weight_count;
      iz += L->input_sparsity * (double) L->input_count;
      in += (double) L->input_count;
    }
  m->weight_sparsity = wn > 0 ? wz / wn : 0;
  m->input_sparsity = in > 0 ? iz / in : 0;
  bs_config_mean_bits (cfg, wc, ic, &m->mean_weight_bits, &m->mean_input_bits, NULL, 0);
  m->energy_pj = m->compute_pj = m->memory_pj = NAN;
  if (t)
    {
      bs_energy_result *e = bs_project_energy (p, cfg, t, &r, error);
      if (!e)
        {
          bs_eval_result_clear (&r);
          return FALSE;
        }
      m->energy_pj = e->energy_pj;
      m->compute_pj = e->compute_pj;
      m->memory_pj = e->memory_pj;
      if (energy_out)
        *energy_out = e;
      else
        bs_energy_result_free (e);
    }
  if (eval_out)
    *eval_out = r;
  else
    bs_eval_result_clear (&r);
  return TRUE;
}

bs_config *
bs_project_config_from_xml (BsProject *p, const BsXmlConfig *x, GError **error)
{
  g_autoptr (GString) text = g_string_new ("v1");
  char err[256];
  bs_config *cfg;

  for (guint i = 0; i < x->layers->len; i++)
    {
      const BsXmlLayer *l = x->layers->pdata[i];
      g_string_append_printf (text, ";L%u:w=%s,a=%s,acc=%s,s=%s", i, l->weight_format,
                              l->input_format, l->acc, l->scaling);
    }
  cfg = bs_config_parse (text->str, err, sizeof err);
  if (!cfg)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG, "%s", err);
      return NULL;
    }
  if (p && bs_config_n_layers (cfg) != bs_project_n_layers (p))
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG,
                   "the configuration has %d layers, %s has %d compute layers",
                   bs_config_n_layers (cfg), p->model_name, bs_project_n_layers (p));
      bs_config_free (cfg);
      return NULL;
    }
  return cfg;
}

BsXmlConfig *
bs_project_config_to_xml (BsProject *p, const bs_config *cfg, const char *target,
                          const char *target_sha256, const bs_metrics *m, const char *path,
                          gint64 images)
{
  BsXmlConfig *x = bs_xml_config_new ();
  char scaling[64];

  x->canonical = bs_config_to_string (cfg);
  x->model_name = g_strdup (p->model_name);
  x->model_sha256 = g_strdup (p->model_sha);
  x->dataset_name = g_strdup (p->dataset_name);
  x->dataset_sha256 = g_strdup (p->dataset_sha);
  x->dataset_images = p->test.n;
  if (target)
    {
      x->target_name = g_strdup (target);
      x->target_sha256 = g_strdup (target_sha256);
    }
  for (int i = 0; i < bs_config_n_layers (cfg); i++)
    {
      const bs_layer_config *lc = bs_config_layer (cfg, i);
      bs_layer_config_scaling_text (lc, scaling, sizeof scaling);
      bs_xml_config_add_layer (x, bs_project_layer (p, i)->name, lc->weight, lc->input,
                               bs_acc_name (lc->acc), scaling);
    }
  if (m)
    {
      x->has_metrics = TRUE;
      x->metrics.top1 = m->top1;
      x->metrics.top5 = m->top5;
      x->metrics.energy_pj = m->energy_pj;
      x->metrics.compute_pj = m->compute_pj;
      x->metrics.memory_pj = m->memory_pj;
      x->metrics.mean_weight_bits = m->mean_weight_bits;
      x->metrics.mean_input_bits = m->mean_input_bits;
      x->metrics.images = images;
      x->metrics.path = g_strdup (path);
    }
  return x;
}

/* Layer inputs --------------------------------------------------------------- */

typedef struct {
  int node, value;          /* run nodes [0, node); copy value */
  gint64 per;               /* floats of value per image */
  float *out;               /* images · per */
  GCancellable *cancellable;
} CaptureCtx;

static int
capture_chunk (void *user, bs_exec *x, int64_t first, int64_t count, int thread, char *err,
               size_t errlen)
{
  CaptureCtx *c = user;
  const bs_shape *s;

  if (g_cancellable_is_cancelled (c->cancellable))
    {
      g_snprintf (err, errlen, "cancelled");
      return -1;
    }
  if (bs_exec_run_nodes (x, 0, c->node, err, errlen) < 0)
    return -1;
  s = bs_exec_shape (x, c->value);
  if (bs_shape_numel (s) != count * c->per || !bs_exec_data (x, c->value))
    {
      g_snprintf (err, errlen, "the layer's input does not have the batch as its first dim");
      return -1;
    }
  memcpy (c->out + first * c->per, bs_exec_data (x, c->value),
          (size_t) (count * c->per) * sizeof (float));
  return 0;
}

/* Whether the graph batches value (its first dim is the batch) at chunk
 * images, per floats each. */
static gboolean
batches (const bs_graph *g, gint64 chunk, int value, gint64 per, const bs_shape *in1)
{
  g_autofree bs_shape *shapes = g_new0 (bs_shape, (gsize) g->n_values + 1);
  bs_shape s = *in1;
  char err[256];

  s.dims[0] = chunk;
  if (bs_graph_infer_shapes (g, &s, shapes, err, sizeof err) < 0)
    return FALSE;
  return shapes[value].ndim >= 1 && shapes[value].dims[0] == chunk &&
         bs_shape_numel (&shapes[value]) == chunk * per;
}

gboolean
bs_project_layer_inputs (BsProject *p, int layer, gint64 images, gsize max_values,
                         GCancellable *cancellable, float **values, gsize *n,
                         gint64 *images_used, GError **error)
{
  const bs_layer_info *L;
  const bs_graph *g = p->g;
  g_autofree bs_shape *shapes = NULL;
  g_autofree float *out = NULL;
  bs_tensor batch = { 0 };
  bs_run_opts ro = BS_RUN_OPTS_INIT;
  bs_shape in1;
  CaptureCtx c = { 0 };
  char err[512] = "";
  gint64 per, avail;
  int rc;

  *values = NULL;
  *n = 0;
  if (images_used)
    *images_used = 0;
  if (layer < 0 || layer >= bs_project_n_layers (p))
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_CONFIG,
                   "layer %d: %s has %d compute layers", layer, p->model_path,
                   bs_project_n_layers (p));
      return FALSE;
    }
  L = bs_project_layer (p, layer);
  if (g->n_inputs != 1 || L->input < 0 || g->values[L->input].kind == BS_VALUE_INITIALIZER)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_MODEL,
                   "%s: the input of layer %s is not computed from the image", p->model_path,
                   L->name);
      return FALSE;
    }

  /* floats per image, from a batch of one */
  in1 = bs_shape_make (4, (int64_t[]) { 1, p->test.c, p->test.h, p->test.w });
  shapes = g_new0 (bs_shape, (gsize) g->n_values + 1);
  if (bs_graph_infer_shapes (g, &in1, shapes, err, sizeof err) < 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_MODEL, "%s: %s", p->model_path, err);
      return FALSE;
    }
  per = bs_shape_numel (&shapes[L->input]);
  if (per <= 0 || shapes[L->input].ndim < 1 || shapes[L->input].dims[0] != 1)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_MODEL,
                   "%s: the input of layer %s does not have the batch as its first dim",
                   p->model_path, L->name);
      return FALSE;
    }

  /* how many images: asked (0 = 256), within the evaluated test images and
   * the memory bound */
  avail = p->opts.limit > 0 ? MIN (p->opts.limit, p->test.n) : p->test.n;
  images = images > 0 ? images : 256;
  images = MIN (images, avail);
  if (max_values > 0)
    images = MIN (images, MAX ((gint64) (max_values / (gsize) per), 1));
  if (images <= 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET, "%s has no test images",
                   p->dataset_name);
      return FALSE;
    }

  if (bs_dataset_batch (&p->test, 0, images, &p->norm, &batch, err, sizeof err) < 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET, "%s: %s", p->dataset_name, err);
      return FALSE;
    }
  out = g_try_new (float, (gsize) (images * per));
  if (!out)
    {
      bs_tensor_clear (&batch);
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_EVAL, "out of memory for %" G_GINT64_FORMAT
                   " values", images * per);
      return FALSE;
    }
  c.node = L->node;
  c.value = L->input;
  c.per = per;
  c.out = out;
  c.cancellable = cancellable;
  ro.n_threads = p->opts.threads;
  ro.chunk = MIN (images, 32);
  /* a model exported with a fixed batch of one runs image by image */
  if (ro.chunk > 1 && !batches (g, ro.chunk, L->input, per, &in1))
    ro.chunk = 1;
  if (images % ro.chunk && ro.chunk > 1 && !batches (g, images % ro.chunk, L->input, per, &in1))
    ro.chunk = 1;
  rc = bs_graph_foreach_chunk (g, &batch, &ro, capture_chunk, &c, err, sizeof err);
  bs_tensor_clear (&batch);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (rc < 0)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_EVAL, "%s: layer %s: %s",
                   p->model_path, L->name, err);
      return FALSE;
    }
  *values = g_steal_pointer (&out);
  *n = (gsize) (images * per);
  if (images_used)
    *images_used = images;
  return TRUE;
}
