/* bs-session.c — a project opened and evaluated in GTask threads.
 *
 * Every evaluation holds the session's lock while it runs the evaluator (an
 * evaluator runs one configuration at a time); a cancelled evaluation is
 * interrupted through bs_evaluator_cancel and returns G_IO_ERROR_CANCELLED.
 * Energy alone (another target for an evaluated configuration) reads only
 * what never changes and runs without the lock. */
#include "config.h"

#include <errno.h>

#include <math.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "bs-session.h"

struct _BsSession
{
  GObject parent_instance;

  char *model;
  char *dataset;
  BsProjectOptions options;    /* normalize owned */
  BsProject *project;          /* NULL until opened */
  GMutex lock;                 /* held while the evaluator runs */
  guint busy;                  /* tasks in flight (main thread) */
};

G_DEFINE_FINAL_TYPE (BsSession, bs_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BUSY,
  PROP_READY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_busy (BsSession *self, int delta)
{
  gboolean was = self->busy > 0;

  self->busy += delta;
  if (was != (self->busy > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
bs_session_finalize (GObject *object)
{
  BsSession *self = BS_SESSION (object);

  g_clear_pointer (&self->project, bs_project_free);
  g_mutex_clear (&self->lock);
  g_free (self->model);
  g_free (self->dataset);
  g_free ((char *) self->options.normalize);

  G_OBJECT_CLASS (bs_session_parent_class)->finalize (object);
}

static void
bs_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsSession *self = BS_SESSION (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy > 0);
      break;
    case PROP_READY:
      g_value_set_boolean (value, self->project != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_session_class_init (BsSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bs_session_finalize;
  object_class->get_property = bs_session_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bs_session_init (BsSession *self)
{
  g_mutex_init (&self->lock);
}

/* A session on model (ONNX path) and dataset (as bs_project_open takes it);
 * nothing is read until bs_session_open_async. */
BsSession *
bs_session_new (const char *model, const char *dataset, const BsProjectOptions *options)
{
  BsSession *self = g_object_new (BS_TYPE_SESSION, NULL);

  self->model = g_strdup (model);
  self->dataset = g_strdup (dataset ? dataset : "fashion-mnist");
  if (options)
    self->options = *options;
  self->options.normalize = g_strdup (self->options.normalize);
  return self;
}

const char *
bs_session_get_model (BsSession *self)
{
  g_return_val_if_fail (BS_IS_SESSION (self), NULL);
  return self->model;
}

const char *
bs_session_get_dataset (BsSession *self)
{
  g_return_val_if_fail (BS_IS_SESSION (self), NULL);
  return self->dataset;
}

/* The open project, or NULL.  Main thread: only what never changes (names,
 * layers, bs_project_config_to_xml). */
BsProject *
bs_session_get_project (BsSession *self)
{
  g_return_val_if_fail (BS_IS_SESSION (self), NULL);
  return self->project;
}

gboolean
bs_session_is_busy (BsSession *self)
{
  g_return_val_if_fail (BS_IS_SESSION (self), FALSE);
  return self->busy > 0;
}

/* Ten nice levels below the main thread for this thread (at most 19): on
 * Linux, priority is per thread and threads inherit it, so the evaluator's
 * workers started from here run below the main loop, also when the whole
 * program was started under nice.  Elsewhere: nothing. */
void
bs_worker_lower_priority (void)
{
#ifdef __linux__
  pid_t tid = (pid_t) syscall (SYS_gettid);
  int main_nice, want;

  errno = 0;
  main_nice = getpriority (PRIO_PROCESS, (id_t) getpid ());   /* the main thread's tid is the pid */
  if (errno != 0)
    return;
  want = MIN (main_nice + 10, 19);
  if (getpriority (PRIO_PROCESS, (id_t) tid) < want)
    setpriority (PRIO_PROCESS, (id_t) tid, want);
#endif
}

/* Open ----------------------------------------------------------------------- */

static void
open_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BsSession *self = source;
  GError *error = NULL;
  BsProject *p;

  bs_worker_lower_priority ();
  p = bs_project_open (self->model, self->dataset, &self->options, &error);
  if (!p)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, p, (GDestroyNotify) bs_project_free);
}

void
bs_session_open_async (BsSession *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (BS_IS_SESSION (self));
  g_task_set_source_tag (task, bs_session_open_async);
  set_busy (self, 1);
  g_task_run_in_thread (task, open_thread);
}

/* TRUE when the project is open; errors name the file and the problem. */
gboolean
bs_session_open_finish (BsSession *self, GAsyncResult *result, GError **error)
{
  BsProject *p;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  set_busy (self, -1);
  p = g_task_propagate_pointer (G_TASK (result), error);
  if (!p)
    return FALSE;
  g_clear_pointer (&self->project, bs_project_free);
  self->project = p;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
  return TRUE;
}

/* Evaluate ------------------------------------------------------------------- */

typedef struct {
  bs_config *config;
  BsSharedTarget *target;      /* may be NULL */
  BsEvaluation *base;          /* energy only */
} EvalData;

static void
eval_data_free (gpointer data)
{
  EvalData *d = data;

  bs_config_free (d->config);
  g_clear_pointer (&d->target, bs_shared_target_unref);
  g_clear_pointer (&d->base, bs_evaluation_unref);
  g_free (d);
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  bs_evaluator_cancel (bs_project_evaluator (data));
}

/* The energy of base on target: a new evaluation (energy_error set, energy
 * NULL, when the target cannot cost the configuration). */
static BsEvaluation *
with_energy (BsProject *p, BsEvaluation *base, BsSharedTarget *target)
{
  g_autoptr (GError) error = NULL;
  bs_energy_result *e;

  if (!target)
    return bs_evaluation_with_energy (base, NULL, NULL, NULL);
  e = bs_project_energy (p, base->config, bs_shared_target_get (target), base->eval, &error);
  return bs_evaluation_with_energy (base, target, e, e ? NULL : error->message);
}

static void
evaluate_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BsSession *self = source;
  EvalData *d = data;
  g_autoptr (BsEvaluation) base = NULL;
  GError *error = NULL;
  bs_eval_result r;
  bs_metrics m;
  gulong id = 0;
  gboolean ok;

  bs_worker_lower_priority ();
  g_mutex_lock (&self->lock);
  if (g_task_return_error_if_cancelled (task))
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  if (cancellable)
    id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self->project, NULL);
  ok = bs_project_evaluate (self->project, d->config, NULL, &m, &r, NULL, &error);
  if (cancellable)
    g_cancellable_disconnect (cancellable, id);
  g_mutex_unlock (&self->lock);

  if (!ok)
    {
      if (g_cancellable_is_cancelled (cancellable))
        g_clear_error (&error);
      if (!g_task_return_error_if_cancelled (task))
        g_task_return_error (task, error);
      return;
    }
  base = bs_evaluation_new (d->config, &r, &m);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, with_energy (self->project, base, d->target),
                           (GDestroyNotify) bs_evaluation_unref);
}

/* Evaluate config (copied) on the project's test set and, given a target,
 * its energy there.  Evaluations run one at a time; cancel one to make room
 * for the next.  The session must be open. */
void
bs_session_evaluate_async (BsSession *self, const bs_config *config, BsSharedTarget *target,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  EvalData *d = g_new0 (EvalData, 1);

  g_return_if_fail (BS_IS_SESSION (self));
  g_return_if_fail (self->project != NULL);
  d->config = bs_config_copy (config);
  d->target = target ? bs_shared_target_ref (target) : NULL;
  g_task_set_source_tag (task, bs_session_evaluate_async);
  g_task_set_task_data (task, d, eval_data_free);
  set_busy (self, 1);
  g_task_run_in_thread (task, evaluate_thread);
}

BsEvaluation *
bs_session_evaluate_finish (BsSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  set_busy (self, -1);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
energy_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BsSession *self = source;
  EvalData *d = data;

  if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, with_energy (self->project, d->base, d->target),
                           (GDestroyNotify) bs_evaluation_unref);
}

/* base's configuration and accuracy with its energy on target (NULL: none). */
void
bs_session_energy_async (BsSession *self, BsEvaluation *base, BsSharedTarget *target,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  EvalData *d = g_new0 (EvalData, 1);

  g_return_if_fail (BS_IS_SESSION (self));
  g_return_if_fail (self->project != NULL);
  d->base = bs_evaluation_ref (base);
  d->target = target ? bs_shared_target_ref (target) : NULL;
  g_task_set_source_tag (task, bs_session_energy_async);
  g_task_set_task_data (task, d, eval_data_free);
  set_busy (self, 1);
  g_task_run_in_thread (task, energy_thread);
}

BsEvaluation *
bs_session_energy_finish (BsSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  set_busy (self, -1);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Layer inputs ------------------------------------------------------------- */

#define INPUT_IMAGES 256
#define INPUT_MAX_VALUES ((gsize) 4 << 20)   /* 16 MiB of float32 */

typedef struct {
  int layer;
  gint64 images;               /* filled by the worker */
} InputsData;

static void
inputs_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BsSession *self = source;
  InputsData *d = data;
  GError *error = NULL;
  float *values = NULL;
  gsize n = 0;

  bs_worker_lower_priority ();
  if (g_task_return_error_if_cancelled (task))
    return;
  if (!bs_project_layer_inputs (self->project, d->layer, INPUT_IMAGES, INPUT_MAX_VALUES,
                                cancellable, &values, &n, &d->images, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_bytes_new_take (values, n * sizeof (float)),
                           (GDestroyNotify) g_bytes_unref);
}

/* The fp32 inputs of compute layer `layer` over the first 256 test images
 * (fewer for a layer whose inputs would exceed 16 MiB), as
 * bs_project_layer_inputs computes them.  Runs beside evaluations (it reads
 * only what never changes).  The session must be open. */
void
bs_session_layer_inputs_async (BsSession *self, int layer, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  InputsData *d = g_new0 (InputsData, 1);

  g_return_if_fail (BS_IS_SESSION (self));
  g_return_if_fail (self->project != NULL);
  d->layer = layer;
  g_task_set_source_tag (task, bs_session_layer_inputs_async);
  g_task_set_task_data (task, d, g_free);
  set_busy (self, 1);
  g_task_run_in_thread (task, inputs_thread);
}

/* The values (float32, image after image) or NULL; *layer and *images (may
 * be NULL) get the layer asked for and the number of images used. */
GBytes *
bs_session_layer_inputs_finish (BsSession *self, GAsyncResult *result, int *layer, gint64 *images,
                                GError **error)
{
  InputsData *d;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  set_busy (self, -1);
  d = g_task_get_task_data (G_TASK (result));
  if (layer)
    *layer = d->layer;
  if (images)
    *images = d->images;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Targets ------------------------------------------------------------------- */

static void
target_load_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  BsSharedTarget *t = bs_shared_target_load (data, &error);

  if (!t)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, t, (GDestroyNotify) bs_shared_target_unref);
}

/* Load a target by name or path (the error names the file and line). */
void
bs_target_load_async (const char *name, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, bs_target_load_async);
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_run_in_thread (task, target_load_thread);
}

BsSharedTarget *
bs_target_load_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
add_name (const bs_target *t, const char *path, const char *error, void *data)
{
  if (t)
    g_strv_builder_add (data, bs_target_name (t));
}

static void
target_names_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  bs_target_list (add_name, builder);
  g_task_return_pointer (task, g_strv_builder_end (builder), (GDestroyNotify) g_strfreev);
}

/* The names of the targets that load (bs_target_list order). */
void
bs_target_names_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, bs_target_names_async);
  g_task_run_in_thread (task, target_names_thread);
}

GStrv
bs_target_names_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
