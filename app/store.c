/* store.c — the SQLite project store (see bs-store.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "bs-store.h"
#include "bs-store-private.h"

struct _BsStore {
  sqlite3 *db;
  char *path;
};

G_DEFINE_QUARK (bs-store-error-quark, bs_store_error)

/* Migrations: entry v brings a database from user_version v to v + 1. */
static const char *const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE models ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  sha256 TEXT NOT NULL UNIQUE,"
  "  path TEXT,"
  "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
  "CREATE TABLE datasets ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  sha256 TEXT NOT NULL UNIQUE,"
  "  path TEXT,"
  "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
  "CREATE TABLE targets ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  sha256 TEXT NOT NULL UNIQUE,"
  "  path TEXT,"
  "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
  "CREATE TABLE sweeps ("
  "  id INTEGER PRIMARY KEY,"
  "  model_id INTEGER NOT NULL REFERENCES models(id),"
  "  dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
  "  target_id INTEGER NOT NULL REFERENCES targets(id),"
  "  strategy TEXT NOT NULL,"
  "  spec TEXT NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('running','done','cancelled','failed')),"
  "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
  "  updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
  "  UNIQUE (model_id, dataset_id, target_id, strategy, spec));"
  "CREATE TABLE configs ("
  "  id INTEGER PRIMARY KEY,"
  "  canonical TEXT NOT NULL UNIQUE,"
  "  hash INTEGER NOT NULL,"
  "  n_layers INTEGER NOT NULL);"
  "CREATE INDEX configs_hash ON configs(hash);"
  "CREATE TABLE config_layers ("
  "  config_id INTEGER NOT NULL REFERENCES configs(id) ON DELETE CASCADE,"
  "  layer INTEGER NOT NULL,"
  "  weight_format TEXT NOT NULL,"
  "  input_format TEXT NOT NULL,"
  "  acc TEXT NOT NULL,"
  "  scaling TEXT NOT NULL,"
  "  PRIMARY KEY (config_id, layer));"
  /* one evaluation of a configuration on a model, dataset and target; shared
   * by every sweep that reaches the same configuration */
  "CREATE TABLE results ("
  "  id INTEGER PRIMARY KEY,"
  "  config_id INTEGER NOT NULL REFERENCES configs(id),"
  "  model_id INTEGER NOT NULL REFERENCES models(id),"
  "  dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
  "  target_id INTEGER NOT NULL REFERENCES targets(id),"
  "  top1 REAL, top5 REAL,"
  "  energy_pj REAL, compute_pj REAL, memory_pj REAL,"
  "  area_um2 REAL, luts REAL, ffs REAL, dsps REAL, brams REAL,"
  "  mean_weight_bits REAL, mean_input_bits REAL,"
  "  weight_sparsity REAL, input_sparsity REAL,"
  "  images INTEGER, path TEXT,"
  "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
  "  UNIQUE (config_id, model_id, dataset_id, target_id));"
  "CREATE TABLE sweep_results ("
  "  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
  "  result_id INTEGER NOT NULL REFERENCES results(id),"
  "  seq INTEGER NOT NULL,"
  "  on_front INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (sweep_id, result_id));",
  /* 1 → 2: configurations that cannot be evaluated are remembered too, so a
   * resumed search gets the same answer (engine/search/bs-search.h) */
  "ALTER TABLE results ADD COLUMN feasible INTEGER NOT NULL DEFAULT 1;"
  "ALTER TABLE results ADD COLUMN note TEXT;"
  "CREATE INDEX sweep_results_result ON sweep_results(result_id);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == BS_STORE_SCHEMA_VERSION);

static gboolean
fail_sql (sqlite3 *db, GError **error, const char *what)
{
  g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FAILED, "%s: %s", what,
               db ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

gboolean
_bs_store_exec (BsStore *store, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (store->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FAILED, "%s: %s", store->path,
                   msg ? msg : sqlite3_errmsg (store->db));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
_bs_store_prepare (BsStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v2 (store->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      fail_sql (store->db, error, store->path);
      return NULL;
    }
  return st;
}

sqlite3 *
_bs_store_db (BsStore *store)
{
  return store->db;
}

static gint64
pragma_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  gint64 v = -1;

  if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step (st) == SQLITE_ROW)
    v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return v;
}

/* A connection to path for check_existing (flags: SQLITE_OPEN_READONLY or
 * READWRITE, never CREATE), or NULL with error set. */
static sqlite3 *
probe_open (const char *path, int flags, GError **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, flags, NULL) != SQLITE_OK)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_SQLITE, "%s: %s", path,
                   db ? sqlite3_errmsg (db) : "cannot open");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  return db;
}

/* Look at a file before letting SQLite write to it: the header must be
 * SQLite's; an existing database must be ours (or empty), not newer than we
 * know, and pass a quick integrity check.  Read-only: nothing is modified —
 * except by SQLite's crash recovery when a writer was killed mid-transaction. */
static gboolean
check_existing (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = NULL;
  g_autoptr (GError) local = NULL;
  guint8 header[100];
  gsize got = 0;
  sqlite3 *db = NULL;
  gint64 app_id, version, tables;
  gboolean ok = FALSE;

  in = g_file_read (file, NULL, &local);
  if (!in)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return TRUE;             /* a new database */
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_SQLITE, "%s: %s", path,
                   local->message);
      return FALSE;
    }
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), header, sizeof header, &got, NULL, &local))
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_SQLITE, "%s: %s", path,
                   local->message);
      return FALSE;
    }
  if (got == 0)
    return TRUE;                 /* an empty file is an empty database */
  if (got < sizeof header || memcmp (header, "SQLite format 3", 16) != 0)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_SQLITE,
                   "%s: not a Bitscape database (not an SQLite file)", path);
      return FALSE;
    }

  if (!(db = probe_open (path, SQLITE_OPEN_READONLY, error)))
    goto out;
  app_id = pragma_int (db, "PRAGMA application_id");
  if (app_id < 0 && (sqlite3_errcode (db) & 0xff) == SQLITE_READONLY)
    {
      /* A writer died mid-transaction (a hot journal to roll back, a WAL
       * index to rebuild): SQLite's own recovery needs a connection that
       * may write, and gives back the last committed state. */
      sqlite3_close (db);
      if (!(db = probe_open (path, SQLITE_OPEN_READWRITE, error)))
        goto out;
      app_id = pragma_int (db, "PRAGMA application_id");
    }
  version = pragma_int (db, "PRAGMA user_version");
  tables = pragma_int (db, "SELECT count(*) FROM sqlite_schema");
  if (app_id < 0 || version < 0 || tables < 0)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_CORRUPT,
                   "%s: damaged database (%s)", path, sqlite3_errmsg (db));
      goto out;
    }
  if (app_id != BS_STORE_APPLICATION_ID && tables > 0)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_FOREIGN,
                   "%s: an SQLite database of another application, not a Bitscape database",
                   path);
      goto out;
    }
  if (version > BS_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_TOO_NEW,
                   "%s: made by a newer Bitscape (schema %" G_GINT64_FORMAT ", this one knows %d)",
                   path, version, BS_STORE_SCHEMA_VERSION);
      goto out;
    }
  {
    sqlite3_stmt *st = NULL;
    const char *res = NULL;
    if (sqlite3_prepare_v2 (db, "PRAGMA quick_check(1)", -1, &st, NULL) == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW)
      res = (const char *) sqlite3_column_text (st, 0);
    if (!res || strcmp (res, "ok") != 0)
      {
        g_autofree char *why = g_strdup (res ? res : sqlite3_errmsg (db));
        g_strdelimit (why, "\r\n", ' ');     /* one line */
        g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_CORRUPT,
                     "%s: damaged database (integrity check: %s)", path, why);
        sqlite3_finalize (st);
        goto out;
      }
    sqlite3_finalize (st);
  }
  ok = TRUE;
out:
  sqlite3_close (db);
  return ok;
}

static gboolean
migrate (BsStore *store, GError **error)
{
  gint64 version = pragma_int (store->db, "PRAGMA user_version");

  if (version >= BS_STORE_SCHEMA_VERSION)
    return TRUE;
  if (!_bs_store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  /* re-read inside the write lock: another process may have migrated */
  version = pragma_int (store->db, "PRAGMA user_version");
  for (gint64 v = version; v < BS_STORE_SCHEMA_VERSION; v++)
    if (!_bs_store_exec (store, migrations[v], error))
      {
        _bs_store_exec (store, "ROLLBACK", NULL);
        return FALSE;
      }
  {
    g_autofree char *sql = g_strdup_printf ("PRAGMA application_id = %d; PRAGMA user_version = %d",
                                            BS_STORE_APPLICATION_ID, BS_STORE_SCHEMA_VERSION);
    if (!_bs_store_exec (store, sql, error) || !_bs_store_exec (store, "COMMIT", error))
      {
        _bs_store_exec (store, "ROLLBACK", NULL);
        return FALSE;
      }
  }
  return TRUE;
}

BsStore *
bs_store_open (const char *path, GError **error)
{
  g_autoptr (BsStore) store = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  if (!check_existing (path, error))
    return NULL;

  store = g_new0 (BsStore, 1);
  store->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_SQLITE, "%s: %s", path,
                   store->db ? sqlite3_errmsg (store->db) : "cannot open");
      return NULL;
    }
  sqlite3_busy_timeout (store->db, 10000);
  sqlite3_extended_result_codes (store->db, 1);
  if (!_bs_store_exec (store, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                              "PRAGMA foreign_keys = ON;", error))
    return NULL;
  if (!migrate (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

void
bs_store_close (BsStore *store)
{
  if (!store)
    return;
  sqlite3_close (store->db);
  g_free (store->path);
  g_free (store);
}

const char *
bs_store_get_path (BsStore *store)
{
  return store->path;
}

char *
bs_store_hash_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

static gint64
ensure_row (BsStore *store, const char *table, const char *name, const char *sha256,
            const char *path, GError **error)
{
  g_autofree char *ins = g_strdup_printf (
    "INSERT INTO %s (name, sha256, path) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
    table);
  g_autofree char *sel = g_strdup_printf ("SELECT id FROM %s WHERE sha256 = ?1", table);
  sqlite3_stmt *st;
  gint64 id = -1;

  st = _bs_store_prepare (store, ins, error);
  if (!st)
    return -1;
  sqlite3_bind_text (st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, sha256, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 3, path, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (st) != SQLITE_DONE)
    {
      fail_sql (store->db, error, store->path);
      sqlite3_finalize (st);
      return -1;
    }
  sqlite3_finalize (st);

  st = _bs_store_prepare (store, sel, error);
  if (!st)
    return -1;
  sqlite3_bind_text (st, 1, sha256, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (st) == SQLITE_ROW)
    id = sqlite3_column_int64 (st, 0);
  else
    fail_sql (store->db, error, store->path);
  sqlite3_finalize (st);
  return id;
}

gint64
bs_store_ensure_model (BsStore *store, const char *name, const char *sha256, const char *path,
                       GError **error)
{
  return ensure_row (store, "models", name, sha256, path, error);
}

gint64
bs_store_ensure_dataset (BsStore *store, const char *name, const char *sha256, const char *path,
                         GError **error)
{
  return ensure_row (store, "datasets", name, sha256, path, error);
}

gint64
bs_store_ensure_target (BsStore *store, const char *name, const char *sha256, const char *path,
                        GError **error)
{
  return ensure_row (store, "targets", name, sha256, path, error);
}

gint64
bs_store_begin_sweep (BsStore *store, gint64 model_id, gint64 dataset_id, gint64 target_id,
                      const char *strategy, const char *spec, gboolean *resumed, GError **error)
{
  sqlite3_stmt *st;
  gint64 id = -1;
  gboolean existed = FALSE;

  if (!_bs_store_exec (store, "BEGIN IMMEDIATE", error))
    return -1;
  st = _bs_store_prepare (store,
                          "SELECT id FROM sweeps WHERE model_id = ?1 AND dataset_id = ?2 AND "
                          "target_id = ?3 AND strategy = ?4 AND spec = ?5", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, model_id);
  sqlite3_bind_int64 (st, 2, dataset_id);
  sqlite3_bind_int64 (st, 3, target_id);
  sqlite3_bind_text (st, 4, strategy, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 5, spec, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (st) == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (st, 0);
      existed = TRUE;
    }
  sqlite3_finalize (st);

  if (existed)
    st = _bs_store_prepare (store,
                            "UPDATE sweeps SET status = 'running', "
                            "updated = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1", error);
  else
    st = _bs_store_prepare (store,
                            "INSERT INTO sweeps (model_id, dataset_id, target_id, strategy, spec, "
                            "status) VALUES (?1, ?2, ?3, ?4, ?5, 'running')", error);
  if (!st)
    goto fail;
  if (existed)
    sqlite3_bind_int64 (st, 1, id);
  else
    {
      sqlite3_bind_int64 (st, 1, model_id);
      sqlite3_bind_int64 (st, 2, dataset_id);
      sqlite3_bind_int64 (st, 3, target_id);
      sqlite3_bind_text (st, 4, strategy, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (st, 5, spec, -1, SQLITE_TRANSIENT);
    }
  if (sqlite3_step (st) != SQLITE_DONE)
    {
      fail_sql (store->db, error, store->path);
      sqlite3_finalize (st);
      goto fail;
    }
  sqlite3_finalize (st);
  if (!existed)
    id = sqlite3_last_insert_rowid (store->db);
  if (!_bs_store_exec (store, "COMMIT", error))
    goto fail;
  if (resumed)
    *resumed = existed;
  return id;

fail:
  _bs_store_exec (store, "ROLLBACK", NULL);
  return -1;
}

gboolean
bs_store_set_sweep_status (BsStore *store, gint64 sweep_id, const char *status, GError **error)
{
  sqlite3_stmt *st = _bs_store_prepare (store,
                                        "UPDATE sweeps SET status = ?2, updated = "
                                        "strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1",
                                        error);
  int rc;

  if (!st)
    return FALSE;
  sqlite3_bind_int64 (st, 1, sweep_id);
  sqlite3_bind_text (st, 2, status, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (st);
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    return fail_sql (store->db, error, store->path);
  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, BS_STORE_ERROR, BS_STORE_ERROR_NOT_FOUND, "%s: no sweep %" G_GINT64_FORMAT,
                   store->path, sweep_id);
      return FALSE;
    }
  return TRUE;
}

void
bs_store_result_free (BsStoreResult *r)
{
  if (!r)
    return;
  g_free (r->canonical);
  g_free (r->note);
  g_free ((char *) r->m.path);
  g_free (r);
}

void
bs_store_sweep_free (BsStoreSweep *s)
{
  if (!s)
    return;
  g_free (s->strategy);
  g_free (s->spec);
  g_free (s->status);
  g_free (s->model);
  g_free (s->dataset);
  g_free (s->target);
  g_free (s->created);
  g_free (s->updated);
  g_free (s);
}
