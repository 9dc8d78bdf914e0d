/* Placeholder until the dcerpc dissector lands: never claims a flow. */
#include "dissect.h"

static int probe(const struct flow *f, int to_server, const uint8_t *data, size_t len)
{
    (void)f, (void)to_server, (void)data, (void)len;
    return 0;
}

const struct dissector dissector_dcerpc = {.name = "dcerpc", .transports = DISSECT_TCP, .probe = probe};

/* Placeholder API until the DCE-RPC parser lands. */
#include <string.h>
#include "dcerpc.h"

void dcerpc_conn_init(struct dcerpc_conn *c)
{
    memset(c, 0, sizeof(*c));
}

long dcerpc_parse(struct dissect_ctx *dc, struct dcerpc_conn *c, int to_server,
                  const uint8_t *data, size_t len, const char *pipe)
{
    (void)dc, (void)c, (void)to_server, (void)data, (void)pipe;
    return (long)len;
}

const char *dcerpc_interface_name(const uint8_t uuid[16])
{
    (void)uuid;
    return NULL;
}

void dcerpc_uuid_format(const uint8_t uuid[16], char *out)
{
    (void)uuid;
    out[0] = 0;
}
