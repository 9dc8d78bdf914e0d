/* libFuzzer target for the rdp dissector (harness: fuzz_dissector.h). */
#include "dissect.h"

extern const struct dissector dissector_rdp;
#define FUZZ_DISSECTOR dissector_rdp
#include "fuzz_dissector.h"
