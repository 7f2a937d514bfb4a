/* bs-config-summary.c — canonical configuration text → colour class, label.
 *
 * Reads the layer fields "w=" and "a=" of the canonical text (version 1, see
 * engine/search/bs-config.h) without validating the rest: the store holds
 * what the search wrote, and a summary must never fail. */
#include "config.h"

#include <string.h>

#include "bs-config-summary.h"
#include "bs-format.h"
#include "bs-plot-series.h"

static void
add_unique (GPtrArray *names, const char *name, gsize len)
{
  for (guint i = 0; i < names->len; i++)
    if (strlen (g_ptr_array_index (names, i)) == len &&
        strncmp (g_ptr_array_index (names, i), name, len) == 0)
      return;
  g_ptr_array_add (names, g_strndup (name, len));
}

/* The value of "key=" in one layer's text (up to ',' or the end). */
static gboolean
field (const char *layer, const char *key, const char **value, gsize *len)
{
  gsize klen = strlen (key);
  const char *p = layer;

  while ((p = strstr (p, key)) != NULL)
    {
      if (p == layer || p[-1] == ':' || p[-1] == ',')
        {
          *value = p + klen;
          *len = strcspn (*value, ",;");
          return *len > 0;
        }
      p += klen;
    }
  return FALSE;
}

static char *
join_names (GPtrArray *names)
{
  GString *s = g_string_new (NULL);
  guint shown = MIN (names->len, 3);

  for (guint i = 0; i < shown; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", (char *) g_ptr_array_index (names, i));
  if (names->len > shown)
    g_string_append_printf (s, " +%u", names->len - shown);
  return g_string_free (s, FALSE);
}

/* The colour class of a configuration: the family most of its layers' weights
 * use, fp32 layers aside (all fp32: float); MIXED when two families tie for
 * most; OTHER when the text names no layer.  *label (if not NULL) receives
 * "fixed8" (weights and inputs alike), "w fixed8 · a fp16", or lists like
 * "w fixed4, fixed8 · a fixed8" (at most three names, then "+N"). */
guint8
bs_config_summary (const char *canonical, char **label)
{
  g_autoptr (GPtrArray) weights = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) layers = NULL;
  guint counts[BS_PLOT_N_FAMILIES] = { 0 };
  guint best = 0, n_best = 0, family = BS_FAMILY_FLOAT;

  if (label)
    *label = NULL;
  if (!canonical)
    return BS_PLOT_FAMILY_OTHER;

  layers = g_strsplit (canonical, ";", -1);
  for (guint i = 0; layers[i]; i++)
    {
      const char *v;
      gsize len;

      if (field (layers[i], "w=", &v, &len))
        {
          g_autofree char *name = g_strndup (v, len);
          bs_format f;

          add_unique (weights, v, len);
          if (g_str_equal (name, "fp32"))
            ;
          else if (bs_format_parse (name, &f, NULL, 0) == 0)
            counts[bs_format_family (&f)]++;
          else
            counts[BS_PLOT_FAMILY_OTHER]++;
        }
      if (field (layers[i], "a=", &v, &len))
        add_unique (inputs, v, len);
    }
  if (weights->len == 0)
    {
      if (label)
        *label = g_strdup (canonical);
      return BS_PLOT_FAMILY_OTHER;
    }

  for (guint f = 0; f < BS_PLOT_N_FAMILIES; f++)
    {
      if (counts[f] > best)
        {
          best = counts[f];
          n_best = 1;
          family = f;
        }
      else if (counts[f] == best && best > 0)
        n_best++;
    }

  if (label)
    {
      g_autofree char *w = join_names (weights);
      g_autofree char *a = join_names (inputs);

      if (inputs->len == 0 || g_strcmp0 (w, a) == 0)
        *label = g_strdup (w);
      else
        *label = g_strdup_printf ("w %s · a %s", w, a);
    }
  return n_best > 1 ? BS_PLOT_FAMILY_MIXED : (guint8) family;
}
