#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
bs_cli_usage_error (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* one line, whatever the message contained */
  g_strdelimit (msg, "\n\r", ' ');
  fprintf (stderr, "bitscape-cli: %s\n", msg);
  return BS_CLI_USAGE;
}

gboolean
bs_cli_parse_options (const char *command, const char *summary, GOptionEntry *entries,
                      int *argc, char ***argv)
{
  g_autofree char *param = g_strdup_printf ("%s — %s", command, summary);
  g_autoptr (GOptionContext) ctx = g_option_context_new (param);
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      bs_cli_usage_error ("%s: %s", command, error->message);
      return FALSE;
    }
  if (*argc > 1)
    {
      bs_cli_usage_error ("%s: unexpected argument '%s'", command, (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_cli_get_format (const char *name, bs_format *f)
{
  char err[256];

  if (!name)
    {
      bs_cli_usage_error ("--format is required");
      return FALSE;
    }
  if (bs_format_parse (name, f, err, sizeof err) < 0)
    {
      bs_cli_usage_error ("%s", err);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_cli_parse_double (const char *s, double *out)
{
  char *end = NULL;
  double v;

  if (!s || !*s)
    return FALSE;
  if (g_ascii_strcasecmp (s, "nan") == 0 || g_ascii_strcasecmp (s, "-nan") == 0)
    {
      *out = NAN;
      return TRUE;
    }
  errno = 0;
  v = g_ascii_strtod (s, &end);
  /* overflow to ±inf (ERANGE) is a value like any other; junk is not */
  if (end == s || *end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

void
bs_cli_print_value (FILE *out, double v)
{
  if (isnan (v))
    fputs ("nan\n", out);
  else if (isinf (v))
    fputs (v > 0 ? "inf\n" : "-inf\n", out);
  else
    fprintf (out, "%.17g\n", v);
}

GArray *
bs_cli_read_numbers (FILE *in, const char *what, guint columns)
{
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  char *line = NULL;
  size_t cap = 0;
  gsize lineno = 0;

  while (getline (&line, &cap, in) >= 0)
    {
      g_auto (GStrv) tokens = NULL;
      const char *tok[3];
      guint ntok = 0;

      lineno++;
      g_strstrip (line);
      if (line[0] == '\0')
        continue;
      tokens = g_strsplit_set (line, " \t,", -1);
      for (guint i = 0; tokens[i]; i++)
        if (tokens[i][0] != '\0')
          {
            if (ntok < G_N_ELEMENTS (tok))
              tok[ntok] = tokens[i];
            ntok++;
          }
      if (ntok != columns)
        {
          bs_cli_usage_error ("%s line %" G_GSIZE_FORMAT ": expected %u number%s, got '%s'",
                              what, lineno, columns, columns == 1 ? "" : "s", line);
          free (line);
          return NULL;
        }
      for (guint i = 0; i < ntok; i++)
        {
          double v;
          if (!bs_cli_parse_double (tok[i], &v))
            {
              bs_cli_usage_error ("%s line %" G_GSIZE_FORMAT ": '%s' is not a number",
                                  what, lineno, tok[i]);
              free (line);
              return NULL;
            }
          g_array_append_val (values, v);
        }
    }
  free (line);
  if (ferror (in))
    {
      bs_cli_usage_error ("%s: read error", what);
      return NULL;
    }
  return g_steal_pointer (&values);
}

void
bs_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

void
bs_json_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    g_string_append (out, "null");
  else
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

void
bs_json_key (GString *out, const char *key, gboolean *first)
{
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
  bs_json_string (out, key);
  g_string_append_c (out, ':');
}
