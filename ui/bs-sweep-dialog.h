/* bs-sweep-dialog.h — the options of a new sweep: strategy, formats,
 * accumulator, target accuracy drop, budget, seed, test images, target. */
#pragma once

#include <adwaita.h>

#include "bs-sweep.h"

G_BEGIN_DECLS

/* A sweep to run: the options, and where (filled in by the window). */
typedef struct {
  BsSweepSpec spec;
  char *target;                /* target name */
  gint64 limit;                /* test images; 0 = all */
  gboolean skip_if_done;       /* the first sweeps: not again once done */
  char *model, *dataset, *db;
  int threads;
} BsSweepRequest;

#define BS_TYPE_SWEEP_REQUEST (bs_sweep_request_get_type ())
GType           bs_sweep_request_get_type (void) G_GNUC_CONST;
BsSweepRequest *bs_sweep_request_new      (bs_strategy           strategy);
BsSweepRequest *bs_sweep_request_copy     (const BsSweepRequest *request);
void            bs_sweep_request_free     (BsSweepRequest       *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsSweepRequest, bs_sweep_request_free)

#define BS_TYPE_SWEEP_DIALOG (bs_sweep_dialog_get_type ())
G_DECLARE_FINAL_TYPE (BsSweepDialog, bs_sweep_dialog, BS, SWEEP_DIALOG, AdwWindow)

BsSweepDialog *bs_sweep_dialog_new        (GtkWindow            *parent,
                                           GListModel           *targets,
                                           const char           *target);
gboolean       bs_sweep_dialog_set_option (BsSweepDialog        *self,
                                           const char           *name,
                                           const char           *value);
gboolean       bs_sweep_dialog_start      (BsSweepDialog        *self);
const char    *bs_sweep_dialog_get_error  (BsSweepDialog        *self);

G_END_DECLS
