/* bs-window-actions.c — every window action, and the one function that
 * derives which are enabled. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-window-private.h"

#define MAX_RECENT 8

/* Open ------------------------------------------------------------------- */

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *const *patterns)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; patterns[i]; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  /* "*.png": the suffix a name takes when this filter is chosen */
  if (g_str_has_prefix (patterns[0], "*.") && !patterns[1])
    g_object_set_data_full (G_OBJECT (filter), "bs-suffix", g_strdup (patterns[0] + 1), g_free);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
on_open_response (GtkNativeDialog *dialog, int response, BsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path)
        bs_window_open_path (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  static const char *const projects[] = { "*.bitscape", "*.db", "*.sqlite", "*.sqlite3", NULL };
  static const char *const all[] = { "*", NULL };
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Open Project"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  add_filter (GTK_FILE_CHOOSER (dialog), _("Bitscape projects"), projects);
  add_filter (GTK_FILE_CHOOSER (dialog), _("All files"), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_recent_action (GtkWidget *widget, const char *name, GVariant *param)
{
  bs_window_open_path (BS_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
reload_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  g_autofree char *path = g_strdup (self->path);

  if (path)
    bs_window_open_path (self, path);
}

/* Models and datasets -------------------------------------------------------- */

static void
on_model_response (GtkNativeDialog *dialog, int response, BsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      const char *dataset = self->session ? bs_session_get_dataset (self->session) : NULL;

      if (path)
        {
          bs_window_open_model (self, path, dataset);
          self->remember_model = TRUE;   /* the next start opens it, once it has opened */
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  static const char *const onnx[] = { "*.onnx", NULL };
  static const char *const all[] = { "*", NULL };
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Open Model"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  add_filter (GTK_FILE_CHOOSER (dialog), _("ONNX models"), onnx);
  add_filter (GTK_FILE_CHOOSER (dialog), _("All files"), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_model_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* A directory of the four idx files of the MNIST layout. */
static void
on_dataset_response (GtkNativeDialog *dialog, int response, BsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->session)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *model = g_strdup (bs_session_get_model (self->session));

      if (path)
        {
          bs_window_open_model (self, model, path);
          self->remember_model = TRUE;
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_dataset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Open Dataset (a folder of idx files)"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_dataset_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Tuning and sweeps ----------------------------------------------------------- */

static void
tuning_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  if (g_str_equal (name, "win.undo"))
    _bs_window_undo (self);
  else if (g_str_equal (name, "win.redo"))
    _bs_window_redo (self);
  else if (g_str_equal (name, "win.new-sweep"))
    _bs_window_new_sweep_dialog (self);
  else if (g_str_equal (name, "win.cancel-sweep"))
    _bs_window_cancel_sweep (self);
}

/* The format comparison on a layer's weights (its index). */
static void
compare_weights_action (GtkWidget *widget, const char *name, GVariant *param)
{
  _bs_window_compare_layer (BS_WINDOW (widget), g_variant_get_int32 (param));
}

/* The format comparison on a layer's inputs (its index). */
static void
compare_inputs_action (GtkWidget *widget, const char *name, GVariant *param)
{
  _bs_window_compare_inputs (BS_WINDOW (widget), g_variant_get_int32 (param));
}

/* The format comparison's menu of tensors, on the formats page. */
static void
choose_tensor_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "formats");
  bs_format_compare_popup_tensor_menu (self->compare);
}

/* The inspector's page: "layers", "energy" or "summary". */
static void
inspector_page_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  const char *page = g_variant_get_string (param, NULL);

  if (!gtk_stack_get_child_by_name (self->inspector_stack, page))
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, "pareto");
  gtk_stack_set_visible_child_name (self->inspector_stack, page);
  gtk_revealer_set_reveal_child (self->details_revealer, TRUE);
}

/* Recent projects ------------------------------------------------------------ */

static void
rebuild_recent_menu (BsWindow *self)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; recent[i]; i++)
    {
      g_autofree char *base = NULL, *label = NULL;
      g_autoptr (GMenuItem) item = NULL;
      gboolean twin = FALSE;

      /* opening a project that is gone would create an empty one */
      if (!g_file_test (recent[i], G_FILE_TEST_IS_REGULAR))
        continue;
      base = g_path_get_basename (recent[i]);
      for (guint k = 0; recent[k]; k++)
        if (k != i)
          {
            g_autofree char *other = g_path_get_basename (recent[k]);

            twin |= g_str_equal (base, other);
          }
      if (twin)
        {
          /* two projects of one name: say where each is */
          g_autofree char *dir = g_path_get_dirname (recent[i]);

          /* TRANSLATORS: a recent project: its file name and its folder */
          label = g_strdup_printf (_("%s — %s"), base, dir);
        }
      else
        label = g_strdup (base);
      {
        /* menu labels take _ as a mnemonic: double it */
        g_auto (GStrv) parts = g_strsplit (label, "_", -1);

        g_free (label);
        label = g_strjoinv ("__", parts);
      }
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent", g_variant_new_string (recent[i]));
      g_menu_append_item (self->recent_menu, item);
    }
}

/* Put path first in the recent projects (at most MAX_RECENT, no repeats). */
void
_bs_window_add_recent (BsWindow *self, const char *path)
{
  g_auto (GStrv) old = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) recent = NULL;
  guint n = 1;

  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  recent = g_strv_builder_end (builder);
  if (!g_strv_equal ((const char *const *) old, (const char *const *) recent))
    g_settings_set_strv (self->settings, "recent-projects", (const char *const *) recent);
}

/* Export -------------------------------------------------------------------- */

typedef struct {
  BsWindow *self;
  char *path;
} ExportData;

static void
on_export_written (GObject *source, GAsyncResult *result, gpointer data)
{
  ExportData *ed = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *base = g_path_get_basename (ed->path);

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *msg = g_strdup_printf (_("Could not export to “%s”: %s"), base, error->message);

          _bs_window_toast (ed->self, msg);
        }
    }
  else
    {
      g_autofree char *msg = g_strdup_printf (_("Exported “%s”"), base);

      _bs_window_toast (ed->self, msg);
    }
  g_object_unref (ed->self);
  g_free (ed->path);
  g_free (ed);
}

static gboolean
showing_formats (BsWindow *self)
{
  return g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "formats") == 0;
}

/* Render the plot into the file's format on this thread (fast: in memory),
 * write it in the background. */
static void
export_to (BsWindow *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *base = g_path_get_basename (path);
  BsExportFormat format;
  ExportData *ed;

  if (!bs_export_format_for_path (path, &format))
    {
      g_autofree char *msg = g_strdup_printf (_("Could not export to “%s”: use a name ending in .png, .svg or .pdf"), base);

      _bs_window_toast (self, msg);
      return;
    }
  if (showing_formats (self))
    bytes = bs_format_compare_export (self->compare, format, 1000, 760, &error);
  else
    bytes = bs_pareto_plot_export (self->plot, format, 1200, 800, &error);
  if (!bytes)
    {
      g_autofree char *msg = g_strdup_printf (_("Could not export to “%s”: %s"), base, error->message);

      _bs_window_toast (self, msg);
      return;
    }
  ed = g_new0 (ExportData, 1);
  ed->self = g_object_ref (self);
  ed->path = g_strdup (path);
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->cancellable, on_export_written, ed);
}

/* The file to export to, given the name chosen and the file type filter
 * chosen (its suffix, or NULL): a name without a .png, .svg or .pdf suffix
 * takes the filter's, and so does the suggested name left as it was (only
 * the type was changed).  Exported for tests. */
char *
_bs_export_path_for (const char *path, const char *suggested, const char *filter_suffix)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  BsExportFormat format;
  const char *dot;

  if (!filter_suffix)
    return g_strdup (path);
  if (!bs_export_format_for_path (base, &format))
    return g_strconcat (path, filter_suffix, NULL);
  if (suggested && g_str_equal (base, suggested) && !g_str_has_suffix (base, filter_suffix))
    {
      g_autofree char *stem = NULL;

      dot = strrchr (base, '.');
      stem = g_strndup (base, (gsize) (dot - base));
      {
        g_autofree char *name = g_strconcat (stem, filter_suffix, NULL);

        return g_build_filename (dir, name, NULL);
      }
    }
  return g_strdup (path);
}

static void
on_export_response (GtkNativeDialog *dialog, int response, BsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
      const char *suffix = filter ? g_object_get_data (G_OBJECT (filter), "bs-suffix") : NULL;

      if (path)
        {
          g_autofree char *target = _bs_export_path_for (path, g_object_get_data (G_OBJECT (dialog), "bs-suggested"),
                                                          suffix);

          export_to (self, target);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* Save dialogs start in the project's folder. */
void
_bs_window_chooser_folder (BsWindow *self, GtkFileChooser *chooser)
{
  g_autofree char *dir = self->path ? g_path_get_dirname (self->path) : NULL;

  if (dir && g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GFile) folder = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (chooser, folder, NULL);
    }
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  static const char *const png[] = { "*.png", NULL }, *const svg[] = { "*.svg", NULL },
                           *const pdf[] = { "*.pdf", NULL };
  GtkFileChooserNative *dialog;

  const char *suggested = showing_formats (self) ? "format-comparison.png" : "pareto-front.png";

  dialog = gtk_file_chooser_native_new (_("Export Plot"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  add_filter (GTK_FILE_CHOOSER (dialog), _("PNG image"), png);
  add_filter (GTK_FILE_CHOOSER (dialog), _("SVG image"), svg);
  add_filter (GTK_FILE_CHOOSER (dialog), _("PDF document"), pdf);
  _bs_window_chooser_folder (self, GTK_FILE_CHOOSER (dialog));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), suggested);
  g_object_set_data_full (G_OBJECT (dialog), "bs-suggested", g_strdup (suggested), g_free);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* View ------------------------------------------------------------------------ */

static void
reset_view_action (GtkWidget *widget, const char *name, GVariant *param)
{
  bs_pareto_plot_reset_view (BS_WINDOW (widget)->plot);
}

static void
show_page_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack,
                                         g_str_equal (name, "win.show-formats") ? "formats" : "pareto");
  _bs_window_update_actions (self);
}

static void
show_sidebar_action (GtkWidget *widget, const char *name, GVariant *param)
{
  adw_leaflet_navigate (BS_WINDOW (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* The one place that decides which actions are enabled. */
void
_bs_window_update_actions (BsWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean has_plot = bs_pareto_chart_get_n_series (bs_pareto_plot_get_chart (self->plot)) > 0;
  gboolean formats = showing_formats (self);
  gboolean model_open = self->session && bs_session_get_project (self->session);
  gboolean has_sweeps = self->series && g_hash_table_size (self->series) > 0;

  gtk_widget_action_set_enabled (widget, "win.reload", self->path != NULL);
  gtk_widget_action_set_enabled (widget, "win.choose-tensor", model_open);
  gtk_widget_action_set_enabled (widget, "win.export",
                                 formats ? bs_format_compare_get_n_formats (self->compare) > 0 : has_plot);
  gtk_widget_action_set_enabled (widget, "win.reset-view", !formats && has_plot);
  gtk_widget_action_set_enabled (widget, "win.undo", self->undo && self->undo->len > 0);
  gtk_widget_action_set_enabled (widget, "win.redo", self->redo && self->redo->len > 0);
  gtk_widget_action_set_enabled (widget, "win.new-sweep",
                                 model_open && self->path != NULL && !self->project_failed);
  gtk_widget_action_set_enabled (widget, "win.cancel-sweep", self->sweep != NULL);
  gtk_widget_action_set_enabled (widget, "win.open-dataset", self->session != NULL);
  gtk_widget_action_set_enabled (widget, "win.export-config", model_open && self->config != NULL);
  gtk_widget_action_set_enabled (widget, "win.import-config", model_open);
  gtk_widget_action_set_enabled (widget, "win.export-front", self->path != NULL && has_sweeps);
  gtk_widget_action_set_enabled (widget, "win.export-csv", self->path != NULL && has_sweeps);
}

static void
on_visible_child_changed (BsWindow *self)
{
  _bs_window_update_actions (self);
}

void
_bs_window_class_actions_init (BsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.reset-view", NULL, reset_view_action);
  gtk_widget_class_install_action (widget_class, "win.show-pareto", NULL, show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-formats", NULL, show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.open-model", NULL, open_model_action);
  gtk_widget_class_install_action (widget_class, "win.open-dataset", NULL, open_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.inspector-page", "s", inspector_page_action);
  gtk_widget_class_install_action (widget_class, "win.compare-weights", "i", compare_weights_action);
  gtk_widget_class_install_action (widget_class, "win.compare-inputs", "i", compare_inputs_action);
  gtk_widget_class_install_action (widget_class, "win.choose-tensor", NULL, choose_tensor_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, tuning_action);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, tuning_action);
  gtk_widget_class_install_action (widget_class, "win.new-sweep", NULL, tuning_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-sweep", NULL, tuning_action);
}

/* After the settings are known. */
void
_bs_window_actions_init (BsWindow *self)
{
  g_signal_connect_object (self->settings, "changed::recent-projects",
                           G_CALLBACK (rebuild_recent_menu), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child",
                           G_CALLBACK (on_visible_child_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->compare, "notify::n-formats",
                           G_CALLBACK (on_visible_child_changed), self, G_CONNECT_SWAPPED);
  rebuild_recent_menu (self);
  _bs_window_update_actions (self);
}
