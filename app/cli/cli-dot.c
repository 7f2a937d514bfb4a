/* bitscape-cli dot --format NAME --acc exact|kulisch|quire|elma|fp32|fp16|int32 [--round] */
#include "cli.h"

#include "bs-dot.h"

int
bs_cli_dot (int argc, char **argv)
{
  g_autofree char *format = NULL, *acc_name = NULL, *scale_str = NULL;
  gboolean round_out = FALSE;
  bs_qopts o = BS_QOPTS_INIT;
  bs_format f;
  bs_acc acc;
  bs_dot_result r;
  g_autoptr (GArray) pairs = NULL;
  g_autofree double *a = NULL, *b = NULL;
  char err[256];
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "Number format of both vectors", "NAME" },
    { "acc", 'a', 0, G_OPTION_ARG_STRING, &acc_name,
      "Accumulator: exact (the format's own), kulisch, quire, elma, fp32, fp16, int32", "ACC" },
    { "scale", 's', 0, G_OPTION_ARG_STRING, &scale_str, "Quantize x/S, then multiply by S", "S" },
    { "round", 'r', 0, G_OPTION_ARG_NONE, &round_out,
      "Round the accumulator once into the format (ELMA: its log conversion)", NULL },
    { NULL },
  };

  if (!bs_cli_parse_options ("dot", "dot product of pairs from stdin", entries, &argc, &argv))
    return BS_CLI_USAGE;
  if (!bs_cli_get_format (format, &f))
    return BS_CLI_USAGE;
  if (!acc_name)
    return bs_cli_usage_error ("--acc is required (exact, kulisch, quire, elma, fp32, fp16, int32)");
  if (bs_acc_parse (acc_name, &acc) < 0)
    return bs_cli_usage_error ("unknown accumulator '%s' (exact, kulisch, quire, elma, fp32, "
                               "fp16, int32)", acc_name);
  if (scale_str && !bs_cli_parse_double (scale_str, &o.scale))
    return bs_cli_usage_error ("--scale: '%s' is not a number", scale_str);

  pairs = bs_cli_read_numbers (stdin, "stdin", 2);
  if (!pairs)
    return BS_CLI_USAGE;
  {
    guint n = pairs->len / 2;
    const double *p = (const double *) pairs->data;
    a = g_new (double, n ? n : 1);
    b = g_new (double, n ? n : 1);
    for (guint i = 0; i < n; i++)
      {
        a[i] = p[2 * i];
        b[i] = p[2 * i + 1];
      }
    if (bs_dot (&f, acc, a, b, n, &o, &r, err, sizeof err) < 0)
      return bs_cli_usage_error ("%s", err);
  }
  if (r.overflow)
    fprintf (stderr, "bitscape-cli: warning: the %s accumulator overflowed\n",
             bs_acc_name (r.acc));
  bs_cli_print_value (stdout, round_out ? r.rounded : r.value);
  return fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
}
