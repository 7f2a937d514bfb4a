/* bitscape-demo-project PATH [N] — write a project of made-up sweeps (see
 * bs-demo-project.c) for screenshots; N random configurations (default 3000). */
#include "config.h"

#include <stdlib.h>

#include "bs-demo-project.h"

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = NULL;
  guint n = argc > 2 ? (guint) strtoul (argv[2], NULL, 10) : 3000;

  if (argc < 2)
    {
      g_printerr ("usage: %s PATH [N]\n", argv[0]);
      return 2;
    }
  store = bs_store_open (argv[1], &error);
  if (!store || !bs_demo_project_fill (store, n, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}
