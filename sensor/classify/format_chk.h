/* snprintf, __snprintf_chk and __sprintf_chk with a short path for the
 * formats nDPI writes per flow (see format_chk.c for why vigie defines
 * them). The names format_* reach vigie's own in every build, sanitizers
 * too, where the runtime's interceptors take the standard names. */
#ifndef VIGIE_FORMAT_CHK_H
#define VIGIE_FORMAT_CHK_H

#include <stddef.h>

/* As snprintf. */
int format_snprintf(char *s, size_t maxlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* glibc's fortified snprintf: aborts when slen (the object's size) is
 * less than maxlen. */
int format_snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* glibc's fortified sprintf: aborts when the output and its NUL pass
 * slen bytes. */
int format_sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
