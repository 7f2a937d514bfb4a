/* bs-sweep-dialog.c — choosing a sweep's options.  The options are checked
 * with the sweep runner's own validation (bs_sweep_spec_*) before "start" is
 * emitted; a problem shows in the dialog, naming the option. */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-sweep-dialog.h"

/* Requests ------------------------------------------------------------------ */

BsSweepRequest *
bs_sweep_request_new (bs_strategy strategy)
{
  BsSweepRequest *r = g_new0 (BsSweepRequest, 1);

  bs_sweep_spec_init (&r->spec, strategy);
  return r;
}

BsSweepRequest *
bs_sweep_request_copy (const BsSweepRequest *src)
{
  BsSweepRequest *r = g_new0 (BsSweepRequest, 1);

  *r = *src;
  r->spec.formats = g_strdupv (src->spec.formats);
  r->spec.acc = g_strdup (src->spec.acc);
  r->spec.scaling = g_strdup (src->spec.scaling);
  r->target = g_strdup (src->target);
  r->model = g_strdup (src->model);
  r->dataset = g_strdup (src->dataset);
  r->db = g_strdup (src->db);
  return r;
}

void
bs_sweep_request_free (BsSweepRequest *r)
{
  if (!r)
    return;
  bs_sweep_spec_clear (&r->spec);
  g_free (r->target);
  g_free (r->model);
  g_free (r->dataset);
  g_free (r->db);
  g_free (r);
}

G_DEFINE_BOXED_TYPE (BsSweepRequest, bs_sweep_request, bs_sweep_request_copy, bs_sweep_request_free)

/* Dialog -------------------------------------------------------------------- */

struct _BsSweepDialog
{
  AdwWindow parent_instance;

  AdwComboRow *strategy_row;
  AdwEntryRow *formats_row;
  AdwComboRow *tensors_row;
  AdwComboRow *acc_row;
  AdwActionRow *drop_row;
  GtkSpinButton *drop_spin;
  AdwActionRow *budget_row;
  GtkSpinButton *budget_spin;
  AdwActionRow *seed_row;
  GtkSpinButton *seed_spin;
  AdwActionRow *images_row;
  GtkSpinButton *images_spin;
  AdwComboRow *target_row;
  GtkLabel *error_label;

  char *error;
};

G_DEFINE_FINAL_TYPE (BsSweepDialog, bs_sweep_dialog, ADW_TYPE_WINDOW)

enum { START, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const strategy_titles[BS_N_STRATEGIES] = {
  N_("Grid"), N_("Random"), N_("Greedy"), N_("Sensitivity"), N_("NSGA-II"),
};

static const char *const strategy_subtitles[BS_N_STRATEGIES] = {
  N_("One format everywhere, each format in turn"),
  N_("Random per-layer choices, as many as the budget"),
  N_("Bit width lowered layer by layer while top-1 holds"),
  N_("Each layer alone at each format, the rest fp32"),
  N_("Evolutionary search for the accuracy–energy front"),
};

static bs_strategy
strategy (BsSweepDialog *self)
{
  guint s = adw_combo_row_get_selected (self->strategy_row);

  return s < BS_N_STRATEGIES ? (bs_strategy) s : BS_STRATEGY_GRID;
}

static void
show_error (BsSweepDialog *self, const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* Defaults of the strategy (bs_sweep_spec_init), and which options apply. */
static void
on_strategy_changed (BsSweepDialog *self)
{
  bs_strategy s = strategy (self);
  BsSweepSpec spec;
  g_autofree char *formats = NULL;

  bs_sweep_spec_init (&spec, s);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->strategy_row), _(strategy_subtitles[s]));
  formats = g_strjoinv (",", spec.formats);
  gtk_editable_set_text (GTK_EDITABLE (self->formats_row), formats);
  gtk_spin_button_set_value (self->budget_spin, (double) spec.budget);
  gtk_spin_button_set_value (self->drop_spin, spec.target_drop);
  gtk_widget_set_sensitive (GTK_WIDGET (self->drop_row), s == BS_STRATEGY_GREEDY);
  gtk_widget_set_sensitive (GTK_WIDGET (self->seed_row),
                            s == BS_STRATEGY_RANDOM || s == BS_STRATEGY_NSGA2);
  gtk_widget_set_sensitive (GTK_WIDGET (self->tensors_row), s != BS_STRATEGY_GREEDY);
  bs_sweep_spec_clear (&spec);
  show_error (self, NULL);
}

static void
on_cancel_clicked (BsSweepDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static const char *
selected_string (AdwComboRow *row)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (row);

  return item ? gtk_string_object_get_string (item) : NULL;
}

/* Check the options; TRUE and "start" emitted (then the dialog closes), or
 * FALSE with the problem shown. */
gboolean
bs_sweep_dialog_start (BsSweepDialog *self)
{
  g_autoptr (BsSweepRequest) r = bs_sweep_request_new (strategy (self));
  g_autoptr (GError) error = NULL;
  const char *formats = gtk_editable_get_text (GTK_EDITABLE (self->formats_row));
  const char *target = selected_string (self->target_row);

  g_return_val_if_fail (BS_IS_SWEEP_DIALOG (self), FALSE);
  if (!bs_sweep_spec_set_formats (&r->spec, formats, &error))
    {
      /* TRANSLATORS: %s says which format name is wrong */
      g_autofree char *msg = g_strdup_printf (_("Formats: %s"), error->message);

      show_error (self, msg);
      return FALSE;
    }
  r->spec.tensors = adw_combo_row_get_selected (self->tensors_row) == 1 ? BS_TENSORS_SEPARATE
                                                                         : BS_TENSORS_TIED;
  g_free (r->spec.acc);
  r->spec.acc = g_strdup (selected_string (self->acc_row));
  r->spec.target_drop = gtk_spin_button_get_value (self->drop_spin);
  r->spec.budget = (gsize) gtk_spin_button_get_value_as_int (self->budget_spin);
  r->spec.seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
  r->limit = gtk_spin_button_get_value_as_int (self->images_spin);
  if (!bs_sweep_spec_validate (&r->spec, &error))
    {
      show_error (self, error->message);
      return FALSE;
    }
  if (!target)
    {
      show_error (self, _("Choose a target: sweeps need the energy of every point."));
      return FALSE;
    }
  r->target = g_strdup (target);
  show_error (self, NULL);
  g_signal_emit (self, signals[START], 0, r);
  gtk_window_close (GTK_WINDOW (self));
  return TRUE;
}

static void
on_start_clicked (BsSweepDialog *self)
{
  bs_sweep_dialog_start (self);
}

/* The problem the last start found, or NULL. */
const char *
bs_sweep_dialog_get_error (BsSweepDialog *self)
{
  g_return_val_if_fail (BS_IS_SWEEP_DIALOG (self), NULL);
  return self->error;
}

static void
select_string (AdwComboRow *row, const char *value)
{
  GListModel *model = adw_combo_row_get_model (row);
  guint n = model ? g_list_model_get_n_items (model) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (gtk_string_object_get_string (item), value) == 0)
        {
          adw_combo_row_set_selected (row, i);
          return;
        }
    }
}

/* Set an option as the user would: "strategy" (grid, random, …), "formats",
 * "tensors" (tied, separate), "acc", "drop", "budget", "seed", "images",
 * "target".  FALSE for an unknown option or value. */
gboolean
bs_sweep_dialog_set_option (BsSweepDialog *self, const char *name, const char *value)
{
  g_return_val_if_fail (BS_IS_SWEEP_DIALOG (self), FALSE);
  if (g_str_equal (name, "strategy"))
    {
      bs_strategy s;

      if (bs_strategy_parse (value, &s) < 0)
        return FALSE;
      adw_combo_row_set_selected (self->strategy_row, s);
    }
  else if (g_str_equal (name, "formats"))
    gtk_editable_set_text (GTK_EDITABLE (self->formats_row), value);
  else if (g_str_equal (name, "tensors"))
    adw_combo_row_set_selected (self->tensors_row, g_str_equal (value, "separate"));
  else if (g_str_equal (name, "acc"))
    select_string (self->acc_row, value);
  else if (g_str_equal (name, "target"))
    select_string (self->target_row, value);
  else if (g_str_equal (name, "drop"))
    gtk_spin_button_set_value (self->drop_spin, g_ascii_strtod (value, NULL));
  else if (g_str_equal (name, "budget"))
    gtk_spin_button_set_value (self->budget_spin, g_ascii_strtod (value, NULL));
  else if (g_str_equal (name, "seed"))
    gtk_spin_button_set_value (self->seed_spin, g_ascii_strtod (value, NULL));
  else if (g_str_equal (name, "images"))
    gtk_spin_button_set_value (self->images_spin, g_ascii_strtod (value, NULL));
  else
    return FALSE;
  return TRUE;
}

/* GObject ------------------------------------------------------------------ */

static void
bs_sweep_dialog_dispose (GObject *object)
{
  BsSweepDialog *self = BS_SWEEP_DIALOG (object);

  g_clear_pointer (&self->error, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_SWEEP_DIALOG);
  G_OBJECT_CLASS (bs_sweep_dialog_parent_class)->dispose (object);
}

static void
bs_sweep_dialog_class_init (BsSweepDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_sweep_dialog_dispose;

  /* start (request): the options passed the checks. */
  signals[START] = g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1,
                                 BS_TYPE_SWEEP_REQUEST | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bitscape/Bitscape/bs-sweep-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, strategy_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, formats_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, tensors_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, acc_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, drop_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, drop_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, budget_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, budget_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, seed_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, images_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, images_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, target_row);
  gtk_widget_class_bind_template_child (widget_class, BsSweepDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_strategy_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
bs_sweep_dialog_init (BsSweepDialog *self)
{
  g_autoptr (GtkStringList) strategies = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) tensors = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) accs = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint s = 0; s < BS_N_STRATEGIES; s++)
    gtk_string_list_append (strategies, _(strategy_titles[s]));
  gtk_string_list_append (tensors, _("Alike"));
  gtk_string_list_append (tensors, _("Apart"));
  for (int a = 0; a < BS_N_ACCS; a++)
    gtk_string_list_append (accs, bs_acc_name ((bs_acc) a));
  adw_combo_row_set_model (self->tensors_row, G_LIST_MODEL (tensors));
  adw_combo_row_set_model (self->acc_row, G_LIST_MODEL (accs));
  adw_combo_row_set_model (self->strategy_row, G_LIST_MODEL (strategies));
  select_string (self->acc_row, "fp32");
  on_strategy_changed (self);
}

/* A dialog over parent offering the targets of a string list, target
 * chosen. */
BsSweepDialog *
bs_sweep_dialog_new (GtkWindow *parent, GListModel *targets, const char *target)
{
  BsSweepDialog *self = g_object_new (BS_TYPE_SWEEP_DIALOG, "transient-for", parent, NULL);

  adw_combo_row_set_model (self->target_row, targets);
  if (target)
    select_string (self->target_row, target);
  return self;
}
