/* bitscape-cli targets [--json] — the energy targets found in the data directories.
 *
 * One line per target: name, kind (asic/fpga), node, description, file, separated by
 * tabs; --json prints an array of objects with the same keys.  A malformed target file
 * prints its one-line error ("FILE:LINE: problem") on stderr; the others are still
 * listed and the exit status is then 2. */
#include "cli.h"

#include "bs-energy.h"

typedef struct {
  gboolean json;
  guint n;
} ListState;

static void
print_target (const bs_target *t, const char *path, const char *error, void *data)
{
  ListState *st = data;

  if (!t)
    {
      bs_cli_usage_error ("%s", error);
      return;
    }
  if (!st->json)
    {
      printf ("%s\t%s\t%s\t%s\t%s\n", bs_target_name (t),
              bs_target_kind_name (bs_target_get_kind (t)), bs_target_node (t),
              bs_target_description (t), path);
      return;
    }
  printf ("%s\n  {\"name\": ", st->n ? "," : "");
  bs_energy_json_string (stdout, bs_target_name (t));
  printf (", \"kind\": ");
  bs_energy_json_string (stdout, bs_target_kind_name (bs_target_get_kind (t)));
  printf (", \"node\": ");
  bs_energy_json_string (stdout, bs_target_node (t));
  printf (", \"description\": ");
  bs_energy_json_string (stdout, bs_target_description (t));
  printf (", \"file\": ");
  bs_energy_json_string (stdout, path);
  printf ("}");
  st->n++;
}

int
bs_cli_targets (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL },
    { NULL },
  };
  ListState st = { 0 };
  size_t bad;

  if (!bs_cli_parse_options ("targets",
                             "list energy targets (BITSCAPE_TARGET_PATH, the user data "
                             "directory, the installed targets)", entries, &argc, &argv))
    return BS_CLI_USAGE;
  st.json = json;
  if (json)
    printf ("[");
  bad = bs_target_list (print_target, &st);
  if (json)
    printf ("%s]\n", st.n ? "\n" : "");
  if (fflush (stdout) != 0)
    return BS_CLI_FAILED;
  return bad ? BS_CLI_USAGE : BS_CLI_OK;
}
