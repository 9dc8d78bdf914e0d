/* Flow orientation (orient.h). */
#include <string.h>

#include "orient.h"

/* Ports servers listen on, sorted: those of the services seen on
 * municipal networks (Windows and directory, mail, web, files, databases,
 * remote access, network services), as Zeek's likely_server_ports holds
 * its analyzers' ports. Not every port under 1024: NFS and r-command
 * clients send from privileged ports. */
static const uint16_t server_ports[] = {
    7,    21,   22,   23,   25,   37,   43,   49,   53,   67,   69,   79,    80,    88,   102,
    110,  111,  113,  119,  123,  135,  137,  138,  139,  143,  161,  162,   179,   389,  427,
    443,  445,  464,  465,  500,  502,  514,  515,  520,  547,  554,  563,   587,   593,  623,
    631,  636,  853,  873,  902,  989,  990,  993,  995,  1080, 1194, 1433,  1434,  1521, 1701,
    1723, 1812, 1813, 1883, 2049, 2375, 2376, 3128, 3260, 3268, 3269, 3306,  3389,  3478, 4443,
    4500, 5060, 5061, 5222, 5353, 5355, 5432, 5671, 5672, 5722, 5900, 5985,  5986,  6379, 6443,
    8000, 8008, 8080, 8081, 8443, 8530, 8531, 8883, 8888, 9200, 9389, 11211, 27017,
};

int orient_server_port(uint16_t port)
{
    unsigned lo = 0, hi = sizeof(server_ports) / sizeof(server_ports[0]);
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (server_ports[mid] == port) return 1;
        if (server_ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* What the first payload of a flow picked up midstream says of its
 * sender: 1 a server, 0 a client, -1 nothing. Only a payload that starts
 * with a message of one of these protocols says anything. */
static int payload_from_server(const uint8_t *p, uint32_t n)
{
    /* DCE-RPC connection-oriented PDU header (C706 12.6.3.1): version 5.0
     * or 5.1, then the type; 2 response, 3 fault, 12 bind_ack, 13
     * bind_nak, 15 alter_context_resp from a server; 0 request, 11 bind,
     * 14 alter_context from a client. */
    if (n >= 16 && p[0] == 5 && p[1] <= 1 && (p[4] == 0x10 || p[4] == 0x00)) {
        switch (p[2]) {
        case 2:
        case 3:
        case 12:
        case 13:
        case 15:
            return 1;
        case 0:
        case 11:
        case 14:
            return 0;
        }
    }
    /* SMB over NetBIOS session service (RFC 1002 message type 0): SMB2
     * Flags bit SERVER_TO_REDIR (MS-SMB2 2.2.1), SMB1 Flags REPLY
     * (MS-CIFS 2.2.3.1). */
    if (n >= 4 + 20 && p[0] == 0 && memcmp(p + 4, "\xfeSMB", 4) == 0) return p[4 + 16] & 1;
    if (n >= 4 + 10 && p[0] == 0 && memcmp(p + 4, "\xffSMB", 4) == 0) return (p[4 + 9] & 0x80) != 0;
    /* HTTP/1.x: a status line from a server. */
    if (n >= 8 && memcmp(p, "HTTP/1.", 7) == 0) return 1;
    /* TLS handshake record (RFC 8446 5.1, 4): ClientHello from a client,
     * ServerHello or Certificate from a server. */
    if (n >= 6 && p[0] == 22 && p[1] == 3 && p[2] <= 4) {
        if (p[5] == 1) return 0;
        if (p[5] == 2 || p[5] == 11) return 1;
    }
    return -1;
}

int orient_first_is_server(const struct packet *pkt)
{
    uint16_t sport = pkt->key.port[pkt->dir], dport = pkt->key.port[!pkt->dir];
    switch (pkt->key.proto) {
    case 6:
        if (pkt->tcp_flags & TCP_SYN) return (pkt->tcp_flags & TCP_ACK) != 0;
        break;
    case 17:
        break;
    case 1:
        return pkt->icmp_type == 0; /* echo reply */
    case 58:
        return pkt->icmp_type == 129;
    default:
        return 0;
    }
    if (pkt->payload && pkt->payload_len) {
        int said = payload_from_server(pkt->payload, pkt->payload_len);
        if (said >= 0) return said;
    }
    return orient_server_port(sport) && !orient_server_port(dport);
}
