/* placeholder: replaced by the posit implementation */
#include "bs-format-private.h"
static int no_parse (const char *n, bs_format *f, char *e, size_t l) { return 0; }
const bs_format_traits _bs_posit_traits = { .family = BS_FAMILY_POSIT, .pattern = "posit<N>_<ES>", .summary = "", .parse = no_parse };
int _bs_posit_dot_quire (const bs_format *f, const double *qa, const double *qb, size_t n, bs_dot_result *r, char *err, size_t errlen) { return _bs_fail (err, errlen, "quire not yet available"); }
