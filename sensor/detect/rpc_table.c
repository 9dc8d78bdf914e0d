/* The DCE-RPC table (see rpc_table.h). Rows follow MITRE BZAR's
 * bzar_dce-rpc_consts.zeek technique lists (marked "BZAR") and add what
 * SPEC section 7 asks beyond them. Each interface block cites the open
 * specification section that lists its opnums. */
#include <string.h>

#include "dcerpc.h"
#include "rpc_table.h"

extern const struct detector detector_account_discovery;
extern const struct detector detector_auth_coercion;
extern const struct detector detector_dcsync;
extern const struct detector detector_remote_dcom;
extern const struct detector detector_remote_log_clear;
extern const struct detector detector_remote_persistence;
extern const struct detector detector_remote_registry;
extern const struct detector detector_remote_service;
extern const struct detector detector_remote_shutdown;
extern const struct detector detector_remote_task;
extern const struct detector detector_remote_wmi;
extern const struct detector detector_rpc_discovery;
extern const struct detector detector_share_discovery;
extern const struct detector detector_zerologon;

static const struct rpc_interface interfaces[] = {
    {"367abb81-9844-35f1-ad32-98f038001003", "svcctl", "MS-SCMR"},
    {"1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc", "MS-TSCH"},
    {"86d35949-83c9-4044-b424-db363231fd0c", "ITaskSchedulerService", "MS-TSCH"},
    {"378e52b0-c0a9-11cf-822d-00aa0051e40f", "SASec", "MS-TSCH"},
    {"338cd001-2244-31f1-aaaa-900038001003", "winreg", "MS-RRP"},
    {"894de0c0-0d55-11d3-a322-00c04fa321a1", "InitShutdown", "MS-RSP"},
    {"d95afe70-a6d5-4259-822e-2c84da1ddb0d", "WindowsShutdown", "MS-RSP"},
    {"5ca4a760-ebb1-11cf-8611-00a0245420ed", "winstation_rpc", "MS-TSTS"},
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi", "MS-DRSR"},
    {"12345678-1234-abcd-ef00-01234567cffb", "netlogon", "MS-NRPC"},
    {"12345778-1234-abcd-ef00-0123456789ac", "samr", "MS-SAMR"},
    {"12345778-1234-abcd-ef00-0123456789ab", "lsarpc", "MS-LSAD, MS-LSAT"},
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc", "MS-SRVS"},
    {"6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc", "MS-WKST"},
    {"12345678-1234-abcd-ef00-0123456789ab", "spoolss", "MS-RPRN"},
    {"76f03f96-cdfd-44fc-a22c-64950a001209", "IRemoteWinspool", "MS-PAR"},
    /* MS-EFSR 1.9: the same methods behind \pipe\lsarpc and \pipe\efsrpc. */
    {"c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc", "MS-EFSR"},
    {"df1941c5-fe89-4e79-bf10-463657acf44d", "efsrpc", "MS-EFSR"},
    {"4fc742e0-4a10-11cf-8273-00aa004ae673", "netdfs", "MS-DFSNM"},
    {"a8e0653c-2744-4389-a61d-7373df8b2292", "FileServerVssAgent", "MS-FSRVP"},
    {"82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog", "MS-EVEN"},
    {"f6beaff7-1e19-4fbb-9f8f-b89e2018337c", "IEventService", "MS-EVEN6"},
    /* MS-DCOM 1.9: ISystemActivator is IRemoteSCMActivator's UUID. */
    {"000001a0-0000-0000-c000-000000000046", "ISystemActivator", "MS-DCOM"},
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IActivation", "MS-DCOM"},
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter", "MS-DCOM"},
    {"00000131-0000-0000-c000-000000000046", "IRemUnknown", "MS-DCOM"},
    {"00000143-0000-0000-c000-000000000046", "IRemUnknown2", "MS-DCOM"},
    {"f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login", "MS-WMI"},
    {"9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices", "MS-WMI"},
    {"d4781cd6-e5d3-44df-ad94-930efe48a887", "IWbemLoginClientID", "MS-WMI"},
    {"027947e1-d731-11ce-a357-000000000001", "IEnumWbemClassObject", "MS-WMI"},
    {"12b81e99-f207-4a4c-85d3-77b42f76fd14", "ISecLogon", "seclogon (no open spec)"},
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", "C706 appendix O"},
    {"afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt", "C706 appendix Q"},
    {"3dde7c30-165d-11d1-ab8f-00805f14db40", "BackupKey", "MS-BKRP"},
    {"3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup", "MS-DSSP"},
    {"50abc2a4-574d-40b3-9d66-ee4fd5fba076", "DnsServer", "MS-DNSP"},
    {"8fb6d884-2388-11d0-8c35-00c04fda2795", "W32Time", "MS-W32T"},
    {"f5cc5a18-4264-101a-8c59-08002b2f8426", "nspi", "MS-NSPI"},
    {"a4f1db00-ca47-1067-b31f-00dd010662da", "emsmdb", "MS-OXCRPC"},
};

#define ACT RPC_ACT
#define COUNT RPC_COUNT
#define CTX RPC_CONTEXT
#define ZONE RPC_ZONE
#define ANY RPC_OPNUM_ANY
/* clang-format off */
/* det names the detector's declaration (detect_rpc.c), not its id again. */
#define OP(iface, opnum, fn, det, kind, ...)                                                      \
    {iface, opnum, fn, &detector_##det, kind, {__VA_ARGS__}, RPC_ARGS_NONE}
/* A row whose request arguments (args: RID, NAMES) can make it the finding. */
#define OPA(iface, opnum, fn, det, kind, args, ...)                                               \
    {iface, opnum, fn, &detector_##det, kind, {__VA_ARGS__}, RPC_ARGS_SAMR_##args}
#define NAME(iface, opnum, fn) {iface, opnum, fn, NULL, ACT, {NULL}, RPC_ARGS_NONE}
/* clang-format on */

static const struct rpc_op ops[] = {
    /* MS-SCMR 3.1.4. Creation is T1543.003, starting T1569.002 (BZAR). */
    NAME("svcctl", 0, "RCloseServiceHandle"),
    NAME("svcctl", 1, "RControlService"),
    NAME("svcctl", 2, "RDeleteService"),
    NAME("svcctl", 6, "RQueryServiceStatus"),
    OP("svcctl", 11, "RChangeServiceConfigW", remote_service, ACT, "T1543.003"),
    OP("svcctl", 12, "RCreateServiceW", remote_service, ACT, "T1543.003", "T1569.002"),
    NAME("svcctl", 15, "ROpenSCManagerW"),
    NAME("svcctl", 16, "ROpenServiceW"),
    OP("svcctl", 19, "RStartServiceW", remote_service, ACT, "T1569.002"),
    OP("svcctl", 23, "RChangeServiceConfigA", remote_service, ACT, "T1543.003"),
    OP("svcctl", 24, "RCreateServiceA", remote_service, ACT, "T1543.003", "T1569.002"),
    NAME("svcctl", 27, "ROpenSCManagerA"),
    NAME("svcctl", 28, "ROpenServiceA"),
    OP("svcctl", 31, "RStartServiceA", remote_service, ACT, "T1569.002"),
    OP("svcctl", 36, "RChangeServiceConfig2A", remote_service, ACT, "T1543.003"),
    OP("svcctl", 37, "RChangeServiceConfig2W", remote_service, ACT, "T1543.003"),
    OP("svcctl", 44, "RCreateServiceWOW64A", remote_service, ACT, "T1543.003", "T1569.002"),
    OP("svcctl", 45, "RCreateServiceWOW64W", remote_service, ACT, "T1543.003", "T1569.002"),
    OP("svcctl", 60, "RCreateWowService", remote_service, ACT, "T1543.003", "T1569.002"),

    /* MS-TSCH 3.2.5.2 (atsvc), 3.2.5.3 (SASec), 3.2.5.4 (ITaskSchedulerService). */
    OP("atsvc", 0, "NetrJobAdd", remote_task, ACT, "T1053.002"),
    NAME("atsvc", 1, "NetrJobDel"),
    NAME("atsvc", 2, "NetrJobEnum"),
    NAME("atsvc", 3, "NetrJobGetInfo"),
    OP("SASec", 0, "SASetAccountInformation", remote_task, ACT, "T1053.005"),
    NAME("ITaskSchedulerService", 0, "SchRpcHighestVersion"),
    OP("ITaskSchedulerService", 1, "SchRpcRegisterTask", remote_task, ACT, "T1053.005"),
    NAME("ITaskSchedulerService", 7, "SchRpcEnumTasks"),
    OP("ITaskSchedulerService", 12, "SchRpcRun", remote_task, ACT, "T1053.005"),
    NAME("ITaskSchedulerService", 13, "SchRpcDelete"),
    OP("ITaskSchedulerService", 19, "SchRpcEnableTask", remote_task, ACT, "T1053.005"),

    /* MS-RRP 3.1.5: any winreg call is remote registry access. Writes
     * alert at once (T1112); reads (T1012) are reported once per
     * connection, when it ends, unless a write already was. */
    OP("winreg", ANY, NULL, remote_registry, CTX, "T1012"),
    OP("winreg", 0, "OpenClassesRoot", remote_registry, CTX, "T1012"),
    OP("winreg", 1, "OpenCurrentUser", remote_registry, CTX, "T1012"),
    OP("winreg", 2, "OpenLocalMachine", remote_registry, CTX, "T1012"),
    OP("winreg", 3, "OpenPerformanceData", remote_registry, CTX, "T1012"),
    OP("winreg", 4, "OpenUsers", remote_registry, CTX, "T1012"),
    OP("winreg", 5, "BaseRegCloseKey", remote_registry, CTX, "T1012"),
    OP("winreg", 6, "BaseRegCreateKey", remote_registry, ACT, "T1112"),
    OP("winreg", 7, "BaseRegDeleteKey", remote_registry, ACT, "T1112"),
    OP("winreg", 8, "BaseRegDeleteValue", remote_registry, ACT, "T1112"),
    OP("winreg", 9, "BaseRegEnumKey", remote_registry, CTX, "T1012"),
    OP("winreg", 10, "BaseRegEnumValue", remote_registry, CTX, "T1012"),
    OP("winreg", 11, "BaseRegFlushKey", remote_registry, CTX, "T1012"),
    OP("winreg", 12, "BaseRegGetKeySecurity", remote_registry, CTX, "T1012"),
    OP("winreg", 13, "BaseRegLoadKey", remote_registry, ACT, "T1112"),
    OP("winreg", 15, "BaseRegOpenKey", remote_registry, CTX, "T1012"),
    OP("winreg", 16, "BaseRegQueryInfoKey", remote_registry, CTX, "T1012"),
    OP("winreg", 17, "BaseRegQueryValue", remote_registry, CTX, "T1012"),
    OP("winreg", 18, "BaseRegReplaceKey", remote_registry, ACT, "T1112"),
    OP("winreg", 19, "BaseRegRestoreKey", remote_registry, ACT, "T1112"),
    /* Saving a hive (SAM, SECURITY) is how secretsdump reads them. */
    OP("winreg", 20, "BaseRegSaveKey", remote_registry, ACT, "T1012"),
    OP("winreg", 21, "BaseRegSetKeySecurity", remote_registry, ACT, "T1112"),
    OP("winreg", 22, "BaseRegSetValue", remote_registry, ACT, "T1112"),
    OP("winreg", 23, "BaseRegUnLoadKey", remote_registry, ACT, "T1112"),
    OP("winreg", 24, "BaseInitiateSystemShutdown", remote_shutdown, ACT, "T1529"), /* BZAR */
    OP("winreg", 25, "BaseAbortSystemShutdown", remote_registry, CTX, "T1012"),
    OP("winreg", 26, "BaseRegGetVersion", remote_registry, CTX, "T1012"),
    OP("winreg", 27, "OpenCurrentConfig", remote_registry, CTX, "T1012"),
    OP("winreg", 29, "BaseRegQueryMultipleValues", remote_registry, CTX, "T1012"),
    OP("winreg", 30, "BaseInitiateSystemShutdownEx", remote_shutdown, ACT, "T1529"), /* BZAR */
    OP("winreg", 31, "BaseRegSaveKeyEx", remote_registry, ACT, "T1012"),
    OP("winreg", 32, "OpenPerformanceText", remote_registry, CTX, "T1012"),
    OP("winreg", 33, "OpenPerformanceNlsText", remote_registry, CTX, "T1012"),
    OP("winreg", 34, "BaseRegQueryMultipleValues2", remote_registry, CTX, "T1012"),
    OP("winreg", 35, "BaseRegDeleteKeyEx", remote_registry, ACT, "T1112"),

    /* MS-RSP 3.2.4, 3.3.4; MS-TSTS 3.7.4.1.14; MS-SAMR 3.1.5 opnum 4 (BZAR). */
    OP("InitShutdown", 0, "BaseInitiateShutdown", remote_shutdown, ACT, "T1529"),
    NAME("InitShutdown", 1, "BaseAbortShutdown"),
    OP("InitShutdown", 2, "BaseInitiateShutdownEx", remote_shutdown, ACT, "T1529"),
    OP("WindowsShutdown", 0, "WsdrInitiateShutdown", remote_shutdown, ACT, "T1529"),
    NAME("WindowsShutdown", 1, "WsdrAbortShutdown"),
    OP("winstation_rpc", 15, "RpcWinStationShutdownSystem", remote_shutdown, ACT, "T1529"),
    OP("samr", 4, "SamrShutdownSamServer", remote_shutdown, ACT, "T1529"),

    /* MS-DRSR 4.1: replication (BZAR: ReplicaSync, GetNCChanges) and
     * registering replication partners or a DC object (DCShadow). */
    NAME("drsuapi", 0, "IDL_DRSBind"),
    NAME("drsuapi", 1, "IDL_DRSUnbind"),
    OP("drsuapi", 2, "IDL_DRSReplicaSync", dcsync, ACT, "T1003.006"),
    OP("drsuapi", 3, "IDL_DRSGetNCChanges", dcsync, ACT, "T1003.006"),
    OP("drsuapi", 4, "IDL_DRSUpdateRefs", dcsync, ACT, "T1207"),
    OP("drsuapi", 5, "IDL_DRSReplicaAdd", dcsync, ACT, "T1207"),
    NAME("drsuapi", 12, "IDL_DRSCrackNames"),
    NAME("drsuapi", 16, "IDL_DRSDomainControllerInfo"),
    OP("drsuapi", 17, "IDL_DRSAddEntry", dcsync, ACT, "T1207"),

    /* MS-NRPC 3.5.4.4: each authentication is one Zerologon attempt; a
     * password set is reported when it follows a burst. */
    NAME("netlogon", 4, "NetrServerReqChallenge"),
    OP("netlogon", 5, "NetrServerAuthenticate", zerologon, COUNT, "T1210"),
    OP("netlogon", 6, "NetrServerPasswordSet", zerologon, CTX, "T1210"),
    OP("netlogon", 15, "NetrServerAuthenticate2", zerologon, COUNT, "T1210"),
    OP("netlogon", 26, "NetrServerAuthenticate3", zerologon, COUNT, "T1210"),
    OP("netlogon", 30, "NetrServerPasswordSet2", zerologon, CTX, "T1210"),

    /* MS-SAMR 3.1.5. Users and groups: account_discovery (BZAR T1087,
     * T1069, T1033); group membership is reported at once, and so is a
     * privileged group named by RID or name, and a listing of the users
     * from another zone. Domain-level queries: rpc_discovery. */
    NAME("samr", 0, "SamrConnect"),
    NAME("samr", 1, "SamrCloseHandle"),
    OP("samr", 5, "SamrLookupDomainInSamServer", rpc_discovery, COUNT, "T1087.002"),
    OP("samr", 6, "SamrEnumerateDomainsInSamServer", rpc_discovery, COUNT, "T1033"),
    NAME("samr", 7, "SamrOpenDomain"),
    OP("samr", 8, "SamrQueryInformationDomain", rpc_discovery, COUNT, "T1033"),
    OP("samr", 11, "SamrEnumerateGroupsInDomain", account_discovery, COUNT, "T1033"),
    OP("samr", 13, "SamrEnumerateUsersInDomain", account_discovery, ZONE, "T1087.002"),
    OP("samr", 15, "SamrEnumerateAliasesInDomain", account_discovery, COUNT, "T1087.002"),
    OP("samr", 16, "SamrGetAliasMembership", account_discovery, COUNT, "T1069"),
    OPA("samr", 17, "SamrLookupNamesInDomain", account_discovery, COUNT, NAMES, "T1087.002"),
    OP("samr", 18, "SamrLookupIdsInDomain", account_discovery, COUNT, "T1087.002"),
    OPA("samr", 19, "SamrOpenGroup", account_discovery, CTX, RID, "T1069"),
    OP("samr", 20, "SamrQueryInformationGroup", account_discovery, COUNT, "T1033"),
    OP("samr", 25, "SamrGetMembersInGroup", account_discovery, ACT, "T1069"),
    OPA("samr", 27, "SamrOpenAlias", account_discovery, CTX, RID, "T1069"),
    OP("samr", 28, "SamrQueryInformationAlias", account_discovery, COUNT, "T1087.002"),
    OP("samr", 33, "SamrGetMembersInAlias", account_discovery, ACT, "T1069"),
    NAME("samr", 34, "SamrOpenUser"),
    OP("samr", 36, "SamrQueryInformationUser", account_discovery, COUNT, "T1087.002"),
    NAME("samr", 37, "SamrSetInformationUser"),
    OP("samr", 39, "SamrGetGroupsForUser", account_discovery, COUNT, "T1069"),
    OP("samr", 40, "SamrQueryDisplayInformation", account_discovery, ZONE, "T1087.002"),
    OP("samr", 44, "SamrGetUserDomainPasswordInformation", rpc_discovery, COUNT, "T1082"),
    OP("samr", 46, "SamrQueryInformationDomain2", rpc_discovery, COUNT, "T1033"),
    OP("samr", 47, "SamrQueryInformationUser2", account_discovery, COUNT, "T1087.002"),
    OP("samr", 48, "SamrQueryDisplayInformation2", account_discovery, ZONE, "T1087.002"),
    OP("samr", 51, "SamrQueryDisplayInformation3", account_discovery, ZONE, "T1087.002"),
    NAME("samr", 57, "SamrConnect2"),
    NAME("samr", 58, "SamrSetInformationUser2"),
    NAME("samr", 62, "SamrConnect4"),
    NAME("samr", 64, "SamrConnect5"),

    /* MS-LSAD 3.1.4, MS-LSAT 3.1.4: every BZAR lsarpc function is
     * rpc_discovery, with BZAR's technique. */
    NAME("lsarpc", 0, "LsarClose"),
    OP("lsarpc", 2, "LsarEnumeratePrivileges", rpc_discovery, COUNT, "T1069"),
    NAME("lsarpc", 6, "LsarOpenPolicy"),
    OP("lsarpc", 7, "LsarQueryInformationPolicy", rpc_discovery, COUNT, "T1082"),
    OP("lsarpc", 11, "LsarEnumerateAccounts", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 14, "LsarLookupNames", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 15, "LsarLookupSids", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 18, "LsarEnumeratePrivilegesAccount", rpc_discovery, COUNT, "T1069"),
    OP("lsarpc", 23, "LsarGetSystemAccessAccount", rpc_discovery, COUNT, "T1033"),
    OP("lsarpc", 26, "LsarQueryInfoTrustedDomain", rpc_discovery, COUNT, "T1033"),
    OP("lsarpc", 31, "LsarLookupPrivilegeValue", rpc_discovery, COUNT, "T1069"),
    OP("lsarpc", 32, "LsarLookupPrivilegeName", rpc_discovery, COUNT, "T1069"),
    OP("lsarpc", 33, "LsarLookupPrivilegeDisplayName", rpc_discovery, COUNT, "T1069"),
    OP("lsarpc", 35, "LsarEnumerateAccountsWithUserRight", rpc_discovery, COUNT, "T1069"),
    OP("lsarpc", 36, "LsarEnumerateAccountRights", rpc_discovery, COUNT, "T1069"),
    OP("lsarpc", 39, "LsarQueryTrustedDomainInfo", rpc_discovery, COUNT, "T1082"),
    NAME("lsarpc", 43, "LsarRetrievePrivateData"),
    NAME("lsarpc", 44, "LsarOpenPolicy2"),
    OP("lsarpc", 45, "LsarGetUserName", rpc_discovery, COUNT, "T1033"),
    OP("lsarpc", 46, "LsarQueryInformationPolicy2", rpc_discovery, COUNT, "T1082"),
    OP("lsarpc", 48, "LsarQueryTrustedDomainInfoByName", rpc_discovery, COUNT, "T1082"),
    OP("lsarpc", 50, "LsarEnumerateTrustedDomainsEx", rpc_discovery, COUNT, "T1033"),
    OP("lsarpc", 53, "LsarQueryDomainInformationPolicy", rpc_discovery, COUNT, "T1033"),
    OP("lsarpc", 57, "LsarLookupSids2", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 58, "LsarLookupNames2", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 68, "LsarLookupNames3", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 76, "LsarLookupSids3", rpc_discovery, COUNT, "T1087.002"),
    OP("lsarpc", 77, "LsarLookupNames4", rpc_discovery, COUNT, "T1087.002"),

    /* MS-SRVS 3.1.4. Share enumeration: share_discovery (at once across
     * zones); share lookups only count hosts. */
    OP("srvsvc", 8, "NetrConnectionEnum", rpc_discovery, COUNT, "T1049"),
    OP("srvsvc", 9, "NetrFileEnum", rpc_discovery, COUNT, "T1083"),
    OP("srvsvc", 12, "NetrSessionEnum", rpc_discovery, COUNT, "T1049", "T1033"),
    OP("srvsvc", 15, "NetrShareEnum", share_discovery, ACT, "T1135"),
    OP("srvsvc", 16, "NetrShareGetInfo", share_discovery, COUNT, "T1135"),
    OP("srvsvc", 21, "NetrServerGetInfo", rpc_discovery, COUNT, "T1018", "T1082"),
    OP("srvsvc", 26, "NetrServerTransportEnum", rpc_discovery, COUNT, "T1016"),
    OP("srvsvc", 28, "NetrRemoteTOD", rpc_discovery, COUNT, "T1124"),
    OP("srvsvc", 36, "NetrShareEnumSticky", share_discovery, ACT, "T1135"),
    OP("srvsvc", 55, "NetrServerAliasEnum", rpc_discovery, COUNT, "T1018"),

    /* MS-WKST 3.2.4. */
    OP("wkssvc", 0, "NetrWkstaGetInfo", rpc_discovery, COUNT, "T1018", "T1082"),
    OP("wkssvc", 2, "NetrWkstaUserEnum", rpc_discovery, COUNT, "T1033", "T1087.002"),
    OP("wkssvc", 5, "NetrWkstaTransportEnum", rpc_discovery, COUNT, "T1016"),

    /* MS-RPRN 3.1.4: port monitors and print processors (BZAR), drivers
     * (PrintNightmare), and the change notification that makes the
     * spooler authenticate to a host of the caller's choice (PrinterBug). */
    NAME("spoolss", 1, "RpcOpenPrinter"),
    OP("spoolss", 9, "RpcAddPrinterDriver", remote_persistence, ACT, "T1547.010"),
    OP("spoolss", 14, "RpcAddPrintProcessor", remote_persistence, ACT, "T1547.010"),
    NAME("spoolss", 29, "RpcClosePrinter"),
    OP("spoolss", 46, "RpcAddMonitor", remote_persistence, ACT, "T1547.010"),
    OP("spoolss", 62, "RpcRemoteFindFirstPrinterChangeNotification", auth_coercion, ACT, "T1187"),
    OP("spoolss", 65, "RpcRemoteFindFirstPrinterChangeNotificationEx", auth_coercion, ACT, "T1187"),
    NAME("spoolss", 69, "RpcOpenPrinterEx"),
    OP("spoolss", 89, "RpcAddPrinterDriverEx", remote_persistence, ACT, "T1547.010"),

    /* MS-PAR 3.1.4: the asynchronous forms. */
    NAME("IRemoteWinspool", 0, "RpcAsyncOpenPrinter"),
    OP("IRemoteWinspool", 39, "RpcAsyncAddPrinterDriver", remote_persistence, ACT, "T1547.010"),
    OP("IRemoteWinspool", 44, "RpcAsyncAddPrintProcessor", remote_persistence, ACT, "T1547.010"),
    OP("IRemoteWinspool", 51, "RpcAsyncAddMonitor", remote_persistence, ACT, "T1547.010"),

    /* seclogon (BZAR: T1547.004). */
    OP("ISecLogon", 0, "SeclCreateProcessWithLogonW", remote_persistence, ACT, "T1547.004"),
    OP("ISecLogon", 1, "SeclCreateProcessWithLogonExW", remote_persistence, ACT, "T1547.004"),

    /* Calls taking a UNC path the server opens with its machine account:
     * MS-EFSR 3.1.4.2 (PetitPotam), MS-DFSNM 3.1.4.4 (DFSCoerce),
     * MS-FSRVP 3.1.4 (ShadowCoerce). */
    OP("efsrpc", 0, "EfsRpcOpenFileRaw", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 4, "EfsRpcEncryptFileSrv", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 5, "EfsRpcDecryptFileSrv", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 6, "EfsRpcQueryUsersOnFile", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 7, "EfsRpcQueryRecoveryAgents", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 8, "EfsRpcRemoveUsersFromFile", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 9, "EfsRpcAddUsersToFile", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 12, "EfsRpcFileKeyInfo", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 13, "EfsRpcDuplicateEncryptionInfoFile", auth_coercion, ACT, "T1187"),
    OP("efsrpc", 15, "EfsRpcAddUsersToFileEx", auth_coercion, ACT, "T1187"),
    OP("netdfs", 12, "NetrDfsAddStdRoot", auth_coercion, ACT, "T1187"),
    OP("netdfs", 13, "NetrDfsRemoveStdRoot", auth_coercion, ACT, "T1187"),
    OP("FileServerVssAgent", 8, "IsPathSupported", auth_coercion, ACT, "T1187"),
    OP("FileServerVssAgent", 9, "IsPathShadowCopied", auth_coercion, ACT, "T1187"),

    /* MS-EVEN 3.1.4.9-10, MS-EVEN6 3.1.4.16 (BZAR). */
    OP("eventlog", 0, "ElfrClearELFW", remote_log_clear, ACT, "T1070.001"),
    NAME("eventlog", 1, "ElfrBackupELFW"),
    NAME("eventlog", 2, "ElfrCloseEL"),
    NAME("eventlog", 7, "ElfrOpenELW"),
    OP("eventlog", 12, "ElfrClearELFA", remote_log_clear, ACT, "T1070.001"),
    OP("IEventService", 6, "EvtRpcClearLog", remote_log_clear, ACT, "T1070.001"),
    NAME("IEventService", 7, "EvtRpcExportLog"),

    /* MS-DCOM 3.1.2.5.2.3 (activation), 3.1.2.5.1 (OXID resolver),
     * 3.1.1.5.6 (IRemUnknown). */
    OP("ISystemActivator", 3, "RemoteGetClassObject", remote_dcom, ACT, "T1021.003"),
    OP("ISystemActivator", 4, "RemoteCreateInstance", remote_dcom, ACT, "T1021.003"),
    OP("IActivation", 0, "RemoteActivation", remote_dcom, ACT, "T1021.003"),
    NAME("IObjectExporter", 0, "ResolveOxid"),
    NAME("IObjectExporter", 1, "SimplePing"),
    NAME("IObjectExporter", 2, "ComplexPing"),
    NAME("IObjectExporter", 3, "ServerAlive"),
    NAME("IObjectExporter", 4, "ResolveOxid2"),
    NAME("IObjectExporter", 5, "ServerAlive2"),
    NAME("IRemUnknown", 3, "RemQueryInterface"),
    NAME("IRemUnknown", 4, "RemAddRef"),
    NAME("IRemUnknown", 5, "RemRelease"),
    NAME("IRemUnknown2", 3, "RemQueryInterface"),
    NAME("IRemUnknown2", 4, "RemAddRef"),
    NAME("IRemUnknown2", 5, "RemRelease"),
    NAME("IRemUnknown2", 6, "RemQueryInterface2"),

    /* MS-WMI 3.1.4.1, 3.1.4.3: method execution and instance writes alert
     * at once (BZAR: ExecMethod, ExecMethodAsync); a login or a query is
     * reported once per connection, when it ends. */
    OP("IWbemLevel1Login", 6, "NTLMLogin", remote_wmi, CTX, "T1047"),
    NAME("IWbemLoginClientID", 3, "SetClientInfo"),
    NAME("IWbemServices", 3, "OpenNamespace"),
    OP("IWbemServices", 6, "GetObject", remote_wmi, CTX, "T1047"),
    OP("IWbemServices", 14, "PutInstance", remote_wmi, ACT, "T1047"),
    OP("IWbemServices", 15, "PutInstanceAsync", remote_wmi, ACT, "T1047"),
    OP("IWbemServices", 20, "ExecQuery", remote_wmi, CTX, "T1047"),
    OP("IWbemServices", 21, "ExecQueryAsync", remote_wmi, CTX, "T1047"),
    OP("IWbemServices", 22, "ExecNotificationQuery", remote_wmi, CTX, "T1047"),
    OP("IWbemServices", 23, "ExecNotificationQueryAsync", remote_wmi, CTX, "T1047"),
    OP("IWbemServices", 24, "ExecMethod", remote_wmi, ACT, "T1047"),
    OP("IWbemServices", 25, "ExecMethodAsync", remote_wmi, ACT, "T1047"),

    /* C706 appendix O (endpoint mapper), appendix Q (management). */
    NAME("epmapper", 0, "ept_insert"),
    NAME("epmapper", 1, "ept_delete"),
    NAME("epmapper", 2, "ept_lookup"),
    NAME("epmapper", 3, "ept_map"),
    NAME("epmapper", 4, "ept_lookup_handle_free"),
    NAME("epmapper", 5, "ept_inq_object"),
    NAME("epmapper", 6, "ept_mgmt_delete"),
    NAME("mgmt", 0, "inq_if_ids"),
    NAME("mgmt", 2, "is_server_listening"),
    NAME("mgmt", 4, "inq_princ_name"),
    NAME("BackupKey", 0, "BackuprKey"),
};

#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

const struct rpc_interface *rpc_table_interface(const uint8_t uuid[16])
{
    char s[37];
    dcerpc_uuid_format(uuid, s);
    for (size_t i = 0; i < N_INTERFACES; i++)
        if (strcmp(interfaces[i].uuid, s) == 0) return &interfaces[i];
    return NULL;
}

int rpc_table_lookup(const uint8_t uuid[16], uint16_t opnum, struct rpc_match *m)
{
    m->iface = rpc_table_interface(uuid);
    m->op = NULL;
    if (!m->iface) return 0;
    const struct rpc_op *any = NULL;
    for (size_t i = 0; i < N_OPS; i++) {
        if (strcmp(ops[i].iface, m->iface->name) != 0) continue;
        if (ops[i].opnum == opnum) {
            m->op = &ops[i];
            return 1;
        }
        if (ops[i].opnum == RPC_OPNUM_ANY) any = &ops[i];
    }
    m->op = any;
    return any != NULL;
}

size_t rpc_table_interfaces(const struct rpc_interface **out)
{
    *out = interfaces;
    return N_INTERFACES;
}

size_t rpc_table_ops(const struct rpc_op **out)
{
    *out = ops;
    return N_OPS;
}
