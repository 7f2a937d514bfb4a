/* bs-window-tuning.c — the model a window tunes and its selected
 * configuration: opening the model, evaluating every edit in the background
 * (the evaluator restarts from the first changed layer), the point that moves
 * on the plot, undo and redo, the target the energy is costed on.
 *
 * At most one evaluation is in flight: an edit cancels the one before.  The
 * main thread only swaps finished results in. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-config-summary.h"
#include "bs-units.h"
#include "bs-window-private.h"

#define MAX_UNDO 200

/* What a model opened again keeps (bs-window-private.h). */
struct _BsReopen
{
  char *canonical;             /* the selected configuration */
  GPtrArray *undo, *redo;      /* canonical texts (free) */
};

static void
reopen_free (BsReopen *r)
{
  if (!r)
    return;
  g_free (r->canonical);
  g_clear_pointer (&r->undo, g_ptr_array_unref);
  g_clear_pointer (&r->redo, g_ptr_array_unref);
  g_free (r);
}

static gpointer
copy_text (gconstpointer text, gpointer data)
{
  return strdup (text);
}

static void evaluate (BsWindow *self);

/* Labels --------------------------------------------------------------------- */

static void
show_title (BsWindow *self)
{
  g_autofree char *canon = NULL, *label = NULL;

  if (!self->config)
    return;
  canon = bs_config_to_string (self->config);
  bs_config_summary (canon, &label);
  gtk_label_set_label (self->config_title, label);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->config_title), canon);
}

static void
show_metrics (BsWindow *self)
{
  BsEvaluation *ev = self->evaluation;
  g_autofree char *top1 = NULL, *energy = NULL, *text = NULL, *tip = NULL;

  if (!ev)
    {
      gtk_label_set_label (self->config_metrics, _("Evaluating…"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->config_metrics), NULL);
      return;
    }
  top1 = bs_units_format_accuracy (ev->metrics.top1, 2);
  energy = bs_units_format_energy (ev->metrics.energy_pj);
  /* TRANSLATORS: top-1 accuracy, energy per inference, test images */
  text = g_strdup_printf (_("Top-1 %s · %s · %lld images"), top1, energy, (long long) ev->images);
  /* TRANSLATORS: the same with the target and the evaluation path (fake-quant or exact) */
  tip = g_strdup_printf (_("Top-1 %s, %s per inference on %s, %lld test images, %s"), top1, energy,
                         ev->target ? bs_shared_target_name (ev->target) : _("no target"),
                         (long long) ev->images, ev->path);
  gtk_label_set_label (self->config_metrics, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->config_metrics), tip);
}

static void
show_result_panel (BsWindow *self)
{
  BsEvaluation *ev = self->evaluation;
  BsStoreResult r = { 0 };
  g_autoptr (GPtrArray) layers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  if (!ev)
    return;
  r.canonical = ev->canonical;
  r.m.top1 = ev->metrics.top1;
  r.m.top5 = ev->metrics.top5;
  r.m.energy_pj = ev->metrics.energy_pj;
  r.m.compute_pj = ev->metrics.compute_pj;
  r.m.memory_pj = ev->metrics.memory_pj;
  r.m.mean_weight_bits = ev->metrics.mean_weight_bits;
  r.m.mean_input_bits = ev->metrics.mean_input_bits;
  r.m.weight_sparsity = ev->metrics.weight_sparsity;
  r.m.input_sparsity = ev->metrics.input_sparsity;
  r.m.images = ev->images;
  for (int i = 0; i < bs_config_n_layers (ev->config); i++)
    {
      const bs_layer_config *lc = bs_config_layer (ev->config, i);
      char scaling[64];
      char **l = g_new0 (char *, 6);
      BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;

      bs_layer_config_scaling_text (lc, scaling, sizeof scaling);
      l[0] = g_strdup (lc->weight);
      l[1] = g_strdup (lc->input);
      l[2] = g_strdup (bs_acc_name (lc->acc));
      l[3] = g_strdup (scaling);
      l[4] = p && i < bs_project_n_layers (p) ? g_strdup (bs_project_layer (p, i)->name) : NULL;
      g_ptr_array_add (layers, l);
    }
  bs_result_panel_set_result (self->result_panel, &r, layers);
}

/* The point of the selected configuration, selected on the plot. */
static void
show_point (BsWindow *self)
{
  BsParetoChart *chart = bs_pareto_plot_get_chart (self->plot);
  BsEvaluation *ev = self->evaluation;
  g_autofree char *label = NULL;
  BsPlotPoint p;

  bs_plot_series_clear (self->tuning);
  if (!ev)
    return;
  p = (BsPlotPoint) { ev->metrics.energy_pj, ev->metrics.top1, 0, 0, NULL };
  p.family = bs_config_summary (ev->canonical, &label);
  p.label = label;
  bs_plot_series_append (self->tuning, &p, 1);
  bs_pareto_chart_add_series (chart, self->tuning);
  bs_pareto_chart_set_selected (chart, self->tuning, 0);
  _bs_window_update_pareto_page (self);
}

static void
show_energy (BsWindow *self)
{
  BsEvaluation *ev = self->evaluation;

  if (!ev)
    bs_energy_chart_set_empty_text (self->energy_chart, _("Evaluating…"));
  else if (!ev->target)
    bs_energy_chart_set_empty_text (self->energy_chart, _("Choose a target to see the energy."));
  else if (ev->energy_error)
    {
      /* TRANSLATORS: the target cannot cost the configuration; %s says why */
      g_autofree char *text = g_strdup_printf (_("No energy on this target: %s"), ev->energy_error);

      bs_energy_chart_set_empty_text (self->energy_chart, text);
    }
  bs_energy_chart_set_data (self->energy_chart, ev && ev->energy ? bs_energy_data_new (ev->energy) : NULL);
}

static void
show_evaluation (BsWindow *self)
{
  bs_layer_table_set_evaluation (self->layer_table, self->evaluation);
  show_metrics (self);
  show_energy (self);
  show_point (self);
  show_result_panel (self);
}

/* Evaluation ----------------------------------------------------------------- */

/* Busy shows as dimmed figures, not as an animation: a spinner redraws every
 * frame, which costs the main loop more than all the rest (software
 * rendering). */
static void
set_evaluating (BsWindow *self, gboolean busy)
{
  if (busy)
    gtk_widget_add_css_class (GTK_WIDGET (self->config_title), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->config_title), "dim-label");
}

static void
take_evaluation (BsWindow *self, BsEvaluation *ev)
{
  g_clear_pointer (&self->evaluation, bs_evaluation_unref);
  self->evaluation = ev;
  show_evaluation (self);
}

static void
on_energy (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  BsEvaluation *ev = bs_session_energy_finish (BS_SESSION (source), result, &error);

  _bs_window_release (self);
  if (!ev)
    return;   /* cancelled: a newer evaluation or target follows */
  set_evaluating (self, FALSE);
  take_evaluation (self, ev);
}

/* Cost the evaluated configuration on the current target. */
void
_bs_window_recost (BsWindow *self)
{
  if (!self->session || !self->evaluation)
    return;
  g_cancellable_cancel (self->eval_cancellable);
  g_clear_object (&self->eval_cancellable);
  self->eval_cancellable = g_cancellable_new ();
  set_evaluating (self, TRUE);
  _bs_window_hold (self);
  bs_session_energy_async (self->session, self->evaluation, self->target, self->eval_cancellable,
                           on_energy, g_object_ref (self));
}

static void
on_evaluated (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  BsEvaluation *ev = bs_session_evaluate_finish (BS_SESSION (source), result, &error);

  _bs_window_release (self);
  if (!ev)
    {
      g_autofree char *msg = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_evaluating (self, FALSE);
      /* TRANSLATORS: %s is the evaluator's reason */
      msg = g_strdup_printf (_("Could not evaluate this configuration: %s"), error->message);
      gtk_label_set_label (self->config_metrics, msg);
      bs_plot_series_clear (self->tuning);
      _bs_window_toast (self, msg);
      return;
    }
  set_evaluating (self, FALSE);
  take_evaluation (self, ev);
  if (ev->target != self->target)
    _bs_window_recost (self);   /* the target changed while it ran */
}

static void
evaluate (BsWindow *self)
{
  g_cancellable_cancel (self->eval_cancellable);
  g_clear_object (&self->eval_cancellable);
  g_clear_pointer (&self->evaluation, bs_evaluation_unref);
  if (!self->session || !bs_session_get_project (self->session) || !self->config)
    return;
  self->eval_cancellable = g_cancellable_new ();
  set_evaluating (self, TRUE);
  _bs_window_hold (self);
  bs_session_evaluate_async (self->session, self->config, self->target, self->eval_cancellable,
                             on_evaluated, g_object_ref (self));
}

/* Make config (copied) the selected configuration and evaluate it.  record:
 * the one it replaces goes on the undo stack (and redo is cleared). */
void
_bs_window_set_config (BsWindow *self, const bs_config *config, gboolean record)
{
  if (record && self->config)
    {
      g_ptr_array_add (self->undo, bs_config_to_string (self->config));
      if (self->undo->len > MAX_UNDO)
        g_ptr_array_remove_index (self->undo, 0);
      g_ptr_array_set_size (self->redo, 0);
    }
  g_clear_pointer (&self->config, bs_config_free);
  self->config = bs_config_copy (config);
  bs_layer_table_set_config (self->layer_table, config);
  evaluate (self);
  show_title (self);
  show_evaluation (self);
  gtk_revealer_set_reveal_child (self->details_revealer, TRUE);
  _bs_window_update_actions (self);
}

/* Select a configuration by its canonical text, as measured for model (a
 * model name; NULL: any).  FALSE (and a message) when it does not fit the
 * open model. */
gboolean
_bs_window_select_canonical (BsWindow *self, const char *canonical, const char *model)
{
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;
  char err[256];
  bs_config *cfg;

  if (!p)
    return FALSE;
  if (model && g_strcmp0 (model, bs_project_model_name (p)) != 0)
    {
      /* TRANSLATORS: a point of another model's sweep was chosen */
      g_autofree char *msg = g_strdup_printf (_("This point was measured on model “%s”; open that "
                                                "model to tune it"), model);

      _bs_window_toast (self, msg);
      return FALSE;
    }
  cfg = bs_config_parse (canonical, err, sizeof err);
  if (!cfg || bs_config_n_layers (cfg) != bs_project_n_layers (p))
    {
      g_autofree char *msg = g_strdup_printf (_("This configuration does not fit “%s”: %s"),
                                              bs_project_model_name (p),
                                              cfg ? _("other layer count") : err);

      _bs_window_toast (self, msg);
      bs_config_free (cfg);
      return FALSE;
    }
  _bs_window_set_config (self, cfg, TRUE);
  bs_config_free (cfg);
  return TRUE;
}

/* Undo and redo -------------------------------------------------------------- */

static void
step (BsWindow *self, GPtrArray *from, GPtrArray *to)
{
  g_autofree char *canon = NULL;
  char err[256];
  bs_config *cfg;

  if (from->len == 0 || !self->config)
    return;
  canon = g_ptr_array_steal_index (from, from->len - 1);
  cfg = bs_config_parse (canon, err, sizeof err);
  if (!cfg)
    return;
  g_ptr_array_add (to, bs_config_to_string (self->config));
  _bs_window_set_config (self, cfg, FALSE);
  bs_config_free (cfg);
}

void
_bs_window_undo (BsWindow *self)
{
  step (self, self->undo, self->redo);
}

void
_bs_window_redo (BsWindow *self)
{
  step (self, self->redo, self->undo);
}

/* Edits ---------------------------------------------------------------------- */

/* A layer's choice changed in the table: the edited configuration becomes
 * the selected one.  A layer leaving fp32 gets "auto" scaling (the format
 * family's natural choice, what sweeps use); a layer back at fp32 × fp32
 * drops its scaling. */
static void
on_layer_edited (BsLayerTable *table, guint layer, int field, const char *value, BsWindow *self)
{
  g_autoptr (GError) error = NULL;
  bs_layer_config lc;
  bs_config *cfg;
  char err[256];

  if (!self->config || (int) layer >= bs_config_n_layers (self->config))
    return;
  lc = *bs_config_layer (self->config, (int) layer);
  if (field == BS_LAYER_FIELD_WEIGHT)
    g_strlcpy (lc.weight, value, sizeof lc.weight);
  else if (field == BS_LAYER_FIELD_INPUT)
    g_strlcpy (lc.input, value, sizeof lc.input);
  else if (bs_acc_parse (value, &lc.acc) < 0)
    return;
  if (g_str_equal (lc.weight, "fp32") && g_str_equal (lc.input, "fp32"))
    lc.scaling = BS_SCALING_NONE;
  else if (lc.scaling == BS_SCALING_NONE)
    lc.scaling = BS_SCALING_AUTO;
  cfg = bs_config_copy (self->config);
  if (bs_config_set_layer (cfg, (int) layer, &lc, err, sizeof err) < 0)
    {
      _bs_window_toast (self, err);
      bs_layer_table_set_config (self->layer_table, self->config);   /* back to what it was */
    }
  else
    _bs_window_set_config (self, cfg, TRUE);
  bs_config_free (cfg);
}

/* Opening a model ------------------------------------------------------------- */

/* Whether layer L's weights can be compared: a float initializer. */
static const bs_tensor *
layer_weights (BsProject *p, const bs_layer_info *L)
{
  const bs_tensor *t;

  if (L->weight < 0 || !L->weight_is_const)
    return NULL;
  t = &bs_project_graph (p)->values[L->weight].data;
  if (t->dtype != BS_DT_FLOAT || bs_tensor_numel (t) <= 0)
    return NULL;
  return t;
}

/* Compare the formats on the weights of compute layer i (BatchNormalization
 * folded in, as evaluated). */
void
_bs_window_compare_layer (BsWindow *self, int i)
{
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;
  const bs_layer_info *L;
  const bs_tensor *t;
  g_autofree char *name = NULL;

  if (!p || i < 0 || i >= bs_project_n_layers (p))
    return;
  L = bs_project_layer (p, i);
  if (!(t = layer_weights (p, L)))
    return;
  g_cancellable_cancel (self->inputs_cancellable);   /* a choice made before this one */
  /* TRANSLATORS: a tensor's name: a layer's weights */
  name = g_strdup_printf (_("%s weights"), L->name);
  bs_format_compare_set_tensor (self->compare, name, bs_tensor_f32 (t), (gsize) bs_tensor_numel (t));
  g_free (self->compare_tensor);
  self->compare_tensor = g_steal_pointer (&name);
}

static void
on_inputs_captured (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  BsSession *session = BS_SESSION (source);
  int layer = -1;
  g_autoptr (GBytes) values = bs_session_layer_inputs_finish (session, result, &layer, NULL, &error);
  BsProject *p = bs_session_get_project (session);

  _bs_window_release (self);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || session != self->session)
    return;   /* a newer choice, another model or the window closing */
  if (!values)
    {
      /* TRANSLATORS: the model's file, then the problem */
      g_autofree char *msg = g_strdup_printf (_("%s: %s"), bs_session_get_model (session), error->message);

      bs_format_compare_set_pending (self->compare, NULL);
      _bs_window_toast (self, msg);
      return;
    }
  {
    /* TRANSLATORS: a tensor's name: a layer's input activations */
    g_autofree char *name = g_strdup_printf (_("%s inputs"), bs_project_layer (p, layer)->name);

    bs_format_compare_set_tensor_bytes (self->compare, name, values);
    g_free (self->compare_tensor);
    self->compare_tensor = g_steal_pointer (&name);
  }
}

/* Compare the formats on the inputs of compute layer i as the fp32 network
 * computes them over the first test images, computed in a worker thread. */
void
_bs_window_compare_inputs (BsWindow *self, int i)
{
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;
  g_autofree char *name = NULL;

  if (!p || i < 0 || i >= bs_project_n_layers (p))
    return;
  g_cancellable_cancel (self->inputs_cancellable);
  g_clear_object (&self->inputs_cancellable);
  self->inputs_cancellable = g_cancellable_new ();
  name = g_strdup_printf (_("%s inputs"), bs_project_layer (p, i)->name);
  bs_format_compare_set_pending (self->compare, name);
  _bs_window_hold (self);
  bs_session_layer_inputs_async (self->session, i, self->inputs_cancellable, on_inputs_captured,
                                 g_object_ref (self));
}

/* A menu item's label: menus take _ as a mnemonic, so double it (fc_out). */
static char *
menu_label (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, "_", -1);

  return g_strjoinv ("__", parts);
}

/* The format comparison offers every layer's weights and inputs and (start)
 * starts on real numbers, the weights of the model's largest layer. */
static void
compare_layers (BsWindow *self, BsProject *p, gboolean start)
{
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) weights = g_menu_new ();
  g_autoptr (GMenu) inputs = g_menu_new ();
  gint64 images = MIN (bs_project_images (p), 256);
  g_autofree char *inputs_title = NULL;
  int best = -1;

  if (bs_project_options (p)->limit > 0)
    images = MIN (images, bs_project_options (p)->limit);
  for (int i = 0; i < bs_project_n_layers (p); i++)
    {
      const bs_layer_info *L = bs_project_layer (p, i);
      g_autofree char *text = NULL, *label = NULL;

      if (layer_weights (p, L))
        {
          if (best < 0 || L->params > bs_project_layer (p, best)->params)
            best = i;
          text = g_strdup_printf (_("%s weights"), L->name);
          label = menu_label (text);
          {
            g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);

            g_menu_item_set_action_and_target_value (item, "win.compare-weights", g_variant_new_int32 (i));
            g_menu_append_item (weights, item);
          }
          g_clear_pointer (&text, g_free);
          g_clear_pointer (&label, g_free);
        }
      text = g_strdup_printf (_("%s inputs"), L->name);
      label = menu_label (text);
      {
        g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);

        g_menu_item_set_action_and_target_value (item, "win.compare-inputs", g_variant_new_int32 (i));
        g_menu_append_item (inputs, item);
      }
    }
  if (best >= 0)
    /* TRANSLATORS: menu section of the layers' weights */
    g_menu_append_section (menu, _("Weights"), G_MENU_MODEL (weights));
  /* TRANSLATORS: menu section of the layers' input activations, from the first N test images */
  inputs_title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Input Activations (First %lu Test Image)",
                                               "Input Activations (First %lu Test Images)", (gulong) images),
                                  (gulong) images);
  g_menu_append_section (menu, inputs_title, G_MENU_MODEL (inputs));
  bs_format_compare_set_tensor_menu (self->compare, bs_project_n_layers (p) > 0 ? G_MENU_MODEL (menu) : NULL);
  if (start && best >= 0)
    _bs_window_compare_layer (self, best);
}

static void
on_session_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  BsSession *session = BS_SESSION (source);
  BsProject *p;
  bs_config *fp32;
  gboolean reopened;

  _bs_window_release (self);
  if (!bs_session_open_finish (session, result, &error))
    {
      g_autofree char *msg = NULL, *base = NULL;
      gboolean dataset_error;
      const char *file;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || session != self->session)
        return;
      set_evaluating (self, FALSE);
      dataset_error = g_error_matches (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_DATASET);
      file = dataset_error ? bs_session_get_dataset (session) : bs_session_get_model (session);
      base = g_path_get_basename (bs_session_get_model (session));
      gtk_label_set_label (self->config_title, base);
      gtk_label_set_label (self->config_metrics, dataset_error ? _("Could not open the dataset")
                                                               : _("Could not open the model"));
      /* the project's errors name the file; say it when one does not */
      if (strstr (error->message, file))
        msg = g_strdup (error->message);
      else
        /* TRANSLATORS: the model's (or dataset's) file, then the problem */
        msg = g_strdup_printf (_("%s: %s"), file, error->message);
      /* the whole message, wrapped, where the layers would be */
      adw_status_page_set_title (self->model_error_page, dataset_error ? _("Could Not Open the Dataset")
                                                                       : _("Could Not Open the Model"));
      adw_status_page_set_description (self->model_error_page, msg);
      gtk_button_set_label (self->model_error_button, dataset_error ? _("_Open Another Dataset…")
                                                                    : _("_Open Another Model…"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->model_error_button),
                                      dataset_error ? "win.open-dataset" : "win.open-model");
      gtk_stack_set_visible_child_name (self->inspector_body, "model-error");
      adw_view_stack_set_visible_child_name (self->view_stack, "pareto");
      gtk_revealer_set_reveal_child (self->details_revealer, TRUE);
      _bs_window_update_pareto_page (self);
      _bs_window_update_actions (self);
      return;
    }
  if (session != self->session)
    return;
  if (self->remember_model)
    {
      g_settings_set_string (self->settings, "model", bs_session_get_model (session));
      g_settings_set_string (self->settings, "dataset", bs_session_get_dataset (session));
    }
  p = bs_session_get_project (session);
  bs_layer_table_set_project (self->layer_table, p);
  g_ptr_array_set_size (self->undo, 0);
  g_ptr_array_set_size (self->redo, 0);
  reopened = self->reopen != NULL;
  if (self->reopen)
    {
      /* the same model again (other threads): the selection, its history
       * and the comparison stay */
      BsReopen *r = g_steal_pointer (&self->reopen);
      char err[256];
      bs_config *cfg = r->canonical ? bs_config_parse (r->canonical, err, sizeof err) : NULL;

      g_ptr_array_extend_and_steal (self->undo, g_steal_pointer (&r->undo));
      g_ptr_array_extend_and_steal (self->redo, g_steal_pointer (&r->redo));
      if (cfg && bs_config_n_layers (cfg) == bs_project_n_layers (p))
        _bs_window_set_config (self, cfg, FALSE);
      bs_config_free (cfg);
      compare_layers (self, p, FALSE);
      reopen_free (r);
    }
  if (!self->config)
    {
      fp32 = bs_project_uniform_config (p, "fp32", "fp32", "fp32", "none", NULL);
      _bs_window_set_config (self, fp32, FALSE);
      bs_config_free (fp32);
      compare_layers (self, p, TRUE);
    }
  if (self->start_config)
    bs_window_import_config (self, self->start_config);
  g_clear_pointer (&self->start_config, g_free);
  if (self->start_sweeps && !reopened)
    _bs_window_start_first_sweeps (self);
}

static void
show_session_rows (BsWindow *self, const char *model, const char *dataset)
{
  g_autofree char *base = g_path_get_basename (model);
  g_autofree char *dbase = g_strcmp0 (dataset, "fashion-mnist") == 0
                           ? g_strdup (_("Fashion-MNIST")) : g_path_get_basename (dataset);

  adw_action_row_set_subtitle (self->model_row, base);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->model_row), model);
  adw_action_row_set_subtitle (self->dataset_row, dbase);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->dataset_row), dataset);
}

/* Open model (an ONNX file) on dataset ("fashion-mnist", a directory of idx
 * files or npy files, as bs_project_open takes it; NULL: Fashion-MNIST) and
 * select its fp32 configuration.  The previous model's work is cancelled.
 * Errors show in the window, naming the file and the problem. */
void
bs_window_open_model (BsWindow *self, const char *model_path, const char *dataset_spec)
{
  BsProjectOptions o = BS_PROJECT_OPTIONS_INIT;
  /* copies: the caller's strings may belong to the session dropped here */
  g_autofree char *model = g_strdup (model_path);
  g_autofree char *dataset = g_strdup (dataset_spec && *dataset_spec ? dataset_spec : "fashion-mnist");

  g_return_if_fail (BS_IS_WINDOW (self));
  g_return_if_fail (model_path != NULL);

  self->remember_model = FALSE;
  g_clear_pointer (&self->reopen, reopen_free);
  g_cancellable_cancel (self->session_cancellable);
  g_cancellable_cancel (self->eval_cancellable);
  g_cancellable_cancel (self->inputs_cancellable);
  g_clear_object (&self->session_cancellable);
  self->session_cancellable = g_cancellable_new ();
  g_clear_object (&self->session);
  g_clear_pointer (&self->config, bs_config_free);
  g_clear_pointer (&self->evaluation, bs_evaluation_unref);
  g_ptr_array_set_size (self->undo, 0);
  g_ptr_array_set_size (self->redo, 0);
  bs_plot_series_clear (self->tuning);
  bs_layer_table_set_project (self->layer_table, NULL);
  bs_layer_table_set_config (self->layer_table, NULL);
  gtk_stack_set_visible_child_name (self->inspector_body, "inspector");
  /* the comparison forgets the previous model's layers (a tensor loaded
   * from a file stays) */
  bs_format_compare_set_tensor_menu (self->compare, NULL);
  if (self->compare_tensor &&
      g_strcmp0 (bs_format_compare_get_tensor (self->compare, NULL), self->compare_tensor) == 0)
    bs_format_compare_set_tensor (self->compare, NULL, NULL, 0);
  else
    bs_format_compare_set_pending (self->compare, NULL);
  g_clear_pointer (&self->compare_tensor, g_free);

  o.threads = g_settings_get_int (self->settings, "threads");
  self->session = bs_session_new (model, dataset, &o);
  show_session_rows (self, model, dataset);
  gtk_label_set_label (self->config_title, _("Opening the model…"));
  gtk_label_set_label (self->config_metrics, model);
  set_evaluating (self, TRUE);
  gtk_revealer_set_reveal_child (self->details_revealer, TRUE);
  _bs_window_hold (self);
  bs_session_open_async (self->session, self->session_cancellable, on_session_opened,
                         g_object_ref (self));
  _bs_window_update_actions (self);
}

/* Open the model again with the "threads" setting (an evaluator keeps the
 * thread count it was made with), keeping the selected configuration, its
 * undo history and the format comparison. */
static gboolean
apply_threads (gpointer data)
{
  BsWindow *self = data;
  BsProject *p = self->session ? bs_session_get_project (self->session) : NULL;
  g_autofree char *model = NULL, *dataset = NULL;
  BsReopen *r;

  self->threads_timeout = 0;
  if (!p || bs_project_options (p)->threads == g_settings_get_int (self->settings, "threads"))
    return G_SOURCE_REMOVE;
  model = g_strdup (bs_session_get_model (self->session));
  dataset = g_strdup (bs_session_get_dataset (self->session));
  r = g_new0 (BsReopen, 1);
  r->canonical = self->config ? bs_config_to_string (self->config) : NULL;
  r->undo = g_ptr_array_copy (self->undo, copy_text, NULL);
  r->redo = g_ptr_array_copy (self->redo, copy_text, NULL);
  g_ptr_array_set_free_func (r->undo, free);
  g_ptr_array_set_free_func (r->redo, free);
  {
    g_autofree char *keep = g_strdup (self->compare_tensor);

    /* the comparison's tensor is the same model's: it stays */
    g_clear_pointer (&self->compare_tensor, g_free);
    bs_window_open_model (self, model, dataset);
    self->compare_tensor = g_steal_pointer (&keep);
  }
  self->reopen = r;
  return G_SOURCE_REMOVE;
}

/* Clicking through a spin button's values opens the model once, with the
 * last. */
static void
on_threads_changed (BsWindow *self)
{
  g_clear_handle_id (&self->threads_timeout, g_source_remove);
  self->threads_timeout = g_timeout_add (500, apply_threads, self);
}

/* After the settings are known. */
void
_bs_window_tuning_threads (BsWindow *self)
{
  g_signal_connect_object (self->settings, "changed::threads", G_CALLBACK (on_threads_changed), self,
                           G_CONNECT_SWAPPED);
}

/* Lifetime ------------------------------------------------------------------ */

void
_bs_window_tuning_init (BsWindow *self)
{
  self->undo = g_ptr_array_new_with_free_func (free);
  self->redo = g_ptr_array_new_with_free_func (free);
  /* TRANSLATORS: the series of the configuration being tuned */
  self->tuning = bs_plot_series_new (_("Selected configuration"));
  bs_plot_series_set_key (self->tuning, -1);
  /* the same marker whichever is plotted first, the sweeps or this */
  bs_plot_series_set_marker (self->tuning, BS_MARKER_DIAMOND);
  self->session_cancellable = g_cancellable_new ();
  g_signal_connect (self->layer_table, "layer-edited", G_CALLBACK (on_layer_edited), self);
  _bs_window_target_init (self);
}

void
_bs_window_tuning_dispose (BsWindow *self)
{
  g_clear_handle_id (&self->threads_timeout, g_source_remove);
  g_cancellable_cancel (self->session_cancellable);
  g_cancellable_cancel (self->eval_cancellable);
  g_cancellable_cancel (self->target_cancellable);
  g_cancellable_cancel (self->inputs_cancellable);
  g_clear_object (&self->session_cancellable);
  g_clear_object (&self->eval_cancellable);
  g_clear_object (&self->inputs_cancellable);
  g_clear_object (&self->target_cancellable);
  g_clear_object (&self->session);
  g_clear_pointer (&self->config, bs_config_free);
  g_clear_pointer (&self->evaluation, bs_evaluation_unref);
  g_clear_pointer (&self->undo, g_ptr_array_unref);
  g_clear_pointer (&self->redo, g_ptr_array_unref);
  g_clear_object (&self->tuning);
  _bs_window_target_dispose (self);
  g_clear_pointer (&self->start_config, g_free);
  g_clear_pointer (&self->compare_tensor, g_free);
  g_clear_pointer (&self->reopen, reopen_free);
}
