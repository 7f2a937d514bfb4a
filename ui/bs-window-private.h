/* bs-window-private.h — BsWindow's insides, shared by its files and tests. */
#pragma once

#include "bs-energy-chart.h"
#include "bs-format-compare.h"
#include "bs-layer-table.h"
#include "bs-pareto-plot.h"
#include "bs-reader.h"
#include "bs-result-panel.h"
#include "bs-session.h"
#include "bs-sweep-dialog.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsSweepRun BsSweepRun;
typedef struct _BsReopen BsReopen;

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
  AdwActionRow *project_row;
  AdwViewStack *view_stack;
  GtkStack *pareto_stack;
  BsParetoPlot *plot;
  GtkRevealer *details_revealer;
  BsResultPanel *result_panel;
  AdwStatusPage *error_page;
  BsFormatCompare *compare;
  GMenu *recent_menu;
  GtkLabel *config_title;
  GtkLabel *config_metrics;
  GtkStack *inspector_stack;
  GtkStack *inspector_body;           /* "inspector", or "model-error" */
  AdwStatusPage *model_error_page;
  GtkButton *model_error_button;
  GtkDropDown *target_drop;
  BsLayerTable *layer_table;
  BsEnergyChart *energy_chart;
  GtkRevealer *sweep_revealer;
  GtkLabel *sweep_label;
  GtkProgressBar *sweep_progress;
  AdwActionRow *model_row;
  AdwActionRow *dataset_row;

  GSettings *settings;
  GCancellable *cancellable;          /* the window's lifetime */
  GCancellable *project_cancellable;  /* the current project's work */
  GCancellable *result_cancellable;   /* the details being loaded */
  char *path;
  BsSweepList *info;
  GHashTable *series;                 /* sweep id (gint64 *) → BsPlotSeries */
  guint loading;                      /* reads in flight */
  gboolean project_failed;            /* the project at path could not be opened */

  /* tuning (bs-window-tuning.c) */
  BsSession *session;                 /* the model being tuned, or NULL */
  GCancellable *session_cancellable;  /* its opening and evaluations */
  GCancellable *eval_cancellable;     /* the evaluation in flight */
  GCancellable *inputs_cancellable;   /* layer inputs being captured for the comparison */
  bs_config *config;                  /* the selected configuration */
  BsEvaluation *evaluation;           /* its evaluation; NULL while pending */
  GPtrArray *undo, *redo;             /* canonical texts, most recent last */
  BsPlotSeries *tuning;               /* the selected configuration's point */
  GtkStringList *targets;             /* names in target_drop */
  BsSharedTarget *target;             /* NULL: none (yet) */
  GCancellable *target_cancellable;
  gboolean start_sweeps;              /* run the first sweeps once the model is open */
  gboolean remember_model;            /* save model and dataset in the settings once open */
  char *start_config;                 /* an XML configuration to select then, or NULL */
  char *compare_tensor;               /* the model's tensor last shown in the comparison */
  BsReopen *reopen;                   /* the model being opened again keeps this, or NULL */
  guint threads_timeout;              /* a change of the "threads" setting to apply */

  /* sweeps (bs-window-sweep.c) */
  BsSweepRun *sweep;                  /* running, or NULL */
  GQueue *sweep_queue;                /* BsSweepRequest waiting */
  GHashTable *streamed;               /* BsPlotSeries → GPtrArray of canonical texts */
};

void  _bs_window_class_actions_init (BsWindowClass *klass);
void  _bs_window_actions_init       (BsWindow      *self);
void  _bs_window_update_actions     (BsWindow      *self);
void  _bs_window_add_recent         (BsWindow      *self,
                                     const char    *path);
void  _bs_window_toast              (BsWindow      *self,
                                     const char    *message);
void  _bs_window_chooser_folder     (BsWindow      *self,
                                     GtkFileChooser *chooser);
char *_bs_export_path_for           (const char    *path,
                                     const char    *suggested,
                                     const char    *filter_suffix);
void  _bs_window_hold               (BsWindow      *self);
void  _bs_window_release            (BsWindow      *self);
void  _bs_window_update_pareto_page (BsWindow      *self);
void  _bs_window_reload_sweeps      (BsWindow      *self,
                                     gint64         reload_id);
void  _bs_window_update_sweep_row    (BsWindow      *self,
                                     gint64         sweep_id,
                                     gint64         n_results);
BsPlotSeries *_bs_window_ensure_series (BsWindow   *self,
                                        const BsStoreSweep *sweep);

/* bs-window-tuning.c */
void  _bs_window_tuning_init        (BsWindow      *self);
void  _bs_window_tuning_settings    (BsWindow      *self);
void  _bs_window_tuning_threads     (BsWindow      *self);
void  _bs_window_tuning_dispose     (BsWindow      *self);
void  _bs_window_set_config         (BsWindow      *self,
                                     const bs_config *config,
                                     gboolean       record);
gboolean _bs_window_select_canonical (BsWindow     *self,
                                      const char   *canonical,
                                      const char   *model);
void  _bs_window_compare_layer      (BsWindow      *self,
                                     int            layer);
void  _bs_window_compare_inputs     (BsWindow      *self,
                                     int            layer);
void  _bs_window_undo               (BsWindow      *self);
void  _bs_window_redo               (BsWindow      *self);
void  _bs_window_recost             (BsWindow      *self);

/* bs-window-target.c */
void  _bs_window_target_init        (BsWindow      *self);
void  _bs_window_target_dispose     (BsWindow      *self);
const char *_bs_window_target_name  (BsWindow      *self);

/* bs-window-sweep.c */
void  _bs_window_sweep_init         (BsWindow      *self);
void  _bs_window_sweep_dispose      (BsWindow      *self);
void  _bs_window_start_first_sweeps (BsWindow      *self);
void  _bs_window_queue_sweep        (BsWindow      *self,
                                     const BsSweepRequest *request);
void  _bs_window_new_sweep_dialog   (BsWindow      *self);
void  _bs_window_cancel_sweep       (BsWindow      *self);
const char *_bs_window_streamed_canonical (BsWindow *self,
                                           BsPlotSeries *series,
                                           guint     index);

/* bs-window-export.c */
void  _bs_window_class_export_init  (BsWindowClass *klass);

G_END_DECLS
