/* placeholder: replaced by the log implementation */
#include "bs-format-private.h"
static int no_parse (const char *n, bs_format *f, char *e, size_t l) { return 0; }
const bs_format_traits _bs_log_traits = { .family = BS_FAMILY_LOG, .pattern = "log<N>_<ES>", .summary = "", .parse = no_parse };
int _bs_log_dot_elma (const bs_format *f, const double *qa, const double *qb, size_t n, bs_dot_result *r, char *err, size_t errlen) { return _bs_fail (err, errlen, "ELMA not yet available"); }
