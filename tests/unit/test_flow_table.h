/* Shared by the flow table's tests: a table with recorded ends, packets
 * between 10.0.x hosts. Included after cmocka.h, decode.h and flow_table.h. */
#ifndef VIGIE_TEST_FLOW_TABLE_H
#define VIGIE_TEST_FLOW_TABLE_H

#define SEC(s) ((uint64_t)(s)*1000000u)
#define T0 SEC(1700000000)

/* Timeouts in seconds: TCP 40, TCP closed 5, UDP 20, other 10. */
static const uint32_t timeouts[FLOW_CLASS_MAX] = {40, 5, 20, 10};

struct end_rec {
    uint64_t id, last_us;
    enum flow_end_reason reason;
};

struct recorder {
    struct end_rec r[256];
    int n;
};

static inline void record_end(struct flow *f, enum flow_end_reason reason, void *ud)
{
    struct recorder *rec = ud;
    assert_true(rec->n < 256);
    rec->r[rec->n++] = (struct end_rec){f->id, f->last_us, reason};
}

static inline struct flow_table *make_table(uint32_t max_flows, uint64_t memcap,
                                            struct recorder *rec, const size_t *extra)
{
    struct flow_table_config cfg = {
        .max_flows = max_flows,
        .memcap_bytes = memcap,
        .on_end = record_end,
        .ud = rec,
        .dissector_mem = extra,
    };
    memcpy(cfg.timeout_s, timeouts, sizeof(timeouts));
    char err[128] = "";
    struct flow_table *ft = flow_table_create(&cfg, err, sizeof(err));
    assert_non_null(ft);
    return ft;
}

/* A packet from 10.0.<src>:sport to 10.0.<dst>:dport, key canonicalized. */
static inline struct packet mkpkt2(uint8_t proto, uint16_t src, uint16_t sport, uint16_t dst,
                                   uint16_t dport, uint64_t ts_us)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.key.family = 4;
    p.key.proto = proto;
    const uint16_t host[2] = {src, dst};
    for (int e = 0; e < 2; e++) {
        p.key.addr[e][10] = p.key.addr[e][11] = 0xFF;
        p.key.addr[e][12] = 10;
        p.key.addr[e][14] = (uint8_t)(host[e] >> 8);
        p.key.addr[e][15] = (uint8_t)host[e];
    }
    p.key.port[0] = sport;
    p.key.port[1] = dport;
    flow_key_canonicalize(&p.key, &p.dir);
    p.ts_us = ts_us;
    return p;
}

/* A client 10.0.<host> talking to the server 10.0.255.1. */
static inline struct packet mkpkt(uint8_t proto, uint16_t host, uint16_t sport, uint16_t dport,
                                  uint64_t ts_us)
{
    return mkpkt2(proto, host, sport, 0xFF01, dport, ts_us);
}

static inline struct flow *get_new(struct flow_table *ft, const struct packet *p)
{
    int created = -1;
    struct flow *f = flow_table_get(ft, p, &created);
    assert_non_null(f);
    assert_int_equal(created, 1);
    return f;
}

/* A new UDP flow from client host, at T0 + host microseconds. */
static inline void new_udp(struct flow_table *ft, uint16_t host)
{
    struct packet p = mkpkt(17, host, 1, 2, T0 + host);
    get_new(ft, &p);
}

#endif
