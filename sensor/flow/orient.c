/* Flow orientation (orient.h). */
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
    return orient_server_port(sport) && !orient_server_port(dport);
}
