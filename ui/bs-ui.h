/* bs-ui.h — one-time set-up of the UI library (resources, translations). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void bs_ui_init (void);

G_END_DECLS
