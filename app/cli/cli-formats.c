/* bitscape-cli formats [--table NAME] */
#include "cli.h"

static int
print_list (void)
{
  const char *const *names = bs_format_listed_names ();
  size_t nfam;
  const bs_format_traits *const *fams = bs_format_families (&nfam);

  for (gsize i = 0; names[i]; i++)
    {
      bs_format f;
      char desc[256];

      if (bs_format_parse (names[i], &f, NULL, 0) == 0)
        {
          bs_format_describe (&f, desc, sizeof desc);
          printf ("%s\t%d\t%s\n", names[i], f.bits, desc);
          continue;
        }
      /* a pattern: describe it by its family row */
      for (size_t k = 0; k < nfam; k++)
        if (g_strcmp0 (fams[k]->pattern, names[i]) == 0)
          printf ("%s\tN\t%s\n", names[i], fams[k]->summary);
    }
  return BS_CLI_OK;
}

static int
print_table (const char *name)
{
  bs_format f;

  if (!bs_cli_get_format (name, &f))
    return BS_CLI_USAGE;
  if (!bs_format_has_codes (&f))
    return bs_cli_usage_error ("%s has no fixed codes: its values come from the data", name);
  if (f.bits > 16)
    return bs_cli_usage_error ("--table lists formats of at most 16 bits; %s has %d",
                               name, f.bits);

  for (uint32_t c = 0; c < bs_format_n_codes (&f); c++)
    {
      printf ("0x%0*x\t", (f.bits + 3) / 4, c);
      bs_cli_print_value (stdout, bs_format_decode (&f, c));
    }
  return BS_CLI_OK;
}

int
bs_cli_formats (int argc, char **argv)
{
  g_autofree char *table = NULL;
  GOptionEntry entries[] = {
    { "table", 't', 0, G_OPTION_ARG_STRING, &table,
      "Print every code of one format of at most 16 bits", "NAME" },
    { NULL },
  };

  if (!bs_cli_parse_options ("formats", "list the number formats", entries, &argc, &argv))
    return BS_CLI_USAGE;
  return table ? print_table (table) : print_list ();
}
