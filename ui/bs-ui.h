/* bs-ui.h — one-time set-up of the UI library (resources, translations). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void bs_ui_init (void);

/* The application's settings (schema BS_APPLICATION_ID): from the installed
 * schemas or GSETTINGS_SCHEMA_DIR, else from the build tree's compiled
 * schema, so that build/ui/bitscape runs uninstalled. */
GSettings *bs_ui_settings_new (void);

G_END_DECLS
