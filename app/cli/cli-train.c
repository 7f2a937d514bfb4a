/* bitscape-cli train — train a network on Fashion-MNIST and write it as ONNX.
 *
 *   bitscape-cli train --arch mlp|cnn|resnet --dataset fashion-mnist
 *       --epochs N --optimizer sgd|adam --lr X --batch N --seed N
 *       [--schedule constant|step|cosine] [--warmup E] [--step-epochs N]
 *       [--gamma G] [--lr-min X] [--momentum M] [--weight-decay WD]
 *       [--flip] [--shift N] [--threads N] [--val N] [--data-dir DIR]
 *       [--weights FMT --activations FMT [--input-format FMT]]   (QNN)
 *       [--cluster K [--cluster-epochs N] [--cluster-lr X]]
 *       [--init M.onnx] [--test] [--json] --output M.onnx
 *
 * The last --val images (default 5000) of the training set are held out for
 * validation; --test evaluates the 10 000 test images once at the end, with
 * the trainer's evaluation forward and, for float models, the engine's. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bs-onnx.h"
#include "bs-train.h"
#include "cli.h"

typedef struct {
  gint64 t0;
  gboolean tty;
} progress_ctx;

static int
progress (void *user, int epoch, int64_t step, int64_t steps, double loss)
{
  progress_ctx *p = user;
  if (p->tty)
    {
      fprintf (stderr, "\repoch %d: step %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
               " loss %.4f  ", epoch + 1, (gint64) step, (gint64) steps, loss);
      if (step == steps)
        fprintf (stderr, "\r%*s\r", 60, "");
      fflush (stderr);
    }
  return 0;
}

static gboolean
parse_schedule (const char *s, bs_lr_schedule *out)
{
  if (!s || strcmp (s, "cosine") == 0)
    *out = BS_LR_COSINE;
  else if (strcmp (s, "step") == 0)
    *out = BS_LR_STEP;
  else if (strcmp (s, "constant") == 0)
    *out = BS_LR_CONSTANT;
  else
    return FALSE;
  return TRUE;
}

/* Accuracy of the engine's float forward (bs_graph_run) on d. */
static int
engine_accuracy (const bs_graph *g, const bs_train_data *d, int threads, double *acc,
                 char *err, size_t errlen)
{
  bs_tensor x = { 0 }, y = { 0 };
  int64_t dims[4] = { d->n, d->c, d->h, d->w }, correct = 0;
  bs_run_opts ro = BS_RUN_OPTS_INIT;

  ro.n_threads = threads;
  x.dtype = BS_DT_FLOAT;
  x.shape = bs_shape_make (4, dims);
  x.data = d->x;   /* borrowed */
  if (bs_graph_run (g, &x, 1, &y, &ro, err, errlen) < 0)
    return -1;
  int64_t k = bs_tensor_numel (&y) / d->n;
  for (int64_t i = 0; i < d->n; i++)
    {
      const float *r = bs_tensor_f32 (&y) + i * k;
      int64_t best = 0;
      for (int64_t j = 1; j < k; j++)
        if (r[j] > r[best])
          best = j;
      correct += best == d->labels[i];
    }
  bs_tensor_clear (&y);
  *acc = (double) correct / (double) d->n;
  return 0;
}

static void
json_string (GString *s, const char *v)
{
  g_string_append_c (s, '"');
  for (const char *p = v; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      if ((unsigned char) *p < 0x20)
        g_string_append_printf (s, "\\u%04x", *p);
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

int
bs_cli_train (int argc, char **argv)
{
  g_autofree char *arch_s = NULL, *dataset = NULL, *optim_s = NULL, *lr_s = NULL,
                  *output = NULL, *wfmt = NULL, *afmt = NULL, *ifmt = NULL, *sched_s = NULL,
                  *warm_s = NULL, *gamma_s = NULL, *lrmin_s = NULL, *mom_s = NULL,
                  *wd_s = NULL, *data_dir = NULL, *init = NULL, *clr_s = NULL,
                  *channels_s = NULL;
  int64_t widths[BS_RESNET_STAGES];
  int n_widths = 0;
  gint epochs = -1, batch = 128, threads = 0, step_epochs = 1, shift = 0, val = 5000;
  gint cluster = 0, cluster_epochs = 2;
  gint64 seed = 1;
  gboolean flip = FALSE, test = FALSE, json = FALSE;
  g_autofree char *command = NULL;
  GOptionEntry entries[] = {
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch_s, "Architecture: mlp, cnn, resnet", "NAME" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, "Dataset: fashion-mnist", "NAME" },
    { "channels", 0, 0, G_OPTION_ARG_STRING, &channels_s,
      "resnet: channel widths of the stem and the two blocks (default 24,32,64)", "C0,C1,C2" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Directory of the dataset files",
      "DIR" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "Training epochs", "N" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optim_s, "sgd or adam (default adam)", "NAME" },
    { "lr", 0, 0, G_OPTION_ARG_STRING, &lr_s, "Base learning rate", "X" },
    { "momentum", 0, 0, G_OPTION_ARG_STRING, &mom_s, "SGD momentum (default 0.9)", "M" },
    { "weight-decay", 0, 0, G_OPTION_ARG_STRING, &wd_s, "L2 weight decay (default 0)", "WD" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &sched_s,
      "Learning-rate schedule: constant, step, cosine (default)", "NAME" },
    { "warmup", 0, 0, G_OPTION_ARG_STRING, &warm_s, "Warm-up epochs (default 0)", "E" },
    { "step-epochs", 0, 0, G_OPTION_ARG_INT, &step_epochs, "Step schedule period", "N" },
    { "gamma", 0, 0, G_OPTION_ARG_STRING, &gamma_s, "Step schedule factor (default 0.1)", "G" },
    { "lr-min", 0, 0, G_OPTION_ARG_STRING, &lrmin_s, "Cosine floor (default 0)", "X" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Images per step (default 128)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of weights, shuffling, augmentation",
      "N" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all CPUs)",
      "N" },
    { "flip", 0, 0, G_OPTION_ARG_NONE, &flip, "Augment with random horizontal flips", NULL },
    { "shift", 0, 0, G_OPTION_ARG_INT, &shift, "Augment with random shifts of up to N pixels",
      "N" },
    { "val", 0, 0, G_OPTION_ARG_INT, &val, "Validation images held out (default 5000)", "N" },
    { "weights", 0, 0, G_OPTION_ARG_STRING, &wfmt, "QNN: weight format (e.g. fixed2, binary)",
      "FMT" },
    { "activations", 0, 0, G_OPTION_ARG_STRING, &afmt, "QNN: activation format", "FMT" },
    { "input-format", 0, 0, G_OPTION_ARG_STRING, &ifmt,
      "QNN: first-layer input format (default int8)", "FMT" },
    { "cluster", 0, 0, G_OPTION_ARG_INT, &cluster, "k-means weight sharing with K clusters",
      "K" },
    { "cluster-epochs", 0, 0, G_OPTION_ARG_INT, &cluster_epochs,
      "Centroid fine-tuning epochs (default 2)", "N" },
    { "cluster-lr", 0, 0, G_OPTION_ARG_STRING, &clr_s,
      "Centroid fine-tuning rate (default lr / 10)", "X" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init, "Start from this ONNX model", "M.onnx" },
    { "test", 0, 0, G_OPTION_ARG_NONE, &test, "Evaluate the test set at the end", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the results as one JSON object", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "ONNX file to write", "M.onnx" },
    { NULL },
  };
  bs_train_opts o = BS_TRAIN_OPTS_INIT;
  bs_arch arch = BS_ARCH_MLP;
  bs_dataset train_ds = { 0 }, test_ds = { 0 };
  bs_train_data tr = { 0 }, va = { 0 }, te = { 0 };
  bs_norm norm = bs_norm_fashion_mnist ();
  bs_graph *g = NULL;
  bs_trainer *t = NULL;
  double clr = -1, in_scale = 1;
  char err[512];
  int ret = BS_CLI_FAILED;
  gint64 t_start;
  progress_ctx pc = { 0, isatty (2) };
  GString *log = g_string_new (NULL);
  double val_acc = NAN, val_loss = NAN, test_acc = NAN, test_loss = NAN, engine_acc = NAN;
  int64_t macs = 0, params = 0, all_params = 0;

  {
    g_autofree char *args = g_strjoinv (" ", argv);
    command = g_strconcat ("bitscape-cli ", args, NULL);
  }
  if (!bs_cli_parse_options ("train", "train a network and write it as ONNX", entries, &argc,
                             &argv))
    return BS_CLI_USAGE;

  /* options, each error one line and exit 2 */
  if (!init && !arch_s)
    return bs_cli_usage_error ("train: --arch is required (mlp, cnn, resnet)");
  if (arch_s && bs_arch_parse (arch_s, &arch) < 0)
    return bs_cli_usage_error ("train: unknown --arch '%s' (mlp, cnn, resnet)", arch_s);
  if (init && arch_s)
    return bs_cli_usage_error ("train: give --arch or --init, not both");
  if (channels_s)
    {
      g_auto (GStrv) parts = g_strsplit (channels_s, ",", -1);
      guint n = g_strv_length (parts);
      guint64 v;

      if (arch != BS_ARCH_RESNET || init)
        return bs_cli_usage_error ("train: --channels applies to --arch resnet");
      if (n != BS_RESNET_STAGES)
        return bs_cli_usage_error ("train: --channels '%s': expected %d widths C0,C1,C2",
                                   channels_s, BS_RESNET_STAGES);
      for (guint i = 0; i < n; i++)
        {
          if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 4096, &v, NULL))
            return bs_cli_usage_error ("train: --channels '%s': '%s' is not a width in 1..4096",
                                       channels_s, parts[i]);
          widths[i] = (int64_t) v;
        }
      n_widths = (int) n;
    }
  if (!dataset)
    return bs_cli_usage_error ("train: --dataset is required (fashion-mnist)");
  if (strcmp (dataset, "fashion-mnist") != 0)
    return bs_cli_usage_error ("train: unknown --dataset '%s' (fashion-mnist)", dataset);
  if (epochs < 0)
    return bs_cli_usage_error ("train: --epochs N is required (N ≥ 0)");
  if (!output)
    return bs_cli_usage_error ("train: --output is required");
  if (optim_s && strcmp (optim_s, "sgd") == 0)
    o.optimizer = BS_OPTIM_SGD;
  else if (optim_s && strcmp (optim_s, "adam") != 0)
    return bs_cli_usage_error ("train: unknown --optimizer '%s' (sgd, adam)", optim_s);
  o.lr = o.optimizer == BS_OPTIM_SGD ? 0.05 : 1e-3;
  if (lr_s && (!bs_cli_parse_double (lr_s, &o.lr) || !(o.lr > 0) || !isfinite (o.lr)))
    return bs_cli_usage_error ("train: --lr must be a number > 0 (got '%s')", lr_s);
  if (mom_s && (!bs_cli_parse_double (mom_s, &o.momentum) || o.momentum < 0
                || o.momentum >= 1))
    return bs_cli_usage_error ("train: --momentum must be in [0, 1) (got '%s')", mom_s);
  if (wd_s && (!bs_cli_parse_double (wd_s, &o.weight_decay) || o.weight_decay < 0
               || !isfinite (o.weight_decay)))
    return bs_cli_usage_error ("train: --weight-decay must be a number ≥ 0 (got '%s')", wd_s);
  if (!parse_schedule (sched_s, &o.schedule))
    return bs_cli_usage_error ("train: unknown --schedule '%s' (constant, step, cosine)",
                               sched_s);
  if (warm_s && (!bs_cli_parse_double (warm_s, &o.warmup_epochs) || o.warmup_epochs < 0
                 || !isfinite (o.warmup_epochs)))
    return bs_cli_usage_error ("train: --warmup must be a number ≥ 0 (got '%s')", warm_s);
  if (step_epochs < 1)
    return bs_cli_usage_error ("train: --step-epochs must be ≥ 1 (got %d)", step_epochs);
  o.step_epochs = step_epochs;
  if (gamma_s && (!bs_cli_parse_double (gamma_s, &o.step_gamma) || !(o.step_gamma > 0)))
    return bs_cli_usage_error ("train: --gamma must be a number > 0 (got '%s')", gamma_s);
  if (lrmin_s && (!bs_cli_parse_double (lrmin_s, &o.lr_min) || o.lr_min < 0))
    return bs_cli_usage_error ("train: --lr-min must be a number ≥ 0 (got '%s')", lrmin_s);
  if (batch < 1 || batch > 65536)
    return bs_cli_usage_error ("train: --batch must be 1 .. 65536 (got %d)", batch);
  if (seed < 0)
    return bs_cli_usage_error ("train: --seed must be ≥ 0 (got %" G_GINT64_FORMAT ")", seed);
  if (threads < 0 || threads > 64)
    return bs_cli_usage_error ("train: --threads must be 0 .. 64 (got %d)", threads);
  if (shift < 0 || shift > 8)
    return bs_cli_usage_error ("train: --shift must be 0 .. 8 (got %d)", shift);
  if (val < 0 || val > 50000)
    return bs_cli_usage_error ("train: --val must be 0 .. 50000 (got %d)", val);
  if ((wfmt || afmt || ifmt) && cluster)
    return bs_cli_usage_error ("train: --cluster cannot be combined with QNN formats");
  if (ifmt && !wfmt && !afmt)
    return bs_cli_usage_error ("train: --input-format needs --weights or --activations");
  if (cluster && (cluster < 2 || cluster > 65536))
    return bs_cli_usage_error ("train: --cluster must be 2 .. 65536 (got %d)", cluster);
  if (cluster_epochs < 0)
    return bs_cli_usage_error ("train: --cluster-epochs must be ≥ 0 (got %d)", cluster_epochs);
  if (clr_s && (!bs_cli_parse_double (clr_s, &clr) || !(clr > 0)))
    return bs_cli_usage_error ("train: --cluster-lr must be a number > 0 (got '%s')", clr_s);
  {
    bs_format f;
    const char *names[3] = { wfmt, afmt, ifmt };
    const char *what[3] = { "--weights", "--activations", "--input-format" };
    for (int i = 0; i < 3; i++)
      if (names[i] && bs_format_parse (names[i], &f, err, sizeof err) < 0)
        return bs_cli_usage_error ("train: %s: %s", what[i], err);
  }
  if ((wfmt || afmt) && !ifmt)
    ifmt = g_strdup ("int8");
  o.epochs = epochs;
  o.batch = batch;
  o.seed = (uint64_t) seed;
  o.n_threads = threads;
  o.augment_flip = flip;
  o.augment_shift = shift;

  t_start = g_get_monotonic_time ();
  pc.t0 = t_start;

  /* data */
  if (bs_dataset_load_fashion_mnist (data_dir, true, &train_ds, err, sizeof err) < 0)
    {
      bs_cli_usage_error ("train: %s", err);
      ret = BS_CLI_USAGE;
      goto out;
    }
  if (train_ds.n - val < batch)
    {
      bs_cli_usage_error ("train: %" G_GINT64_FORMAT " training images make no batch of %d",
                          (gint64) (train_ds.n - val), batch);
      ret = BS_CLI_USAGE;
      goto out;
    }
  if (bs_train_data_from_dataset (&train_ds, &norm, 0, train_ds.n - val, &tr, err, sizeof err)
        < 0
      || (val > 0
          && bs_train_data_from_dataset (&train_ds, &norm, train_ds.n - val, val, &va, err,
                                         sizeof err) < 0))
    goto fail;
  bs_dataset_clear (&train_ds);

  /* model */
  if (init)
    {
      if (bs_onnx_load (init, &g, err, sizeof err) < 0)
        {
          bs_cli_usage_error ("train: %s", err);
          ret = BS_CLI_USAGE;
          goto out;
        }
    }
  else if (bs_train_build (arch, wfmt || afmt, tr.c, tr.h, tr.w, tr.n_classes, widths, n_widths,
                           o.seed, &g, err, sizeof err) < 0)
    goto fail;
  if (bs_train_graph_cost (g, &macs, &params, &all_params, err, sizeof err) < 0)
    goto fail;
  t = bs_trainer_new (g, &o, err, sizeof err);
  if (!t)
    goto fail;
  if (wfmt || afmt)
    {
      bs_format f;
      double mx = 0;
      bs_format_parse (ifmt, &f, NULL, 0);
      for (int64_t i = 0; i < tr.n * tr.c * tr.h * tr.w; i++)
        mx = fabs (tr.x[i]) > mx ? fabs (tr.x[i]) : mx;
      in_scale = bs_calib_pow2_scale (mx, f.max);
      if (bs_trainer_set_qnn (t, wfmt, afmt, ifmt, in_scale, err, sizeof err) < 0)
        goto fail;
    }
  if (!json)
    printf ("train: %s, %" G_GINT64_FORMAT " MACs, %" G_GINT64_FORMAT " parameters, "
            "%" G_GINT64_FORMAT " training / %d validation images, %d threads\n",
            init ? init : bs_arch_name (arch), (gint64) macs, (gint64) all_params,
            (gint64) tr.n, val, bs_trainer_n_threads (t));

  /* the phases: float (or QNN) epochs, then clustering and its fine-tuning */
  for (int phase = 0; phase < 2; phase++)
    {
      int n_ep = phase == 0 ? epochs : cluster_epochs;
      if (phase == 1)
        {
          bs_train_opts fo = o;
          if (!cluster)
            break;
          if (bs_trainer_cluster (t, cluster, o.seed, err, sizeof err) < 0)
            goto fail;
          fo.epochs = cluster_epochs;
          fo.lr = clr > 0 ? clr : o.lr / 10;
          fo.warmup_epochs = 0;
          if (bs_trainer_restart (t, &fo, err, sizeof err) < 0)
            goto fail;
          if (va.n && bs_trainer_evaluate (t, &va, &val_loss, &val_acc, err, sizeof err) < 0)
            goto fail;
          if (!json)
            printf ("clustered to %d weights per layer: val %.2f%%\n", cluster, 100 * val_acc);
        }
      for (int e = 0; e < n_ep; e++)
        {
          bs_epoch_stats st;
          gint64 t0 = g_get_monotonic_time ();
          if (bs_trainer_epoch (t, &tr, e, &st, progress, &pc, err, sizeof err) < 0)
            goto fail;
          if (va.n && bs_trainer_evaluate (t, &va, &val_loss, &val_acc, err, sizeof err) < 0)
            goto fail;
          g_string_append_printf (log, "%s{\"phase\":\"%s\",\"epoch\":%d,\"loss\":%.6f,"
                                  "\"train_accuracy\":%.6f,\"val_accuracy\":%.6f,"
                                  "\"lr\":%.6g,\"seconds\":%.1f}",
                                  log->len ? "," : "", phase ? "cluster" : "train", e + 1,
                                  st.loss, st.accuracy, va.n ? val_acc : -1.0, st.lr_last,
                                  (double) (g_get_monotonic_time () - t0) / 1e6);
          if (!json)
            {
              printf ("%s %d/%d: loss %.4f, train %.2f%%", phase ? "fine-tune" : "epoch",
                      e + 1, n_ep, st.loss, 100 * st.accuracy);
              if (va.n)
                printf (", val %.2f%% (loss %.4f)", 100 * val_acc, val_loss);
              printf (", lr %.3g, %.1f s\n", st.lr_last,
                      (double) (g_get_monotonic_time () - t0) / 1e6);
              fflush (stdout);
            }
        }
    }
  if (bs_trainer_sync (t, err, sizeof err) < 0)
    goto fail;

  if (test)
    {
      if (bs_dataset_load_fashion_mnist (data_dir, false, &test_ds, err, sizeof err) < 0
          || bs_train_data_from_dataset (&test_ds, &norm, 0, test_ds.n, &te, err, sizeof err)
               < 0
          || bs_trainer_evaluate (t, &te, &test_loss, &test_acc, err, sizeof err) < 0)
        goto fail;
      if (!(wfmt || afmt)
          && engine_accuracy (g, &te, threads, &engine_acc, err, sizeof err) < 0)
        goto fail;
    }

  {
    double secs = (double) (g_get_monotonic_time () - t_start) / 1e6;
    g_autofree char *norm_s = g_strdup_printf ("%.4f,%.4f", (double) norm.mean[0],
                                               (double) norm.std[0]);
    g_autofree char *seed_s = g_strdup_printf ("%" G_GINT64_FORMAT, seed);
    g_autofree char *qnn_s = NULL;
    const char *keys[5] = { BS_TRAIN_META_NORMALIZE, "bitscape.train_command", "bitscape.seed",
                            "bitscape.dataset", "bitscape.qnn" };
    const char *vals[5] = { norm_s, command, seed_s, dataset, NULL };
    int n_meta = 4;
    if (wfmt || afmt)
      {
        qnn_s = g_strdup_printf ("weights=%s,activations=%s,input=%s,input_scale=%.9g",
                                 wfmt ? wfmt : "fp32", afmt ? afmt : "fp32", ifmt, in_scale);
        vals[4] = qnn_s;
        n_meta = 5;
      }
    if (bs_train_save_onnx (g, output, n_meta, keys, vals, err, sizeof err) < 0)
      goto fail;

    if (json)
      {
        GString *j = g_string_new ("{\"model\":");
        json_string (j, output);
        g_string_append (j, ",\"command\":");
        json_string (j, command);
        g_string_append_printf (j, ",\"macs\":%" G_GINT64_FORMAT ",\"params\":%" G_GINT64_FORMAT
                                ",\"seconds\":%.1f,\"threads\":%d,\"epochs\":[%s]",
                                (gint64) macs, (gint64) all_params, secs,
                                bs_trainer_n_threads (t), log->str);
        if (va.n)
          g_string_append_printf (j, ",\"val_accuracy\":%.6f", val_acc);
        if (test)
          g_string_append_printf (j, ",\"test_accuracy\":%.6f,\"test_loss\":%.6f", test_acc,
                                  test_loss);
        if (!isnan (engine_acc))
          g_string_append_printf (j, ",\"engine_test_accuracy\":%.6f", engine_acc);
        g_string_append (j, "}\n");
        fputs (j->str, stdout);
        g_string_free (j, TRUE);
      }
    else
      {
        if (test)
          {
            printf ("test: %.2f%% top-1 (loss %.4f)", 100 * test_acc, test_loss);
            if (!isnan (engine_acc))
              printf (", engine %.2f%%", 100 * engine_acc);
            printf ("\n");
          }
        printf ("wrote %s in %.1f s\n", output, secs);
      }
  }
  ret = fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
  goto out;

fail:
  fprintf (stderr, "bitscape-cli: train: %s\n", err);
  ret = BS_CLI_FAILED;
out:
  bs_trainer_free (t);
  bs_graph_free (g);
  bs_train_data_clear (&tr);
  bs_train_data_clear (&va);
  bs_train_data_clear (&te);
  bs_dataset_clear (&train_ds);
  bs_dataset_clear (&test_ds);
  g_string_free (log, TRUE);
  return ret;
}
