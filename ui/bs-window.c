/* bs-window.c — a project window.  It coordinates: the project's reads run
 * in bs-reader.c threads, drawing in the plot widgets, actions in
 * bs-window-actions.c. */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-window-private.h"

G_DEFINE_FINAL_TYPE (BsWindow, bs_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_PATH,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Sweeps ticked on opening: the newest that have results, at most this many. */
#define INITIAL_SWEEPS 3

static void
set_busy (BsWindow *self, gint delta)
{
  gboolean was = self->loading > 0;

  self->loading += delta;
  if (was != (self->loading > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

void
_bs_window_toast (BsWindow *self, const char *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static char *
sweep_title (const BsStoreSweep *s)
{
  /* TRANSLATORS: a sweep's title: its number and its strategy */
  return g_strdup_printf (_("Sweep %lld · %s"), (long long) s->id, s->strategy);
}

static const char *
status_text (const char *status)
{
  if (g_strcmp0 (status, "running") == 0)
    return _("running");
  if (g_strcmp0 (status, "done") == 0)
    return _("done");
  if (g_strcmp0 (status, "cancelled") == 0)
    return _("cancelled");
  if (g_strcmp0 (status, "failed") == 0)
    return _("failed");
  return status;
}

static void
update_pareto_page (BsWindow *self)
{
  const char *page = g_hash_table_size (self->series) > 0 ? "plot" : "none";

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->pareto_stack), "error") == 0 &&
      !self->info)
    return;
  gtk_stack_set_visible_child_name (self->pareto_stack, page);
  _bs_window_update_actions (self);
}

/* Results ------------------------------------------------------------------ */

static void
on_results_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;

  set_busy (self, -1);
  if (!bs_reader_load_results_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _bs_window_toast (self, error->message);
      return;
    }
  _bs_window_update_actions (self);
}

static void
show_sweep (BsWindow *self, const BsStoreSweep *sweep, gboolean show)
{
  BsParetoChart *chart = bs_pareto_plot_get_chart (self->plot);
  BsPlotSeries *series = g_hash_table_lookup (self->series, &sweep->id);

  if (!show)
    {
      if (series)
        {
          bs_pareto_chart_remove_series (chart, series);
          g_hash_table_remove (self->series, &sweep->id);
        }
      update_pareto_page (self);
      return;
    }
  if (series)
    return;

  {
    g_autofree char *title = sweep_title (sweep);
    gint64 *key = g_new (gint64, 1);

    series = bs_plot_series_new (title);
    bs_plot_series_set_key (series, sweep->id);
    *key = sweep->id;
    g_hash_table_insert (self->series, key, series);
    bs_pareto_chart_add_series (chart, series);
    set_busy (self, 1);
    bs_reader_load_results_async (self->path, sweep->id, series, self->project_cancellable,
                                   on_results_loaded, g_object_ref (self));
  }
  update_pareto_page (self);
}

static void
on_sweep_toggled (GtkCheckButton *check, BsWindow *self)
{
  const BsStoreSweep *sweep = g_object_get_data (G_OBJECT (check), "bs-sweep");

  show_sweep (self, sweep, gtk_check_button_get_active (check));
}

static GtkWidget *
sweep_row_new (BsWindow *self, const BsStoreSweep *s)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *title = sweep_title (s);
  g_autofree char *subtitle = NULL;
  g_autofree char *count = NULL;

  /* TRANSLATORS: number of results of a sweep */
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%lld result", "%lld results",
                                        (gulong) s->n_results),
                           (long long) s->n_results);
  subtitle = g_strdup_printf ("%s · %s\n%s · %s", s->model ? s->model : "?",
                              s->target ? s->target : "?", count, status_text (s->status));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_object_set_data (G_OBJECT (check), "bs-sweep", (gpointer) s);
  g_object_set_data (G_OBJECT (row), "bs-check", check);
  g_signal_connect (check, "toggled", G_CALLBACK (on_sweep_toggled), self);
  return row;
}

/* Opening ------------------------------------------------------------------- */

static void
clear_project (BsWindow *self)
{
  GtkWidget *child;

  g_cancellable_cancel (self->project_cancellable);
  g_clear_object (&self->project_cancellable);
  self->project_cancellable = g_cancellable_new ();
  g_cancellable_cancel (self->result_cancellable);
  bs_pareto_chart_remove_all (bs_pareto_plot_get_chart (self->plot));
  g_hash_table_remove_all (self->series);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sweep_list))))
    gtk_list_box_remove (self->sweep_list, child);
  gtk_revealer_set_reveal_child (self->details_revealer, FALSE);
  g_clear_pointer (&self->info, bs_sweep_list_free);
}

static void
on_project_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsSweepList) info = bs_reader_open_finish (result, &error);
  guint ticked = 0;

  set_busy (self, -1);
  if (!info)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->pareto_stack, "error");
      adw_view_stack_set_visible_child_name (self->view_stack, "pareto");
      gtk_stack_set_visible_child_name (self->sidebar_stack, "empty");
      _bs_window_update_actions (self);
      return;
    }
  if (g_strcmp0 (info->path, self->path) != 0)
    return;   /* another project was opened meanwhile */

  self->info = g_steal_pointer (&info);
  _bs_window_add_recent (self, self->path);
  for (guint i = 0; i < self->info->sweeps->len; i++)
    {
      const BsStoreSweep *s = g_ptr_array_index (self->info->sweeps, i);
      GtkWidget *row = sweep_row_new (self, s);

      gtk_list_box_append (self->sweep_list, row);
      if (s->n_results > 0 && ticked < INITIAL_SWEEPS)
        {
          gtk_check_button_set_active (g_object_get_data (G_OBJECT (row), "bs-check"), TRUE);
          ticked++;
        }
    }
  gtk_stack_set_visible_child_name (self->sidebar_stack,
                                    self->info->sweeps->len ? "sweeps" : "empty");
  update_pareto_page (self);
}

/* Open the project store at path (created if absent), replacing the one
 * shown.  Errors show in the window, naming the file and the problem. */
void
bs_window_open_path (BsWindow *self, const char *path)
{
  g_autofree char *base = NULL;

  g_return_if_fail (BS_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  clear_project (self);
  g_free (self->path);
  self->path = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);

  base = g_path_get_basename (path);
  adw_window_title_set_subtitle (self->sidebar_title, base);
  gtk_label_set_label (self->project_label, path);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->project_label), path);
  gtk_window_set_title (GTK_WINDOW (self), base);
  gtk_stack_set_visible_child_name (self->sidebar_stack, "loading");
  gtk_stack_set_visible_child_name (self->pareto_stack, "none");

  adw_leaflet_set_visible_child (self->leaflet, self->content);

  set_busy (self, 1);
  bs_reader_open_async (path, self->project_cancellable, on_project_opened, g_object_ref (self));
  _bs_window_update_actions (self);
}

/* The database of the "database" setting, or $XDG_DATA_HOME/bitscape/default.bitscape. */
void
bs_window_open_default (BsWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "database");

  if (!path || !*path)
    {
      g_free (path);
      path = bs_reader_default_path ();
    }
  bs_window_open_path (self, path);
}

const char *
bs_window_get_path (BsWindow *self)
{
  g_return_val_if_fail (BS_IS_WINDOW (self), NULL);
  return self->path;
}

gboolean
bs_window_is_busy (BsWindow *self)
{
  g_return_val_if_fail (BS_IS_WINDOW (self), FALSE);
  return self->loading > 0;
}

/* Details ------------------------------------------------------------------ */

static void
on_result_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsResultDetail) info = bs_reader_load_result_finish (result, &error);

  if (!info)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _bs_window_toast (self, error->message);
      return;
    }
  bs_result_panel_set_result (self->result_panel, info->result, info->layers);
  gtk_revealer_set_reveal_child (self->details_revealer, TRUE);
}

static void
on_point_selected (BsParetoPlot *plot, BsPlotSeries *series, guint index, BsWindow *self)
{
  g_cancellable_cancel (self->result_cancellable);
  g_clear_object (&self->result_cancellable);
  if (!series)
    {
      gtk_revealer_set_reveal_child (self->details_revealer, FALSE);
      return;
    }
  self->result_cancellable = g_cancellable_new ();
  bs_reader_load_result_async (self->path, bs_plot_series_get_id (series, index),
                                self->result_cancellable, on_result_loaded, g_object_ref (self));
}

static void
on_result_panel_close (BsWindow *self)
{
  gtk_revealer_set_reveal_child (self->details_revealer, FALSE);
  bs_pareto_chart_set_selected (bs_pareto_plot_get_chart (self->plot), NULL, 0);
}

/* GObject ------------------------------------------------------------------- */

static void
bs_window_dispose (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->project_cancellable);
  g_cancellable_cancel (self->result_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_WINDOW);
  g_clear_pointer (&self->series, g_hash_table_unref);

  G_OBJECT_CLASS (bs_window_parent_class)->dispose (object);
}

static void
bs_window_finalize (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->project_cancellable);
  g_clear_object (&self->result_cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->info, bs_sweep_list_free);
  g_free (self->path);

  G_OBJECT_CLASS (bs_window_parent_class)->finalize (object);
}

static void
bs_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsWindow *self = BS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->loading > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_window_class_init (BsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_window_dispose;
  object_class->finalize = bs_window_finalize;
  object_class->get_property = bs_window_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (BS_TYPE_PARETO_PLOT);
  g_type_ensure (BS_TYPE_RESULT_PANEL);
  g_type_ensure (BS_TYPE_FORMAT_COMPARE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bitscape/Bitscape/bs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, content);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sweep_list);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, project_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, pareto_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, plot);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, details_revealer);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, result_panel);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, compare);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, recent_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_result_panel_close);

  _bs_window_class_actions_init (klass);
}

static void
bs_window_init (BsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->project_cancellable = g_cancellable_new ();
  self->series = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
}

BsWindow *
bs_window_new (BsApplication *app)
{
  BsWindow *self = g_object_new (BS_TYPE_WINDOW, "application", app, NULL);

  self->settings = app ? g_object_ref (bs_application_get_settings (app))
                       : g_settings_new (BS_APPLICATION_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  _bs_window_actions_init (self);
  return self;
}
