/* libFuzzer target for the kerberos dissector (harness: fuzz_dissector.h). */
#include "dissect.h"

extern const struct dissector dissector_kerberos;
#define FUZZ_DISSECTOR dissector_kerberos
#include "fuzz_dissector.h"
