/* bitscape-cli layers | infer — a model's layers, and plain inference. */
#include "cli.h"

#include "bs-graph.h"
#include "bs-onnx.h"

int
bs_cli_layers (int argc, char **argv)
{
  g_autofree char *model = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "ONNX model", "M.onnx" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
    { NULL },
  };
  bs_graph *g = NULL;
  bs_layer_info *rows = NULL;
  int n = 0;
  char err[512];
  g_autoptr (GString) out = g_string_new (NULL);

  if (!bs_cli_parse_options ("layers", "list a model's layers", entries, &argc, &argv))
    return BS_CLI_USAGE;
  if (!model)
    return bs_cli_usage_error ("layers: --model is required");
  if (bs_onnx_load (model, &g, err, sizeof err) < 0)
    return bs_cli_usage_error ("%s", err);
  if (bs_graph_describe_layers (g, NULL, &rows, &n, err, sizeof err) < 0)
    {
      bs_graph_free (g);
      return bs_cli_usage_error ("%s: %s", model, err);
    }
  if (json)
    g_string_append (out, "[");
  else
    g_string_append_printf (out, "%-24s %-20s %-18s %-18s %-18s %10s %12s\n", "layer", "type",
                            "input", "weight", "output", "params", "MACs");
  for (int i = 0; i < n; i++)
    {
      char in[64], w[64] = "-", o[64];
      bs_shape_format (&rows[i].in_shape, in, sizeof in);
      if (rows[i].weight >= 0)
        bs_shape_format (&rows[i].w_shape, w, sizeof w);
      bs_shape_format (&rows[i].out_shape, o, sizeof o);
      if (json)
        {
          gboolean first = TRUE;
          g_string_append (out, i ? ",{" : "{");
          bs_json_key (out, "name", &first);
          bs_json_string (out, rows[i].name);
          bs_json_key (out, "type", &first);
          bs_json_string (out, bs_op_name (rows[i].op));
          bs_json_key (out, "compute", &first);
          g_string_append (out, rows[i].compute ? "true" : "false");
          bs_json_key (out, "input_shape", &first);
          bs_json_string (out, in);
          bs_json_key (out, "weight_shape", &first);
          bs_json_string (out, w);
          bs_json_key (out, "output_shape", &first);
          bs_json_string (out, o);
          bs_json_key (out, "params", &first);
          bs_json_number (out, (double) rows[i].params);
          bs_json_key (out, "macs", &first);
          bs_json_number (out, (double) rows[i].macs);
          g_string_append (out, "}");
        }
      else
        g_string_append_printf (out, "%-24s %-20s %-18s %-18s %-18s %10" G_GINT64_FORMAT
                                " %12" G_GINT64_FORMAT "\n", rows[i].name,
                                bs_op_name (rows[i].op), in, w, o, rows[i].params, rows[i].macs);
    }
  if (json)
    g_string_append (out, "]\n");
  else
    {
      gint64 params = 0, macs = 0;
      for (int i = 0; i < n; i++)
        params += rows[i].params, macs += rows[i].macs;
      g_string_append_printf (out, "total: %" G_GINT64_FORMAT " parameters, %" G_GINT64_FORMAT
                              " MACs per image\n", params, macs);
    }
  fputs (out->str, stdout);
  free (rows);
  bs_graph_free (g);
  return fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
}

int
bs_cli_infer (int argc, char **argv)
{
  g_autofree char *model = NULL, *output = NULL;
  g_auto (GStrv) inputs = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "ONNX model", "M.onnx" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs,
      "Input TensorProto (.pb), once per model input in order", "IN.pb" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Output TensorProto (.pb)", "OUT.pb" },
    { NULL },
  };
  bs_graph *g = NULL;
  bs_exec *x = NULL;
  g_autofree bs_shape *shapes = NULL;
  char err[512];
  int ret = BS_CLI_USAGE;
  guint n_in;
  bs_tensor *tensors = NULL;

  if (!bs_cli_parse_options ("infer", "run a model on ONNX tensors", entries, &argc, &argv))
    return BS_CLI_USAGE;
  if (!model || !inputs || !output)
    return bs_cli_usage_error ("infer: --model, --input and --output are required");
  if (bs_onnx_load (model, &g, err, sizeof err) < 0)
    return bs_cli_usage_error ("%s", err);
  n_in = g_strv_length (inputs);
  if ((int) n_in != g->n_inputs)
    {
      bs_cli_usage_error ("%s takes %d input%s, %u given", model, g->n_inputs,
                          g->n_inputs == 1 ? "" : "s", n_in);
      goto out;
    }
  tensors = g_new0 (bs_tensor, n_in);
  shapes = g_new0 (bs_shape, n_in);
  for (guint i = 0; i < n_in; i++)
    {
      char *name = NULL;
      if (bs_tensor_load_pb (inputs[i], &tensors[i], &name, err, sizeof err) < 0)
        {
          bs_cli_usage_error ("%s", err);
          free (name);
          goto out;
        }
      free (name);
      shapes[i] = tensors[i].shape;
    }
  x = bs_exec_new (g, shapes, err, sizeof err);
  if (!x)
    {
      bs_cli_usage_error ("%s: %s", model, err);
      goto out;
    }
  for (guint i = 0; i < n_in; i++)
    if (tensors[i].dtype != BS_DT_FLOAT
        || bs_exec_set_input (x, (int) i, bs_tensor_f32 (&tensors[i]),
                              bs_tensor_numel (&tensors[i]), err, sizeof err) < 0)
      {
        bs_cli_usage_error ("%s: %s", inputs[i],
                            tensors[i].dtype != BS_DT_FLOAT ? "not a float tensor" : err);
        goto out;
      }
  if (bs_exec_run (x, err, sizeof err) < 0)
    {
      bs_cli_usage_error ("%s: %s", model, err);
      goto out;
    }
  if (bs_tensor_save_pb (output, bs_exec_tensor (x, g->outputs[0]),
                         g->values[g->outputs[0]].name, err, sizeof err) < 0)
    {
      fprintf (stderr, "bitscape-cli: %s\n", err);
      ret = BS_CLI_FAILED;
      goto out;
    }
  ret = BS_CLI_OK;
out:
  for (guint i = 0; tensors && i < n_in; i++)
    bs_tensor_clear (&tensors[i]);
  g_free (tensors);
  bs_exec_free (x);
  bs_graph_free (g);
  return ret;
}
