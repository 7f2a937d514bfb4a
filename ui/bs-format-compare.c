/* bs-format-compare.c — the format comparison widget: choosing formats and a
 * tensor; the numbers are computed in a GTask thread (bs-format-sweep.c) and
 * drawn by bs-format-compare-render.c. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "bs-format-compare-private.h"
#include "bs-plot-theme.h"

struct _BsFormatCompare
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkBox *chips;
  GtkPopover *add_popover;
  GtkSearchEntry *search;
  GtkListBox *format_list;
  GtkSpinner *spinner;
  GtkMenuButton *tensor_button;
  GtkLabel *tensor_label;
  GtkWidget *clear_tensor_button;
  GtkDrawingArea *area;

  GPtrArray *names;            /* requested formats */
  GBytes *tensor;              /* float32, immutable; NULL without */
  char *tensor_name;
  gboolean computing;          /* a computation in flight */
  gboolean pending;            /* the caller is getting a tensor */
  BsCompareData *data;         /* last computed */
  BsCompareLayout layout;
  BsPlotStyle style;
  GCancellable *cancellable;   /* the computation in flight */
  GCancellable *load_cancellable;
};

G_DEFINE_FINAL_TYPE (BsFormatCompare, bs_format_compare, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_FORMATS,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *const default_formats[] = { "fp8_e4m3", "fp8_e5m2", "posit8_1", NULL };

static void
relayout (BsFormatCompare *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self->area));
  int h = gtk_widget_get_height (GTK_WIDGET (self->area));

  _bs_compare_layout (&self->layout, self->data, gtk_widget_get_pango_context (GTK_WIDGET (self)),
                      MAX (w, 1), MAX (h, 1));
  gtk_widget_queue_draw (GTK_WIDGET (self->area));
}

static void
update_busy (BsFormatCompare *self)
{
  gboolean busy = self->computing || self->pending;

  if (gtk_spinner_get_spinning (self->spinner) == busy)
    return;
  gtk_spinner_set_spinning (self->spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
on_computed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsFormatCompare) self = data;
  g_autoptr (GError) error = NULL;
  BsCompareData *d = _bs_compare_data_compute_finish (result, &error);

  if (!d)
    return;   /* cancelled: a newer computation follows */
  self->computing = FALSE;
  update_busy (self);
  g_clear_pointer (&self->data, bs_compare_data_free);
  self->data = d;
  relayout (self);
}

static void
recompute (BsFormatCompare *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) names = NULL;

  for (guint i = 0; i < self->names->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->names, i));
  names = g_strv_builder_end (builder);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->computing = TRUE;
  update_busy (self);
  _bs_compare_data_compute_async ((const char *const *) names, self->tensor, self->tensor_name,
                                  self->cancellable, on_computed, g_object_ref (self));
}

/* Chips ---------------------------------------------------------------------- */

static void
on_chip_clicked (GtkButton *button, BsFormatCompare *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "bs-format");
  guint pos;

  if (g_ptr_array_find_with_equal_func (self->names, name, g_str_equal, &pos))
    {
      g_ptr_array_remove_index (self->names, pos);
      gtk_box_remove (self->chips, GTK_WIDGET (button));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FORMATS]);
      recompute (self);
    }
}

static void
add_chip (BsFormatCompare *self, const char *name)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();
  g_autofree char *tip = g_strdup_printf (_("Remove %s"), name);

  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), name);
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "window-close-symbolic");
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_widget_set_tooltip_text (button, tip);
  gtk_widget_add_css_class (button, "format-chip");
  g_object_set_data_full (G_OBJECT (button), "bs-format", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_chip_clicked), self);
  gtk_box_append (self->chips, button);
}

/* Add a format by name; FALSE (nothing changes) if the engine does not know
 * it, it has no element codes, or it is already shown. */
static gboolean
add_format (BsFormatCompare *self, const char *name)
{
  bs_format f;

  if (bs_format_parse (name, &f, NULL, 0) != 0 || !bs_format_has_codes (&f) ||
      g_ptr_array_find_with_equal_func (self->names, name, g_str_equal, NULL))
    return FALSE;
  g_ptr_array_add (self->names, g_strdup (name));
  add_chip (self, name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FORMATS]);
  recompute (self);
  return TRUE;
}

/* Popover ---------------------------------------------------------------------- */

static gboolean
filter_row (GtkListBoxRow *row, gpointer data)
{
  BsFormatCompare *self = data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search));
  const char *name = g_object_get_data (G_OBJECT (row), "bs-format");

  return !query || !*query || strstr (name, query) != NULL;
}

static void
fill_format_list (BsFormatCompare *self)
{
  const char *const *names = bs_format_listed_names ();

  for (guint i = 0; names[i]; i++)
    {
      bs_format f;
      GtkWidget *row, *label;

      if (bs_format_parse (names[i], &f, NULL, 0) != 0 || !bs_format_has_codes (&f))
        continue;
      label = gtk_label_new (names[i]);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      row = gtk_list_box_row_new ();
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
      g_object_set_data_full (G_OBJECT (row), "bs-format", g_strdup (names[i]), g_free);
      gtk_list_box_append (self->format_list, row);
    }
  gtk_list_box_set_filter_func (self->format_list, filter_row, self, NULL);
}

static void
on_popover_show (BsFormatCompare *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search), "");
  gtk_widget_remove_css_class (GTK_WIDGET (self->search), "error");
  gtk_widget_grab_focus (GTK_WIDGET (self->search));
}

static void
on_search_changed (BsFormatCompare *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->search), "error");
  gtk_list_box_invalidate_filter (self->format_list);
}

static void
on_search_activate (BsFormatCompare *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search));

  if (add_format (self, text))
    gtk_popover_popdown (self->add_popover);
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->search), "error");
}

static void
on_format_row_activated (BsFormatCompare *self, GtkListBoxRow *row)
{
  add_format (self, g_object_get_data (G_OBJECT (row), "bs-format"));
  gtk_popover_popdown (self->add_popover);
}

/* Tensor ------------------------------------------------------------------------- */

static void
show_error (BsFormatCompare *self, const char *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  else
    g_warning ("%s", message);
}

static void
on_tensor_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsFormatCompare) self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GBytes) bytes = _bs_tensor_load_finish (result, &path, &error);
  g_autofree char *base = path ? g_path_get_basename (path) : NULL;

  if (!bytes)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }
  bs_format_compare_set_tensor (self, base, g_bytes_get_data (bytes, NULL),
                                g_bytes_get_size (bytes) / sizeof (float));
}

static void
on_load_response (GtkNativeDialog *dialog, int response, BsFormatCompare *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      g_cancellable_cancel (self->load_cancellable);
      g_clear_object (&self->load_cancellable);
      self->load_cancellable = g_cancellable_new ();
      if (path)
        _bs_tensor_load_async (path, self->load_cancellable, on_tensor_loaded, g_object_ref (self));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_load_tensor (BsFormatCompare *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Load Tensor"), GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Load"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_load_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_clear_tensor (BsFormatCompare *self)
{
  bs_format_compare_set_tensor (self, NULL, NULL, 0);
}

/* Drawing ---------------------------------------------------------------------- */

static void
draw_area (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  bs_format_compare_render (data, cr, width, height);
}

static void
on_area_resize (BsFormatCompare *self, int width, int height)
{
  relayout (self);
}

static void
bs_format_compare_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  BsFormatCompare *self = BS_FORMAT_COMPARE (widget);

  GTK_WIDGET_CLASS (bs_format_compare_parent_class)->css_changed (widget, change);
  bs_plot_theme_get_style (widget, &self->style);
  relayout (self);
}

/* GObject ---------------------------------------------------------------------- */

static void
bs_format_compare_dispose (GObject *object)
{
  BsFormatCompare *self = BS_FORMAT_COMPARE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->load_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_FORMAT_COMPARE);
  _bs_compare_layout_clear (&self->layout);
  g_clear_pointer (&self->data, bs_compare_data_free);

  G_OBJECT_CLASS (bs_format_compare_parent_class)->dispose (object);
}

static void
bs_format_compare_finalize (GObject *object)
{
  BsFormatCompare *self = BS_FORMAT_COMPARE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);
  g_ptr_array_unref (self->names);
  g_clear_pointer (&self->tensor, g_bytes_unref);
  g_free (self->tensor_name);

  G_OBJECT_CLASS (bs_format_compare_parent_class)->finalize (object);
}

static void
bs_format_compare_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsFormatCompare *self = BS_FORMAT_COMPARE (object);

  switch (prop_id)
    {
    case PROP_N_FORMATS:
      g_value_set_uint (value, self->names->len);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, bs_format_compare_is_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_format_compare_class_init (BsFormatCompareClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_format_compare_dispose;
  object_class->finalize = bs_format_compare_finalize;
  object_class->get_property = bs_format_compare_get_property;
  widget_class->css_changed = bs_format_compare_css_changed;

  properties[PROP_N_FORMATS] =
    g_param_spec_uint ("n-formats", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bitscape/Bitscape/bs-format-compare.ui");
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, box);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, chips);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, add_popover);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, search);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, format_list);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, spinner);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, tensor_button);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, tensor_label);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, clear_tensor_button);
  gtk_widget_class_bind_template_child (widget_class, BsFormatCompare, area);
  gtk_widget_class_bind_template_callback (widget_class, on_popover_show);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_format_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_load_tensor);
  gtk_widget_class_bind_template_callback (widget_class, on_clear_tensor);
  gtk_widget_class_bind_template_callback (widget_class, on_area_resize);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
bs_format_compare_init (BsFormatCompare *self)
{
  self->names = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->tensor_button), FALSE);
  gtk_drawing_area_set_draw_func (self->area, draw_area, self, NULL);
  bs_plot_theme_get_style (GTK_WIDGET (self), &self->style);
  fill_format_list (self);
  bs_format_compare_set_formats (self, default_formats);
}

GtkWidget *
bs_format_compare_new (void)
{
  return g_object_new (BS_TYPE_FORMAT_COMPARE, NULL);
}

/* Show these formats (names the engine does not know, or without element
 * codes, are left out). */
void
bs_format_compare_set_formats (BsFormatCompare *self, const char *const *names)
{
  GtkWidget *child;

  g_return_if_fail (BS_IS_FORMAT_COMPARE (self));
  g_ptr_array_set_size (self->names, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chips))))
    gtk_box_remove (self->chips, child);
  for (guint i = 0; names && names[i]; i++)
    {
      bs_format f;

      if (bs_format_parse (names[i], &f, NULL, 0) != 0 || !bs_format_has_codes (&f) ||
          g_ptr_array_find_with_equal_func (self->names, names[i], g_str_equal, NULL))
        continue;
      g_ptr_array_add (self->names, g_strdup (names[i]));
      add_chip (self, names[i]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FORMATS]);
  recompute (self);
}

guint
bs_format_compare_get_n_formats (BsFormatCompare *self)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), 0);
  return self->names->len;
}

static void
update_tensor_label (BsFormatCompare *self)
{
  if (self->tensor)
    {
      gsize n = g_bytes_get_size (self->tensor) / sizeof (float);
      /* TRANSLATORS: a tensor's name and how many values it has */
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (%lu value)",
                                                            "%s (%lu values)", (gulong) n),
                                               self->tensor_name, (gulong) n);

      /* the name alone: the count is in the histogram's title */
      gtk_label_set_label (self->tensor_label, self->tensor_name);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->tensor_label), text);
    }
  else
    {
      gtk_label_set_label (self->tensor_label, _("No tensor"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->tensor_label), NULL);
    }
}

/* Compare the formats on this tensor (copied); NULL data forgets it. */
void
bs_format_compare_set_tensor (BsFormatCompare *self, const char *name, const float *data, gsize n)
{
  g_autoptr (GBytes) bytes = NULL;

  g_return_if_fail (BS_IS_FORMAT_COMPARE (self));
  if (data && n > 0)
    bytes = g_bytes_new (data, n * sizeof (float));
  bs_format_compare_set_tensor_bytes (self, name, bytes);
}

/* The same with the values (float32) as GBytes, kept without a copy. */
void
bs_format_compare_set_tensor_bytes (BsFormatCompare *self, const char *name, GBytes *values)
{
  g_return_if_fail (BS_IS_FORMAT_COMPARE (self));
  g_clear_pointer (&self->tensor, g_bytes_unref);
  g_clear_pointer (&self->tensor_name, g_free);
  self->pending = FALSE;
  if (values && g_bytes_get_size (values) >= sizeof (float))
    {
      self->tensor = g_bytes_ref (values);
      self->tensor_name = g_strdup (name ? name : _("tensor"));
    }
  update_tensor_label (self);
  gtk_widget_set_visible (self->clear_tensor_button, self->tensor != NULL);
  recompute (self);
}

/* The caller is getting the tensor called name (the comparison shows it is
 * on its way, until bs_format_compare_set_tensor); NULL: it is not coming
 * after all, the current tensor stays. */
void
bs_format_compare_set_pending (BsFormatCompare *self, const char *name)
{
  g_return_if_fail (BS_IS_FORMAT_COMPARE (self));
  self->pending = name != NULL;
  if (name)
    {
      /* TRANSLATORS: a tensor being computed */
      g_autofree char *text = g_strdup_printf (_("%s…"), name);

      gtk_label_set_label (self->tensor_label, text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->tensor_label), NULL);
    }
  else
    update_tensor_label (self);
  update_busy (self);
}

/* The tensors to choose from (a menu of actions the caller handles, such as
 * each layer's weights); NULL: none, the name alone shows. */
void
bs_format_compare_set_tensor_menu (BsFormatCompare *self, GMenuModel *menu)
{
  g_return_if_fail (BS_IS_FORMAT_COMPARE (self));
  gtk_menu_button_set_menu_model (self->tensor_button, menu);
  gtk_widget_set_sensitive (GTK_WIDGET (self->tensor_button), menu != NULL);
}

/* Open the menu of tensors (when there is one); FALSE without. */
gboolean
bs_format_compare_popup_tensor_menu (BsFormatCompare *self)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), FALSE);
  if (!gtk_menu_button_get_menu_model (self->tensor_button))
    return FALSE;
  gtk_menu_button_popup (self->tensor_button);
  return TRUE;
}

/* The name of the tensor compared on, and its number of values (0 and NULL
 * without one). */
const char *
bs_format_compare_get_tensor (BsFormatCompare *self, gsize *n)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), NULL);
  if (n)
    *n = self->tensor ? g_bytes_get_size (self->tensor) / sizeof (float) : 0;
  return self->tensor ? self->tensor_name : NULL;
}

/* The tensor's values (float32; NULL without one): what the histogram and
 * the SQNR table are computed from. */
GBytes *
bs_format_compare_get_values (BsFormatCompare *self)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), NULL);
  return self->tensor;
}

/* The SQNR table's row for format, as last computed: at unit scale and with
 * max |x| scaled to the format's largest value (dB; +inf when exact).
 * FALSE if the format is not shown or there is no tensor. */
gboolean
bs_format_compare_get_sqnr (BsFormatCompare *self, const char *format, double *unit, double *scaled)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), FALSE);
  if (!self->data || !self->data->hist)
    return FALSE;
  for (guint i = 0; i < self->data->curves->len; i++)
    {
      BsFormatCurve *c = g_ptr_array_index (self->data->curves, i);

      if (g_str_equal (c->name, format))
        {
          if (unit)
            *unit = c->sqnr_unit;
          if (scaled)
            *scaled = c->sqnr_scaled;
          return TRUE;
        }
    }
  return FALSE;
}

/* The histogram's element count (zeros included) as last computed; 0
 * without a tensor. */
guint64
bs_format_compare_get_histogram_total (BsFormatCompare *self)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), 0);
  return self->data && self->data->hist ? self->data->hist->total : 0;
}

/* Computing, or waiting for a tensor. */
gboolean
bs_format_compare_is_busy (BsFormatCompare *self)
{
  return gtk_spinner_get_spinning (self->spinner);
}

/* Draw the comparison at width × height into cr: the widget draws through
 * this, and so does export. */
void
bs_format_compare_render (BsFormatCompare *self, cairo_t *cr, int width, int height)
{
  g_return_if_fail (BS_IS_FORMAT_COMPARE (self));

  if (self->layout.width == width && self->layout.height == height && self->layout.names)
    {
      _bs_compare_draw (&self->layout, self->data, &self->style, cr);
      return;
    }
  {
    BsCompareLayout other = { 0 };

    _bs_compare_layout (&other, self->data, gtk_widget_get_pango_context (GTK_WIDGET (self)),
                        width, height);
    _bs_compare_draw (&other, self->data, &self->style, cr);
    _bs_compare_layout_clear (&other);
  }
}

static void
render_func (gpointer target, cairo_t *cr, int width, int height)
{
  bs_format_compare_render (target, cr, width, height);
}

GBytes *
bs_format_compare_export (BsFormatCompare *self, BsExportFormat format, int width, int height,
                          GError **error)
{
  g_return_val_if_fail (BS_IS_FORMAT_COMPARE (self), NULL);
  return bs_export_render (format, width, height, 2, render_func, self, error);
}
