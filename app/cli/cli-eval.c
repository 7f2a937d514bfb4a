/* bitscape-cli eval — accuracy of a model under a quantization configuration. */
#include "cli.h"

#include <math.h>

#include "bs-project.h"
#include "bs-xml.h"

void
bs_cli_model_args_clear (BsCliModelArgs *a)
{
  g_free (a->model);
  g_free (a->dataset);
  g_free (a->normalize);
  g_free (a->path);
  g_free (a->config);
  g_free (a->weights);
  g_free (a->activations);
  g_free (a->acc);
  g_free (a->scaling);
}

GOptionEntry *
bs_cli_model_entries (BsCliModelArgs *a, gboolean with_formats)
{
  GOptionEntry e[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &a->model, "ONNX model", "M.onnx" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &a->dataset,
      "fashion-mnist (default), an idx directory, or IMG.npy,LBL.npy,TRAIN_IMG.npy,TRAIN_LBL.npy",
      "D" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &a->limit, "Use the first N test images", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &a->threads, "Worker threads (default: all cores)",
      "N" },
    { "normalize", 0, 0, G_OPTION_ARG_STRING, &a->normalize,
      "Input normalisation MEAN,STD after scaling pixels to [0,1]", "MEAN,STD" },
    { "path", 0, 0, G_OPTION_ARG_STRING, &a->path,
      "auto (exact when an accumulator other than fp32 is asked for), fake-quant, exact", "P" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a->json, "Machine-readable output", NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &a->config, "Configuration XML", "C.xml" },
    { "weights", 'w', 0, G_OPTION_ARG_STRING, &a->weights, "Weight format of every layer", "FMT" },
    { "activations", 'a', 0, G_OPTION_ARG_STRING, &a->activations,
      "Input (activation) format of every layer", "FMT" },
    { "acc", 0, 0, G_OPTION_ARG_STRING, &a->acc,
      "Accumulator: fp32 (default), exact, kulisch, quire, elma, int32, fp16", "ACC" },
    { "scaling", 0, 0, G_OPTION_ARG_STRING, &a->scaling,
      "auto (default: layer-pow2 for fixed, int and IEEE floats; none for posit, log, block formats), none, pow2, layer-pow2, channel, block, block<N>, maxabs, pct<P>", "S" },
    { NULL },
  };
  static GOptionEntry store[G_N_ELEMENTS (e)];

  memcpy (store, e, sizeof e);
  if (!with_formats)
    store[7] = store[G_N_ELEMENTS (e) - 1];   /* end before --config */
  return store;
}

/* Open the project and build the configuration from --config or the format
 * options.  On error: print and return FALSE. */
gboolean
bs_cli_open (BsCliModelArgs *a, BsProject **project, bs_config **cfg, BsXmlConfig **from_xml)
{
  g_autoptr (GError) error = NULL;
  BsProjectOptions po = BS_PROJECT_OPTIONS_INIT;
  g_autoptr (GPtrArray) docs = NULL;

  if (!a->model)
    {
      bs_cli_usage_error ("--model is required");
      return FALSE;
    }
  if (a->limit < 0 || a->threads < 0 || a->threads > 256)
    {
      bs_cli_usage_error ("--limit must be ≥ 0 and --threads between 0 and 256");
      return FALSE;
    }
  if (a->config && (a->weights || a->activations || a->acc || a->scaling))
    {
      bs_cli_usage_error ("--config and --weights/--activations/--acc/--scaling exclude each other");
      return FALSE;
    }
  if (!a->path || g_str_equal (a->path, "auto"))
    po.path = BS_EVAL_AUTO;
  else if (g_str_equal (a->path, "fake-quant"))
    po.path = BS_EVAL_FAKE_QUANT;
  else if (g_str_equal (a->path, "exact"))
    po.path = BS_EVAL_EXACT;
  else
    {
      bs_cli_usage_error ("--path must be auto, fake-quant or exact (got '%s')", a->path);
      return FALSE;
    }
  /* validate the format names before the (slow) loading */
  {
    bs_format f;
    if ((a->weights && !bs_cli_get_format (a->weights, &f))
        || (a->activations && !bs_cli_get_format (a->activations, &f)))
      return FALSE;
  }
  if (a->config)
    {
      docs = bs_xml_read (a->config, &error);
      if (!docs)
        {
          bs_cli_usage_error ("%s", error->message);
          return FALSE;
        }
      if (docs->len != 1)
        g_printerr ("bitscape-cli: %s holds %u configurations; using the first\n", a->config,
                    docs->len);
      /* reproduce a stored result: the same number of test images */
      if (a->limit == 0 && ((BsXmlConfig *) docs->pdata[0])->has_metrics)
        a->limit = ((BsXmlConfig *) docs->pdata[0])->metrics.images;
    }
  po.threads = a->threads;
  po.limit = a->limit;
  po.normalize = a->normalize;
  *project = bs_project_open (a->model, a->dataset ? a->dataset : "fashion-mnist", &po, &error);
  if (!*project)
    {
      bs_cli_usage_error ("%s", error->message);
      return FALSE;
    }
  if (docs)
    {
      BsXmlConfig *x = docs->pdata[0];
      if (g_strcmp0 (x->model_sha256, bs_project_model_sha256 (*project)) != 0)
        g_printerr ("bitscape-cli: warning: %s was made for model %s (%.12s…), not this file\n",
                    a->config, x->model_name, x->model_sha256);
      *cfg = bs_project_config_from_xml (*project, x, &error);
      if (from_xml)
        *from_xml = g_ptr_array_steal_index (docs, 0);
    }
  else
    *cfg = bs_project_uniform_config (*project, a->weights, a->activations,
                                      a->acc ? a->acc : "fp32", a->scaling, &error);
  if (!*cfg)
    {
      bs_cli_usage_error ("%s", error->message);
      g_clear_pointer (project, bs_project_free);
      return FALSE;
    }
  return TRUE;
}

static void
hist_json (GString *out, const uint64_t *h, int n)
{
  g_string_append_c (out, '[');
  for (int i = 0; i < n; i++)
    g_string_append_printf (out, "%s%" G_GUINT64_FORMAT, i ? "," : "", h ? h[i] : 0);
  g_string_append_c (out, ']');
}

static void
print_json (BsProject *p, const bs_config *cfg, const bs_eval_result *r)
{
  g_autoptr (GString) out = g_string_new ("{");
  g_autofree char *canon = bs_config_to_string (cfg);
  gboolean first = TRUE;

  bs_json_key (out, "model", &first); bs_json_string (out, bs_project_model_name (p));
  bs_json_key (out, "dataset", &first); bs_json_string (out, bs_project_dataset_name (p));
  bs_json_key (out, "images", &first); bs_json_number (out, (double) r->images);
  bs_json_key (out, "path", &first); bs_json_string (out, r->path);
  bs_json_key (out, "top1", &first); bs_json_number (out, r->top1);
  bs_json_key (out, "top5", &first); bs_json_number (out, r->top5);
  bs_json_key (out, "config", &first); bs_json_string (out, canon);
  bs_json_key (out, "layers", &first);
  g_string_append_c (out, '[');
  for (int i = 0; i < r->n_layers; i++)
    {
      const bs_eval_layer *L = &r->layers[i];
      const bs_layer_config *lc = bs_config_layer (cfg, i);
      gboolean f = TRUE;
      char scaling[64];
      bs_layer_config_scaling_text (lc, scaling, sizeof scaling);
      g_string_append (out, i ? ",{" : "{");
      bs_json_key (out, "name", &f); bs_json_string (out, L->name);
      bs_json_key (out, "type", &f); bs_json_string (out, bs_op_name (L->op));
      bs_json_key (out, "macs", &f); bs_json_number (out, (double) L->macs);
      bs_json_key (out, "params", &f); bs_json_number (out, (double) L->params);
      bs_json_key (out, "weight_format", &f); bs_json_string (out, lc->weight);
      bs_json_key (out, "input_format", &f); bs_json_string (out, lc->input);
      bs_json_key (out, "acc", &f); bs_json_string (out, bs_acc_name (lc->acc));
      bs_json_key (out, "scaling", &f); bs_json_string (out, scaling);
      bs_json_key (out, "input_sparsity", &f); bs_json_number (out, L->input_sparsity);
      bs_json_key (out, "input_sparsity_fp32", &f); bs_json_number (out, L->input_sparsity_fp32);
      bs_json_key (out, "weight_sparsity", &f); bs_json_number (out, L->weight_sparsity);
      bs_json_key (out, "weight_sparsity_fp32", &f); bs_json_number (out, L->weight_sparsity_fp32);
      /* ±inf (identical tensors) has no JSON number: null, and a flag */
      bs_json_key (out, "sqnr_db", &f); bs_json_number (out, L->output_sqnr_db);
      bs_json_key (out, "weight_sqnr_db", &f); bs_json_number (out, L->weight_sqnr_db);
      bs_json_key (out, "lossless", &f);
      g_string_append (out, isinf (L->output_sqnr_db) && L->output_sqnr_db > 0 ? "true" : "false");
      bs_json_key (out, "weight_scale", &f); bs_json_number (out, L->weight_scale);
      bs_json_key (out, "input_scale", &f); bs_json_number (out, L->input_scale);
      bs_json_key (out, "weight_range", &f);
      g_string_append_printf (out, "[%.9g,%.9g]", L->w_min, L->w_max);
      bs_json_key (out, "input_range", &f);
      g_string_append_printf (out, "[%.9g,%.9g]", L->a_min, L->a_max);
      bs_json_key (out, "weight_histogram", &f); hist_json (out, L->w_hist, L->n_bins);
      bs_json_key (out, "input_histogram", &f); hist_json (out, L->a_hist, L->n_bins);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}\n");
  fputs (out->str, stdout);
}

static void
print_text (BsProject *p, const bs_config *cfg, const bs_eval_result *r)
{
  printf ("%s on %s (%" G_GINT64_FORMAT " images, %s): top-1 %.2f %%, top-5 %.2f %%\n",
          bs_project_model_name (p), bs_project_dataset_name (p), r->images, r->path, r->top1,
          r->top5);
  printf ("%-22s %-12s %-12s %-7s %9s %9s %9s %9s\n", "layer", "weights", "inputs", "acc",
          "in-zero", "w-zero", "SQNR dB", "w-SQNR");
  for (int i = 0; i < r->n_layers; i++)
    {
      const bs_eval_layer *L = &r->layers[i];
      const bs_layer_config *lc = bs_config_layer (cfg, i);
      printf ("%-22s %-12s %-12s %-7s %8.1f%% %8.1f%% %9.2f %9.2f\n", L->name, lc->weight,
              lc->input, bs_acc_name (lc->acc), 100 * L->input_sparsity,
              100 * L->weight_sparsity, L->output_sqnr_db, L->weight_sqnr_db);
    }
}

int
bs_cli_eval (int argc, char **argv)
{
  BsCliModelArgs a = { 0 };
  g_autoptr (BsProject) p = NULL;
  bs_config *cfg = NULL;
  bs_eval_result r;
  char err[512];
  int ret;

  if (!bs_cli_parse_options ("eval", "accuracy under a quantization configuration",
                             bs_cli_model_entries (&a, TRUE), &argc, &argv))
    {
      bs_cli_model_args_clear (&a);
      return BS_CLI_USAGE;
    }
  if (!bs_cli_open (&a, &p, &cfg, NULL))
    {
      bs_cli_model_args_clear (&a);
      return BS_CLI_USAGE;
    }
  if (bs_evaluator_run (bs_project_evaluator (p), cfg, &r, err, sizeof err) < 0)
    ret = bs_cli_usage_error ("%s: %s", a.model, err);
  else
    {
      if (a.json)
        print_json (p, cfg, &r);
      else
        print_text (p, cfg, &r);
      bs_eval_result_clear (&r);
      ret = fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
    }
  bs_config_free (cfg);
  bs_cli_model_args_clear (&a);
  return ret;
}
