/* libFuzzer target for decode_packet(). The first input byte picks one of
 * the supported link types, the rest is the frame. libFuzzer hands over an
 * exact-size heap buffer, so ASan flags any read past caplen; on success
 * every payload byte is read so that a payload_len that overstates the
 * capture is caught too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pcap/dlt.h>

#include "decode/decode.h"

static const int link_types[] = {
    DLT_EN10MB,     DLT_LINUX_SLL,  276 /* LINUX_SLL2 */,
    DLT_RAW,        228 /* IPV4 */, 229 /* IPV6 */,
    DLT_NULL,       DLT_LOOP,       DLT_PPP,
    DLT_PPP_SERIAL, DLT_C_HDLC,     DLT_IEEE802_11_RADIO,
};

#define N_LINK_TYPES (sizeof(link_types) / sizeof(link_types[0]))

/* Invariants of a decoded packet; a violation aborts so libFuzzer keeps
 * the input. */
static void check(const uint8_t *frame, uint32_t caplen, const struct packet *pkt)
{
    if (pkt->l3 < frame || pkt->l3 > frame + caplen || pkt->l3_len != caplen - (pkt->l3 - frame))
        __builtin_trap();
    if (pkt->payload_len &&
        (pkt->payload < pkt->l3 || pkt->payload_len > caplen - (uint32_t)(pkt->payload - frame)))
        __builtin_trap();
    if (pkt->key.family != 4 && pkt->key.family != 6) __builtin_trap();
    if (pkt->ip_version != pkt->key.family || pkt->dir > 1) __builtin_trap();
    /* The key is already canonical: canonicalizing again changes nothing. */
    struct flow_key k = pkt->key;
    uint8_t dir = 1;
    flow_key_canonicalize(&k, &dir);
    if (dir != 0 || memcmp(&k, &pkt->key, sizeof(k)) != 0) __builtin_trap();

    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < pkt->payload_len; i++)
        sink ^= pkt->payload[i];
    for (uint32_t i = 0; i < pkt->l3_len; i++)
        sink ^= pkt->l3[i];
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > UINT32_MAX) return 0;
    int dlt = link_types[data[0] % N_LINK_TYPES];
    if (!decode_linktype_supported(dlt)) __builtin_trap();

    const uint8_t *frame = data + 1;
    uint32_t caplen = (uint32_t)(size - 1);
    struct packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    enum decode_result r = decode_packet(dlt, frame, caplen, &pkt);
    if ((int)r < 0 || r >= DECODE_RESULT_MAX) __builtin_trap();
    if (r == DECODE_OK) check(frame, caplen, &pkt);
    return 0;
}
