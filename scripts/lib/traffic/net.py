"""Fixed values, addresses and checksums of the benchmark traffic: the epoch,
the packed Ethernet + IPv4 + TCP/UDP/ICMP headers, the ones'-complement sum
(wsum) that stands in for a per-packet checksum loop, the ciphertext bytes
shared by every flow, and the server pools."""
import hashlib
import struct


EPOCH = 1710234000  # 2024-03-12 09:00:00 UTC; fixed, for reproducible files
NTP_OFFSET = 2208988800
FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
IDLE_GAP_US = 330_000_000  # > vigie's default TCP timeout (300 s): a window's flows expire

REC = struct.Struct('<IIII')  # pcap record header: host (little) endian
TCPH = struct.Struct('!12sHBBHHHBBHIIHHIIBBHHH')  # ether + IPv4 + TCP
UDPH = struct.Struct('!12sHBBHHHBBHIIHHHH')  # ether + IPv4 + UDP
ICMPH = struct.Struct('!12sHBBHHHBBHIIBBHHH')  # ether + IPv4 + ICMP echo

ROUTER_MAC = bytes.fromhex('001b213c9df8')


def wsum(b):
    """Ones'-complement sum of b as 16-bit words, modulo 0xffff.

    Since 2**16 == 1 (mod 0xffff), the sum of the words of a big-endian number
    is that number mod 0xffff; one C-level bignum op instead of a Python loop.
    An odd length is padded with a zero byte. The checksum is then
    -(sum of all parts) % 0xffff, and parts such as a 32-bit address or
    sequence number can be added whole for the same reason.
    """
    n = int.from_bytes(b, 'big')
    return (n << 8 if len(b) & 1 else n) % 0xffff


def ip(s):
    return int.from_bytes(bytes(int(x) for x in s.split('.')), 'big')


def u(b, off, n=2):
    return int.from_bytes(b[off:off + n], 'big')


def ntp_ts(us):
    sec, frac = divmod(us, 1_000_000)
    return struct.pack('!II', EPOCH + NTP_OFFSET + sec, (frac << 32) // 1_000_000)


# Shared pseudo-random bytes standing in for ciphertext (same for every flow,
# so their checksum sums are computed once).
CIPHER = hashlib.shake_128(b'vigie gen-traffic ciphertext').digest(4096)


# ---------------------------------------------------------------- servers


def pool(prefix, first, count):
    base = ip(prefix + '.0')
    return [base + first + k for k in range(count)]


SERVERS = {
    'dns': pool('10.10.0', 10, 2) + pool('198.51.100', 53, 1),
    'ntp': pool('10.10.0', 1, 2) + pool('203.0.113', 123, 1),
    'http': pool('203.0.113', 10, 50) + pool('198.51.100', 80, 10) + pool('10.10.2', 20, 10),
    'tls': pool('203.0.113', 100, 100) + pool('198.51.100', 10, 70) + pool('172.16.10', 10, 10),
    'smb': pool('10.10.0', 20, 6) + pool('172.16.1', 10, 5),
    'ssh': pool('10.10.5', 1, 9) + pool('172.16.2', 10, 5),
}


def icmp_server(k):
    """A distinct ping target per k, so (client, server) pairs of ICMP flows never repeat."""
    if k < 250:
        return ip('198.51.100.0') + 1 + k
    if k < 500:
        return ip('203.0.113.0') + 1 + k - 250
    k -= 500
    return ip('10.12.0.0') + ((k // 250) << 8) + k % 250 + 1


def is_internal(a):
    return a >> 24 == 10 or a >> 20 == 0xac1
