/* Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec). */
#ifndef VIGIE_COMMUNITY_ID_H
#define VIGIE_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>
#include "decode/packet.h"

/* Writes "1:<base64 sha1>" for the flow between (a, pa) and (b, pb). */
int community_id_v1(uint16_t seed, uint8_t family, const uint8_t a[16], uint16_t pa,
                    const uint8_t b[16], uint16_t pb, uint8_t proto, char *out, size_t len);

#endif
