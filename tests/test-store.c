/* The project store: schema, resume, refusal of foreign and damaged files
 * without touching them, and consistency after kill -9 mid-write. */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bs-store.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  fx->dir = g_dir_make_tmp ("bs-store-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.bitscape", NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (fx->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (fx->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static BsStoreMetrics
metrics (double top1, double energy)
{
  BsStoreMetrics m = {
    .top1 = top1, .top5 = top1 + 5, .energy_pj = energy, .compute_pj = energy * 0.25,
    .memory_pj = energy * 0.75, .area_um2 = NAN, .luts = NAN, .ffs = NAN, .dsps = NAN,
    .brams = NAN, .mean_weight_bits = 8, .mean_input_bits = 8, .weight_sparsity = 0.1,
    .input_sparsity = 0.5, .images = 10000, .path = "fake-quant",
  };
  return m;
}

static gint64
new_sweep (BsStore *store, const char *spec, gboolean *resumed)
{
  g_autoptr (GError) error = NULL;
  gint64 m = bs_store_ensure_model (store, "fmnist-cnn", "aa11", "/m.onnx", &error);
  gint64 d = bs_store_ensure_dataset (store, "fashion-mnist", "bb22", "/d", &error);
  gint64 t = bs_store_ensure_target (store, "asic-45nm", "cc33", "/t.xml", &error);
  gint64 s;
  g_assert_no_error (error);
  s = bs_store_begin_sweep (store, m, d, t, "grid", spec, resumed, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, >, 0);
  return s;
}

static const BsStoreLayer two_layers[2] = {
  { "fixed8", "fixed8", "exact", "layer-pow2" },
  { "fixed4", "fixed6", "int32", "layer-pow2" },
};

static void
test_roundtrip (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
  g_autoptr (BsStoreResult) found = NULL;
  g_autoptr (GPtrArray) rows = NULL, layers = NULL;
  BsStoreMetrics m = metrics (91.25, 1234.5);
  gboolean resumed = TRUE;
  gint64 sweep, r1, r2;

  g_assert_no_error (error);
  sweep = new_sweep (store, "formats=fixed8,fixed4", &resumed);
  g_assert_false (resumed);

  r1 = bs_store_add_result (store, sweep, "v1;cfg-a", 42, two_layers, 2, &m, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r1, >, 0);
  /* the same configuration again: no duplicate */
  r2 = bs_store_add_result (store, sweep, "v1;cfg-a", 42, two_layers, 2, &m, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r2, ==, r1);

  g_assert_true (bs_store_lookup (store, sweep, "v1;cfg-a", &found, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (found->m.top1, ==, 91.25);
  g_assert_cmpfloat (found->m.energy_pj, ==, 1234.5);
  g_assert_true (isnan (found->m.area_um2));
  g_assert_cmpstr (found->m.path, ==, "fake-quant");
  g_clear_pointer (&found, bs_store_result_free);
  g_assert_false (bs_store_lookup (store, sweep, "v1;cfg-b", &found, &error));
  g_assert_null (found);

  rows = bs_store_list_results (store, sweep, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);

  layers = bs_store_get_layers (store, ((BsStoreResult *) rows->pdata[0])->config_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (layers->len, ==, 2);
  g_assert_cmpstr (((char **) layers->pdata[1])[0], ==, "fixed4");
  g_assert_cmpstr (((char **) layers->pdata[1])[2], ==, "int32");
}

/* A sweep begun again with the same spec is the same sweep, and finds the
 * results stored before; a result stored by another sweep on the same model,
 * dataset and target is found too (nothing evaluated twice). */
static void
test_resume (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  BsStoreMetrics m = metrics (90, 100);
  gint64 sweep, again, other;
  gboolean resumed = FALSE;

  {
    g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
    g_assert_no_error (error);
    sweep = new_sweep (store, "spec-1", &resumed);
    bs_store_add_result (store, sweep, "v1;x", 1, two_layers, 2, &m, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
    g_autoptr (BsStoreResult) found = NULL;
    g_assert_no_error (error);
    again = new_sweep (store, "spec-1", &resumed);
    g_assert_true (resumed);
    g_assert_cmpint (again, ==, sweep);
    other = new_sweep (store, "spec-2", &resumed);
    g_assert_false (resumed);
    g_assert_cmpint (other, !=, sweep);
    g_assert_true (bs_store_lookup (store, other, "v1;x", &found, &error));
  }
}

static char *
file_digest (const char *path)
{
  g_autofree char *c = NULL;
  gsize n = 0;
  g_assert_true (g_file_get_contents (path, &c, &n, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) c, n);
}

static void
assert_refused_untouched (const char *path, BsStoreError code)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *before = file_digest (path);
  g_autofree char *after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  BsStore *store = bs_store_open (path, &error);

  g_assert_null (store);
  g_assert_error (error, BS_STORE_ERROR, (gint) code);
  g_assert_nonnull (strstr (error->message, path));      /* names the file */
  g_assert_null (strchr (error->message, '\n'));         /* one line */
  after = file_digest (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_refuse_garbage (Fixture *fx, gconstpointer data)
{
  g_assert_true (g_file_set_contents (fx->path, "hello, this is not a database\n", -1, NULL));
  assert_refused_untouched (fx->path, BS_STORE_ERROR_NOT_SQLITE);
}

static void
test_refuse_foreign (Fixture *fx, gconstpointer data)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE songs (title TEXT); INSERT INTO songs "
                                     "VALUES ('x')", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  assert_refused_untouched (fx->path, BS_STORE_ERROR_FOREIGN);
}

static void
test_refuse_newer (Fixture *fx, gconstpointer data)
{
  sqlite3 *db = NULL;
  {
    g_autoptr (BsStore) store = bs_store_open (fx->path, NULL);
    g_assert_nonnull (store);
  }
  g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  assert_refused_untouched (fx->path, BS_STORE_ERROR_TOO_NEW);
}

static void
test_refuse_truncated (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  {
    g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
    BsStoreMetrics m = metrics (90, 100);
    gint64 sweep = new_sweep (store, "s", NULL);
    for (int i = 0; i < 300; i++)
      {
        g_autofree char *canon = g_strdup_printf ("v1;cfg-%d-%s", i, "padding padding padding");
        bs_store_add_result (store, sweep, canon, (guint64) i, two_layers, 2, &m, &error);
        g_assert_no_error (error);
      }
  }
  {
    /* fold the WAL back so the main file holds everything, then cut it */
    sqlite3 *db = NULL;
    g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
    sqlite3_exec (db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    sqlite3_close (db);
  }
  g_assert_true (g_file_get_contents (fx->path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 8192);
  /* keep the header page, damage the rest */
  memset (contents + 4096, 0xA5, len - 4096);
  g_assert_true (g_file_set_contents (fx->path, contents, (gssize) len, NULL));
  assert_refused_untouched (fx->path, BS_STORE_ERROR_CORRUPT);
}

/* A writer killed in the middle of a transaction that had already spilled
 * into the file (a hot rollback journal left beside it — what a writer
 * killed while creating the database leaves): opening takes SQLite's
 * recovery, not a "damaged database", and gives the last committed state. */
static void
test_hot_journal (Fixture *fx, gconstpointer data)
{
  pid_t pid;
  int status;
  g_autofree char *journal = g_strconcat (fx->path, "-journal", NULL);

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
    g_assert_no_error (error);
    new_sweep (store, "kept", NULL);
  }
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      sqlite3 *db = NULL;
      if (sqlite3_open (fx->path, &db) != SQLITE_OK
          || sqlite3_exec (db, "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 2; BEGIN;"
                               "CREATE TABLE junk (x); INSERT INTO junk SELECT randomblob (900)"
                               " FROM (WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1"
                               " FROM n WHERE i < 400) SELECT i FROM n);", NULL, NULL, NULL)
             != SQLITE_OK)
        _exit (3);
      raise (SIGKILL);
      _exit (4);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_true (g_file_test (journal, G_FILE_TEST_EXISTS));
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT (SELECT count(*) FROM sqlite_schema WHERE "
                                         "name = 'junk'), (SELECT count(*) FROM sweeps)", -1,
                                         &st, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (st, 0), ==, 0);
    g_assert_cmpint (sqlite3_column_int (st, 1), ==, 1);
    sqlite3_finalize (st);
    sqlite3_close (db);
  }
}

/* A writer killed with SIGKILL at random moments: the database stays
 * consistent — every stored configuration has all its layers, every result
 * its configuration — and opens cleanly. */
static void
test_kill9 (Fixture *fx, gconstpointer data)
{
  for (int round = 0; round < 6; round++)
    {
      pid_t pid;
      int status;

      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          g_autoptr (BsStore) store = bs_store_open (fx->path, NULL);
          BsStoreMetrics m = metrics (80, 10);
          gint64 sweep;
          if (!store)
            _exit (3);
          sweep = new_sweep (store, "kill", NULL);
          for (int i = 0;; i++)
            {
              g_autofree char *canon = g_strdup_printf ("v1;r%d-%d", round, i);
              if (bs_store_add_result (store, sweep, canon, (guint64) i, two_layers, 2, &m,
                                       NULL) < 0)
                _exit (4);
            }
        }
      g_usleep (20000 + 15000 * round);
      kill (pid, SIGKILL);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));

      {
        g_autoptr (GError) error = NULL;
        g_autoptr (BsStore) store = bs_store_open (fx->path, &error);
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        g_assert_no_error (error);
        g_assert_cmpint (sqlite3_open (fx->path, &db), ==, SQLITE_OK);
        g_assert_cmpint (sqlite3_prepare_v2 (db,
          "SELECT (SELECT count(*) FROM configs c WHERE (SELECT count(*) FROM config_layers l "
          "WHERE l.config_id = c.id) != c.n_layers), "
          "(SELECT count(*) FROM results r WHERE NOT EXISTS (SELECT 1 FROM configs c "
          "WHERE c.id = r.config_id)), "
          "(SELECT count(*) FROM results r WHERE NOT EXISTS (SELECT 1 FROM sweep_results s "
          "WHERE s.result_id = r.id)), "
          "(SELECT count(*) FROM results)", -1, &st, NULL), ==, SQLITE_OK);
        g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
        g_assert_cmpint (sqlite3_column_int (st, 0), ==, 0);
        g_assert_cmpint (sqlite3_column_int (st, 1), ==, 0);
        g_assert_cmpint (sqlite3_column_int (st, 2), ==, 0);
        g_test_message ("round %d: %d results survive", round, sqlite3_column_int (st, 3));
        sqlite3_finalize (st);
        g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &st, NULL), ==,
                         SQLITE_OK);
        g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
        g_assert_cmpstr ((const char *) sqlite3_column_text (st, 0), ==, "ok");
        sqlite3_finalize (st);
        sqlite3_close (db);
      }
    }
}

/* Two processes writing the same database: every write lands once. */
static void
test_two_writers (Fixture *fx, gconstpointer data)
{
  pid_t pids[2];
  enum { PER_WRITER = 150 };

  { g_autoptr (BsStore) store = bs_store_open (fx->path, NULL); new_sweep (store, "w", NULL); }
  for (int w = 0; w < 2; w++)
    {
      pids[w] = fork ();
      g_assert_cmpint (pids[w], >=, 0);
      if (pids[w] == 0)
        {
          g_autoptr (BsStore) store = bs_store_open (fx->path, NULL);
          BsStoreMetrics m = metrics (70, 1);
          gint64 sweep = store ? new_sweep (store, "w", NULL) : -1;
          for (int i = 0; store && i < PER_WRITER; i++)
            {
              /* half the configurations are shared between the writers */
              g_autofree char *canon = g_strdup_printf ("v1;%s%d", i % 2 ? "shared" : (w ? "b" : "a"), i);
              if (bs_store_add_result (store, sweep, canon, (guint64) i, two_layers, 2, &m, NULL) < 0)
                _exit (5);
            }
          _exit (store ? 0 : 6);
        }
    }
  for (int w = 0; w < 2; w++)
    {
      int status;
      g_assert_cmpint (waitpid (pids[w], &status, 0), ==, pids[w]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  {
    g_autoptr (BsStore) store = bs_store_open (fx->path, NULL);
    g_autoptr (GPtrArray) rows = bs_store_list_results (store, 0, FALSE, NULL);
    /* 75 private to a, 75 private to b, 75 shared */
    g_assert_cmpuint (rows->len, ==, 3 * PER_WRITER / 2);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/app/store/roundtrip", test_roundtrip);
  ADD ("/app/store/resume", test_resume);
  ADD ("/app/store/refuse/garbage", test_refuse_garbage);
  ADD ("/app/store/refuse/foreign", test_refuse_foreign);
  ADD ("/app/store/refuse/newer", test_refuse_newer);
  ADD ("/app/store/refuse/damaged", test_refuse_truncated);
  ADD ("/app/store/kill9-consistent", test_kill9);
  ADD ("/app/store/hot-journal-recovered", test_hot_journal);
  ADD ("/app/store/two-writers", test_two_writers);
  return g_test_run ();
}
