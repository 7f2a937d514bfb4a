/* bs-config-summary.h — what a stored configuration's canonical text says
 * about its formats, in a few words and one colour class. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint8 bs_config_summary (const char  *canonical,
                          char       **label);

G_END_DECLS
