/* bs-window-target.c — the target the selected configuration's energy is
 * costed on: the drop down of every target that loads (bs_target_list), kept
 * in step with the "default-target" setting, which the preferences share;
 * the target itself is loaded off the main thread. */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-window-private.h"

const char *
_bs_window_target_name (BsWindow *self)
{
  return self->target ? bs_shared_target_name (self->target) : NULL;
}

static void
on_target_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_autoptr (GError) error = NULL;
  BsSharedTarget *t = bs_target_load_finish (result, &error);

  _bs_window_release (self);
  if (!t)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* TRANSLATORS: %s is "FILE:LINE: problem" */
          g_autofree char *msg = g_strdup_printf (_("Could not load the target: %s"), error->message);

          _bs_window_toast (self, msg);
        }
      return;
    }
  g_clear_pointer (&self->target, bs_shared_target_unref);
  self->target = t;
  if (self->evaluation)
    _bs_window_recost (self);
}

static guint
target_position (BsWindow *self, const char *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->targets));

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->targets, i), name) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static void on_target_selected (GtkDropDown *drop, GParamSpec *pspec, BsWindow *self);

static void
show_target_choice (BsWindow *self, const char *name)
{
  guint pos = target_position (self, name);

  if (pos == GTK_INVALID_LIST_POSITION && name && *name)
    {
      gtk_string_list_append (self->targets, name);
      pos = target_position (self, name);
    }
  g_signal_handlers_block_by_func (self->target_drop, on_target_selected, self);
  gtk_drop_down_set_selected (self->target_drop, pos);
  g_signal_handlers_unblock_by_func (self->target_drop, on_target_selected, self);
}

/* The "default-target" setting changed (here, in the preferences, or at
 * start): load that target. */
static void
on_default_target (BsWindow *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "default-target");

  show_target_choice (self, name);
  g_cancellable_cancel (self->target_cancellable);
  g_clear_object (&self->target_cancellable);
  if (!name || !*name)
    {
      g_clear_pointer (&self->target, bs_shared_target_unref);
      _bs_window_recost (self);
      return;
    }
  self->target_cancellable = g_cancellable_new ();
  _bs_window_hold (self);
  bs_target_load_async (name, self->target_cancellable, on_target_loaded, g_object_ref (self));
}

static void
on_target_selected (GtkDropDown *drop, GParamSpec *pspec, BsWindow *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (drop);

  if (item)
    g_settings_set_string (self->settings, "default-target", gtk_string_object_get_string (item));
}

static void
on_target_names (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (BsWindow) self = data;
  g_auto (GStrv) names = bs_target_names_finish (result, NULL);
  g_autofree char *current = NULL;

  if (!names || g_cancellable_is_cancelled (self->cancellable))
    return;
  for (guint i = 0; names[i]; i++)
    if (target_position (self, names[i]) == GTK_INVALID_LIST_POSITION)
      gtk_string_list_append (self->targets, names[i]);
  current = g_settings_get_string (self->settings, "default-target");
  show_target_choice (self, current);
}


void
_bs_window_target_init (BsWindow *self)
{
  self->targets = gtk_string_list_new (NULL);
  gtk_drop_down_set_model (self->target_drop, G_LIST_MODEL (self->targets));
  g_signal_connect (self->target_drop, "notify::selected", G_CALLBACK (on_target_selected), self);
  bs_target_names_async (self->cancellable, on_target_names, g_object_ref (self));
}

/* After the settings are known. */
void
_bs_window_tuning_settings (BsWindow *self)
{
  g_signal_connect_object (self->settings, "changed::default-target",
                           G_CALLBACK (on_default_target), self, G_CONNECT_SWAPPED);
  on_default_target (self);
}

void
_bs_window_target_dispose (BsWindow *self)
{
  g_clear_object (&self->targets);
  g_clear_pointer (&self->target, bs_shared_target_unref);
}
