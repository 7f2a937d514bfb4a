/* placeholder: replaced by the Kulisch accumulator */
#include "bs-format-private.h"
