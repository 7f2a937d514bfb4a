/* store-results.c — configurations and results in the project store. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bs-pareto.h"
#include "bs-store-private.h"

/* The metric columns, in one place: SQL names and struct fields agree. */
#define METRIC_COLUMNS                                                          \
  "top1, top5, energy_pj, compute_pj, memory_pj, area_um2, luts, ffs, dsps, "   \
  "brams, mean_weight_bits, mean_input_bits, weight_sparsity, input_sparsity, " \
  "images, path"
#define N_REAL_METRICS 14

static double *
metric_slot (BsStoreMetrics *m, int i)
{
  double *slots[N_REAL_METRICS] = {
    &m->top1, &m->top5, &m->energy_pj, &m->compute_pj, &m->memory_pj, &m->area_um2,
    &m->luts, &m->ffs, &m->dsps, &m->brams, &m->mean_weight_bits, &m->mean_input_bits,
    &m->weight_sparsity, &m->input_sparsity,
  };
  return slots[i];
}

/* Bind metrics to ?first … ?first+15; NaN is stored as NULL. */
static void
bind_metrics (sqlite3_stmt *st, int first, const BsStoreMetrics *m)
{
  BsStoreMetrics copy = *m;

  for (int i = 0; i < N_REAL_METRICS; i++)
    {
      double v = *metric_slot (&copy, i);
      if (isnan (v))
        sqlite3_bind_null (st, first + i);
      else
        sqlite3_bind_double (st, first + i, v);
    }
  sqlite3_bind_int64 (st, first + N_REAL_METRICS, m->images);
  sqlite3_bind_text (st, first + N_REAL_METRICS + 1, m->path, -1, SQLITE_TRANSIENT);
}

/* Read metrics from columns first … first+15. */
static void
read_metrics (sqlite3_stmt *st, int first, BsStoreMetrics *m)
{
  for (int i = 0; i < N_REAL_METRICS; i++)
    *metric_slot (m, i) = sqlite3_column_type (st, first + i) == SQLITE_NULL
                          ? NAN : sqlite3_column_double (st, first + i);
  m->images = sqlite3_column_int64 (st, first + N_REAL_METRICS);
  m->path = g_strdup ((const char *) sqlite3_column_text (st, first + N_REAL_METRICS + 1));
}

static BsStoreResult *
read_result_row (sqlite3_stmt *st)
{
  /* columns: id, sweep_id, config_id, canonical, on_front, METRIC_COLUMNS,
   * feasible, note */
  BsStoreResult *r = g_new0 (BsStoreResult, 1);

  r->id = sqlite3_column_int64 (st, 0);
  r->sweep_id = sqlite3_column_int64 (st, 1);
  r->config_id = sqlite3_column_int64 (st, 2);
  r->canonical = g_strdup ((const char *) sqlite3_column_text (st, 3));
  r->on_front = sqlite3_column_int (st, 4) != 0;
  read_metrics (st, 5, &r->m);
  r->infeasible = sqlite3_column_int (st, 5 + N_REAL_METRICS + 2) == 0;
  r->note = g_strdup ((const char *) sqlite3_column_text (st, 5 + N_REAL_METRICS + 3));
  return r;
}

gboolean
bs_store_lookup (BsStore *store, gint64 sweep_id, const char *canonical, BsStoreResult **out,
                 GError **error)
{
  sqlite3_stmt *st = _bs_store_prepare (store,
    "SELECT r.id, s.id, c.id, c.canonical, 0, " METRIC_COLUMNS ", r.feasible, r.note "
    "FROM sweeps s JOIN results r ON r.model_id = s.model_id AND r.dataset_id = s.dataset_id "
    "AND r.target_id = s.target_id JOIN configs c ON c.id = r.config_id "
    "WHERE s.id = ?1 AND c.canonical = ?2", error);
  gboolean found = FALSE;

  *out = NULL;
  if (!st)
    return FALSE;
  sqlite3_bind_int64 (st, 1, sweep_id);
  sqlite3_bind_text (st, 2, canonical, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (st) == SQLITE_ROW)
    {
      *out = read_result_row (st);
      found = TRUE;
    }
  sqlite3_finalize (st);
  return found;
}

static gint64
step_id (BsStore *store, sqlite3_stmt *st, GError **error)
{
  gint64 id = -1;
  int rc = sqlite3_step (st);

  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (st, 0);
  else if (rc != SQLITE_DONE)
    g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FAILED, "%s: %s",
                 bs_store_get_path (store), sqlite3_errmsg (_bs_store_db (store)));
  sqlite3_finalize (st);
  return id;
}

static gboolean
step_done (BsStore *store, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step (st);

  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FAILED, "%s: %s",
                   bs_store_get_path (store), sqlite3_errmsg (_bs_store_db (store)));
      return FALSE;
    }
  return TRUE;
}

/* Everything below runs inside one transaction of bs_store_add_result. */
static gint64
ensure_config (BsStore *store, const char *canonical, guint64 hash, const BsStoreLayer *layers,
               guint n_layers, GError **error)
{
  sqlite3_stmt *st;
  gint64 id;

  st = _bs_store_prepare (store, "SELECT id FROM configs WHERE canonical = ?1", error);
  if (!st)
    return -1;
  sqlite3_bind_text (st, 1, canonical, -1, SQLITE_TRANSIENT);
  id = step_id (store, st, error);
  if (id >= 0 || (error && *error))
    return id;

  st = _bs_store_prepare (store, "INSERT INTO configs (canonical, hash, n_layers) "
                                 "VALUES (?1, ?2, ?3) RETURNING id", error);
  if (!st)
    return -1;
  sqlite3_bind_text (st, 1, canonical, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 2, (sqlite3_int64) hash);
  sqlite3_bind_int (st, 3, (int) n_layers);
  id = step_id (store, st, error);
  if (id < 0)
    return -1;

  for (guint i = 0; i < n_layers; i++)
    {
      st = _bs_store_prepare (store, "INSERT INTO config_layers (config_id, layer, weight_format, "
                                     "input_format, acc, scaling) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                              error);
      if (!st)
        return -1;
      sqlite3_bind_int64 (st, 1, id);
      sqlite3_bind_int (st, 2, (int) i);
      sqlite3_bind_text (st, 3, layers[i].weight_format, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (st, 4, layers[i].input_format, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (st, 5, layers[i].acc, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (st, 6, layers[i].scaling, -1, SQLITE_TRANSIENT);
      if (!step_done (store, st, error))
        return -1;
    }
  return id;
}

/* One transaction: the configuration, the result (feasible, or not with
 * the reason in note), the sweep's membership. */
static gint64
add_result (BsStore *store, gint64 sweep_id, const char *canonical, guint64 config_hash,
            const BsStoreLayer *layers, guint n_layers, const BsStoreMetrics *m,
            const char *note, GError **error)
{
  sqlite3_stmt *st;
  gint64 config_id, result_id = -1;

  if (!_bs_store_exec (store, "BEGIN IMMEDIATE", error))
    return -1;
  config_id = ensure_config (store, canonical, config_hash, layers, n_layers, error);
  if (config_id < 0)
    goto fail;

  /* the evaluation itself, unless this model/dataset/target has it already */
  st = _bs_store_prepare (store,
    "INSERT INTO results (config_id, model_id, dataset_id, target_id, " METRIC_COLUMNS ", "
    "feasible, note) "
    "SELECT ?1, model_id, dataset_id, target_id, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
    "?14, ?15, ?16, ?17, ?18, ?19, ?20 FROM sweeps WHERE id = ?2 "
    "ON CONFLICT (config_id, model_id, dataset_id, target_id) DO NOTHING", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, config_id);
  sqlite3_bind_int64 (st, 2, sweep_id);
  bind_metrics (st, 3, m);
  sqlite3_bind_int (st, 3 + N_REAL_METRICS + 2, note ? 0 : 1);
  if (note)
    sqlite3_bind_text (st, 3 + N_REAL_METRICS + 3, note, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (st, 3 + N_REAL_METRICS + 3);
  if (!step_done (store, st, error))
    goto fail;

  st = _bs_store_prepare (store,
    "SELECT r.id FROM results r JOIN sweeps s ON r.model_id = s.model_id AND "
    "r.dataset_id = s.dataset_id AND r.target_id = s.target_id "
    "WHERE s.id = ?1 AND r.config_id = ?2", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, sweep_id);
  sqlite3_bind_int64 (st, 2, config_id);
  result_id = step_id (store, st, error);
  if (result_id < 0)
    {
      if (error && !*error)
        g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_FOUND,
                     "%s: no sweep %" G_GINT64_FORMAT, bs_store_get_path (store), sweep_id);
      goto fail;
    }

  st = _bs_store_prepare (store,
    "INSERT INTO sweep_results (sweep_id, result_id, seq) VALUES (?1, ?2, "
    "(SELECT coalesce(max(seq), 0) + 1 FROM sweep_results WHERE sweep_id = ?1)) "
    "ON CONFLICT DO NOTHING", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, sweep_id);
  sqlite3_bind_int64 (st, 2, result_id);
  if (!step_done (store, st, error))
    goto fail;
  st = _bs_store_prepare (store, "UPDATE sweeps SET updated = "
                                 "strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, sweep_id);
  if (!step_done (store, st, error) || !_bs_store_exec (store, "COMMIT", error))
    goto fail;
  return result_id;

fail:
  _bs_store_exec (store, "ROLLBACK", NULL);
  return -1;
}

gint64
bs_store_add_result (BsStore *store, gint64 sweep_id, const char *canonical, guint64 config_hash,
                     const BsStoreLayer *layers, guint n_layers, const BsStoreMetrics *m,
                     GError **error)
{
  return add_result (store, sweep_id, canonical, config_hash, layers, n_layers, m, NULL, error);
}

gint64
bs_store_add_infeasible (BsStore *store, gint64 sweep_id, const char *canonical,
                         guint64 config_hash, const BsStoreLayer *layers, guint n_layers,
                         gint64 images, const char *reason, GError **error)
{
  BsStoreMetrics m = {
    .top1 = NAN, .top5 = NAN, .energy_pj = NAN, .compute_pj = NAN, .memory_pj = NAN,
    .area_um2 = NAN, .luts = NAN, .ffs = NAN, .dsps = NAN, .brams = NAN,
    .mean_weight_bits = NAN, .mean_input_bits = NAN, .weight_sparsity = NAN,
    .input_sparsity = NAN, .images = images, .path = NULL,
  };

  return add_result (store, sweep_id, canonical, config_hash, layers, n_layers, &m,
                     reason && *reason ? reason : "infeasible", error);
}

#define RESULT_SELECT                                                         \
  "SELECT r.id, sr.sweep_id, c.id, c.canonical, sr.on_front, " METRIC_COLUMNS \
  ", r.feasible, r.note FROM sweep_results sr "                               \
  "JOIN results r ON r.id = sr.result_id JOIN configs c ON c.id = r.config_id "

GPtrArray *
bs_store_list_results (BsStore *store, gint64 sweep_id, gboolean front_only, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_store_result_free);
  sqlite3_stmt *st = _bs_store_prepare (store,
    RESULT_SELECT "WHERE (?1 = 0 OR sr.sweep_id = ?1) AND (?2 = 0 OR sr.on_front) "
    "ORDER BY sr.sweep_id, sr.seq", error);
  int rc;

  if (!st)
    return NULL;
  sqlite3_bind_int64 (st, 1, sweep_id);
  sqlite3_bind_int (st, 2, front_only ? 1 : 0);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (rows, read_result_row (st));
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FAILED, "%s: %s",
                   bs_store_get_path (store), sqlite3_errmsg (_bs_store_db (store)));
      return NULL;
    }
  return g_steal_pointer (&rows);
}

BsStoreResult *
bs_store_get_result (BsStore *store, gint64 result_id, GError **error)
{
  sqlite3_stmt *st = _bs_store_prepare (store, RESULT_SELECT "WHERE r.id = ?1 LIMIT 1", error);
  BsStoreResult *r = NULL;

  if (!st)
    return NULL;
  sqlite3_bind_int64 (st, 1, result_id);
  if (sqlite3_step (st) == SQLITE_ROW)
    r = read_result_row (st);
  sqlite3_finalize (st);
  if (!r)
    g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_FOUND,
                 "%s: no result %" G_GINT64_FORMAT, bs_store_get_path (store), result_id);
  return r;
}

GPtrArray *
bs_store_get_layers (BsStore *store, gint64 config_id, GError **error)
{
  g_autoptr (GPtrArray) layers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  sqlite3_stmt *st = _bs_store_prepare (store,
    "SELECT weight_format, input_format, acc, scaling FROM config_layers "
    "WHERE config_id = ?1 ORDER BY layer", error);

  if (!st)
    return NULL;
  sqlite3_bind_int64 (st, 1, config_id);
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      char **v = g_new0 (char *, 5);
      for (int i = 0; i < 4; i++)
        v[i] = g_strdup ((const char *) sqlite3_column_text (st, i));
      g_ptr_array_add (layers, v);
    }
  sqlite3_finalize (st);
  return g_steal_pointer (&layers);
}

GPtrArray *
bs_store_list_sweeps (BsStore *store, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_store_sweep_free);
  sqlite3_stmt *st = _bs_store_prepare (store,
    "SELECT s.id, s.strategy, s.spec, s.status, m.name, d.name, t.name, s.created, s.updated, "
    "(SELECT count(*) FROM sweep_results sr WHERE sr.sweep_id = s.id) "
    "FROM sweeps s JOIN models m ON m.id = s.model_id JOIN datasets d ON d.id = s.dataset_id "
    "JOIN targets t ON t.id = s.target_id ORDER BY s.id", error);

  if (!st)
    return NULL;
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      BsStoreSweep *s = g_new0 (BsStoreSweep, 1);
      s->id = sqlite3_column_int64 (st, 0);
      s->strategy = g_strdup ((const char *) sqlite3_column_text (st, 1));
      s->spec = g_strdup ((const char *) sqlite3_column_text (st, 2));
      s->status = g_strdup ((const char *) sqlite3_column_text (st, 3));
      s->model = g_strdup ((const char *) sqlite3_column_text (st, 4));
      s->dataset = g_strdup ((const char *) sqlite3_column_text (st, 5));
      s->target = g_strdup ((const char *) sqlite3_column_text (st, 6));
      s->created = g_strdup ((const char *) sqlite3_column_text (st, 7));
      s->updated = g_strdup ((const char *) sqlite3_column_text (st, 8));
      s->n_results = sqlite3_column_int64 (st, 9);
      g_ptr_array_add (rows, s);
    }
  sqlite3_finalize (st);
  return g_steal_pointer (&rows);
}

static gboolean
sweep_exists (BsStore *store, gint64 sweep_id, GError **error)
{
  sqlite3_stmt *st = _bs_store_prepare (store, "SELECT id FROM sweeps WHERE id = ?1", error);
  gint64 id;

  if (!st)
    return FALSE;
  sqlite3_bind_int64 (st, 1, sweep_id);
  id = step_id (store, st, error);
  if (id < 0 && error && !*error)
    g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_FOUND,
                 "%s: no sweep %" G_GINT64_FORMAT, bs_store_get_path (store), sweep_id);
  return id >= 0;
}

/* Read the sweep's points and mark its front, inside one write transaction so
 * that a concurrent writer cannot slip a result in between. */
gboolean
bs_store_update_front (BsStore *store, gint64 sweep_id, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) acc = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) energy = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree gsize *front = NULL;
  sqlite3_stmt *st;
  gsize n_front;
  int rc;

  if (!_bs_store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!sweep_exists (store, sweep_id, error))
    goto fail;
  st = _bs_store_prepare (store,
    "SELECT sr.result_id, r.top1, r.energy_pj, r.feasible FROM sweep_results sr "
    "JOIN results r ON r.id = sr.result_id WHERE sr.sweep_id = ?1 ORDER BY sr.seq", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, sweep_id);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (st, 0);
      gboolean ok = sqlite3_column_int (st, 3) != 0 && sqlite3_column_type (st, 1) != SQLITE_NULL
                    && sqlite3_column_type (st, 2) != SQLITE_NULL;
      double a = ok ? sqlite3_column_double (st, 1) : NAN;
      double e = ok ? sqlite3_column_double (st, 2) : NAN;
      g_array_append_val (ids, id);
      g_array_append_val (acc, a);
      g_array_append_val (energy, e);
    }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FAILED, "%s: %s",
                   bs_store_get_path (store), sqlite3_errmsg (_bs_store_db (store)));
      goto fail;
    }

  front = g_new (gsize, ids->len ? ids->len : 1);
  n_front = bs_pareto_front ((const double *) acc->data, (const double *) energy->data, ids->len,
                             front);

  st = _bs_store_prepare (store, "UPDATE sweep_results SET on_front = 0 "
                                 "WHERE sweep_id = ?1 AND on_front <> 0", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, sweep_id);
  if (!step_done (store, st, error))
    goto fail;
  for (gsize i = 0; i < n_front; i++)
    {
      st = _bs_store_prepare (store, "UPDATE sweep_results SET on_front = 1 "
                                     "WHERE sweep_id = ?1 AND result_id = ?2", error);
      if (!st)
        goto fail;
      sqlite3_bind_int64 (st, 1, sweep_id);
      sqlite3_bind_int64 (st, 2, g_array_index (ids, gint64, front[i]));
      if (!step_done (store, st, error))
        goto fail;
    }
  if (!_bs_store_exec (store, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  _bs_store_exec (store, "ROLLBACK", NULL);
  return FALSE;
}

void
bs_store_origin_free (BsStoreOrigin *o)
{
  if (!o)
    return;
  g_free (o->model_name);
  g_free (o->model_sha256);
  g_free (o->model_path);
  g_free (o->dataset_name);
  g_free (o->dataset_sha256);
  g_free (o->dataset_path);
  g_free (o->target_name);
  g_free (o->target_sha256);
  g_free (o->target_path);
  g_free (o);
}

BsStoreOrigin *
bs_store_get_origin (BsStore *store, gint64 result_id, GError **error)
{
  sqlite3_stmt *st = _bs_store_prepare (store,
    "SELECT m.name, m.sha256, m.path, d.name, d.sha256, d.path, t.name, t.sha256, t.path "
    "FROM results r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id "
    "JOIN targets t ON t.id = r.target_id WHERE r.id = ?1", error);
  BsStoreOrigin *o = NULL;

  if (!st)
    return NULL;
  sqlite3_bind_int64 (st, 1, result_id);
  if (sqlite3_step (st) == SQLITE_ROW)
    {
      char **f[9];
      o = g_new0 (BsStoreOrigin, 1);
      f[0] = &o->model_name; f[1] = &o->model_sha256; f[2] = &o->model_path;
      f[3] = &o->dataset_name; f[4] = &o->dataset_sha256; f[5] = &o->dataset_path;
      f[6] = &o->target_name; f[7] = &o->target_sha256; f[8] = &o->target_path;
      for (int i = 0; i < 9; i++)
        *f[i] = g_strdup ((const char *) sqlite3_column_text (st, i));
    }
  sqlite3_finalize (st);
  if (!o)
    g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_FOUND,
                 "%s: no result %" G_GINT64_FORMAT, bs_store_get_path (store), result_id);
  return o;
}
