/* bs-project.h — a model, its dataset and an evaluator, as the CLI, the
 * sweep runner and the app all use them.
 *
 *   BsProject *p = bs_project_open ("data/models/fmnist-cnn.onnx", "fashion-mnist",
 *                                   NULL, &opts, &error);
 *   bs_project_evaluate (p, cfg, target, &metrics, &eval, &energy, &error);
 *
 * Dataset names: "fashion-mnist" (Debian's /usr/share/datasets/fashion-mnist),
 * a directory holding the four idx files (gzip'd or not) of the MNIST
 * layout, or "IMAGES.npy,LABELS.npy" (test set; no calibration set then
 * unless a training pair follows: "TEST_IMG.npy,TEST_LBL.npy,TRAIN_IMG.npy,
 * TRAIN_LBL.npy").  The calibration subset always comes from the training
 * images, never from the test set.
 *
 * Normalisation: --normalize MEAN,STD if given; else the model's own record
 * (ONNX metadata "bitscape.normalize" = "MEAN,STD"); else pixels scaled to
 * [0, 1].
 */
#pragma once

#include <gio/gio.h>

#include "bs-config.h"
#include "bs-dataset.h"
#include "bs-energy.h"
#include "bs-eval.h"
#include "bs-graph.h"
#include "bs-search.h"
#include "bs-xml.h"

G_BEGIN_DECLS

#define BS_PROJECT_ERROR (bs_project_error_quark ())
GQuark bs_project_error_quark (void);

typedef enum {
  BS_PROJECT_ERROR_MODEL,
  BS_PROJECT_ERROR_DATASET,
  BS_PROJECT_ERROR_CONFIG,
  BS_PROJECT_ERROR_TARGET,
  BS_PROJECT_ERROR_EVAL,
} BsProjectError;

typedef struct {
  int threads;              /* 0 = all cores */
  gint64 limit;             /* test images (0 = all) */
  gint64 calib_images;      /* 0 = 512 */
  bs_eval_path path;
  const char *normalize;    /* "MEAN,STD" or NULL */
  gsize cache_bytes;        /* prefix-cache budget: 0 = the evaluator's default, 1 = none */
} BsProjectOptions;

#define BS_PROJECT_OPTIONS_INIT { 0 }

typedef struct _BsProject BsProject;

BsProject *bs_project_open (const char *model_path, const char *dataset,
                            const BsProjectOptions *o, GError **error);
void bs_project_free (BsProject *p);

const char *bs_project_model_path (BsProject *p);
const char *bs_project_model_name (BsProject *p);    /* file name without .onnx */
const char *bs_project_dataset_name (BsProject *p);
const char *bs_project_model_sha256 (BsProject *p);
const char *bs_project_dataset_sha256 (BsProject *p); /* of the test images + labels */
gint64 bs_project_images (BsProject *p);
/* The options the project was opened with (normalize owned by p). */
const BsProjectOptions *bs_project_options (BsProject *p);
bs_evaluator *bs_project_evaluator (BsProject *p);
int bs_project_n_layers (BsProject *p);
const bs_layer_info *bs_project_layer (BsProject *p, int i);
bs_graph *bs_project_graph (BsProject *p);

/* A configuration with every compute layer set to the same formats. */
bs_config *bs_project_uniform_config (BsProject *p, const char *weights, const char *activations,
                                      const char *acc, const char *scaling, GError **error);

/* The energy layers of a configuration (sparsity from eval when given). */
bs_energy_result *bs_project_energy (BsProject *p, const bs_config *cfg, const bs_target *t,
                                     const bs_eval_result *eval, GError **error);

/* Accuracy (and energy when a target is given): fills metrics, and the full
 * evaluation / energy results when asked for (clear / free them). */
gboolean bs_project_evaluate (BsProject *p, const bs_config *cfg, const bs_target *t,
                              bs_metrics *metrics, bs_eval_result *eval_out,
                              bs_energy_result **energy_out, GError **error);

/* The fp32 input of compute layer `layer` (BatchNormalization folded, the
 * project's normalisation: what the evaluator's float network feeds it) over
 * the first `images` test images (0 = 256; never more than the test images
 * evaluated, nor than max_values / (values per image) when max_values > 0,
 * but at least one).  *values (g_free) holds *n floats, image after image;
 * *images_used (may be NULL) the number of images.  Runs on the project's
 * threads; reads only what never changes, so it may run beside an
 * evaluation.  FALSE with G_IO_ERROR_CANCELLED when cancelled. */
gboolean bs_project_layer_inputs (BsProject *p, int layer, gint64 images, gsize max_values,
                                  GCancellable *cancellable, float **values, gsize *n,
                                  gint64 *images_used, GError **error);

/* A configuration from an XML document's entry (layer count checked against
 * the project when p is given). */
bs_config *bs_project_config_from_xml (BsProject *p, const BsXmlConfig *x, GError **error);
/* An XML entry for a configuration of p with optional metrics. */
BsXmlConfig *bs_project_config_to_xml (BsProject *p, const bs_config *cfg, const char *target,
                                       const char *target_sha256, const bs_metrics *m,
                                       const char *path, gint64 images);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsProject, bs_project_free)

G_END_DECLS
