/* bs-store.h — the project store: sweeps and their results in SQLite.
 *
 * One file holds models, datasets and targets (identified by content hash),
 * sweeps (spec, status, timestamps), configurations (canonical text, hashed,
 * with their per-layer choices) and results.  Every write is one transaction,
 * so a process killed at any moment leaves a consistent database; WAL and a
 * busy timeout let two processes write the same file.  A file that is not a
 * Bitscape database (corrupt, foreign, or from a newer version) is refused
 * without being modified.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BS_STORE_ERROR (bs_store_error_quark ())
GQuark bs_store_error_quark (void);

typedef enum {
  BS_STORE_ERROR_NOT_SQLITE,   /* not an SQLite file at all, or unreadable */
  BS_STORE_ERROR_FOREIGN,      /* an SQLite database of another application */
  BS_STORE_ERROR_TOO_NEW,      /* schema newer than this program knows */
  BS_STORE_ERROR_CORRUPT,      /* integrity check failed */
  BS_STORE_ERROR_FAILED,       /* an SQL statement failed */
  BS_STORE_ERROR_NOT_FOUND,
} BsStoreError;

#define BS_STORE_SCHEMA_VERSION 2
#define BS_STORE_APPLICATION_ID 0x42534350   /* "BSCP" */

typedef struct _BsStore BsStore;

/* One layer's choices, as stored. */
typedef struct {
  const char *weight_format;
  const char *input_format;
  const char *acc;
  const char *scaling;
} BsStoreLayer;

/* Metrics of one evaluated configuration.  NaN = not measured. */
typedef struct {
  double top1, top5;
  double energy_pj, compute_pj, memory_pj;
  double area_um2;
  double luts, ffs, dsps, brams;
  double mean_weight_bits, mean_input_bits;
  double weight_sparsity, input_sparsity;
  gint64 images;
  const char *path;            /* "fake-quant" or "exact" */
} BsStoreMetrics;

typedef struct {
  gint64 id;
  gint64 sweep_id;
  gint64 config_id;
  char *canonical;
  BsStoreMetrics m;            /* m.path owned by the row */
  gboolean on_front;
  gboolean infeasible;         /* could not be evaluated (metrics NaN); see note */
  char *note;                  /* why it is infeasible, or NULL */
} BsStoreResult;

typedef struct {
  gint64 id;
  char *strategy;
  char *spec;
  char *status;                /* running, done, cancelled, failed */
  char *model, *dataset, *target;
  char *created, *updated;
  gint64 n_results;
} BsStoreSweep;

void bs_store_result_free (BsStoreResult *r);
void bs_store_sweep_free (BsStoreSweep *s);

/* Open (creating if absent) and migrate.  Never writes to a file it refuses. */
BsStore *bs_store_open (const char *path, GError **error);
void bs_store_close (BsStore *store);
const char *bs_store_get_path (BsStore *store);

/* Content hashes: SHA-256 of a file, hex. */
char *bs_store_hash_file (const char *path, GError **error);

/* Rows identified by content hash; returns the id (existing or new), or -1. */
gint64 bs_store_ensure_model (BsStore *store, const char *name, const char *sha256,
                              const char *path, GError **error);
gint64 bs_store_ensure_dataset (BsStore *store, const char *name, const char *sha256,
                                const char *path, GError **error);
gint64 bs_store_ensure_target (BsStore *store, const char *name, const char *sha256,
                               const char *path, GError **error);

/* The sweep with this (model, dataset, target, strategy, spec), which resumes,
 * or a new one; its status becomes "running".  *resumed tells which. */
gint64 bs_store_begin_sweep (BsStore *store, gint64 model_id, gint64 dataset_id,
                             gint64 target_id, const char *strategy, const char *spec,
                             gboolean *resumed, GError **error);
gboolean bs_store_set_sweep_status (BsStore *store, gint64 sweep_id, const char *status,
                                    GError **error);

/* A stored result of this configuration for the sweep's model, dataset and
 * target (from any sweep): TRUE and *out filled (out->m.path owned by *out). */
gboolean bs_store_lookup (BsStore *store, gint64 sweep_id, const char *canonical,
                          BsStoreResult **out, GError **error);

/* Store a result in one transaction: the configuration (if new), its layers,
 * the result and its membership of the sweep.  Storing a configuration the
 * sweep already has is a no-op that returns the existing result id. */
gint64 bs_store_add_result (BsStore *store, gint64 sweep_id, const char *canonical,
                            guint64 config_hash, const BsStoreLayer *layers, guint n_layers,
                            const BsStoreMetrics *m, GError **error);

/* The same for a configuration that cannot be evaluated (an unsupported
 * combination): stored with NaN metrics, feasible = 0 and the reason, so a
 * resumed sweep gets the same answer without trying again.  Never on a front. */
gint64 bs_store_add_infeasible (BsStore *store, gint64 sweep_id, const char *canonical,
                                guint64 config_hash, const BsStoreLayer *layers, guint n_layers,
                                gint64 images, const char *reason, GError **error);

/* Recompute front membership (max top1, min energy; bs_pareto_front) of a
 * sweep's feasible results, in one transaction. */
gboolean bs_store_update_front (BsStore *store, gint64 sweep_id, GError **error);

/* Where a result comes from: its model, dataset and target rows. */
typedef struct {
  char *model_name, *model_sha256, *model_path;
  char *dataset_name, *dataset_sha256, *dataset_path;
  char *target_name, *target_sha256, *target_path;
} BsStoreOrigin;

void bs_store_origin_free (BsStoreOrigin *o);
BsStoreOrigin *bs_store_get_origin (BsStore *store, gint64 result_id, GError **error);

/* Listings (element type BsStoreResult / BsStoreSweep).  sweep_id 0: all. */
GPtrArray *bs_store_list_results (BsStore *store, gint64 sweep_id, gboolean front_only,
                                  GError **error);
GPtrArray *bs_store_list_sweeps (BsStore *store, GError **error);
BsStoreResult *bs_store_get_result (BsStore *store, gint64 result_id, GError **error);
/* The per-layer choices of a stored configuration (BsStoreLayer strings owned
 * by the returned array's free function: g_ptr_array of GStrv {w, a, acc, s}). */
GPtrArray *bs_store_get_layers (BsStore *store, gint64 config_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsStore, bs_store_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsStoreResult, bs_store_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsStoreSweep, bs_store_sweep_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsStoreOrigin, bs_store_origin_free)

G_END_DECLS
