/* bs-window.c — a project window.  It coordinates: the project's reads run
 * in bs-reader.c threads, drawing in the plot widgets, actions in
 * bs-window-actions.c. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "bs-window-private.h"
#include "bs-ui.h"

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

/* Keep the application running while work that must finish cleanly (a
 * sweep recording its end, an evaluation) is in flight, also after the
 * window closes. */
void
_bs_window_hold (BsWindow *self)
{
  GApplication *app = g_application_get_default ();

  if (app)
    g_application_hold (app);
}

void
_bs_window_release (BsWindow *self)
{
  GApplication *app = g_application_get_default ();

  if (app)
    g_application_release (app);
}

void
_bs_window_update_pareto_page (BsWindow *self)
{
  guint n = bs_pareto_chart_get_n_series (bs_pareto_plot_get_chart (self->plot));
  gboolean model_error = g_strcmp0 (gtk_stack_get_visible_child_name (self->inspector_body),
                                    "model-error") == 0;
  /* the plot page also carries the inspector, where a model's error shows */
  const char *page = n > 0 || model_error ? "plot" : "none";

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


/* The series of a sweep, made and plotted if it is not yet (no results are
 * read: see show_sweep). */
BsPlotSeries *
_bs_window_ensure_series (BsWindow *self, const BsStoreSweep *sweep)
{
  BsPlotSeries *series = g_hash_table_lookup (self->series, &sweep->id);
  g_autofree char *title = NULL;
  gint64 *key;

  if (series)
    return series;
  title = sweep_title (sweep);
  series = bs_plot_series_new (title);
  bs_plot_series_set_key (series, sweep->id);
  key = g_new (gint64, 1);
  *key = sweep->id;
  g_hash_table_insert (self->series, key, series);
  bs_pareto_chart_add_series (bs_pareto_plot_get_chart (self->plot), series);
  /* the selected configuration stays on top and last in the legend */
  bs_pareto_chart_raise_series (bs_pareto_plot_get_chart (self->plot), self->tuning);
  _bs_window_update_pareto_page (self);
  return series;
}

static void
load_series (BsWindow *self, gint64 sweep_id, BsPlotSeries *series)
{
  bs_plot_series_clear (series);
  set_busy (self, 1);
  bs_reader_load_results_async (self->path, sweep_id, series, self->project_cancellable,
                                 on_results_loaded, g_object_ref (self));
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
      _bs_window_update_pareto_page (self);
      return;
    }
  if (series)
    return;
  load_series (self, sweep->id, _bs_window_ensure_series (self, sweep));
}

static void
on_sweep_toggled (GtkCheckButton *check, BsWindow *self)
{
  const BsStoreSweep *sweep = g_object_get_data (G_OBJECT (check), "bs-sweep");

  show_sweep (self, sweep, gtk_check_button_get_active (check));
}

/* What part of the test set a sweep used, from its dataset row's name
 * ("fashion-mnist (first 1000 images)", as the sweep runner writes it),
 * translated when it has that form; NULL when it used all of it. */
static char *
dataset_part (const char *dataset)
{
  const char *open = dataset ? strrchr (dataset, '(') : NULL;
  long long n;
  char end;

  if (!open || !g_str_has_suffix (open, ")"))
    return NULL;
  if (sscanf (open, "(first %lld images%c", &n, &end) == 2 && end == ')')
    return g_strdup_printf (_("first %lld images"), n);
  return g_strndup (open + 1, strlen (open) - 2);
}

/* "model · target", then "N results · status", then what part of the test
 * set the sweep used when not all of it. */
static char *
row_subtitle (const BsStoreSweep *s)
{
  /* TRANSLATORS: number of results of a sweep */
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%lld result",
                                                         "%lld results", (gulong) s->n_results),
                                            (long long) s->n_results);
  g_autofree char *part = dataset_part (s->dataset);

  return g_strdup_printf ("%s · %s\n%s · %s%s%s", s->model ? s->model : "?",
                          s->target ? s->target : "?", count, status_text (s->status),
                          part ? "\n" : "", part ? part : "");
}

static GtkWidget *
sweep_row_new (BsWindow *self, const BsStoreSweep *s)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *title = sweep_title (s);
  g_autofree char *subtitle = row_subtitle (s);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_object_set_data (G_OBJECT (check), "bs-sweep", (gpointer) s);
  g_object_set_data (G_OBJECT (row), "bs-check", check);
  g_object_set_data (G_OBJECT (row), "bs-sweep", (gpointer) s);
  g_signal_connect (check, "toggled", G_CALLBACK (on_sweep_toggled), self);
  return row;
}

/* A running sweep's row shows the results it has so far. */
void
_bs_window_update_sweep_row (BsWindow *self, gint64 sweep_id, gint64 n_results)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sweep_list)); row;
       row = gtk_widget_get_next_sibling (row))
    {
      BsStoreSweep *s = g_object_get_data (G_OBJECT (row), "bs-sweep");

      if (s && s->id == sweep_id && s->n_results != n_results)
        {
          g_autofree char *subtitle = NULL;

          s->n_results = n_results;
          subtitle = row_subtitle (s);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
        }
    }
}

/* Opening ------------------------------------------------------------------- */

static void
clear_project (BsWindow *self)
{
  BsParetoChart *chart = bs_pareto_plot_get_chart (self->plot);
  GtkWidget *child;

  g_cancellable_cancel (self->project_cancellable);
  g_clear_object (&self->project_cancellable);
  self->project_cancellable = g_cancellable_new ();
  g_cancellable_cancel (self->result_cancellable);
  bs_pareto_chart_remove_all (chart);
  if (bs_plot_series_get_n_points (self->tuning) > 0)
    bs_pareto_chart_add_series (chart, self->tuning);
  g_hash_table_remove_all (self->series);
  g_hash_table_remove_all (self->streamed);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sweep_list))))
    gtk_list_box_remove (self->sweep_list, child);
  g_clear_pointer (&self->info, bs_sweep_list_free);
}

/* Rows for self->info's sweeps: ticked as their series are shown, or (first
 * listing) the newest few with results. */
static void
fill_rows (BsWindow *self, gboolean first)
{
  GtkWidget *child;
  guint ticked = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sweep_list))))
    gtk_list_box_remove (self->sweep_list, child);
  for (guint i = 0; i < self->info->sweeps->len; i++)
    {
      const BsStoreSweep *s = g_ptr_array_index (self->info->sweeps, i);
      GtkWidget *row = sweep_row_new (self, s);
      gboolean tick = first ? s->n_results > 0 && ticked < INITIAL_SWEEPS
                            : g_hash_table_contains (self->series, &s->id);

      gtk_list_box_append (self->sweep_list, row);
      if (tick)
        {
          gtk_check_button_set_active (g_object_get_data (G_OBJECT (row), "bs-check"), TRUE);
          ticked++;
        }
    }
  gtk_stack_set_visible_child_name (self->sidebar_stack,
                                    self->info->sweeps->len ? "sweeps" : "empty");
}

static void
on_project_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsSweepList) info = bs_reader_open_finish (result, &error);

  set_busy (self, -1);
  if (!info)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->pareto_stack, "error");
      adw_view_stack_set_visible_child_name (self->view_stack, "pareto");
      gtk_stack_set_visible_child_name (self->sidebar_stack, "no-project");
      self->project_failed = TRUE;
      _bs_window_update_actions (self);
      return;
    }
  if (g_strcmp0 (info->path, self->path) != 0)
    return;   /* another project was opened meanwhile */

  self->info = g_steal_pointer (&info);
  _bs_window_add_recent (self, self->path);
  fill_rows (self, TRUE);
  _bs_window_update_pareto_page (self);
}

typedef struct {
  BsWindow *self;
  gint64 reload_id;
} Relist;

static void
on_relisted (GObject *source, GAsyncResult *result, gpointer data)
{
  Relist *rl = data;
  g_autoptr (BsWindow) self = rl->self;
  g_autoptr (BsSweepList) info = bs_reader_open_finish (result, NULL);
  gint64 id = rl->reload_id;

  g_free (rl);
  set_busy (self, -1);
  if (!info || g_strcmp0 (info->path, self->path) != 0)
    return;
  g_clear_pointer (&self->info, bs_sweep_list_free);
  self->info = g_steal_pointer (&info);
  fill_rows (self, FALSE);
  if (id > 0 && g_hash_table_contains (self->series, &id))
    load_series (self, id, g_hash_table_lookup (self->series, &id));
}

/* List the sweeps again (statuses, counts, new ones); reload_id > 0: read
 * that sweep's results again too. */
void
_bs_window_reload_sweeps (BsWindow *self, gint64 reload_id)
{
  Relist *rl = g_new0 (Relist, 1);

  if (!self->path)
    {
      g_free (rl);
      return;
    }
  rl->self = g_object_ref (self);
  rl->reload_id = reload_id;
  set_busy (self, 1);
  bs_reader_open_async (self->path, self->project_cancellable, on_relisted, rl);
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
  self->project_failed = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);

  base = g_path_get_basename (path);
  adw_window_title_set_subtitle (self->sidebar_title, base);
  adw_action_row_set_subtitle (self->project_row, base);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->project_row), path);
  gtk_window_set_title (GTK_WINDOW (self), base);
  gtk_stack_set_visible_child_name (self->sidebar_stack, "loading");
  gtk_stack_set_visible_child_name (self->pareto_stack, "none");

  adw_leaflet_set_visible_child (self->leaflet, self->content);

  set_busy (self, 1);
  bs_reader_open_async (path, self->project_cancellable, on_project_opened, g_object_ref (self));
  _bs_window_update_actions (self);
}

/* The bundled model: installed, or in the source tree for uninstalled runs. */
static char *
bundled_model (void)
{
  g_autofree char *installed = g_build_filename (BS_DATADIR, "models", "fmnist-cnn.onnx", NULL);

  if (g_file_test (installed, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&installed);
  return g_build_filename (BS_SOURCE_DATADIR, "models", "fmnist-cnn.onnx", NULL);
}

/* The model and dataset of the command line, else of the "model" and
 * "dataset" settings (empty model: the bundled fmnist-cnn.onnx), with the
 * first sweeps unless the command line says not to. */
void
bs_window_open_start_model (BsWindow *self)
{
  GApplication *app = g_application_get_default ();
  BsApplication *bapp = BS_IS_APPLICATION (app) ? BS_APPLICATION (app) : NULL;
  g_autofree char *model = g_settings_get_string (self->settings, "model");
  g_autofree char *dataset = g_settings_get_string (self->settings, "dataset");

  if (bapp && bs_application_get_model (bapp))
    {
      g_free (model);
      model = g_strdup (bs_application_get_model (bapp));
    }
  if (bapp && bs_application_get_dataset (bapp))
    {
      g_free (dataset);
      dataset = g_strdup (bs_application_get_dataset (bapp));
    }
  if (!model || !*model)
    {
      g_free (model);
      model = bundled_model ();
    }
  self->start_sweeps = !bapp || bs_application_get_start_sweeps (bapp);
  g_free (self->start_config);
  self->start_config = bapp ? g_strdup (bs_application_get_config (bapp)) : NULL;
  bs_window_open_model (self, model, dataset);
}

/* The database of the "database" setting (empty:
 * $XDG_DATA_HOME/bitscape/default.bitscape) and the start model. */
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
  bs_window_open_start_model (self);
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

/* Selection ---------------------------------------------------------------- */

static const char *
sweep_model (BsWindow *self, gint64 sweep_id)
{
  for (guint i = 0; self->info && i < self->info->sweeps->len; i++)
    {
      const BsStoreSweep *s = g_ptr_array_index (self->info->sweeps, i);

      if (s->id == sweep_id)
        return s->model;
    }
  return NULL;
}

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
  if (_bs_window_select_canonical (self, info->result->canonical,
                                   sweep_model (self, info->result->sweep_id)))
    return;
  /* not for the model being tuned: the stored figures */
  bs_result_panel_set_result (self->result_panel, info->result, info->layers);
  gtk_stack_set_visible_child_name (self->inspector_stack, "summary");
  gtk_revealer_set_reveal_child (self->details_revealer, TRUE);
}

/* A point was clicked: its configuration becomes the selected one (stored
 * points are read from the store; points of a running sweep are known by
 * their canonical text). */
static void
on_point_selected (BsParetoPlot *plot, BsPlotSeries *series, guint index, BsWindow *self)
{
  gint64 id;

  g_cancellable_cancel (self->result_cancellable);
  g_clear_object (&self->result_cancellable);
  if (!series || series == self->tuning)
    return;
  id = bs_plot_series_get_id (series, index);
  if (id <= 0)
    {
      const char *canon = _bs_window_streamed_canonical (self, series, index);

      if (canon)
        _bs_window_select_canonical (self, canon, NULL);
      return;
    }
  self->result_cancellable = g_cancellable_new ();
  bs_reader_load_result_async (self->path, id, self->result_cancellable, on_result_loaded,
                                g_object_ref (self));
}

static void
on_inspector_close (BsWindow *self)
{
  gtk_revealer_set_reveal_child (self->details_revealer, FALSE);
}

/* GObject ------------------------------------------------------------------- */

/* Cancel everything in flight.  Tasks hold the window until their callbacks
 * run, so this cannot wait for dispose: gtk_window_destroy unrealizes the
 * window, and that is when its work stops. */
static void
cancel_all (BsWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->project_cancellable);
  g_cancellable_cancel (self->result_cancellable);
  if (self->sweep_queue)
    _bs_window_cancel_sweep (self);
  g_cancellable_cancel (self->session_cancellable);
  g_cancellable_cancel (self->eval_cancellable);
  g_cancellable_cancel (self->target_cancellable);
  g_cancellable_cancel (self->inputs_cancellable);
  g_clear_handle_id (&self->threads_timeout, g_source_remove);
}

static void
bs_window_unrealize (GtkWidget *widget)
{
  cancel_all (BS_WINDOW (widget));
  GTK_WIDGET_CLASS (bs_window_parent_class)->unrealize (widget);
}

static void
bs_window_dispose (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  cancel_all (self);
  _bs_window_sweep_dispose (self);
  _bs_window_tuning_dispose (self);
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
  widget_class->unrealize = bs_window_unrealize;

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
  g_type_ensure (BS_TYPE_LAYER_TABLE);
  g_type_ensure (BS_TYPE_ENERGY_CHART);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bitscape/Bitscape/bs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, content);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sweep_list);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, project_row);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, pareto_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, plot);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, details_revealer);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, result_panel);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, inspector_body);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_error_page);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_error_button);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, compare);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, recent_menu);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, config_title);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, config_metrics);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, inspector_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, target_drop);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, layer_table);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, energy_chart);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sweep_revealer);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sweep_label);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sweep_progress);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, dataset_row);
  gtk_widget_class_bind_template_callback (widget_class, on_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_inspector_close);

  _bs_window_class_actions_init (klass);
  _bs_window_class_export_init (klass);
}

static void
bs_window_init (BsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->project_cancellable = g_cancellable_new ();
  self->series = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  _bs_window_tuning_init (self);
  _bs_window_sweep_init (self);
}

BsWindow *
bs_window_new (BsApplication *app)
{
  BsWindow *self = g_object_new (BS_TYPE_WINDOW, "application", app, NULL);

  self->settings = app ? g_object_ref (bs_application_get_settings (app))
                       : bs_ui_settings_new ();
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  _bs_window_actions_init (self);
  _bs_window_tuning_settings (self);
  _bs_window_tuning_threads (self);
  return self;
}
