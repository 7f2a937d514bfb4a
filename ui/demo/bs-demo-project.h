/* bs-demo-project.h — a project filled with made-up results, for screenshots
 * and tests of the UI before real sweeps exist.  Its numbers come from a toy
 * formula, not from evaluating any network. */
#pragma once

#include "bs-store.h"

G_BEGIN_DECLS

gboolean bs_demo_project_fill (BsStore *store,
                               guint    n_random,
                               GError **error);

G_END_DECLS
