/* bs-window.h — a project window: sweeps in a sidebar, their Pareto plot,
 * the model being tuned (its layers, its energy), and the format
 * comparison. */
#pragma once

#include <adwaita.h>

#include "bs-application.h"

G_BEGIN_DECLS

#define BS_TYPE_WINDOW (bs_window_get_type ())
G_DECLARE_FINAL_TYPE (BsWindow, bs_window, BS, WINDOW, AdwApplicationWindow)

BsWindow   *bs_window_new          (BsApplication *app);
void        bs_window_open_path    (BsWindow      *self,
                                    const char    *path);
void        bs_window_open_default (BsWindow      *self);
void        bs_window_open_start_model (BsWindow  *self);
void        bs_window_open_model   (BsWindow      *self,
                                    const char    *model,
                                    const char    *dataset);
void        bs_window_export_config  (BsWindow    *self,
                                      const char  *path);
void        bs_window_export_results (BsWindow    *self,
                                      const char  *path,
                                      gboolean     csv);
void        bs_window_import_config  (BsWindow    *self,
                                      const char  *path);
const char *bs_window_get_path     (BsWindow      *self);
gboolean    bs_window_is_busy      (BsWindow      *self);

G_END_DECLS
