/* Placeholder until the NTLMSSP parser lands. */
#include "ntlmssp.h"

int ntlmssp_parse(const uint8_t *data, size_t len, struct ntlmssp_info *out)
{
    (void)data, (void)len, (void)out;
    return -1;
}

int ntlmssp_find(const uint8_t *blob, size_t len, struct ntlmssp_info *out)
{
    (void)blob, (void)len, (void)out;
    return -1;
}
