/* bs-application.h — the Bitscape application. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BS_APPLICATION_ID "org.bitscape.Bitscape"

#define BS_TYPE_APPLICATION (bs_application_get_type ())
G_DECLARE_FINAL_TYPE (BsApplication, bs_application, BS, APPLICATION, AdwApplication)

BsApplication *bs_application_new          (void);
GSettings     *bs_application_get_settings (BsApplication *self);
const char    *bs_application_get_model    (BsApplication *self);
const char    *bs_application_get_dataset  (BsApplication *self);
const char    *bs_application_get_config   (BsApplication *self);
gboolean       bs_application_get_start_sweeps (BsApplication *self);

G_END_DECLS
