/* bs-application.c — application actions, accelerators, and windows for the
 * projects named on the command line. */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-application.h"
#include "bs-ui.h"
#include "bs-preferences-window.h"
#include "bs-window.h"

struct _BsApplication
{
  AdwApplication parent_instance;
  GSettings *settings;
  char *model;                 /* command-line overrides, or NULL */
  char *dataset;
  char *config;
  gboolean no_sweep;
};

G_DEFINE_FINAL_TYPE (BsApplication, bs_application, ADW_TYPE_APPLICATION)

static BsWindow *
new_window (BsApplication *self)
{
  return bs_window_new (self);
}

static void
bs_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (!window)
    {
      BsWindow *win = new_window (BS_APPLICATION (app));

      bs_window_open_default (win);
      window = GTK_WINDOW (win);
    }
  gtk_window_present (window);
}

static void
bs_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      BsWindow *win = new_window (BS_APPLICATION (app));
      g_autofree char *path = g_file_get_path (files[i]);

      if (path)
        bs_window_open_path (win, path);
      bs_window_open_start_model (win);
      gtk_window_present (GTK_WINDOW (win));
    }
}

/* Closing the windows cancels their work; the application ends once that
 * work has wound down (each window holds it while a task is in flight), so a
 * sweep is recorded as cancelled rather than left running. */
static void
quit_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (data));

  while (windows)
    {
      GList *next = windows->next;

      gtk_window_destroy (windows->data);
      windows = next;
    }
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  static const char *developers[] = { "The Bitscape developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "transient-for", parent,
                "application-name", _("Bitscape"),
                "application-icon", BS_APPLICATION_ID,
                "version", PACKAGE_VERSION,
                "developer-name", _("The Bitscape developers"),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "comments", _("Choose, layer by layer, the number format a neural network "
                              "runs in, and see what it costs in accuracy and energy."),
                /* TRANSLATORS: your names, one per line */
                "translator-credits", _("translator-credits"),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  BsApplication *self = data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow *prefs = GTK_WINDOW (bs_preferences_window_new (self->settings));

  gtk_window_set_transient_for (prefs, parent);
  gtk_window_present (prefs);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "about", .activate = about_action },
  { .name = "preferences", .activate = preferences_action },
};

static void
bs_application_startup (GApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "win.inspector-page('layers')", { "<Control>1", NULL } },
    { "win.inspector-page('energy')", { "<Control>2", NULL } },
    { "win.inspector-page('summary')", { "<Control>3", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.reload", { "F5", "<Control>r", NULL } },
    { "win.show-pareto", { "<Alt>1", NULL } },
    { "win.show-formats", { "<Alt>2", NULL } },
    { "win.choose-tensor", { "<Control>t", NULL } },
    { "win.undo", { "<Control>z", NULL } },
    { "win.redo", { "<Control><Shift>z", "<Control>y", NULL } },
    { "win.new-sweep", { "<Control>n", NULL } },
    { "win.open-model", { "<Control><Shift>o", NULL } },
    { "win.show-help-overlay", { "<Control>question", "F1", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (bs_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
}

/* --model, --dataset, --no-sweep: for the windows this process opens. */
static int
bs_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  BsApplication *self = BS_APPLICATION (app);
  g_autofree char *model = NULL, *config = NULL;

  if (g_variant_dict_lookup (options, "model", "^ay", &model))
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (model);

      g_free (self->model);
      self->model = g_file_get_path (file);
    }
  g_variant_dict_lookup (options, "dataset", "s", &self->dataset);
  if (g_variant_dict_lookup (options, "config", "^ay", &config))
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (config);

      g_free (self->config);
      self->config = g_file_get_path (file);
    }
  self->no_sweep = g_variant_dict_contains (options, "no-sweep");
  return -1;
}

static void
bs_application_dispose (GObject *object)
{
  BsApplication *self = BS_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->dataset, g_free);
  g_clear_pointer (&self->config, g_free);
  G_OBJECT_CLASS (bs_application_parent_class)->dispose (object);
}

static void
bs_application_class_init (BsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = bs_application_dispose;
  app_class->activate = bs_application_activate;
  app_class->open = bs_application_open;
  app_class->startup = bs_application_startup;
  app_class->handle_local_options = bs_application_handle_local_options;
}

static void
bs_application_init (BsApplication *self)
{
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL, N_("ONNX model to open (instead of the last one)"), N_("MODEL.onnx") },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, NULL, N_("Dataset: fashion-mnist, a directory of idx files, or IMAGES.npy,LABELS.npy,TRAIN_IMAGES.npy,TRAIN_LABELS.npy"), N_("DATASET") },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, NULL, N_("XML configuration to select once the model is open"), N_("CONFIG.xml") },
    { "no-sweep", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Do not start the first sweeps on the model"), NULL },
    { NULL },
  };

  self->settings = bs_ui_settings_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[PROJECT…]"));
}

BsApplication *
bs_application_new (void)
{
  return g_object_new (BS_TYPE_APPLICATION,
                       "application-id", BS_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/bitscape/Bitscape",
                       NULL);
}

GSettings *
bs_application_get_settings (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->settings;
}

/* The --model of the command line, as an absolute path, or NULL. */
const char *
bs_application_get_model (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->model;
}

const char *
bs_application_get_dataset (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->dataset;
}

/* The --config of the command line, as an absolute path, or NULL. */
const char *
bs_application_get_config (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->config;
}

/* FALSE when the command line said --no-sweep. */
gboolean
bs_application_get_start_sweeps (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), TRUE);
  return !self->no_sweep;
}
