/* bs-window-private.h — BsWindow's insides, shared by its files and tests. */
#pragma once

#include "bs-format-compare.h"
#include "bs-pareto-plot.h"
#include "bs-reader.h"
#include "bs-result-panel.h"
#include "bs-window.h"

G_BEGIN_DECLS

struct _BsWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwToastOverlay *toast_overlay;
  AdwLeaflet *leaflet;
  GtkWidget *content;
  AdwWindowTitle *sidebar_title;
  GtkStack *sidebar_stack;
  GtkListBox *sweep_list;
  GtkLabel *project_label;
  AdwViewStack *view_stack;
  GtkStack *pareto_stack;
  BsParetoPlot *plot;
  GtkRevealer *details_revealer;
  BsResultPanel *result_panel;
  AdwStatusPage *error_page;
  BsFormatCompare *compare;
  GMenu *recent_menu;

  GSettings *settings;
  GCancellable *cancellable;          /* the window's lifetime */
  GCancellable *project_cancellable;  /* the current project's work */
  GCancellable *result_cancellable;   /* the details being loaded */
  char *path;
  BsSweepList *info;
  GHashTable *series;                 /* sweep id (gint64 *) → BsPlotSeries */
  guint loading;                      /* reads in flight */
};

void  _bs_window_class_actions_init (BsWindowClass *klass);
void  _bs_window_actions_init       (BsWindow      *self);
void  _bs_window_update_actions     (BsWindow      *self);
void  _bs_window_add_recent         (BsWindow      *self,
                                     const char    *path);
void  _bs_window_toast              (BsWindow      *self,
                                     const char    *message);

G_END_DECLS
