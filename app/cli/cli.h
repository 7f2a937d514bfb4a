/* cli.h — what the commands of bitscape-cli share. */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "bs-format.h"
#include "bs-project.h"
#include "bs-xml.h"

/* Exit statuses of the command contract. */
enum {
  BS_CLI_OK = 0,
  BS_CLI_FAILED = 1,   /* the work itself failed (I/O error while writing, …) */
  BS_CLI_USAGE = 2,    /* bad input: unknown names, malformed numbers, bad options */
};

typedef int (*BsCliCommand) (int argc, char **argv);

int bs_cli_formats (int argc, char **argv);
int bs_cli_quantize (int argc, char **argv);
int bs_cli_dot (int argc, char **argv);
int bs_cli_targets (int argc, char **argv);
int bs_cli_train (int argc, char **argv);

/* Print "bitscape-cli: <message>" as one line on stderr; return BS_CLI_USAGE. */
int bs_cli_usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* Parse the command's options; on error print one line and return FALSE. */
gboolean bs_cli_parse_options (const char *command, const char *summary,
                               GOptionEntry *entries, int *argc, char ***argv);

/* Resolve --format: print the error line and return FALSE if unknown. */
gboolean bs_cli_get_format (const char *name, bs_format *f);

/* Parse a whole token as a double ("nan", "inf", "-inf" accepted). */
gboolean bs_cli_parse_double (const char *s, double *out);

/* Print a value as %.17g, or nan, inf, -inf. */
void bs_cli_print_value (FILE *out, double v);

/* Read every line of a stream into numbers: one per line (columns == 1) or
 * pairs (columns == 2).  Blank lines are skipped.  On a malformed line, print
 * the error (naming the line) and return NULL. */
GArray *bs_cli_read_numbers (FILE *in, const char *what, guint columns);

/* JSON output (hand-written: numbers as %.17g, NaN/inf as null). */
void bs_json_string (GString *out, const char *s);
void bs_json_number (GString *out, double v);
/* "key": prefix with a leading comma unless first */
void bs_json_key (GString *out, const char *key, gboolean *first);

int bs_cli_layers (int argc, char **argv);
int bs_cli_infer (int argc, char **argv);
int bs_cli_eval (int argc, char **argv);
int bs_cli_energy (int argc, char **argv);
int bs_cli_sweep (int argc, char **argv);
int bs_cli_results (int argc, char **argv);
int bs_cli_pareto (int argc, char **argv);
int bs_cli_export (int argc, char **argv);

/* Options that open a model and a dataset, shared by eval, energy, sweep. */
typedef struct {
  char *model, *dataset, *normalize, *path, *config;
  char *weights, *activations, *acc, *scaling;
  gint64 limit;
  gint threads;
  gboolean json;
} BsCliModelArgs;

void bs_cli_model_args_clear (BsCliModelArgs *a);
/* The entries for those options (NULL-terminated; static storage bound to a). */
GOptionEntry *bs_cli_model_entries (BsCliModelArgs *a, gboolean with_formats);

gboolean bs_cli_open (BsCliModelArgs *a, BsProject **project, bs_config **cfg,
                      BsXmlConfig **from_xml);
