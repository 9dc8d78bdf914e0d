/* libFuzzer target for the http dissector (harness: fuzz_dissector.h). */
#include "dissect.h"

extern const struct dissector dissector_http;
#define FUZZ_DISSECTOR dissector_http
#include "fuzz_dissector.h"
