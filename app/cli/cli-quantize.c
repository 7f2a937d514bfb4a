/* bitscape-cli quantize --format NAME [--scale S] [--block N] [--seed N] */
#include "cli.h"

int
bs_cli_quantize (int argc, char **argv)
{
  g_autofree char *format = NULL, *scale_str = NULL;
  gint block = 0;
  gint64 seed = 1;
  bs_qopts o = BS_QOPTS_INIT;
  bs_format f;
  g_autoptr (GArray) in = NULL;
  g_autofree double *out = NULL;
  char err[256];
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "Number format (see 'formats')", "NAME" },
    { "scale", 's', 0, G_OPTION_ARG_STRING, &scale_str, "Quantize x/S, then multiply by S", "S" },
    { "block", 'b', 0, G_OPTION_ARG_INT, &block, "Elements per block of a block format", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of k-means++ (kmeans<K>)", "N" },
    { NULL },
  };

  if (!bs_cli_parse_options ("quantize", "quantize numbers from stdin", entries, &argc, &argv))
    return BS_CLI_USAGE;
  if (!bs_cli_get_format (format, &f))
    return BS_CLI_USAGE;
  if (scale_str && !bs_cli_parse_double (scale_str, &o.scale))
    return bs_cli_usage_error ("--scale: '%s' is not a number", scale_str);
  if (block < 0)
    return bs_cli_usage_error ("--block must be positive (got %d)", block);
  if (seed < 0)
    return bs_cli_usage_error ("--seed must be ≥ 0 (got %" G_GINT64_FORMAT ")", seed);
  o.block = block;
  o.seed = (uint64_t) seed;

  in = bs_cli_read_numbers (stdin, "stdin", 1);
  if (!in)
    return BS_CLI_USAGE;
  out = g_new (double, in->len ? in->len : 1);
  if (bs_format_quantize_ref (&f, (const double *) in->data, out, in->len, &o, err,
                              sizeof err) < 0)
    return bs_cli_usage_error ("%s", err);
  for (guint i = 0; i < in->len; i++)
    bs_cli_print_value (stdout, out[i]);
  return fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
}
