/* Every detector, in a fixed order: the order they run in, and the bit
 * each has in a flow's alerted mask. Adding a detector: its file and one
 * line here. */
#include <string.h>

#include "detect.h"

extern const struct detector detector_policy_violation;
extern const struct detector detector_admin_protocol_cross_zone;
extern const struct detector detector_new_edge;
extern const struct detector detector_remote_service;
extern const struct detector detector_remote_task;
extern const struct detector detector_remote_wmi;
extern const struct detector detector_remote_dcom;
extern const struct detector detector_remote_registry;
extern const struct detector detector_remote_log_clear;
extern const struct detector detector_remote_shutdown;
extern const struct detector detector_remote_persistence;
extern const struct detector detector_rpc_discovery;
extern const struct detector detector_dcsync;
extern const struct detector detector_zerologon;
extern const struct detector detector_auth_coercion;
extern const struct detector detector_share_discovery;
extern const struct detector detector_account_discovery;
extern const struct detector detector_smb_admin_share;
extern const struct detector detector_lateral_tool_transfer;
extern const struct detector detector_smb_ransomware;
extern const struct detector detector_password_spray;
extern const struct detector detector_kerberoast;
extern const struct detector detector_internal_scan;
extern const struct detector detector_ndpi_risk;

static const struct detector *const registry[] = {
    &detector_policy_violation,
    &detector_admin_protocol_cross_zone,
    &detector_new_edge,
    &detector_remote_service,
    &detector_remote_task,
    &detector_remote_wmi,
    &detector_remote_dcom,
    &detector_remote_registry,
    &detector_remote_log_clear,
    &detector_remote_shutdown,
    &detector_remote_persistence,
    &detector_rpc_discovery,
    &detector_dcsync,
    &detector_zerologon,
    &detector_auth_coercion,
    &detector_share_discovery,
    &detector_account_discovery,
    &detector_smb_admin_share,
    &detector_lateral_tool_transfer,
    &detector_smb_ransomware,
    &detector_password_spray,
    &detector_kerberoast,
    &detector_internal_scan,
    &detector_ndpi_risk,
};
#define NDETECTORS (sizeof(registry) / sizeof(registry[0]))
_Static_assert(NDETECTORS <= DETECT_MAX, "more detectors than alerted bits");

size_t detect_count(void)
{
    return NDETECTORS;
}

const struct detector *detect_get(size_t i)
{
    return i < NDETECTORS ? registry[i] : NULL;
}

int detect_index(const char *id)
{
    for (size_t i = 0; i < NDETECTORS; i++)
        if (strcmp(registry[i]->info.id, id) == 0) return (int)i;
    return -1;
}

const struct detector *detect_find(const char *id)
{
    int i = detect_index(id);
    return i < 0 ? NULL : registry[i];
}
