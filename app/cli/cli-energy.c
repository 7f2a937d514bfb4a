/* bitscape-cli energy — energy per inference of a configuration on a target. */
#include "cli.h"

#include "bs-energy.h"

int
bs_cli_energy (int argc, char **argv)
{
  BsCliModelArgs a = { 0 };
  g_autofree char *target_name = NULL;
  g_autoptr (BsProject) p = NULL;
  g_autoptr (GError) error = NULL;
  bs_config *cfg = NULL;
  bs_target *t = NULL;
  bs_energy_result *e = NULL;
  bs_eval_result r;
  gboolean measured;
  char err[512];
  int ret = BS_CLI_USAGE;
  GOptionEntry *model_entries = bs_cli_model_entries (&a, TRUE);
  GOptionEntry extra[] = {
    { "target", 'T', 0, G_OPTION_ARG_STRING, &target_name,
      "Target name (see 'targets') or path of a target XML", "T" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("energy — energy per inference");
  int nm = 0;

  /* --dataset given: measure sparsity on it; without, sparsity is unknown */
  while (model_entries[nm].long_name)
    nm++;
  g_option_context_add_main_entries (ctx, model_entries, NULL);
  g_option_context_add_main_entries (ctx, extra, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return bs_cli_usage_error ("energy: %s", error->message);
  if (argc > 1)
    return bs_cli_usage_error ("energy: unexpected argument '%s'", argv[1]);
  if (!target_name)
    return bs_cli_usage_error ("energy: --target is required (see 'bitscape-cli targets')");
  t = bs_target_load (target_name, err, sizeof err);
  if (!t)
    {
      bs_cli_model_args_clear (&a);
      return bs_cli_usage_error ("%s", err);
    }
  measured = a.dataset != NULL;
  if (!measured && a.limit == 0)
    a.limit = 1;   /* only the layer shapes are needed */
  if (!bs_cli_open (&a, &p, &cfg, NULL))
    goto out;
  if (measured)
    {
      if (bs_evaluator_run (bs_project_evaluator (p), cfg, &r, err, sizeof err) < 0)
        {
          bs_cli_usage_error ("%s: %s", a.model, err);
          goto out;
        }
      e = bs_project_energy (p, cfg, t, &r, &error);
      bs_eval_result_clear (&r);
    }
  else
    e = bs_project_energy (p, cfg, t, NULL, &error);
  if (!e)
    {
      bs_cli_usage_error ("%s", error->message);
      goto out;
    }
  if (a.json)
    bs_energy_result_write_json (e, stdout);
  else
    {
      printf ("%s on %s, %s sparsity\n", bs_project_model_name (p), bs_target_name (t),
              measured ? "measured" : "no");
      bs_energy_result_write_text (e, stdout);
    }
  ret = fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
out:
  bs_energy_result_free (e);
  bs_target_free (t);
  bs_config_free (cfg);
  bs_cli_model_args_clear (&a);
  return ret;
}
