/* main.c — the bitscape GUI program. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "bs-application.h"
#include "bs-ui.h"

int
main (int argc, char *argv[])
{
  g_autoptr (BsApplication) app = NULL;

  setlocale (LC_ALL, "");
  bs_ui_init ();
  textdomain (GETTEXT_PACKAGE);

  app = bs_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
