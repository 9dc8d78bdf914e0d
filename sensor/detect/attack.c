#include <string.h>

#include "attack.h"

static const struct {
    const char *id, *name, *tactic;
} table[] = {
    {"TA0002", "Execution", NULL},
    {"TA0003", "Persistence", NULL},
    {"TA0005", "Defense Evasion", NULL},
    {"TA0006", "Credential Access", NULL},
    {"TA0007", "Discovery", NULL},
    {"TA0008", "Lateral Movement", NULL},
    {"TA0040", "Impact", NULL},
    {"T1003.006", "OS Credential Dumping: DCSync", "TA0006"},
    {"T1012", "Query Registry", "TA0007"},
    {"T1016", "System Network Configuration Discovery", "TA0007"},
    {"T1018", "Remote System Discovery", "TA0007"},
    {"T1021", "Remote Services", "TA0008"},
    {"T1021.001", "Remote Services: Remote Desktop Protocol", "TA0008"},
    {"T1021.002", "Remote Services: SMB/Windows Admin Shares", "TA0008"},
    {"T1021.003", "Remote Services: Distributed Component Object Model", "TA0008"},
    {"T1021.004", "Remote Services: SSH", "TA0008"},
    {"T1021.005", "Remote Services: VNC", "TA0008"},
    {"T1021.006", "Remote Services: Windows Remote Management", "TA0008"},
    {"T1033", "System Owner/User Discovery", "TA0007"},
    {"T1046", "Network Service Discovery", "TA0007"},
    {"T1047", "Windows Management Instrumentation", "TA0002"},
    {"T1049", "System Network Connections Discovery", "TA0007"},
    {"T1053.002", "Scheduled Task/Job: At", "TA0002"},
    {"T1053.005", "Scheduled Task/Job: Scheduled Task", "TA0002"},
    {"T1069", "Permission Groups Discovery", "TA0007"},
    {"T1070.001", "Indicator Removal: Clear Windows Event Logs", "TA0005"},
    {"T1082", "System Information Discovery", "TA0007"},
    {"T1083", "File and Directory Discovery", "TA0007"},
    {"T1087.002", "Account Discovery: Domain Account", "TA0007"},
    {"T1110.003", "Brute Force: Password Spraying", "TA0006"},
    {"T1112", "Modify Registry", "TA0005"},
    {"T1124", "System Time Discovery", "TA0007"},
    {"T1135", "Network Share Discovery", "TA0007"},
    {"T1187", "Forced Authentication", "TA0006"},
    {"T1207", "Rogue Domain Controller", "TA0005"},
    {"T1210", "Exploitation of Remote Services", "TA0008"},
    {"T1486", "Data Encrypted for Impact", "TA0040"},
    {"T1529", "System Shutdown/Reboot", "TA0040"},
    {"T1543.003", "Create or Modify System Process: Windows Service", "TA0003"},
    {"T1547.004", "Boot or Logon Autostart Execution: Winlogon Helper DLL", "TA0003"},
    {"T1547.010", "Boot or Logon Autostart Execution: Port Monitors", "TA0003"},
    {"T1558.003", "Steal or Forge Kerberos Tickets: Kerberoasting", "TA0006"},
    {"T1569.002", "System Services: Service Execution", "TA0002"},
    {"T1570", "Lateral Tool Transfer", "TA0008"},
};

static int find(const char *id)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].id, id) == 0) return (int)i;
    return -1;
}

const char *attack_name(const char *id)
{
    int i = find(id);
    return i < 0 ? id : table[i].name;
}

const char *attack_tactic_of(const char *technique)
{
    int i = find(technique);
    return i < 0 ? NULL : table[i].tactic;
}
