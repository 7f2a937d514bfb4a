/* bs-evaluation.c — reference-counted targets and evaluations (see
 * bs-evaluation.h).  Built in worker threads, read anywhere. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-evaluation.h"
#include "bs-project.h"

struct _BsSharedTarget
{
  bs_target *target;
  char *name;
};

struct _BsEvalShared
{
  bs_eval_result result;
};

static void
shared_target_clear (gpointer data)
{
  BsSharedTarget *st = data;

  bs_target_free (st->target);
  g_free (st->name);
}

/* Load a target by name or path (bs_target_load); the error is its one line
 * "FILE:LINE: problem".  Blocks: call it in a worker thread. */
BsSharedTarget *
bs_shared_target_load (const char *name, GError **error)
{
  char err[512] = "";
  bs_target *t = bs_target_load (name, err, sizeof err);
  BsSharedTarget *st;

  if (!t)
    {
      g_set_error (error, BS_PROJECT_ERROR, BS_PROJECT_ERROR_TARGET, "%s", err);
      return NULL;
    }
  st = g_atomic_rc_box_new0 (BsSharedTarget);
  st->target = t;
  st->name = g_strdup (bs_target_name (t));
  return st;
}

BsSharedTarget *
bs_shared_target_ref (BsSharedTarget *target)
{
  return g_atomic_rc_box_acquire (target);
}

void
bs_shared_target_unref (BsSharedTarget *target)
{
  g_atomic_rc_box_release_full (target, shared_target_clear);
}

const bs_target *
bs_shared_target_get (BsSharedTarget *target)
{
  return target->target;
}

const char *
bs_shared_target_name (BsSharedTarget *target)
{
  return target->name;
}

G_DEFINE_BOXED_TYPE (BsSharedTarget, bs_shared_target, bs_shared_target_ref, bs_shared_target_unref)

/* Evaluations ---------------------------------------------------------------- */

static void
eval_shared_clear (gpointer data)
{
  bs_eval_result_clear (&((BsEvalShared *) data)->result);
}

static void
evaluation_clear (gpointer data)
{
  BsEvaluation *e = data;

  bs_config_free (e->config);
  g_free (e->canonical);
  g_atomic_rc_box_release_full (e->eval_shared, eval_shared_clear);
  bs_energy_result_free (e->energy);
  g_clear_pointer (&e->target, bs_shared_target_unref);
  g_free (e->energy_error);
}

/* An evaluation without energy: config is copied, eval is taken over (the
 * caller's struct is left empty). */
BsEvaluation *
bs_evaluation_new (const bs_config *config, bs_eval_result *eval, const bs_metrics *metrics)
{
  BsEvaluation *e = g_atomic_rc_box_new0 (BsEvaluation);
  char *canon = bs_config_to_string (config);

  e->config = bs_config_copy (config);
  e->canonical = g_strdup (canon);
  free (canon);
  e->eval_shared = g_atomic_rc_box_new0 (BsEvalShared);
  e->eval_shared->result = *eval;
  memset (eval, 0, sizeof *eval);
  e->eval = &e->eval_shared->result;
  e->metrics = *metrics;
  e->metrics.energy_pj = e->metrics.compute_pj = e->metrics.memory_pj = NAN;
  e->images = e->eval->images;
  e->path = e->eval->path;
  return e;
}

/* The same configuration and accuracy with energy on target (energy taken
 * over; NULL with energy_error when it could not be computed). */
BsEvaluation *
bs_evaluation_with_energy (BsEvaluation *base, BsSharedTarget *target, bs_energy_result *energy,
                           const char *energy_error)
{
  BsEvaluation *e = g_atomic_rc_box_new0 (BsEvaluation);

  e->config = bs_config_copy (base->config);
  e->canonical = g_strdup (base->canonical);
  e->eval_shared = g_atomic_rc_box_acquire (base->eval_shared);
  e->eval = &e->eval_shared->result;
  e->metrics = base->metrics;
  e->images = base->images;
  e->path = base->path;
  e->target = target ? bs_shared_target_ref (target) : NULL;
  e->energy = energy;
  e->energy_error = g_strdup (energy_error);
  e->metrics.energy_pj = energy ? energy->energy_pj : NAN;
  e->metrics.compute_pj = energy ? energy->compute_pj : NAN;
  e->metrics.memory_pj = energy ? energy->memory_pj : NAN;
  return e;
}

BsEvaluation *
bs_evaluation_ref (BsEvaluation *evaluation)
{
  return g_atomic_rc_box_acquire (evaluation);
}

void
bs_evaluation_unref (BsEvaluation *evaluation)
{
  g_atomic_rc_box_release_full (evaluation, evaluation_clear);
}

G_DEFINE_BOXED_TYPE (BsEvaluation, bs_evaluation, bs_evaluation_ref, bs_evaluation_unref)
