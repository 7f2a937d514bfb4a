/* bs-store-private.h — shared between the store's files. */
#pragma once

#include <sqlite3.h>

#include "bs-store.h"

gboolean _bs_store_exec (BsStore *store, const char *sql, GError **error);
sqlite3_stmt *_bs_store_prepare (BsStore *store, const char *sql, GError **error);
sqlite3 *_bs_store_db (BsStore *store);
