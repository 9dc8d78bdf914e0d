/* NTLMSSP (MS-NLMP 2.2.1): NEGOTIATE / CHALLENGE / AUTHENTICATE messages,
 * carried inside SMB session setup, DCE-RPC auth verifiers and HTTP
 * "Authorization: NTLM|Negotiate" headers. */
#ifndef VIGIE_NTLMSSP_H
#define VIGIE_NTLMSSP_H

#include <stddef.h>
#include <stdint.h>

#define NTLMSSP_NEGOTIATE 1
#define NTLMSSP_CHALLENGE 2
#define NTLMSSP_AUTHENTICATE 3

struct ntlmssp_info {
    int msg_type;
    uint32_t flags;
    char user[128], domain[128], workstation[128]; /* UTF-8 */
    int has_version;
    uint8_t major, minor;
    uint16_t build;
    int anonymous; /* AUTHENTICATE with empty user */
};

/* Parses a message starting with "NTLMSSP\0". Returns 0, or -1 if malformed. */
int ntlmssp_parse(const uint8_t *data, size_t len, struct ntlmssp_info *out);
/* Finds "NTLMSSP\0" inside a security blob (SPNEGO/GSS-API) and parses it. */
int ntlmssp_find(const uint8_t *blob, size_t len, struct ntlmssp_info *out);

#endif
