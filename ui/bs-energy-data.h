/* bs-energy-data.h — what the energy breakdown draws: per layer, compute and
 * memory energy and the traceable terms behind them, copied out of an
 * energy result so that it outlives the target.  No widgets. */
#pragma once

#include <glib.h>

#include "bs-energy.h"

G_BEGIN_DECLS

typedef enum {
  BS_ENERGY_PART_COMPUTE,
  BS_ENERGY_PART_MEMORY,
  BS_ENERGY_PART_OTHER,        /* sizing (area, clock): neither bar */
} BsEnergyPart;

typedef struct {
  char *what, *detail, *unit, *source;
  double value;
  int line;                    /* in the target file; 0 for the model's own rules */
  BsEnergyPart part;
} BsEnergyTerm;

typedef struct {
  char *name, *op;
  guint64 macs;
  double gated_macs, mac_pj, lookup_pj;
  double compute_pj, memory_pj;
  double weights_pj, inputs_pj, outputs_pj, register_file_pj, dram_pj;
  double weight_bits, input_bits;
  char *acc;
  int acc_bits, passes;
  gboolean fallback;
  char *fallback_rules;
  GPtrArray *terms;            /* BsEnergyTerm */
} BsEnergyBar;

typedef struct {
  char *target, *file;         /* target name, its XML file */
  double compute_pj, memory_pj;
  GPtrArray *bars;             /* BsEnergyBar, in layer order */
} BsEnergyData;

BsEnergyData *bs_energy_data_new        (const bs_energy_result *result);
void          bs_energy_data_free       (BsEnergyData           *data);
BsEnergyPart  bs_energy_term_part       (const char             *what,
                                         const char             *detail);
char         *bs_energy_data_describe   (const BsEnergyData     *data,
                                         guint                   bar,
                                         BsEnergyPart            part);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsEnergyData, bs_energy_data_free)

G_END_DECLS
