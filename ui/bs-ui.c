/* bs-ui.c — register the UI resources and bind the message catalogue. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "bs-application.h"
#include "bs-ui.h"

void bitscape_ui_register_resource (void);

/* Safe to call more than once.  BITSCAPE_LOCALEDIR overrides where the
 * catalogues are looked for (tests and uninstalled runs point it at the build
 * directory). */
void
bs_ui_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      const char *localedir = g_getenv ("BITSCAPE_LOCALEDIR");

      bitscape_ui_register_resource ();
      bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&done, 1);
    }
}

GSettings *
bs_ui_settings_new (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (installed)
    schema = g_settings_schema_source_lookup (installed, BS_APPLICATION_ID, TRUE);
  if (!schema)
    {
      g_autoptr (GSettingsSchemaSource) build = NULL;
      build = g_settings_schema_source_new_from_directory (BS_BUILD_SCHEMADIR, installed, FALSE,
                                                           NULL);
      if (build)
        schema = g_settings_schema_source_lookup (build, BS_APPLICATION_ID, FALSE);
    }
  if (!schema)
    /* neither: GLib's own message names the missing schema */
    return g_settings_new (BS_APPLICATION_ID);
  return g_settings_new_full (schema, NULL, NULL);
}
