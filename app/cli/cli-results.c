/* bitscape-cli results, pareto, export — what a project database holds.
 *
 * results --sweeps lists the sweeps instead of their results.
 * Rows carry result_id, sweep_id, the metrics, feasibility, front membership
 * and the configuration's canonical text.  CSV has a header line, numbers as
 * %.17g and an empty field for "not measured"; JSON is an array of objects
 * with null for "not measured". */
#include "cli.h"

#include <math.h>

#include "bs-pareto.h"
#include "bs-store.h"
#include "bs-xml.h"

/* Open a database that must exist (reading never creates one). */
static BsStore *
open_existing (const char *command, const char *db)
{
  g_autoptr (GError) error = NULL;
  BsStore *store;

  if (!db)
    {
      bs_cli_usage_error ("%s: --db is required", command);
      return NULL;
    }
  if (!g_file_test (db, G_FILE_TEST_EXISTS))
    {
      bs_cli_usage_error ("%s: no such file", db);
      return NULL;
    }
  store = bs_store_open (db, &error);
  if (!store)
    bs_cli_usage_error ("%s", error->message);
  return store;
}

static gboolean
check_sweep (BsStore *store, gint64 sweep_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sweeps = NULL;

  if (sweep_id == 0)
    return TRUE;
  sweeps = bs_store_list_sweeps (store, &error);
  if (!sweeps)
    {
      bs_cli_usage_error ("%s", error->message);
      return FALSE;
    }
  for (guint i = 0; i < sweeps->len; i++)
    if (((BsStoreSweep *) sweeps->pdata[i])->id == sweep_id)
      return TRUE;
  bs_cli_usage_error ("%s: no sweep %" G_GINT64_FORMAT, bs_store_get_path (store), sweep_id);
  return FALSE;
}

/* Output ------------------------------------------------------------------- */

typedef enum { OUT_TEXT, OUT_CSV, OUT_JSON } OutKind;

#define N_COLUMNS 22
static const char *const columns[N_COLUMNS] = {
  "result_id", "sweep_id", "top1", "top5", "energy_pj", "compute_pj", "memory_pj", "area_um2",
  "luts", "ffs", "dsps", "brams", "mean_weight_bits", "mean_input_bits", "weight_sparsity",
  "input_sparsity", "images", "path", "feasible", "on_front", "note", "config",
};

typedef struct {
  gboolean is_text;
  double num;
  const char *text;
  gboolean is_bool;
} Cell;

static void
row_cells (const BsStoreResult *r, gboolean on_front, Cell *c)
{
  const BsStoreMetrics *m = &r->m;
  double nums[] = {
    (double) r->id, (double) r->sweep_id, m->top1, m->top5, m->energy_pj, m->compute_pj,
    m->memory_pj, m->area_um2, m->luts, m->ffs, m->dsps, m->brams, m->mean_weight_bits,
    m->mean_input_bits, m->weight_sparsity, m->input_sparsity, (double) m->images,
  };

  for (int i = 0; i < (int) G_N_ELEMENTS (nums); i++)
    c[i] = (Cell) { .num = nums[i] };
  c[17] = (Cell) { .is_text = TRUE, .text = m->path };
  c[18] = (Cell) { .is_bool = TRUE, .num = !r->infeasible };
  c[19] = (Cell) { .is_bool = TRUE, .num = on_front };
  c[20] = (Cell) { .is_text = TRUE, .text = r->note };
  c[21] = (Cell) { .is_text = TRUE, .text = r->canonical };
}

static void
csv_field (GString *out, const char *s)
{
  if (!s)
    return;
  if (strpbrk (s, ",\"\r\n"))
    {
      g_string_append_c (out, '"');
      for (const char *p = s; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, s);
}

static void
csv_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

static void
print_rows (GPtrArray *rows, const gboolean *on_front, OutKind kind)
{
  g_autoptr (GString) out = g_string_new (NULL);

  if (kind == OUT_CSV)
    {
      for (int k = 0; k < N_COLUMNS; k++)
        g_string_append_printf (out, "%s%s", k ? "," : "", columns[k]);
      g_string_append_c (out, '\n');
    }
  else if (kind == OUT_JSON)
    g_string_append_c (out, '[');
  else
    g_string_append_printf (out, "%8s %5s %7s %7s %12s %6s %6s %5s  %s\n", "result", "sweep",
                            "top1", "top5", "energy_pj", "w-bits", "a-bits", "front",
                            "configuration");

  for (guint i = 0; i < rows->len; i++)
    {
      const BsStoreResult *r = rows->pdata[i];
      Cell c[N_COLUMNS];
      row_cells (r, on_front[i], c);
      if (kind == OUT_CSV)
        {
          for (int k = 0; k < N_COLUMNS; k++)
            {
              if (k)
                g_string_append_c (out, ',');
              if (c[k].is_text)
                csv_field (out, c[k].text);
              else if (c[k].is_bool)
                g_string_append_c (out, c[k].num != 0 ? '1' : '0');
              else
                csv_number (out, c[k].num);
            }
          g_string_append_c (out, '\n');
        }
      else if (kind == OUT_JSON)
        {
          gboolean first = TRUE;
          g_string_append (out, i ? ",\n{" : "\n{");
          for (int k = 0; k < N_COLUMNS; k++)
            {
              bs_json_key (out, columns[k], &first);
              if (c[k].is_text)
                {
                  if (c[k].text)
                    bs_json_string (out, c[k].text);
                  else
                    g_string_append (out, "null");
                }
              else if (c[k].is_bool)
                g_string_append (out, c[k].num != 0 ? "true" : "false");
              else
                bs_json_number (out, c[k].num);
            }
          g_string_append_c (out, '}');
        }
      else if (r->infeasible)
        g_string_append_printf (out, "%8" G_GINT64_FORMAT " %5" G_GINT64_FORMAT
                                " %-44s  %s\n", r->id, r->sweep_id, "infeasible",
                                r->canonical);
      else
        g_string_append_printf (out, "%8" G_GINT64_FORMAT " %5" G_GINT64_FORMAT
                                " %7.2f %7.2f %12.6g %6.2f %6.2f %5s  %s\n", r->id, r->sweep_id,
                                r->m.top1, r->m.top5, r->m.energy_pj, r->m.mean_weight_bits,
                                r->m.mean_input_bits, on_front[i] ? "*" : "", r->canonical);
    }
  if (kind == OUT_JSON)
    g_string_append (out, rows->len ? "\n]\n" : "]\n");
  fputs (out->str, stdout);
}

static gboolean
out_kind (gboolean json, gboolean csv, OutKind *kind)
{
  if (json && csv)
    {
      bs_cli_usage_error ("--json and --csv exclude each other");
      return FALSE;
    }
  *kind = json ? OUT_JSON : csv ? OUT_CSV : OUT_TEXT;
  return TRUE;
}

/* results --sweeps ---------------------------------------------------------- */

#define N_SWEEP_COLUMNS 13
static const char *const sweep_columns[N_SWEEP_COLUMNS] = {
  "sweep_id", "strategy", "status", "model", "dataset", "target", "results", "feasible",
  "infeasible", "on_front", "created", "updated", "spec",
};

/* The sweeps of a database (one, or all with sweep_id 0) with how many
 * results each holds, how many of them are feasible and on its front. */
static gboolean
print_sweeps (BsStore *store, gint64 sweep_id, OutKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sweeps = bs_store_list_sweeps (store, &error);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GHashTable) counts = NULL;   /* sweep id → gint64[3]: feasible, infeasible, front */
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean first_row = TRUE, first_key;

  if (!sweeps || !(rows = bs_store_list_results (store, sweep_id, FALSE, &error)))
    {
      bs_cli_usage_error ("%s", error->message);
      return FALSE;
    }
  counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  for (guint i = 0; i < rows->len; i++)
    {
      const BsStoreResult *r = rows->pdata[i];
      gint64 *c = g_hash_table_lookup (counts, &r->sweep_id);
      if (!c)
        {
          c = g_new0 (gint64, 4);
          c[3] = r->sweep_id;   /* the key lives in the value */
          g_hash_table_insert (counts, &c[3], c);
        }
      c[r->infeasible ? 1 : 0]++;
      c[2] += r->on_front && !r->infeasible;
    }

  if (kind == OUT_CSV)
    {
      for (int k = 0; k < N_SWEEP_COLUMNS; k++)
        g_string_append_printf (out, "%s%s", k ? "," : "", sweep_columns[k]);
      g_string_append_c (out, '\n');
    }
  else if (kind == OUT_JSON)
    g_string_append_c (out, '[');
  else
    g_string_append_printf (out, "%5s %-11s %-9s %7s %7s %10s %5s  %-19s  %s\n", "sweep",
                            "strategy", "status", "results", "feasible", "infeasible", "front",
                            "updated", "model / dataset / target");

  for (guint i = 0; i < sweeps->len; i++)
    {
      const BsStoreSweep *s = sweeps->pdata[i];
      const gint64 *c = g_hash_table_lookup (counts, &s->id);
      gint64 feasible = c ? c[0] : 0, infeasible = c ? c[1] : 0, front = c ? c[2] : 0;
      const char *text[N_SWEEP_COLUMNS] = {
        NULL, s->strategy, s->status, s->model, s->dataset, s->target, NULL, NULL, NULL, NULL,
        s->created, s->updated, s->spec,
      };
      gint64 num[N_SWEEP_COLUMNS] = { s->id, 0, 0, 0, 0, 0, s->n_results, feasible, infeasible,
                                      front };

      if (sweep_id != 0 && s->id != sweep_id)
        continue;
      if (kind == OUT_TEXT)
        {
          g_string_append_printf (out, "%5" G_GINT64_FORMAT " %-11s %-9s %7" G_GINT64_FORMAT
                                  " %7" G_GINT64_FORMAT " %10" G_GINT64_FORMAT " %5"
                                  G_GINT64_FORMAT "  %-19s  %s / %s / %s\n", s->id,
                                  s->strategy, s->status, s->n_results, feasible, infeasible,
                                  front, s->updated ? s->updated : "", s->model, s->dataset,
                                  s->target);
          continue;
        }
      if (kind == OUT_JSON)
        g_string_append (out, first_row ? "\n{" : ",\n{");
      first_key = TRUE;
      for (int k = 0; k < N_SWEEP_COLUMNS; k++)
        {
          gboolean is_text = k != 0 && (k < 6 || k > 9);
          if (kind == OUT_CSV)
            {
              if (k)
                g_string_append_c (out, ',');
              if (is_text)
                csv_field (out, text[k]);
              else
                g_string_append_printf (out, "%" G_GINT64_FORMAT, num[k]);
            }
          else
            {
              bs_json_key (out, sweep_columns[k], &first_key);
              if (!is_text)
                g_string_append_printf (out, "%" G_GINT64_FORMAT, num[k]);
              else if (text[k])
                bs_json_string (out, text[k]);
              else
                g_string_append (out, "null");
            }
        }
      if (kind == OUT_CSV)
        g_string_append_c (out, '\n');
      else
        g_string_append_c (out, '}');
      first_row = FALSE;
    }
  if (kind == OUT_JSON)
    g_string_append (out, first_row ? "]\n" : "\n]\n");
  fputs (out->str, stdout);
  return TRUE;
}

/* results ------------------------------------------------------------------ */

int
bs_cli_results (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gint64 sweep = 0;
  gboolean json = FALSE, csv = FALSE, list_sweeps = FALSE;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gboolean *front = NULL;
  OutKind kind;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Project database", "F" },
    { "sweep", 0, 0, G_OPTION_ARG_INT64, &sweep, "Only this sweep (default: all)", "ID" },
    { "sweeps", 0, 0, G_OPTION_ARG_NONE, &list_sweeps,
      "List the sweeps instead: id, strategy, status, model, dataset, target, result counts, "
      "times, spec", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "An array of JSON objects", NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "CSV with a header line", NULL },
    { NULL },
  };

  if (!bs_cli_parse_options ("results", "the stored results of a project database", entries,
                             &argc, &argv)
      || !out_kind (json, csv, &kind))
    return BS_CLI_USAGE;
  if (sweep < 0)
    return bs_cli_usage_error ("results: --sweep must be a sweep id");
  store = open_existing ("results", db);
  if (!store || !check_sweep (store, sweep))
    return BS_CLI_USAGE;
  if (list_sweeps)
    {
      if (!print_sweeps (store, sweep, kind))
        return BS_CLI_USAGE;
      return fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
    }
  rows = bs_store_list_results (store, sweep, FALSE, &error);
  if (!rows)
    return bs_cli_usage_error ("%s", error->message);
  front = g_new0 (gboolean, rows->len + 1);
  for (guint i = 0; i < rows->len; i++)
    front[i] = ((BsStoreResult *) rows->pdata[i])->on_front;
  print_rows (rows, front, kind);
  return fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
}

/* pareto ------------------------------------------------------------------- */

/* The front of each sweep among rows (ordered by sweep), computed from the
 * stored metrics (so a sweep killed before it could record its front is
 * right too); returns the front rows, each sweep's in order of energy. */
static GPtrArray *
fronts (GPtrArray *rows)
{
  GPtrArray *out = g_ptr_array_new ();
  guint start = 0;

  while (start < rows->len)
    {
      gint64 sweep = ((BsStoreResult *) rows->pdata[start])->sweep_id;
      guint end = start;
      while (end < rows->len && ((BsStoreResult *) rows->pdata[end])->sweep_id == sweep)
        end++;
      {
        gsize n = end - start;
        g_autofree double *acc = g_new (double, n);
        g_autofree double *energy = g_new (double, n);
        g_autofree gsize *idx = g_new (gsize, n);
        gsize nf;
        for (gsize i = 0; i < n; i++)
          {
            const BsStoreResult *r = rows->pdata[start + i];
            acc[i] = r->infeasible ? NAN : r->m.top1;
            energy[i] = r->infeasible ? NAN : r->m.energy_pj;
          }
        nf = bs_pareto_front (acc, energy, n, idx);
        for (gsize i = 0; i < nf; i++)
          g_ptr_array_add (out, rows->pdata[start + idx[i]]);
      }
      start = end;
    }
  return out;
}

int
bs_cli_pareto (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gint64 sweep = 0;
  gboolean json = FALSE, csv = FALSE;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (GPtrArray) rows = NULL, front = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gboolean *on = NULL;
  OutKind kind;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Project database", "F" },
    { "sweep", 0, 0, G_OPTION_ARG_INT64, &sweep, "Only this sweep (default: each sweep's)", "ID" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "An array of JSON objects", NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "CSV with a header line", NULL },
    { NULL },
  };

  if (!bs_cli_parse_options ("pareto", "the accuracy/energy Pareto front of each sweep", entries,
                             &argc, &argv)
      || !out_kind (json, csv, &kind))
    return BS_CLI_USAGE;
  if (sweep < 0)
    return bs_cli_usage_error ("pareto: --sweep must be a sweep id");
  store = open_existing ("pareto", db);
  if (!store || !check_sweep (store, sweep))
    return BS_CLI_USAGE;
  rows = bs_store_list_results (store, sweep, FALSE, &error);
  if (!rows)
    return bs_cli_usage_error ("%s", error->message);
  front = fronts (rows);
  on = g_new (gboolean, front->len + 1);
  for (guint i = 0; i < front->len; i++)
    on[i] = TRUE;
  print_rows (front, on, kind);
  return fflush (stdout) == 0 ? BS_CLI_OK : BS_CLI_FAILED;
}

/* export ------------------------------------------------------------------- */

static BsXmlConfig *
export_one (BsStore *store, gint64 id, GError **error)
{
  g_autoptr (BsStoreResult) r = bs_store_get_result (store, id, error);

  return r ? bs_xml_config_from_result (store, r, error) : NULL;
}

int
bs_cli_export (int argc, char **argv)
{
  g_autofree char *db = NULL, *output = NULL;
  g_auto (GStrv) ids = NULL;
  g_autoptr (BsStore) store = NULL;
  g_autoptr (GPtrArray) docs = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Project database", "F" },
    { "result", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &ids, "A result to export (repeatable)",
      "ID" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "XML file to write", "FILE.xml" },
    { NULL },
  };

  if (!bs_cli_parse_options ("export", "write stored configurations as XML", entries, &argc,
                             &argv))
    return BS_CLI_USAGE;
  if (!ids || !ids[0])
    return bs_cli_usage_error ("export: give at least one --result ID");
  if (!output)
    return bs_cli_usage_error ("export: -o FILE.xml is required");
  store = open_existing ("export", db);
  if (!store)
    return BS_CLI_USAGE;
  for (guint i = 0; ids[i]; i++)
    {
      guint64 id;
      BsXmlConfig *x;
      if (!g_ascii_string_to_unsigned (ids[i], 10, 1, G_MAXINT64, &id, NULL))
        return bs_cli_usage_error ("export: --result '%s' is not a result id", ids[i]);
      x = export_one (store, (gint64) id, &error);
      if (!x)
        return bs_cli_usage_error ("%s", error->message);
      g_ptr_array_add (docs, x);
    }
  if (!bs_xml_write (output, docs, &error))
    {
      bs_cli_usage_error ("%s", error->message);
      return error->domain == BS_XML_ERROR && error->code == BS_XML_ERROR_IO
             ? BS_CLI_FAILED : BS_CLI_USAGE;
    }
  return BS_CLI_OK;
}
