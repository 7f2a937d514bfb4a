/* bs-dataset.h — labelled image sets: idx and .npy files, normalisation,
 * calibration subsets.
 *
 * Files may be gzip'd or plain (decided by content, not name).  idx: the
 * MNIST layout (magic 0 0 type rank, big-endian u32 dims; images rank 3
 * [N,H,W] or 4 [N,C,H,W], labels rank 1).  .npy: format 1.0/2.0/3.0, C order,
 * little- or big-endian numbers; images [N,H,W] or [N,C,H,W], labels [N].
 * uint8 images stay uint8; any other numeric type becomes float.  Errors are
 * one line naming the file: "train-images.gz: truncated: 1234 of 47040016
 * pixel bytes".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bs-tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BS_DATASET_MAX_CHANNELS 16

typedef enum {
  BS_PIXELS_U8,
  BS_PIXELS_F32,
} bs_pixels;

typedef struct {
  int64_t n, c, h, w;
  bs_pixels type;
  uint8_t *u8;        /* n·c·h·w pixels when type is BS_PIXELS_U8 */
  float *f32;         /* when BS_PIXELS_F32 */
  int32_t *labels;    /* n labels, each ≥ 0 */
  int n_classes;      /* 1 + the largest label */
} bs_dataset;

/* Normalisation: x = pixel · scale, then (x - mean[c]) / std[c]. */
typedef struct {
  float scale;
  int n_channels;     /* 0: no mean/std step; 1: one mean/std for every channel; else c */
  float mean[BS_DATASET_MAX_CHANNELS];
  float std[BS_DATASET_MAX_CHANNELS];
} bs_norm;

/* Debian's dataset-fashion-mnist installs here. */
#define BS_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
/* Mean and standard deviation of the Fashion-MNIST training pixels / 255
 * (measured by bs_dataset_stats on the Debian files: 0.28604, 0.35302). */
#define BS_FASHION_MNIST_MEAN 0.2860f
#define BS_FASHION_MNIST_STD 0.3530f

/* Load images and labels (idx or npy each, told apart by content). */
int bs_dataset_load (const char *images, const char *labels, bs_dataset *ds, char *err,
                     size_t errlen);
/* Fashion-MNIST from dir (NULL = BS_FASHION_MNIST_DIR): train-*-idx?-ubyte.gz
 * (60 000) or t10k-* (10 000), plain files accepted when the .gz is absent. */
int bs_dataset_load_fashion_mnist (const char *dir, bool train, bs_dataset *ds, char *err,
                                   size_t errlen);
void bs_dataset_clear (bs_dataset *ds);

/* scale 1/255 for uint8 pixels (1 for float), no mean/std. */
bs_norm bs_norm_unit (const bs_dataset *ds);
/* pixels/255, then (x - 0.2860) / 0.3530. */
bs_norm bs_norm_fashion_mnist (void);
/* Per-channel mean and standard deviation of pixel · scale (double sums);
 * mean and std hold ds->c entries. */
int bs_dataset_stats (const bs_dataset *ds, float scale, double *mean, double *std);

/* Images [first, first + count) normalised into out = [count, c, h, w] float
 * (allocated here). */
int bs_dataset_batch (const bs_dataset *ds, int64_t first, int64_t count, const bs_norm *norm,
                      bs_tensor *out, char *err, size_t errlen);

/* A new dataset of the images idx[0..n) (copied, in that order). */
int bs_dataset_subset (const bs_dataset *ds, const int64_t *idx, int64_t n, bs_dataset *out,
                       char *err, size_t errlen);
/* A deterministic calibration subset of n images of a TRAINING set: the
 * first n of a splitmix64-seeded Fisher–Yates shuffle of 0..N-1, sorted
 * ascending.  The same (N, n, seed) gives the same images on every machine. */
int bs_dataset_calibration (const bs_dataset *train, int64_t n, uint64_t seed, bs_dataset *out,
                            char *err, size_t errlen);
/* The indices bs_dataset_calibration picks (idx holds n). */
int bs_dataset_calibration_indices (int64_t total, int64_t n, uint64_t seed, int64_t *idx);

#ifdef __cplusplus
}
#endif
