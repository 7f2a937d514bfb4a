/* bs-sweep.h — the sweep runner: a search strategy (engine/search) over a
 * project's evaluator, every result stored as it arrives.
 *
 *   BsSweepSpec spec;
 *   bs_sweep_spec_init (&spec, BS_STRATEGY_GREEDY);
 *   bs_sweep_spec_set_formats (&spec, "fixed16", &error);
 *   bs_sweep_run (project, target, store, &spec, cancellable, progress, data, &summary, &error);
 *
 * Identity.  The model, the dataset and the target are registered by content
 * hash.  The dataset row stands for the test set as evaluated: with every
 * evaluation setting at its default (all test images, the model's own
 * normalisation, 512 calibration images, path auto) it is the test set's
 * hash (bs_project_dataset_sha256); otherwise a SHA-256 over that hash and
 * the settings, and its name says which ("t10k-images (first 500 images)").
 * So results measured on 500 images never answer for a run on 10 000.  The
 * sweep is found by its strategy and spec, the canonical text of the options
 * the strategy uses (bs_sweep_spec_to_string): the same command finds the
 * same sweep and resumes it.
 *
 * Resuming.  The strategy is deterministic given the metrics it is told
 * (bs-search.h), so a sweep resumes by running again with an evaluator that
 * answers every configuration the store already holds for this model,
 * dataset and target (of this sweep, or of another sweep, or written a
 * moment ago by another process on the same file) from the store, bit for
 * bit, and evaluates and stores only the others, one transaction each.
 * Configurations that cannot be evaluated (an unsupported combination, e.g.
 * an accumulator that does not apply to a format) are stored as infeasible
 * with the reason, and answered as such on resume.  A process killed at any
 * moment loses at most the evaluation in flight.
 *
 * Cancellation: the GCancellable is mapped onto the strategy's cancel flag and
 * interrupts the evaluation in flight (which is then not stored).  At the end
 * the sweep's status is "done" (also when a budget ended it), "cancelled" or
 * "failed", and its Pareto front is recomputed (bs_store_update_front).
 *
 * Threads: bs_sweep_run blocks; it uses the project's evaluator and the store
 * connection, which nobody else may use meanwhile.  bs_sweep_run_async runs it
 * in a GTask thread and reports progress in the caller's main context,
 * coalesced (at most one pending report; each carries the latest state).
 */
#pragma once

#include <gio/gio.h>

#include "bs-energy.h"
#include "bs-project.h"
#include "bs-search.h"
#include "bs-store.h"

G_BEGIN_DECLS

#define BS_SWEEP_ERROR (bs_sweep_error_quark ())
GQuark bs_sweep_error_quark (void);

typedef enum {
  BS_SWEEP_ERROR_SPEC,       /* invalid options (unknown format, bad number, …) */
  BS_SWEEP_ERROR_FAILED,     /* the strategy or the evaluator failed */
  BS_SWEEP_ERROR_CANCELLED,  /* only bs_sweep_run_finish; bs_sweep_run returns TRUE */
} BsSweepError;

typedef struct {
  bs_strategy strategy;
  GStrv formats;             /* candidate formats, distinct, validated */
  bs_tensors tensors;        /* grid, random, sensitivity, nsga2 */
  char *acc;                 /* accumulator of quantized layers (bs_acc_name), "fp32" */
  char *scaling;             /* scaling of quantized layers, "layer-pow2" */
  double target_drop;        /* greedy: top-1 may drop this many points, 1.0 */
  bs_greedy_rest greedy_rest;
  gsize budget;              /* at most this many configurations; 0 = no limit
                              * (random and nsga2 need one: default 100) */
  guint64 seed;              /* random, nsga2 */
  int population;            /* nsga2 */
  double crossover, mutation;
} BsSweepSpec;

/* Defaults for a strategy; formats: greedy "fixed16" (its ladder, the seed's
 * bit-width search), the others a spread of 4- to 16-bit formats. */
void bs_sweep_spec_init (BsSweepSpec *spec, bs_strategy strategy);
void bs_sweep_spec_clear (BsSweepSpec *spec);
/* A comma-separated list, each name checked with bs_format_parse. */
gboolean bs_sweep_spec_set_formats (BsSweepSpec *spec, const char *list, GError **error);
/* Check every option (formats, accumulator, scaling, numbers). */
gboolean bs_sweep_spec_validate (const BsSweepSpec *spec, GError **error);
/* The canonical text of the options the strategy uses, e.g.
 * "v1;strategy=greedy;formats=fixed16;acc=fp32;scaling=layer-pow2;drop=1;rest=fp32;budget=0".
 * Numbers are written with %.17g, so two specs are equal when their texts are. */
char *bs_sweep_spec_to_string (const BsSweepSpec *spec);

typedef struct {
  gint64 sweep_id;
  gsize done;                /* configurations answered so far (evaluator calls) */
  gsize total;               /* planned (greedy: an upper bound) */
  gsize evaluated;           /* of done: evaluated in this run */
  gsize from_store;          /* of done: answered from the store */
  gsize infeasible;          /* of done */
  double elapsed_s;
  double eta_s;              /* seconds left, estimated from this run's
                              * evaluations; NaN while unknown */
  double best_top1;          /* best feasible top-1 so far; NaN if none */
  const char *last_config;   /* canonical text of the last configuration */
  double last_top1, last_energy_pj;   /* NaN if infeasible */
} BsSweepProgress;

/* Reports from bs_sweep_run come from the running thread, at most every
 * 100 ms (the first and the last always). */
typedef void (*BsSweepProgressFunc) (const BsSweepProgress *progress, gpointer user_data);

typedef struct {
  gint64 sweep_id;
  gboolean resumed;          /* the sweep existed before this run */
  const char *status;        /* "done", "cancelled", "failed" (static) */
  bs_search_status search_status;
  gsize calls;               /* configurations the strategy visited */
  gsize evaluated, from_store, infeasible;
  gsize n_results;           /* results the sweep holds now */
  gsize n_front;
  double seconds;
  /* greedy: the configuration it settled on (also when stopped early: the
   * layers fixed so far) and its top-1 and energy; NULL for the others.
   * Owned: bs_sweep_summary_clear. */
  char *best;
  double best_top1, best_energy_pj;
} BsSweepSummary;

void bs_sweep_summary_clear (BsSweepSummary *summary);

/* Register, begin or resume, run, store, finish.  TRUE when the run ended
 * (done, budget or cancelled: see summary->status); FALSE with an error when
 * it could not start or failed (the sweep is then marked "failed" if it was
 * begun).  target is required (the front needs energies). */
gboolean bs_sweep_run (BsProject *project, const bs_target *target, BsStore *store,
                       const BsSweepSpec *spec, GCancellable *cancellable,
                       BsSweepProgressFunc progress, gpointer progress_data,
                       BsSweepSummary *summary, GError **error);

/* The same in a worker thread.  project, target and store are borrowed:
 * keep them alive and unused until callback runs.  progress (may be NULL) is
 * called in the thread-default main context of the caller. */
void bs_sweep_run_async (BsProject *project, const bs_target *target, BsStore *store,
                         const BsSweepSpec *spec, GCancellable *cancellable,
                         BsSweepProgressFunc progress, gpointer progress_data,
                         GAsyncReadyCallback callback, gpointer user_data);
/* FALSE with BS_SWEEP_ERROR_CANCELLED when cancelled (summary still filled,
 * its best moved to the caller). */
gboolean bs_sweep_run_finish (GAsyncResult *result, BsSweepSummary *summary, GError **error);

G_END_DECLS
