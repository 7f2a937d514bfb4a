/* bs-window-export.c — configurations out and in: the selected one as XML,
 * the front of the ticked sweeps as XML, their results as CSV, and an XML
 * configuration imported to become the selected one.  Every file is read or
 * written in a GTask thread; XML is validated against the schema both ways
 * (bs-xml.h). */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "bs-window-private.h"
#include "bs-xml.h"

/* Choosers ------------------------------------------------------------------- */

typedef void (*ChosenFunc) (BsWindow *self, const char *path);

static void
on_chooser_response (GtkNativeDialog *dialog, int response, BsWindow *self)
{
  ChosenFunc func = g_object_get_data (G_OBJECT (dialog), "bs-func");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
      const char *suffix = filter ? g_object_get_data (G_OBJECT (filter), "bs-suffix") : NULL;

      if (path && suffix && gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog)) == GTK_FILE_CHOOSER_ACTION_SAVE)
        {
          g_autofree char *base = g_path_get_basename (path);

          /* a name without a suffix takes the file type's (front → front.xml) */
          if (!strchr (base, '.'))
            {
              char *with = g_strconcat (path, suffix, NULL);

              g_free (path);
              path = with;
            }
        }
      if (path)
        func (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* A file chooser whose accepted path goes to func; pattern names the files
 * offered, name (saving) the suggested file name. */
static void
choose (BsWindow *self, const char *title, gboolean save, const char *filter_name,
        const char *pattern, const char *name, ChosenFunc func)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self),
                                 save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
                                 save ? _("_Export") : _("_Open"), _("_Cancel"));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, filter_name);
  gtk_file_filter_add_pattern (filter, pattern);
  g_object_set_data_full (G_OBJECT (filter), "bs-suffix", g_strdup (strchr (pattern, '.')), g_free);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  _bs_window_chooser_folder (self, GTK_FILE_CHOOSER (dialog));
  if (name)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_object_set_data (G_OBJECT (dialog), "bs-func", func);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Writing -------------------------------------------------------------------- */

typedef struct {
  char *path;                  /* the file written */
  char *db;                    /* export from this store … */
  GArray *sweeps;              /* … these sweeps (gint64) */
  gboolean csv;                /* all results as CSV, else the fronts as XML */
  GPtrArray *configs;          /* or these (BsXmlConfig) */
  char *target_path;           /* hashed into configs[*].target_sha256 */
} Export;

static void
export_free (Export *e)
{
  g_free (e->path);
  g_free (e->db);
  g_clear_pointer (&e->sweeps, g_array_unref);
  g_clear_pointer (&e->configs, g_ptr_array_unref);
  g_free (e->target_path);
  g_free (e);
}

static void
csv_text (GString *out, const char *s)
{
  if (!s)
    return;
  if (!strpbrk (s, ",\"\r\n"))
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (out, ',');
  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

/* One line per result: ids, the metrics (%.17g; empty when not measured),
 * feasibility, front membership, the canonical configuration. */
static void
csv_row (GString *out, const BsStoreResult *r)
{
  const BsStoreMetrics *m = &r->m;
  const double nums[] = {
    m->top1, m->top5, m->energy_pj, m->compute_pj, m->memory_pj, m->area_um2,
    m->mean_weight_bits, m->mean_input_bits, m->weight_sparsity, m->input_sparsity,
    (double) m->images,
  };

  g_string_append_printf (out, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, r->id, r->sweep_id);
  for (guint k = 0; k < G_N_ELEMENTS (nums); k++)
    csv_number (out, nums[k]);
  g_string_append_c (out, ',');
  csv_text (out, m->path);
  g_string_append_printf (out, ",%d,%d,", !r->infeasible, r->on_front);
  csv_text (out, r->canonical);
  g_string_append_c (out, '\n');
}

static gboolean
write_from_store (Export *e, GError **error)
{
  g_autoptr (BsStore) store = bs_store_open (e->db, error);
  g_autoptr (GString) csv = g_string_new ("result_id,sweep_id,top1,top5,energy_pj,compute_pj,"
                                          "memory_pj,area_um2,mean_weight_bits,mean_input_bits,"
                                          "weight_sparsity,input_sparsity,images,path,feasible,"
                                          "on_front,config\n");
  g_autoptr (GPtrArray) docs = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);

  if (!store)
    return FALSE;
  for (guint s = 0; s < e->sweeps->len; s++)
    {
      g_autoptr (GPtrArray) rows = bs_store_list_results (store, g_array_index (e->sweeps, gint64, s),
                                                          !e->csv, error);

      if (!rows)
        return FALSE;
      for (guint i = 0; i < rows->len; i++)
        {
          const BsStoreResult *r = rows->pdata[i];
          BsXmlConfig *x;

          if (e->csv)
            {
              csv_row (csv, r);
              continue;
            }
          if (!(x = bs_xml_config_from_result (store, r, error)))
            return FALSE;
          g_ptr_array_add (docs, x);
        }
    }
  if (e->csv)
    return g_file_set_contents (e->path, csv->str, (gssize) csv->len, error);
  if (docs->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("the ticked sweeps have no front yet"));
      return FALSE;
    }
  return bs_xml_write (e->path, docs, error);
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Export *e = data;
  GError *error = NULL;
  gboolean ok;

  if (e->configs)
    {
      g_autofree char *sha = e->target_path ? bs_store_hash_file (e->target_path, NULL) : NULL;

      for (guint i = 0; sha && i < e->configs->len; i++)
        {
          BsXmlConfig *x = e->configs->pdata[i];

          g_free (x->target_sha256);
          x->target_sha256 = g_strdup (sha);
        }
      ok = bs_xml_write (e->path, e->configs, &error);
    }
  else
    ok = write_from_store (e, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  Export *e = g_task_get_task_data (G_TASK (result));
  g_autofree char *base = g_path_get_basename (e->path);
  g_autofree char *msg = NULL;

  _bs_window_release (self);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    msg = g_strdup_printf (_("Exported “%s”"), base);
  else
    msg = g_strdup_printf (_("Could not export to “%s”: %s"), base, error->message);
  _bs_window_toast (self, msg);
}

static void
run_export (BsWindow *self, Export *e)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, on_exported, g_object_ref (self));

  g_task_set_task_data (task, e, (GDestroyNotify) export_free);
  _bs_window_hold (self);
  g_task_run_in_thread (task, export_thread);
}

/* The selected configuration, with its metrics when they are in. */
static void
export_config_to (BsWindow *self, const char *path)
{
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;
  BsEvaluation *ev = self->evaluation;
  Export *e;
  BsXmlConfig *x;

  if (!p || !self->config)
    return;
  e = g_new0 (Export, 1);
  e->path = g_strdup (path);
  e->configs = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);
  x = bs_project_config_to_xml (p, self->config, ev && ev->target ? bs_shared_target_name (ev->target) : NULL,
                                NULL, ev ? &ev->metrics : NULL, ev ? ev->path : NULL,
                                ev ? ev->images : 0);
  if (ev && ev->target)
    e->target_path = g_strdup (bs_target_path (bs_shared_target_get (ev->target)));
  g_ptr_array_add (e->configs, x);
  run_export (self, e);
}

static int
compare_ids (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The ticked sweeps' ids, in ascending order. */
static GArray *
ticked_sweeps (BsWindow *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->series);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_array_append_val (ids, *(gint64 *) key);
  g_array_sort (ids, compare_ids);
  return ids;
}

static void
export_store_to (BsWindow *self, const char *path, gboolean csv)
{
  Export *e = g_new0 (Export, 1);

  e->path = g_strdup (path);
  e->db = g_strdup (self->path);
  e->sweeps = ticked_sweeps (self);
  e->csv = csv;
  run_export (self, e);
}

static void
export_front_to (BsWindow *self, const char *path)
{
  export_store_to (self, path, FALSE);
}

static void
export_csv_to (BsWindow *self, const char *path)
{
  export_store_to (self, path, TRUE);
}

/* Reading -------------------------------------------------------------------- */

static void
import_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *docs = bs_xml_read (data, &error);

  if (!docs)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, docs, (GDestroyNotify) g_ptr_array_unref);
}

static void
on_imported (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) docs = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *base = g_path_get_basename (g_task_get_task_data (G_TASK (result)));
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;
  bs_config *cfg = NULL;

  _bs_window_release (self);
  if (docs && docs->len > 0 && p)
    cfg = bs_project_config_from_xml (p, docs->pdata[0], &error);
  else if (docs && !error)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         p ? _("it holds no configuration") : _("no model is open"));
  if (!cfg)
    {
      /* TRANSLATORS: a file name, then the problem */
      g_autofree char *msg = g_strdup_printf (_("Could not import “%s”: %s"), base, error->message);

      _bs_window_toast (self, msg);
      return;
    }
  _bs_window_set_config (self, cfg, TRUE);
  bs_config_free (cfg);
  {
    const BsXmlConfig *x = docs->pdata[0];
    g_autofree char *msg = NULL;

    if (x->model_sha256 && g_strcmp0 (x->model_sha256, bs_project_model_sha256 (p)) != 0)
      /* TRANSLATORS: a file name, the model its configuration was made for, the model open */
      msg = g_strdup_printf (_("“%s” was made for another model (%s); evaluated on %s"), base,
                             x->model_name ? x->model_name : "?", bs_project_model_name (p));
    else if (docs->len > 1)
      /* TRANSLATORS: an XML file of several configurations was imported */
      msg = g_strdup_printf (_("Selected the first of the %u configurations in “%s”"), docs->len, base);
    if (msg)
      _bs_window_toast (self, msg);
  }
}

static void
import_from (BsWindow *self, const char *path)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, on_imported, g_object_ref (self));

  g_task_set_task_data (task, g_strdup (path), g_free);
  _bs_window_hold (self);
  g_task_run_in_thread (task, import_thread);
}

/* Actions -------------------------------------------------------------------- */

static void
export_config_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (BS_WINDOW (widget), _("Export Configuration"), TRUE, _("XML configurations"), "*.xml",
          "configuration.xml", export_config_to);
}

static void
export_front_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (BS_WINDOW (widget), _("Export the Front"), TRUE, _("XML configurations"), "*.xml",
          "front.xml", export_front_to);
}

static void
export_csv_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (BS_WINDOW (widget), _("Export Results as CSV"), TRUE, _("CSV tables"), "*.csv",
          "results.csv", export_csv_to);
}

static void
import_config_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (BS_WINDOW (widget), _("Import Configuration"), FALSE, _("XML configurations"), "*.xml",
          NULL, import_from);
}

/* For tests and scripts: the same as choosing path in the dialogs. */
void
bs_window_export_config (BsWindow *self, const char *path)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  export_config_to (self, path);
}

void
bs_window_export_results (BsWindow *self, const char *path, gboolean csv)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  export_store_to (self, path, csv);
}

void
bs_window_import_config (BsWindow *self, const char *path)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  import_from (self, path);
}

void
_bs_window_class_export_init (BsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.export-config", NULL, export_config_action);
  gtk_widget_class_install_action (widget_class, "win.export-front", NULL, export_front_action);
  gtk_widget_class_install_action (widget_class, "win.export-csv", NULL, export_csv_action);
  gtk_widget_class_install_action (widget_class, "win.import-config", NULL, import_config_action);
}
