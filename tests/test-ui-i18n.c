/* The interface in Simplified Chinese, from the catalogue built in the build
 * directory (BITSCAPE_LOCALEDIR), with LANGUAGE=zh_CN; needs a display. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>

#include "bs-store.h"
#include "bs-sweep-dialog.h"
#include "bs-ui.h"
#include "bs-window-private.h"

static void
test_catalogue (void)
{
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Pareto Front"), ==, "帕累托前沿");
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Energy per inference"), ==, "每次推理能耗");
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Compute"), ==, "计算");
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Memory"), ==, "存储");
}

static GtkColumnView *
find_column_view (GtkWidget *w)
{
  if (GTK_IS_COLUMN_VIEW (w))
    return GTK_COLUMN_VIEW (w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkColumnView *v = find_column_view (c);

      if (v)
        return v;
    }
  return NULL;
}

static gboolean
idle (gpointer data)
{
  return !bs_window_is_busy (data);
}

static void
test_window_labels (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bs-i18n-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "p.bitscape", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  BsWindow *win;
  AdwViewStackPage *page;
  GtkWidget *row;
  gint64 deadline;

  {
    g_autoptr (BsStore) store = bs_store_open (path, &error);
    gint64 m = bs_store_ensure_model (store, "m", "1", NULL, &error);
    gint64 d = bs_store_ensure_dataset (store, "d", "2", NULL, &error);
    gint64 t = bs_store_ensure_target (store, "t", "3", NULL, &error);

    bs_store_begin_sweep (store, m, d, t, "grid", "{}", NULL, &error);
    g_assert_no_error (error);
  }

  win = bs_window_new (NULL);
  gtk_window_present (GTK_WINDOW (win));
  bs_window_open_path (win, path);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!idle (win) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (idle (win));

  page = adw_view_stack_get_page (win->view_stack, adw_view_stack_get_child_by_name (win->view_stack, "pareto"));
  g_assert_cmpstr (adw_view_stack_page_get_title (page), ==, "帕累托前沿");
  page = adw_view_stack_get_page (win->view_stack, adw_view_stack_get_child_by_name (win->view_stack, "formats"));
  g_assert_cmpstr (adw_view_stack_page_get_title (page), ==, "格式");
  row = gtk_widget_get_first_child (GTK_WIDGET (win->sweep_list));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "扫描 1 · grid");
  g_assert_cmpstr (adw_window_title_get_title (win->sidebar_title), ==, "扫描");

  /* the new views: inspector pages, layer table columns, sweep dialog */
  {
    static const char *const pages[][2] = { { "layers", "层" }, { "energy", "能耗" }, { "summary", "概要" } };
    GtkColumnView *view = find_column_view (GTK_WIDGET (win->layer_table));
    g_autoptr (GtkColumnViewColumn) weights = NULL;
    BsSweepDialog *dialog;

    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        GtkStackPage *sp = gtk_stack_get_page (win->inspector_stack,
                                               gtk_stack_get_child_by_name (win->inspector_stack, pages[i][0]));

        g_assert_cmpstr (gtk_stack_page_get_title (sp), ==, pages[i][1]);
      }
    g_assert_nonnull (view);
    weights = g_list_model_get_item (gtk_column_view_get_columns (view), BS_LAYER_COLUMN_WEIGHT);
    g_assert_cmpstr (gtk_column_view_column_get_title (weights), ==, "权重");
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (win->model_row)), ==, "模型");
    dialog = bs_sweep_dialog_new (GTK_WINDOW (win), G_LIST_MODEL (win->targets), NULL);
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "新建扫描");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }

  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  /* before anything reads the locale */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  setlocale (LC_ALL, "");
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  bs_ui_init ();
  textdomain (GETTEXT_PACKAGE);

  g_test_add_func ("/ui/i18n/zh_CN/catalogue", test_catalogue);
  g_test_add_func ("/ui/i18n/zh_CN/window", test_window_labels);

  return g_test_run ();
}
