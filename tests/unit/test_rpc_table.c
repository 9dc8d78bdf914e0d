/* rpc_table.c and the detectors of detect_rpc.c. The table: well-formed
 * UUIDs, no duplicate (interface, opnum) row, every detector id a declared
 * detector, every technique known to attack.c, every BZAR function
 * present with the expected detector, UUIDs cross-checked with the specs.
 * The detectors: synthetic EV_DCERPC_REQUEST events through detect_event()
 * make each fire, and keep it silent below its threshold. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/attack.h"
#include "dcerpc.h"
#include "detect/detect.h"
#include "detect/rpc_table.h"

/* MITRE BZAR, scripts/bzar_dce-rpc_consts.zeek (endpoint::operation, Zeek's
 * names), and the detector that must own each. */
static const struct {
    const char *bzar, *detector;
} bzar[] = {
    {"drsuapi::DRSReplicaSync", "dcsync"},
    {"drsuapi::DRSGetNCChanges", "dcsync"},
    {"eventlog::ElfrClearELFW", "remote_log_clear"},
    {"eventlog::ElfrClearELFA", "remote_log_clear"},
    {"IEventService::EvtRpcClearLog", "remote_log_clear"},
    {"svcctl::CreateServiceWOW64W", "remote_service"},
    {"svcctl::CreateServiceWOW64A", "remote_service"},
    {"svcctl::CreateServiceW", "remote_service"},
    {"svcctl::CreateServiceA", "remote_service"},
    {"svcctl::StartServiceW", "remote_service"},
    {"svcctl::StartServiceA", "remote_service"},
    {"IWbemServices::ExecMethod", "remote_wmi"},
    {"IWbemServices::ExecMethodAsync", "remote_wmi"},
    {"atsvc::JobAdd", "remote_task"},
    {"ITaskSchedulerService::SchRpcRegisterTask", "remote_task"},
    {"ITaskSchedulerService::SchRpcRun", "remote_task"},
    {"ITaskSchedulerService::SchRpcEnableTask", "remote_task"},
    {"winreg::BaseInitiateSystemShutdown", "remote_shutdown"},
    {"winreg::BaseInitiateSystemShutdownEx", "remote_shutdown"},
    {"InitShutdown::BaseInitiateShutdown", "remote_shutdown"},
    {"InitShutdown::BaseInitiateShutdownEx", "remote_shutdown"},
    {"WindowsShutdown::WsdrInitiateShutdown", "remote_shutdown"},
    {"winstation_rpc::RpcWinStationShutdownSystem", "remote_shutdown"},
    {"samr::SamrShutdownSamServer", "remote_shutdown"},
    {"ISecLogon::SeclCreateProcessWithLogonW", "remote_persistence"},
    {"ISecLogon::SeclCreateProcessWithLogonExW", "remote_persistence"},
    {"spoolss::RpcAddMonitor", "remote_persistence"},
    {"spoolss::RpcAddPrintProcessor", "remote_persistence"},
    {"IRemoteWinspool::RpcAsyncAddMonitor", "remote_persistence"},
    {"IRemoteWinspool::RpcAsyncAddPrintProcessor", "remote_persistence"},
    {"srvsvc::NetrServerTransportEnum", "rpc_discovery"},
    {"wkssvc::NetrWkstaTransportEnum", "rpc_discovery"},
    {"srvsvc::NetrServerGetInfo", "rpc_discovery"},
    {"srvsvc::NetrServerAliasEnum", "rpc_discovery"},
    {"wkssvc::NetrWkstaGetInfo", "rpc_discovery"},
    {"lsarpc::LsarGetUserName", "rpc_discovery"},
    {"lsarpc::LsarEnumerateTrustedDomainsEx", "rpc_discovery"},
    {"lsarpc::LsarGetSystemAccessAccount", "rpc_discovery"},
    {"lsarpc::LsarQueryDomainInformationPolicy", "rpc_discovery"},
    {"lsarpc::LsarQueryInfoTrustedDomain", "rpc_discovery"},
    {"samr::SamrEnumerateGroupsInDomain", "account_discovery"},
    {"samr::SamrEnumerateDomainsInSamServer", "rpc_discovery"},
    {"samr::SamrQueryInformationDomain", "rpc_discovery"},
    {"samr::SamrQueryInformationDomain2", "rpc_discovery"},
    {"samr::SamrQueryInformationGroup", "account_discovery"},
    {"srvsvc::NetrConnectionEnum", "rpc_discovery"},
    {"srvsvc::NetrSessionEnum", "rpc_discovery"},
    {"lsarpc::LsarEnumerateAccountRights", "rpc_discovery"},
    {"lsarpc::LsarEnumerateAccountsWithUserRight", "rpc_discovery"},
    {"lsarpc::LsarEnumeratePrivileges", "rpc_discovery"},
    {"lsarpc::LsarEnumeratePrivilegesAccount", "rpc_discovery"},
    {"lsarpc::LsarLookupPrivilegeValue", "rpc_discovery"},
    {"lsarpc::LsarLookupPrivilegeName", "rpc_discovery"},
    {"lsarpc::LsarLookupPrivilegeDisplayName", "rpc_discovery"},
    {"samr::SamrGetGroupsForUser", "account_discovery"},
    {"samr::SamrGetAliasMembership", "account_discovery"},
    {"samr::SamrGetMembersInAlias", "account_discovery"},
    {"samr::SamrGetMembersInGroup", "account_discovery"},
    {"lsarpc::LsarQueryInformationPolicy", "rpc_discovery"},
    {"lsarpc::LsarQueryInformationPolicy2", "rpc_discovery"},
    {"lsarpc::LsarQueryTrustedDomainInfo", "rpc_discovery"},
    {"lsarpc::LsarQueryTrustedDomainInfoByName", "rpc_discovery"},
    {"samr::SamrGetUserDomainPasswordInformation", "rpc_discovery"},
    {"srvsvc::NetrFileEnum", "rpc_discovery"},
    {"lsarpc::LsarEnumerateAccounts", "rpc_discovery"},
    {"lsarpc::LsarLookupNames", "rpc_discovery"},
    {"lsarpc::LsarLookupNames2", "rpc_discovery"},
    {"lsarpc::LsarLookupNames3", "rpc_discovery"},
    {"lsarpc::LsarLookupNames4", "rpc_discovery"},
    {"lsarpc::LsarLookupSids", "rpc_discovery"},
    {"lsarpc::LsarLookupSids2", "rpc_discovery"},
    {"lsarpc::LsarLookupSids3", "rpc_discovery"},
    {"samr::SamrEnumerateAliasesInDomain", "account_discovery"},
    {"samr::SamrEnumerateUsersInDomain", "account_discovery"},
    {"samr::SamrLookupNamesInDomain", "account_discovery"},
    {"samr::SamrLookupIdsInDomain", "account_discovery"},
    {"samr::SamrLookupDomainInSamServer", "rpc_discovery"},
    {"samr::SamrQueryDisplayInformation", "account_discovery"},
    {"samr::SamrQueryDisplayInformation2", "account_discovery"},
    {"samr::SamrQueryDisplayInformation3", "account_discovery"},
    {"samr::SamrQueryInformationAlias", "account_discovery"},
    {"samr::SamrQueryInformationUser", "account_discovery"},
    {"samr::SamrQueryInformationUser2", "account_discovery"},
    {"wkssvc::NetrWkstaUserEnum", "rpc_discovery"},
    {"srvsvc::NetrRemoteTOD", "rpc_discovery"},
    {"srvsvc::NetrShareEnum", "share_discovery"},
    {"srvsvc::NetrShareGetInfo", "share_discovery"},
};

/* Interface UUIDs as the specifications give them (section 1.9 of each). */
static const struct {
    const char *name, *uuid;
} spec_uuids[] = {
    {"svcctl", "367abb81-9844-35f1-ad32-98f038001003"},           /* MS-SCMR */
    {"atsvc", "1ff70682-0a51-30e8-076d-740be8cee98b"},            /* MS-TSCH */
    {"winreg", "338cd001-2244-31f1-aaaa-900038001003"},           /* MS-RRP */
    {"drsuapi", "e3514235-4b06-11d1-ab04-00c04fc2dcd2"},          /* MS-DRSR */
    {"netlogon", "12345678-1234-abcd-ef00-01234567cffb"},         /* MS-NRPC */
    {"samr", "12345778-1234-abcd-ef00-0123456789ac"},             /* MS-SAMR */
    {"lsarpc", "12345778-1234-abcd-ef00-0123456789ab"},           /* MS-LSAD */
    {"srvsvc", "4b324fc8-1670-01d3-1278-5a47bf6ee188"},           /* MS-SRVS */
    {"wkssvc", "6bffd098-a112-3610-9833-46c3f87e345a"},           /* MS-WKST */
    {"spoolss", "12345678-1234-abcd-ef00-0123456789ab"},          /* MS-RPRN */
    {"IRemoteWinspool", "76f03f96-cdfd-44fc-a22c-64950a001209"},  /* MS-PAR */
    {"eventlog", "82273fdc-e32a-18c3-3f78-827929dc23ea"},         /* MS-EVEN */
    {"IEventService", "f6beaff7-1e19-4fbb-9f8f-b89e2018337c"},    /* MS-EVEN6 */
    {"IWbemLevel1Login", "f309ad18-d86a-11d0-a075-00c04fb68820"}, /* MS-WMI */
    {"IWbemServices", "9556dc99-828c-11cf-a37e-00aa003240c7"},    /* MS-WMI */
    {"ISystemActivator", "000001a0-0000-0000-c000-000000000046"}, /* MS-DCOM */
    {"efsrpc", "c681d488-d850-11d0-8c52-00c04fd90f7e"},           /* MS-EFSR */
    {"efsrpc", "df1941c5-fe89-4e79-bf10-463657acf44d"},           /* MS-EFSR */
    {"epmapper", "e1af8308-5d1f-11c9-91a4-08002b14a0fa"},         /* C706 */
};

static void wire(const char *s, uint8_t out[16])
{
    unsigned a, b, c, d[8];
    assert_int_equal(sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c, &d[0], &d[1],
                            &d[2], &d[3], &d[4], &d[5], &d[6], &d[7]),
                     11);
    uint8_t v[16] = {a, a >> 8, a >> 16, a >> 24, b, b >> 8, c, c >> 8};
    for (int i = 0; i < 8; i++)
        v[8 + i] = (uint8_t)d[i];
    memcpy(out, v, 16);
}

static void test_table_well_formed(void **state)
{
    (void)state;
    const struct rpc_interface *ifs;
    const struct rpc_op *ops;
    size_t ni = rpc_table_interfaces(&ifs), no = rpc_table_ops(&ops);
    assert_true(ni > 30 && no > 150);
    for (size_t i = 0; i < ni; i++) {
        assert_int_equal(strlen(ifs[i].uuid), 36);
        for (const char *p = ifs[i].uuid; *p; p++)
            assert_true(*p == '-' || isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'f'));
        uint8_t u[16];
        wire(ifs[i].uuid, u);
        assert_ptr_equal(rpc_table_interface(u), &ifs[i]);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(ifs[i].uuid, ifs[j].uuid);
    }
    for (size_t i = 0; i < no; i++) {
        int found = 0;
        for (size_t j = 0; j < ni; j++)
            found |= strcmp(ops[i].iface, ifs[j].name) == 0;
        assert_true(found);
        for (size_t j = 0; j < i; j++)
            assert_false(ops[i].opnum == ops[j].opnum && strcmp(ops[i].iface, ops[j].iface) == 0);
        assert_true(ops[i].function || ops[i].opnum == RPC_OPNUM_ANY);
        if (!ops[i].detector) continue;
        /* A declared detector (test_detectors.c: the same ids as SPEC section 7). */
        assert_ptr_equal(detect_find(ops[i].detector->info.id), ops[i].detector);
        assert_non_null(ops[i].techniques[0]);
        for (int t = 0; t < RPC_MAX_TECHNIQUES && ops[i].techniques[t]; t++)
            assert_string_not_equal(attack_name(ops[i].techniques[t]), ops[i].techniques[t]);
    }
}

/* BZAR's names drop the R / Netr / IDL_ prefixes the specifications use. */
static void test_bzar_coverage(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"", "R", "Netr", "IDL_", NULL};
    const struct rpc_op *ops;
    size_t no = rpc_table_ops(&ops);
    for (size_t b = 0; b < sizeof(bzar) / sizeof(bzar[0]); b++) {
        char iface[64];
        const char *fn = strstr(bzar[b].bzar, "::") + 2;
        snprintf(iface, sizeof(iface), "%.*s", (int)(fn - 2 - bzar[b].bzar), bzar[b].bzar);
        const struct rpc_op *hit = NULL;
        for (size_t i = 0; i < no && !hit; i++) {
            if (strcmp(ops[i].iface, iface) != 0 || !ops[i].function) continue;
            for (int p = 0; prefixes[p] && !hit; p++) {
                size_t pl = strlen(prefixes[p]);
                if (strncmp(ops[i].function, prefixes[p], pl) == 0 &&
                    strcmp(ops[i].function + pl, fn) == 0)
                    hit = &ops[i];
            }
        }
        if (!hit) fail_msg("BZAR %s is not in the table", bzar[b].bzar);
        if (!hit->detector || strcmp(hit->detector->info.id, bzar[b].detector) != 0)
            fail_msg("BZAR %s: detector %s, expected %s", bzar[b].bzar,
                     hit->detector ? hit->detector->info.id : "none", bzar[b].detector);
    }
}

static void test_spec_uuids_and_lookup(void **state)
{
    (void)state;
    uint8_t u[16];
    struct rpc_match m;
    for (size_t i = 0; i < sizeof(spec_uuids) / sizeof(spec_uuids[0]); i++) {
        wire(spec_uuids[i].uuid, u);
        const struct rpc_interface *it = rpc_table_interface(u);
        assert_non_null(it);
        assert_string_equal(it->name, spec_uuids[i].name);
    }
    wire("367abb81-9844-35f1-ad32-98f038001003", u);
    assert_true(rpc_table_lookup(u, 45, &m));
    assert_string_equal(m.op->function, "RCreateServiceWOW64W");
    assert_false(rpc_table_lookup(u, 1000, &m));
    assert_non_null(m.iface);
    assert_null(m.op);
    wire("338cd001-2244-31f1-aaaa-900038001003", u); /* winreg: any opnum */
    assert_true(rpc_table_lookup(u, 200, &m));
    assert_int_equal(m.op->opnum, RPC_OPNUM_ANY);
    assert_true(rpc_table_lookup(u, 22, &m));
    assert_string_equal(m.op->function, "BaseRegSetValue");
    wire("01234567-89ab-cdef-0123-456789abcdef", u);
    assert_false(rpc_table_lookup(u, 0, &m));
    assert_null(m.iface);
}

/* --- detectors -------------------------------------------------------------- */

#define MAX_ALERTS 64

struct fixture {
    struct classifier *cls;
    struct zones *zones;
    struct eve_context eve;
    struct alerter *alerter;
    struct detect_engine *engine;
    struct detect_ctx ctx;
    int n;
    char json[MAX_ALERTS][2048];
};

static struct fixture fx;

static void sink(void *ud, const char *json, size_t len)
{
    (void)ud;
    if (fx.n < MAX_ALERTS) snprintf(fx.json[fx.n++], sizeof(fx.json[0]), "%.*s", (int)len, json);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    memset(&fx, 0, sizeof(fx));
    fx.cls = classify_create(err, sizeof(err));
    fx.zones = zones_create_default();
    fx.eve = (struct eve_context){.cls = fx.cls, .zones = fx.zones, .host = "t"};
    fx.alerter = alerter_create(&fx.eve, 0);
    if (!fx.cls || !fx.zones || !fx.alerter) return -1;
    alerter_add_sink(fx.alerter, sink, NULL);
    fx.engine = detect_create(NULL); /* every detector as declared */
    if (!fx.engine) return -1;
    fx.ctx = (struct detect_ctx){
        .engine = fx.engine, .alerter = fx.alerter, .zones = fx.zones, .cls = fx.cls};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    detect_destroy(fx.engine);
    alerter_destroy(fx.alerter);
    classify_destroy(fx.cls);
    zones_destroy(fx.zones);
    return 0;
}

static uint64_t next_flow_id = 1;

/* A flow from 10.1.<src>.1 to 10.2.<dst>.1:445 (both "internal"). */
static struct flow make_flow(uint8_t src, uint8_t dst)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memcpy(f.key.addr[0], mapped, 12);
    memcpy(f.key.addr[1], mapped, 12);
    f.key.addr[0][12] = 10, f.key.addr[0][13] = 1, f.key.addr[0][14] = src, f.key.addr[0][15] = 1;
    f.key.addr[1][12] = 10, f.key.addr[1][13] = 2, f.key.addr[1][14] = dst, f.key.addr[1][15] = 1;
    f.key.port[0] = 50000, f.key.port[1] = 445;
    f.key.proto = 6, f.key.family = 4;
    f.zone[0] = f.zone[1] = zones_lookup(fx.zones, f.key.addr[0]);
    f.cls.done = 1;
    f.id = next_flow_id++;
    return f;
}

/* A request, with an NDR stub of len bytes (NULL: sealed or not held). */
static void call_stub(struct flow *f, const char *uuid, uint16_t opnum, uint64_t t_s,
                      const uint8_t *stub, size_t len)
{
    struct dissect_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = EV_DCERPC_REQUEST;
    ev.to_server = 1;
    wire(uuid, ev.u.rpc.uuid);
    ev.u.rpc.uuid_known = 1;
    ev.u.rpc.opnum = opnum;
    ev.u.rpc.pipe = "pipe";
    ev.u.rpc.stub = stub;
    ev.u.rpc.stub_len = (uint32_t)len;
    fx.ctx.now_us = t_s * 1000000u;
    detect_event(&fx.ctx, f, &ev);
}

static void call(struct flow *f, const char *uuid, uint16_t opnum, uint64_t t_s)
{
    call_stub(f, uuid, opnum, t_s, NULL, 0);
}

/* How many alerts of detector id (and signature_id, if sid) so far. */
static int alerts(const char *id, uint32_t sid)
{
    char d[96], s[64];
    int n = 0;
    snprintf(d, sizeof(d), "\"detector\":\"%s\"", id);
    snprintf(s, sizeof(s), "\"signature_id\":%u", sid);
    for (int i = 0; i < fx.n; i++)
        if (strstr(fx.json[i], d) && (!sid || strstr(fx.json[i], s))) n++;
    return n;
}

static const char *SVCCTL = "367abb81-9844-35f1-ad32-98f038001003";
static const char *WINREG = "338cd001-2244-31f1-aaaa-900038001003";
static const char *SRVSVC = "4b324fc8-1670-01d3-1278-5a47bf6ee188";
static const char *SAMR = "12345778-1234-abcd-ef00-0123456789ac";
static const char *NETLOGON = "12345678-1234-abcd-ef00-01234567cffb";

static void test_act_detectors(void **state)
{
    (void)state;
    static const struct {
        const char *uuid;
        uint16_t opnum;
        const char *id;
        uint32_t sid;
    } cases[] = {
        {"367abb81-9844-35f1-ad32-98f038001003", 45, "remote_service", 9100600},
        {"86d35949-83c9-4044-b424-db363231fd0c", 1, "remote_task", 9100700},
        {"9556dc99-828c-11cf-a37e-00aa003240c7", 24, "remote_wmi", 9100800},
        {"000001a0-0000-0000-c000-000000000046", 4, "remote_dcom", 9100900},
        {"338cd001-2244-31f1-aaaa-900038001003", 22, "remote_registry", 9101000},
        {"82273fdc-e32a-18c3-3f78-827929dc23ea", 0, "remote_log_clear", 9101100},
        {"894de0c0-0d55-11d3-a322-00c04fa321a1", 2, "remote_shutdown", 9101200},
        {"12345678-1234-abcd-ef00-0123456789ab", 46, "remote_persistence", 9101300},
        {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3, "dcsync", 9101500},
        {"12345678-1234-abcd-ef00-0123456789ab", 65, "auth_coercion", 9101700},
        {"c681d488-d850-11d0-8c52-00c04fd90f7e", 0, "auth_coercion", 9101700},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct flow f = make_flow(1, (uint8_t)i);
        int before = alerts(cases[i].id, cases[i].sid);
        call(&f, cases[i].uuid, cases[i].opnum, 100);
        assert_int_equal(alerts(cases[i].id, cases[i].sid), before + 1);
    }
    assert_non_null(strstr(fx.json[0], "\"function\":\"RCreateServiceWOW64W\""));
    assert_non_null(strstr(fx.json[0], "\"pipe\":\"pipe\""));
    assert_non_null(strstr(fx.json[0], "\"uuid\":\"367abb81-9844-35f1-ad32-98f038001003\""));
    assert_non_null(strstr(fx.json[0], "T1543.003"));
    /* Named but not detected: opening the service manager, binding drsuapi,
     * a request on an unknown context, a bind. */
    int n = fx.n;
    struct flow f = make_flow(2, 1);
    call(&f, SVCCTL, 15, 100);
    call(&f, "e3514235-4b06-11d1-ab04-00c04fc2dcd2", 0, 100);
    struct dissect_event ev = {.type = EV_DCERPC_REQUEST};
    ev.u.rpc.opnum = 45;
    detect_event(&fx.ctx, &f, &ev);
    ev.type = EV_DCERPC_BIND;
    wire(SVCCTL, ev.u.rpc.uuid);
    ev.u.rpc.uuid_known = 1;
    detect_event(&fx.ctx, &f, &ev);
    assert_int_equal(fx.n, n);
}

/* Registry reads are reported once, at the end of the connection. */
static void test_deferred_reads(void **state)
{
    (void)state;
    int base = alerts("remote_registry", 0), write = alerts("remote_registry", 9101000);
    struct flow f = make_flow(3, 1);
    call(&f, WINREG, 2, 100);
    call(&f, WINREG, 17, 101);
    assert_int_equal(alerts("remote_registry", 0), base);
    detect_flow_end(&fx.ctx, &f);
    assert_int_equal(alerts("remote_registry", 9101001), 1);
    assert_non_null(strstr(fx.json[fx.n - 1], "\"calls\":2"));
    /* A write on the same connection: at once, and nothing more at its end. */
    struct flow g = make_flow(3, 2);
    call(&g, WINREG, 2, 110);
    call(&g, WINREG, 22, 111);
    assert_int_equal(alerts("remote_registry", 9101000), write + 1);
    detect_flow_end(&fx.ctx, &g);
    assert_int_equal(alerts("remote_registry", 0), base + 2);
}

static void test_counted_calls(void **state)
{
    (void)state;
    /* rpc_discovery: 5 calls in 300 s from one source; other sources and
     * slow callers stay silent. */
    for (int i = 0; i < 4; i++) {
        struct flow f = make_flow(10, (uint8_t)i);
        call(&f, SRVSVC, 12, 1000 + (uint64_t)i);
        struct flow g = make_flow(11, (uint8_t)i);
        call(&g, SRVSVC, 12, 1000 + 400 * (uint64_t)i);
    }
    assert_int_equal(alerts("rpc_discovery", 0), 0);
    struct flow f = make_flow(10, 9);
    call(&f, SRVSVC, 28, 1010);
    assert_int_equal(alerts("rpc_discovery", 9101400), 1);
    assert_non_null(strstr(fx.json[fx.n - 1], "\"calls\":5"));
    assert_non_null(strstr(fx.json[fx.n - 1], "T1124"));
    /* account_discovery: membership listing at once (variant 1). */
    struct flow g = make_flow(12, 1);
    call(&g, SAMR, 25, 2000);
    assert_int_equal(alerts("account_discovery", 9101901), 1);
    for (int i = 0; i < 4; i++) {
        struct flow h = make_flow(13, (uint8_t)i);
        call(&h, SAMR, 17, 3000);
    }
    assert_int_equal(alerts("account_discovery", 9101900), 0);
    struct flow h = make_flow(13, 9);
    call(&h, SAMR, 13, 3001);
    assert_int_equal(alerts("account_discovery", 9101900), 1);
}

/* NDR stubs (little-endian) of SamrOpenGroup/Alias(rid) and of
 * SamrLookupNamesInDomain(name), after a 20-byte domain handle. */
static size_t samr_stub(uint8_t *b, uint32_t rid, const char *name)
{
    uint32_t w[64] = {0};
    size_t n = 5, len = name ? strlen(name) : 0;
    if (!name) {
        w[n++] = 0x10, w[n++] = rid;
    } else {
        w[n++] = 1, w[n++] = 1000, w[n++] = 0, w[n++] = 1;
        w[n++] = (uint32_t)(2 * len | (2 * len) << 16), w[n++] = 0x20000;
        w[n++] = (uint32_t)len, w[n++] = 0, w[n++] = (uint32_t)len;
    }
    memcpy(b, w, 4 * n);
    for (size_t i = 0; i < len; i++)
        b[4 * n + 2 * i] = (uint8_t)name[i], b[4 * n + 2 * i + 1] = 0;
    return 4 * n + 2 * len;
}

static void test_account_discovery(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n;
    int all = alerts("account_discovery", 0), counted = alerts("account_discovery", 9101900);
    /* A privileged group by name or RID: at once, within one zone. */
    struct flow f = make_flow(40, 1);
    n = samr_stub(b, 0, "domain admins");
    call_stub(&f, SAMR, 17, 9000, b, n);
    assert_int_equal(alerts("account_discovery", 9101902), 1);
    assert_non_null(strstr(fx.json[fx.n - 1], "\"group\":\"Domain Admins\""));
    assert_non_null(strstr(fx.json[fx.n - 1], "\"rid\":512"));
    assert_non_null(strstr(fx.json[fx.n - 1], "SamrLookupNamesInDomain (Domain Admins)"));
    struct flow g = make_flow(41, 1);
    n = samr_stub(b, 544, NULL);
    call_stub(&g, SAMR, 27, 9000, b, n);
    assert_int_equal(alerts("account_discovery", 9101902), 2);
    /* Other names and RIDs, cut stubs, sealed ones: silent; opening a
     * group does not count, a lookup does (the fifth alerts). */
    struct flow h = make_flow(42, 1);
    for (uint32_t rid = 513; rid < 518; rid++) {
        n = samr_stub(b, rid, NULL);
        call_stub(&h, SAMR, 19, 9001, b, n);
    }
    n = samr_stub(b, 512, NULL);
    call_stub(&h, SAMR, 19, 9001, b, n - 1);
    call_stub(&h, SAMR, 19, 9001, NULL, 0);
    n = samr_stub(b, 0, "Domain Admin");
    for (int i = 0; i < 4; i++)
        call_stub(&h, SAMR, 17, 9002, b, n);
    assert_int_equal(alerts("account_discovery", 0), all + 2);
    call_stub(&h, SAMR, 17, 9002, b, n - 2);
    assert_int_equal(alerts("account_discovery", 9101900), counted + 1);
    /* A user listing: counted within a zone, at once from another. */
    struct flow u = make_flow(43, 1);
    call(&u, SAMR, 13, 9100);
    call(&u, SAMR, 40, 9100);
    assert_int_equal(alerts("account_discovery", 0), all + 3);
    struct flow v = make_flow(44, 1);
    v.zone[1] = (uint16_t)(v.zone[0] + 1);
    call(&v, SAMR, 51, 9101);
    assert_int_equal(alerts("account_discovery", 9101903), 1);
}

static void test_zerologon(void **state)
{
    (void)state;
    /* One authentication every 2 s: 5 per window, silent. */
    for (int i = 0; i < 30; i++) {
        struct flow f = make_flow(20, 1);
        call(&f, NETLOGON, 4, 5000 + 2 * (uint64_t)i);
        call(&f, NETLOGON, 26, 5000 + 2 * (uint64_t)i);
    }
    assert_int_equal(alerts("zerologon", 0), 0);
    /* A burst: 20 attempts within 10 s. */
    for (int i = 0; i < 19; i++) {
        struct flow f = make_flow(21, 1);
        call(&f, NETLOGON, 26, 6000);
    }
    assert_int_equal(alerts("zerologon", 0), 0);
    struct flow f = make_flow(21, 1);
    call(&f, NETLOGON, 26, 6001);
    assert_int_equal(alerts("zerologon", 9101600), 1);
    struct flow g = make_flow(21, 1);
    call(&g, NETLOGON, 30, 6002); /* password set after the burst */
    assert_int_equal(alerts("zerologon", 9101601), 1);
    struct flow h = make_flow(20, 1);
    call(&h, NETLOGON, 30, 6002); /* ...and without one: silent */
    assert_int_equal(alerts("zerologon", 9101601), 1);
}

static void test_share_discovery(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        struct flow f = make_flow(30, (uint8_t)i);
        call(&f, SRVSVC, 15, 7000);
        struct flow g = make_flow(30, (uint8_t)i); /* same hosts again */
        call(&g, SRVSVC, 15, 7001);
    }
    assert_int_equal(alerts("share_discovery", 0), 0);
    struct flow f = make_flow(30, 4);
    call(&f, SRVSVC, 16, 7002);
    assert_int_equal(alerts("share_discovery", 9101800), 1);
    assert_non_null(strstr(fx.json[fx.n - 1], "\"hosts\":5"));
    /* One host, another zone: at once. */
    struct flow g = make_flow(31, 1);
    g.zone[1] = (uint16_t)(g.zone[0] + 1);
    call(&g, SRVSVC, 15, 8000);
    assert_int_equal(alerts("share_discovery", 9101801), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_well_formed),     cmocka_unit_test(test_bzar_coverage),
        cmocka_unit_test(test_spec_uuids_and_lookup), cmocka_unit_test(test_act_detectors),
        cmocka_unit_test(test_deferred_reads),        cmocka_unit_test(test_counted_calls),
        cmocka_unit_test(test_account_discovery),     cmocka_unit_test(test_zerologon),
        cmocka_unit_test(test_share_discovery),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
