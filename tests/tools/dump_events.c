/* dump_events: feeds a capture through decode -> flow table -> dissection
 * exactly like sensor/pipeline/pipeline.c (without nDPI or detectors) and prints one
 * line per dissector event, for differential tests against tshark:
 *
 *   dump_events FILE [TYPE...]
 *
 * Each line: frame TAB flow-id TAB event TAB dir ("c2s"/"s2c") TAB fields,
 * fields being "key=value" pairs separated by TAB (values as the event
 * carries them; absent strings are left out). TYPE arguments (e.g.
 * smb_tree_connect) keep only those events. Exit 1 if the file cannot be
 * read. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "decode/decode.h"
#include "detect/rpc_table.h"
#include "engine.h"
#include "flow/flow_table.h"

static const char *const names[EV_MAX] = {
    "smb_negotiate", "smb_session_setup", "smb_tree_connect", "smb_create",   "smb_write",
    "smb_rename",    "smb_delete",        "smb_encrypted",    "ntlm_auth",    "auth_result",
    "dcerpc_bind",   "dcerpc_request",    "krb_as_req",       "krb_tgs_req",  "krb_error",
    "krb_as_rep",    "krb_tgs_rep",       "rdp_request",      "http_request",
};

static unsigned long frame;
static int nwanted;
static char **wanted;

static void str(const char *key, const char *v)
{
    if (v) printf("\t%s=%s", key, v);
}

static void num(const char *key, unsigned long long v)
{
    printf("\t%s=%llu", key, v);
}

static void fields(const struct dissect_event *ev)
{
    switch (ev->type) {
    case EV_SMB_NEGOTIATE:
        printf("\tdialect=0x%04x", ev->u.smb.dialect);
        break;
    case EV_SMB_TREE_CONNECT:
        str("path", ev->u.tree.path);
        str("share", ev->u.tree.share);
        break;
    case EV_SMB_CREATE:
    case EV_SMB_WRITE:
    case EV_SMB_RENAME:
    case EV_SMB_DELETE:
        str("share", ev->u.file.share);
        str("name", ev->u.file.name);
        str("new_name", ev->u.file.new_name);
        if (ev->type == EV_SMB_CREATE) num("disposition", ev->u.file.disposition);
        if (ev->type == EV_SMB_WRITE) {
            num("offset", ev->u.file.offset);
            num("length", ev->u.file.length);
            num("pe", (unsigned)ev->u.file.pe_header);
        }
        break;
    case EV_SMB_SESSION_SETUP:
    case EV_NTLM_AUTH:
    case EV_AUTH_RESULT:
        str("user", ev->u.auth.user);
        str("domain", ev->u.auth.domain);
        str("workstation", ev->u.auth.workstation);
        break;
    case EV_DCERPC_BIND:
    case EV_DCERPC_REQUEST: {
        char uuid[37];
        dcerpc_uuid_format(ev->u.rpc.uuid, uuid);
        if (ev->u.rpc.uuid_known) str("uuid", uuid);
        /* Named by the detectors' table (sensor/detect/rpc_table.c). */
        const struct rpc_interface *iface =
            ev->u.rpc.uuid_known ? rpc_table_interface(ev->u.rpc.uuid) : NULL;
        str("interface", iface ? iface->name : NULL);
        num("ctx", ev->u.rpc.ctx_id);
        if (ev->type == EV_DCERPC_REQUEST) num("opnum", ev->u.rpc.opnum);
        str("pipe", ev->u.rpc.pipe);
        break;
    }
    case EV_KRB_AS_REQ:
    case EV_KRB_TGS_REQ:
    case EV_KRB_ERROR:
        str("cname", ev->u.krb.cname);
        str("realm", ev->u.krb.realm);
        str("sname", ev->u.krb.sname);
        num("preauth", (unsigned)ev->u.krb.preauth);
        break;
    case EV_KRB_AS_REP:
    case EV_KRB_TGS_REP:
        str("cname", ev->u.krb_rep.cname);
        str("realm", ev->u.krb_rep.crealm);
        str("sname", ev->u.krb_rep.sname);
        str("srealm", ev->u.krb_rep.srealm);
        printf("\tticket_etype=%d\tenc_etype=%d", ev->u.krb_rep.ticket_etype,
               ev->u.krb_rep.enc_etype);
        break;
    case EV_RDP_REQUEST:
        str("cookie", ev->u.rdp.cookie);
        num("protocols", ev->u.rdp.protocols);
        break;
    case EV_HTTP_REQUEST:
        str("method", ev->u.http.method);
        str("uri", ev->u.http.uri);
        str("host", ev->u.http.host);
        str("auth", ev->u.http.auth_scheme);
        break;
    default:
        break;
    }
}

static void on_event(void *ud, void *flow, const struct dissect_event *ev)
{
    (void)ud;
    const struct flow *f = flow;
    const char *name = (unsigned)ev->type < EV_MAX && names[ev->type] ? names[ev->type] : "?";
    if (nwanted) {
        int keep = 0;
        for (int i = 0; i < nwanted; i++)
            keep |= strcmp(wanted[i], name) == 0;
        if (!keep) return;
    }
    printf("%lu\t%llu\t%s\t%s\tstatus=0x%08x", frame, (unsigned long long)f->id, name,
           ev->to_server ? "c2s" : "s2c", ev->status);
    fields(ev);
    putchar('\n');
}

static void on_flow_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    (void)reason;
    struct dissect_flow_info fi = flow_dissect_info(f);
    dissect_flow_end(ud, &f->dissect, &fi, f, f->last_us);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [EVENT-TYPE...]\n", argv[0]);
        return 2;
    }
    wanted = argv + 2;
    nwanted = argc - 2;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    struct dissect_engine *e = dissect_create(on_event, NULL);
    struct flow_table_config fc = {.max_flows = 1u << 16,
                                   .memcap_bytes = 512u << 20,
                                   .timeout_s = {300, 10, 60, 30},
                                   .on_end = on_flow_end,
                                   .ud = e};
    struct flow_table *ft = e ? flow_table_create(&fc, err, sizeof(err)) : NULL;
    if (!ft) {
        fprintf(stderr, "setup: %s\n", e ? err : "out of memory");
        return 1;
    }
    int dlt = pcap_datalink(p);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    uint64_t next_expire_us = 0;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        struct packet pkt;
        int created;
        frame++;
        if (decode_packet(dlt, data, h->caplen, &pkt) != DECODE_OK) continue;
        pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        pkt.wire_len = h->len;
        if (pkt.ts_us >= next_expire_us) {
            flow_table_expire(ft, pkt.ts_us);
            next_expire_us = pkt.ts_us + 1000000u;
        }
        struct flow *f = flow_table_get(ft, &pkt, &created);
        if (f && !created && f->fclass == FLOW_TCP_CLOSED &&
            (pkt.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
            /* A new connection reusing the ports of a closed one. */
            flow_table_end(ft, f, FLOW_END_TIMEOUT);
            f = flow_table_get(ft, &pkt, &created);
        }
        if (!f) continue;
        if (pkt.key.proto == 6) {
            if (pkt.tcp_flags & TCP_FIN) f->tcp_fin |= (uint8_t)(1u << pkt.dir);
            if ((pkt.tcp_flags & TCP_RST) || f->tcp_fin == 3)
                flow_table_set_class(ft, f, FLOW_TCP_CLOSED);
        }
        if (created) {
            /* As sensor/pipeline/pipeline.c: a SYN-ACK first means the capture
             * started mid-handshake. */
            int synack = (pkt.tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
            f->client = synack ? !pkt.dir : pkt.dir;
        }
        struct dissect_flow_info fi = flow_dissect_info(f);
        struct dissect_segment seg = {.payload = pkt.payload,
                                      .len = pkt.payload_len,
                                      .cut = pkt.payload_cut,
                                      .tcp_seq = pkt.tcp_seq,
                                      .syn = (pkt.tcp_flags & TCP_SYN) != 0,
                                      .to_server = pkt.dir == f->client,
                                      .ts_us = pkt.ts_us};
        dissect_packet(e, &f->dissect, &fi, f, &seg);
    }
    flow_table_flush(ft, FLOW_END_EOF);
    flow_table_destroy(ft);
    dissect_destroy(e);
    if (rc == -1) fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
    pcap_close(p);
    return rc == -1;
}
