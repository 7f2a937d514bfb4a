/* bs-ui.c — register the UI resources and bind the message catalogue. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>

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
