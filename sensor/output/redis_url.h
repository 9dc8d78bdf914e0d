/* Redis connection URLs:
 *   redis://[[user]:pass@]host[:port][/db]      (host may be [v6addr])
 *   unix://[[user]:pass@]/path/to.sock[?db=N]
 * User and password may be percent-encoded. */
#ifndef VIGIE_REDIS_URL_H
#define VIGIE_REDIS_URL_H

#include <stddef.h>

struct redis_url {
    char host[256]; /* TCP host; empty for a unix socket */
    int port;       /* default 6379 */
    char path[256]; /* unix socket path; empty for TCP */
    char user[128]; /* Redis 6 ACL user; empty = "AUTH pass" */
    char pass[256]; /* empty = no AUTH */
    int db;         /* SELECT db when > 0 */
};

/* Returns 0, or -1 with a message naming what is wrong in err. */
int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen);

#endif
