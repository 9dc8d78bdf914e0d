/* PACKET_FANOUT on the packet socket a libpcap live handle reads (packet(7),
 * Linux Documentation/networking/packet_mmap.rst). The socket is bound
 * and its ring mapped by pcap_activate; the join only adds the socket to
 * the group's demultiplexer, so it works with either ring version. Also
 * the fanout helpers of capture.h that need no handle internals. */
#include <errno.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "fanout_internal.h"

/* Symmetric flow hash (both directions to one socket) on the reassembled
 * IPv4 datagram: the fragments of a datagram cannot go apart. */
#define FANOUT_TYPE_FLAGS (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG)

static int is_packet_socket(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    return fd >= 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
           sa.ss_family == AF_PACKET;
}

static void join_error(const char *iface, uint16_t id, int new_group, int e, char *err,
                       size_t errlen)
{
    char group[32];
    if (new_group)
        snprintf(group, sizeof(group), "a new fanout group");
    else
        snprintf(group, sizeof(group), "fanout group %u", id);
    const char *why;
    switch (e) {
    case EINVAL:
        why = "the group exists with other settings or on another interface";
        break;
    case EALREADY:
        why = "the handle is already in a group";
        break;
    case ENOSPC:
        why = "the group is full";
        break;
    case ENOPROTOOPT:
    case EOPNOTSUPP:
        why = "the kernel has no PACKET_FANOUT";
        break;
    default:
        why = strerror(e);
    }
    snprintf(err, errlen, "%s: cannot join %s: %s", iface, group, why);
}

static int join(int fd, uint16_t id, uint32_t type_flags)
{
    uint32_t arg = (uint32_t)id | type_flags << 16;
    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg));
}

int fanout_join_socket(int fd, const char *iface, uint16_t id, int new_group, uint16_t *joined,
                       char *err, size_t errlen)
{
    if (!is_packet_socket(fd)) {
        snprintf(err, errlen,
                 "%s: fanout needs a Linux packet socket (AF_PACKET): this capture device "
                 "is not one",
                 iface);
        return -1;
    }
    int rc;
    if (new_group) {
        /* UNIQUEID wants id 0 and picks an unused one; the group keeps
         * HASH | DEFRAG, so the other handles join it with those. A kernel
         * without the flag (before 4.2) refuses it: the pid's id then. */
        rc = join(fd, 0, FANOUT_TYPE_FLAGS | PACKET_FANOUT_FLAG_UNIQUEID);
        if (rc != 0 && errno == EINVAL) rc = join(fd, id, FANOUT_TYPE_FLAGS);
    } else
        rc = join(fd, id, FANOUT_TYPE_FLAGS);
    if (rc != 0) {
        join_error(iface, id, new_group, errno, err, errlen);
        return -1;
    }
    /* PACKET_FANOUT reads back id | type << 16 | flags << 24 */
    uint32_t val = 0;
    socklen_t len = sizeof(val);
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, &len) != 0) {
        snprintf(err, errlen, "%s: fanout group: %s", iface, strerror(errno));
        return -1;
    }
    *joined = (uint16_t)(val & 0xffff);
    return 0;
}

int fanout_ring_version(int fd)
{
    int v = -1;
    socklen_t len = sizeof(v);
    if (!is_packet_socket(fd) || getsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, &len) != 0)
        return -1;
    switch (v) {
    case TPACKET_V2:
        return 2;
    case TPACKET_V3:
        return 3;
    default:
        return v == TPACKET_V1 ? 1 : -1;
    }
}

uint16_t capture_fanout_id(void)
{
    return (uint16_t)(getpid() & 0xffff);
}

int capture_stats_sum(struct capture *const *caps, int n, struct capture_stats *sum)
{
    int live = 0;
    memset(sum, 0, sizeof(*sum));
    for (int i = 0; i < n; i++) {
        struct capture_stats st;
        if (capture_get_stats(caps[i], &st) != 0) continue;
        live++;
        sum->received += st.received;
        sum->dropped += st.dropped;
        if (st.if_dropped > sum->if_dropped) sum->if_dropped = st.if_dropped;
    }
    return live ? 0 : -1;
}

int capture_open_fanout(const char *iface, const struct capture_live_opts *o, unsigned n,
                        struct capture **caps, char *err, size_t errlen)
{
    uint16_t group = 0;
    for (unsigned i = 0; i < n; i++) {
        caps[i] = capture_open_live_opts(iface, o, err, errlen);
        int rc = !caps[i] ? -1
                 : i == 0 ? capture_new_fanout(caps[i], &group, err, errlen)
                          : capture_join_fanout(caps[i], group, err, errlen);
        if (rc != 0) {
            for (unsigned j = 0; j <= i; j++)
                capture_close(caps[j]);
            return -1;
        }
    }
    return 0;
}
