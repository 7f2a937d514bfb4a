/* bs-preferences-window.c — preferences bound to GSettings. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-preferences-window.h"
#include "bs-reader.h"

struct _BsPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwActionRow *database_row;
  AdwComboRow *target_row;
  GtkSpinButton *threads_spin;

  GSettings *settings;
  GtkStringList *targets;
};

G_DEFINE_FINAL_TYPE (BsPreferencesWindow, bs_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
update_database_row (BsPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "database");

  if (path && *path)
    adw_action_row_set_subtitle (self->database_row, path);
  else
    {
      g_autofree char *def = bs_reader_default_path ();
      /* TRANSLATORS: %s is the default project's path */
      g_autofree char *text = g_strdup_printf (_("Default: %s"), def);

      adw_action_row_set_subtitle (self->database_row, text);
    }
}

static void
on_database_reset (BsPreferencesWindow *self)
{
  g_settings_reset (self->settings, "database");
}

static void
on_database_response (GtkNativeDialog *dialog, int response, BsPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path)
        g_settings_set_string (self->settings, "database", path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_database_choose (BsPreferencesWindow *self)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Project Opened at Start"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Select"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "default.bitscape");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_database_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Target files installed, or in the source tree for uninstalled runs: the
 * *.xml of the targets folders, by name without the suffix. */
static void
scan_targets (BsPreferencesWindow *self, const char *current)
{
  const char *dirs[] = { BS_DATADIR "/targets", BS_SOURCE_DATADIR "/../energy-models/targets" };
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  gtk_string_list_append (self->targets, _("None"));
  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs[d], 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)))
        if (g_str_has_suffix (name, ".xml"))
          {
            char *base = g_strndup (name, strlen (name) - 4);

            if (g_ptr_array_find_with_equal_func (names, base, g_str_equal, NULL))
              g_free (base);
            else
              g_ptr_array_add (names, base);
          }
    }
  if (current && *current && !g_ptr_array_find_with_equal_func (names, current, g_str_equal, NULL))
    g_ptr_array_add (names, g_strdup (current));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    gtk_string_list_append (self->targets, g_ptr_array_index (names, i));
}

static void
on_target_selected (BsPreferencesWindow *self)
{
  guint pos = adw_combo_row_get_selected (self->target_row);

  if (pos == 0 || pos == GTK_INVALID_LIST_POSITION)
    g_settings_set_string (self->settings, "default-target", "");
  else
    g_settings_set_string (self->settings, "default-target",
                           gtk_string_list_get_string (self->targets, pos));
}

static void
bs_preferences_window_dispose (GObject *object)
{
  BsPreferencesWindow *self = BS_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->targets);

  G_OBJECT_CLASS (bs_preferences_window_parent_class)->dispose (object);
}

static void
bs_preferences_window_class_init (BsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/bitscape/Bitscape/bs-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BsPreferencesWindow, database_row);
  gtk_widget_class_bind_template_child (widget_class, BsPreferencesWindow, target_row);
  gtk_widget_class_bind_template_child (widget_class, BsPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_database_reset);
  gtk_widget_class_bind_template_callback (widget_class, on_database_choose);
}

static void
bs_preferences_window_init (BsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
bs_preferences_window_new (GSettings *settings)
{
  BsPreferencesWindow *self = g_object_new (BS_TYPE_PREFERENCES_WINDOW, NULL);
  g_autofree char *target = g_settings_get_string (settings, "default-target");

  self->settings = g_object_ref (settings);
  self->targets = gtk_string_list_new (NULL);
  scan_targets (self, target);
  adw_combo_row_set_model (self->target_row, G_LIST_MODEL (self->targets));
  for (guint i = 1; i < g_list_model_get_n_items (G_LIST_MODEL (self->targets)); i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->targets, i), target) == 0)
      adw_combo_row_set_selected (self->target_row, i);
  g_signal_connect_swapped (self->target_row, "notify::selected", G_CALLBACK (on_target_selected), self);

  g_settings_bind (settings, "threads", self->threads_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::database", G_CALLBACK (update_database_row), self,
                           G_CONNECT_SWAPPED);
  update_database_row (self);
  return GTK_WIDGET (self);
}
