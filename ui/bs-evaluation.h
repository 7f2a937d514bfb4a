/* bs-evaluation.h — what the app knows about one configuration of the open
 * model: its accuracy and per-layer statistics, its energy on a target.
 *
 * Both types are immutable once built (in a worker thread) and reference
 * counted, so the main thread and workers share them without copies. */
#pragma once

#include <gio/gio.h>

#include "bs-config.h"
#include "bs-energy.h"
#include "bs-eval.h"
#include "bs-search.h"

G_BEGIN_DECLS

/* A loaded target, shared by the evaluations whose energy refers to it. */
typedef struct _BsSharedTarget BsSharedTarget;

#define BS_TYPE_SHARED_TARGET (bs_shared_target_get_type ())
GType           bs_shared_target_get_type (void) G_GNUC_CONST;
BsSharedTarget *bs_shared_target_load     (const char      *name,
                                           GError         **error);
BsSharedTarget *bs_shared_target_ref      (BsSharedTarget  *target);
void            bs_shared_target_unref    (BsSharedTarget  *target);
const bs_target *bs_shared_target_get     (BsSharedTarget  *target);
const char     *bs_shared_target_name     (BsSharedTarget  *target);

/* The evaluator's per-layer result, shared between evaluations of the same
 * configuration on different targets. */
typedef struct _BsEvalShared BsEvalShared;

typedef struct {
  bs_config *config;
  char *canonical;
  bs_metrics metrics;          /* energy fields NaN without a target */
  gint64 images;
  const char *path;            /* "fake-quant" or "exact" (static) */
  BsEvalShared *eval_shared;
  const bs_eval_result *eval;  /* points into eval_shared */
  BsSharedTarget *target;      /* NULL: no target */
  bs_energy_result *energy;    /* NULL without a target or when it failed */
  char *energy_error;          /* why energy is missing, or NULL */
} BsEvaluation;

#define BS_TYPE_EVALUATION (bs_evaluation_get_type ())
GType         bs_evaluation_get_type     (void) G_GNUC_CONST;
BsEvaluation *bs_evaluation_new          (const bs_config  *config,
                                          bs_eval_result   *eval,
                                          const bs_metrics *metrics);
BsEvaluation *bs_evaluation_with_energy  (BsEvaluation     *base,
                                          BsSharedTarget   *target,
                                          bs_energy_result *energy,
                                          const char       *energy_error);
BsEvaluation *bs_evaluation_ref          (BsEvaluation     *evaluation);
void          bs_evaluation_unref        (BsEvaluation     *evaluation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsSharedTarget, bs_shared_target_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsEvaluation, bs_evaluation_unref)

G_END_DECLS
