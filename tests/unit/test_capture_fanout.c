/* Fanout refusals, with the message a user sees: a file capture, a socket
 * that is not a packet socket, and (with CAP_NET_RAW) a group joined with
 * other settings or twice; packet sockets of one kind share a group. The
 * splitting of live traffic is tests/integration/live_fanout.sh's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "capture/capture.h"
#include "capture/fanout_internal.h"

/* A classic pcap with one Ethernet frame. */
static void write_pcap(char *path, size_t len)
{
    static const uint8_t file[24 + 16 + 14] = {
        0xd4, 0xc3, 0xb2, 0xa1, 2,  0, 4, 0, 0,  0, 0, 0, 0,           0,
        0,    0,    0xff, 0xff, 0,  0, 1, 0, 0,  0, 1, 0, 0,           0,
        0,    0,    0,    0,    14, 0, 0, 0, 14, 0, 0, 0, [52] = 0x08, [53] = 0x06};
    snprintf(path, len, "/tmp/vigie_test_fanout_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, file, sizeof(file)), sizeof(file));
    close(fd);
}

static void test_file_capture_refused(void **state)
{
    (void)state;
    char path[64], err[256] = "";
    write_pcap(path, sizeof(path));
    struct capture *c = capture_open_file(path, NULL, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(capture_join_fanout(c, 7, err, sizeof(err)), -1);
    assert_string_equal(err, "fanout needs a live capture, not a file");
    uint16_t id = 0;
    err[0] = 0;
    assert_int_equal(capture_new_fanout(c, &id, err, sizeof(err)), -1);
    assert_string_equal(err, "fanout needs a live capture, not a file");
    assert_int_equal(capture_fanout_group(c), -1);
    assert_int_equal(capture_ring_version(c), -1);
    struct capture_stats st;
    assert_int_equal(capture_stats_sum(&c, 1, &st), -1);
    capture_close(c);
    unlink(path);
}

static void test_not_a_packet_socket(void **state)
{
    (void)state;
    char err[256] = "";
    uint16_t got = 0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(fanout_join_socket(fd, "eth9", 5, 0, &got, err, sizeof(err)), -1);
    assert_string_equal(err, "eth9: fanout needs a Linux packet socket (AF_PACKET): this "
                             "capture device is not one");
    assert_int_equal(fanout_ring_version(fd), -1);
    close(fd);
}

static void test_group_rules(void **state)
{
    (void)state;
    int a = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (a < 0) {
        skip(); /* no CAP_NET_RAW */
        return;
    }
    int b = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    int other = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    assert_true(b >= 0 && other >= 0);
    char err[256] = "";
    uint16_t id = 0, id_b = 0, unused;
    assert_int_equal(fanout_join_socket(a, "x", capture_fanout_id(), 1, &id, err, sizeof(err)), 0);
    assert_int_equal(fanout_join_socket(b, "x", id, 0, &id_b, err, sizeof(err)), 0);
    assert_int_equal(id_b, id);
    /* another protocol cannot join: the group's sockets must be alike */
    assert_int_equal(fanout_join_socket(other, "x", id, 0, &unused, err, sizeof(err)), -1);
    char want[128];
    snprintf(want, sizeof(want),
             "x: cannot join fanout group %u: the group exists with other settings or on "
             "another interface",
             id);
    assert_string_equal(err, want);
    assert_int_equal(fanout_join_socket(a, "x", id, 0, &unused, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "x: cannot join fanout group %u: the handle is already in a group",
             id);
    assert_string_equal(err, want);
    close(a);
    close(b);
    close(other);
}

static void test_fanout_id(void **state)
{
    (void)state;
    assert_int_equal(capture_fanout_id(), getpid() & 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_capture_refused),
        cmocka_unit_test(test_not_a_packet_socket),
        cmocka_unit_test(test_group_rules),
        cmocka_unit_test(test_fanout_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
