/* Placeholder until the rdp dissector lands: never claims a flow. */
#include "dissect.h"

static int probe(const struct flow *f, int to_server, const uint8_t *data, size_t len)
{
    (void)f, (void)to_server, (void)data, (void)len;
    return 0;
}

const struct dissector dissector_rdp = {.name = "rdp", .transports = DISSECT_TCP, .probe = probe};
