/* libFuzzer target for ntlmssp.c: ntlmssp_parse() on the input as a
 * message and ntlmssp_find() on it as a security blob. libFuzzer's buffer
 * is exact-size, so ASan flags any read past it; the result must be
 * consistent: on success a known message type and NUL-terminated strings
 * that fit their arrays, on failure nothing claimed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ntlmssp.h"

static void check(int rc, const struct ntlmssp_info *info)
{
    if (rc != 0 && rc != -1) __builtin_trap();
    if (rc != 0) return;
    if (info->msg_type < NTLMSSP_NEGOTIATE || info->msg_type > NTLMSSP_AUTHENTICATE)
        __builtin_trap();
    if (!memchr(info->user, 0, sizeof(info->user)) ||
        !memchr(info->domain, 0, sizeof(info->domain)) ||
        !memchr(info->workstation, 0, sizeof(info->workstation)))
        __builtin_trap();
    if (info->msg_type != NTLMSSP_AUTHENTICATE && (info->user[0] || info->anonymous))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntlmssp_info info;
    check(ntlmssp_parse(data, size, &info), &info);
    check(ntlmssp_find(data, size, &info), &info);
    return 0;
}
