#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    if (gethostname(cfg->sensor_name, sizeof(cfg->sensor_name) - 1) != 0)
        snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "vigie");
    cfg->capture.snaplen = 1600;
    cfg->capture.buffer_mb = 64;
    cfg->flows.max = 1000000;
    cfg->flows.memcap_mb = 512;
    /* Suricata-like defaults: established TCP 300 s, closed TCP 10 s,
     * UDP 60 s, anything else 30 s. */
    cfg->flows.timeout_s[FLOW_TCP] = 300;
    cfg->flows.timeout_s[FLOW_TCP_CLOSED] = 10;
    cfg->flows.timeout_s[FLOW_UDP] = 60;
    cfg->flows.timeout_s[FLOW_OTHER] = 30;
}
