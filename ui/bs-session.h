/* bs-session.h — the model a window tunes: a project (model, dataset,
 * evaluator) opened in a worker thread, and evaluations of configurations,
 * one at a time, in worker threads.
 *
 * The project is read on the main thread only for what never changes after
 * opening (names, layer descriptions); the evaluator runs under the
 * session's lock. */
#pragma once

#include <gio/gio.h>

#include "bs-evaluation.h"
#include "bs-project.h"

G_BEGIN_DECLS

#define BS_TYPE_SESSION (bs_session_get_type ())
G_DECLARE_FINAL_TYPE (BsSession, bs_session, BS, SESSION, GObject)

BsSession    *bs_session_new              (const char          *model,
                                           const char          *dataset,
                                           const BsProjectOptions *options);
const char   *bs_session_get_model        (BsSession           *self);
const char   *bs_session_get_dataset      (BsSession           *self);
BsProject    *bs_session_get_project      (BsSession           *self);
gboolean      bs_session_is_busy          (BsSession           *self);

void          bs_session_open_async       (BsSession           *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean      bs_session_open_finish      (BsSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

void          bs_session_evaluate_async   (BsSession           *self,
                                           const bs_config     *config,
                                           BsSharedTarget      *target,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
BsEvaluation *bs_session_evaluate_finish  (BsSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

void          bs_session_energy_async     (BsSession           *self,
                                           BsEvaluation        *base,
                                           BsSharedTarget      *target,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
BsEvaluation *bs_session_energy_finish    (BsSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

void          bs_session_layer_inputs_async  (BsSession        *self,
                                              int               layer,
                                              GCancellable     *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer          user_data);
GBytes       *bs_session_layer_inputs_finish (BsSession        *self,
                                              GAsyncResult     *result,
                                              int              *layer,
                                              gint64           *images,
                                              GError          **error);

/* Run the calling worker thread (and the threads it starts) at background
 * priority, so that the main loop keeps its share of the processors. */
void            bs_worker_lower_priority  (void);

/* Targets, off the main thread. */
void            bs_target_load_async      (const char          *name,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
BsSharedTarget *bs_target_load_finish     (GAsyncResult        *result,
                                           GError             **error);
void            bs_target_names_async     (GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GStrv           bs_target_names_finish    (GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS
