/* bitscape-cli — every capability of Bitscape, headless. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cli.h"

static const struct {
  const char *name;
  BsCliCommand run;
  const char *summary;
} commands[] = {
  { "formats", bs_cli_formats, "list number formats, or every code of one (--table NAME)" },
  { "quantize", bs_cli_quantize, "quantize numbers read from stdin, one per line" },
  { "dot", bs_cli_dot, "dot product of pairs 'a b' read from stdin through an accumulator" },
  { "layers", bs_cli_layers, "list a model's layers: type, shapes, parameters, MACs" },
  { "infer", bs_cli_infer, "run a model on ONNX TensorProto inputs, write its output" },
  { "eval", bs_cli_eval, "accuracy (top-1, top-5, per-layer statistics) under a configuration" },
  { "energy", bs_cli_energy, "energy per inference of a configuration on a target" },
  { "sweep", bs_cli_sweep, "search configurations (grid, random, greedy, sensitivity, nsga2) into a database" },
  { "results", bs_cli_results, "list the results stored in a database (--json, --csv)" },
  { "pareto", bs_cli_pareto, "the accuracy/energy Pareto front of each sweep in a database" },
  { "export", bs_cli_export, "write stored configurations as XML (eval --config reads them)" },
  { "targets", bs_cli_targets, "list the energy targets (ASIC and FPGA) and their files" },
  { "train", bs_cli_train, "train a network on Fashion-MNIST (float, QNN or clustered) into ONNX" },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: bitscape-cli COMMAND [OPTIONS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\n'bitscape-cli COMMAND --help' describes a command's options.\n");
}

int
main (int argc, char **argv)
{
  /* numbers are read and written in the C locale whatever the user's locale */
  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");

  if (argc < 2)
    {
      usage (stderr);
      return BS_CLI_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return BS_CLI_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("bitscape-cli %s\n", PACKAGE_VERSION);
      return BS_CLI_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  return bs_cli_usage_error ("unknown command '%s' (try 'bitscape-cli --help')", argv[1]);
}
