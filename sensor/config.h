/* Sensor configuration: built-in defaults (SPEC section 2) and, later, the
 * YAML file (SPEC section 3). */
#ifndef VIGIE_CONFIG_H
#define VIGIE_CONFIG_H

#include <stdint.h>
#include "flow_table.h"

#define CONFIG_STR 256

struct config {
    char sensor_name[CONFIG_STR];
    struct {
        char interface[CONFIG_STR];
        char bpf[1024];
        int snaplen;
        int buffer_mb;
    } capture;
    struct {
        uint32_t max;
        uint32_t memcap_mb;
        uint32_t timeout_s[FLOW_CLASS_MAX];
    } flows;
    struct {
        char flows_file[CONFIG_STR];
        char alerts_file[CONFIG_STR];
    } outputs;
};

void config_defaults(struct config *cfg);

#endif
