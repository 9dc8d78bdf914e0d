#!/usr/bin/python3
"""Many concurrent SMB2 sessions, for measuring per-flow dissector memory.

Each flow (client 10.1.x.y -> server 10.200.x.y:445) does a TCP handshake,
then NEGOTIATE, SESSION_SETUP (an NTLMSSP AUTHENTICATE, MS-NLMP 2.2.1.3),
TREE_CONNECT \\\\fsNNN\\share, CREATE of a file and a READ of it whose
response (--read-size bytes of data) spans several TCP segments of --mss
bytes. Flows are interleaved step by step (every flow sends its SYN, then
every flow its NEGOTIATE, ...), so all of them are alive at once, and while
a read response is in flight every flow holds an incomplete record. No FIN:
the flows end at end of file. One microsecond of packet time per packet,
so no timeout ends a flow early.

  tests/bench/gen_smb_sessions.py --flows 38400 --out smb.pcap
"""
import argparse
import struct
import sys

SMB2_PROTO = b'\xfeSMB'
STATUS_OK = 0


def netbios(msg):
    # RFC 1002 4.3.1 session message, 24-bit length (MS-SMB2 2.1).
    return b'\x00' + len(msg).to_bytes(3, 'big') + msg


def smb2_hdr(cmd, msg_id, tree=0, status=0, resp=False, session=0x11):
    # MS-SMB2 2.2.1.2 SMB2 sync header.
    flags = 1 if resp else 0
    return struct.pack('<4sHHIHHIIQIIQ16s', SMB2_PROTO, 64, 1, status, cmd, 1, flags, 0,
                       msg_id, 0, tree, session, b'\0' * 16)


def utf16(s):
    return s.encode('utf-16-le')


def negotiate_req():
    # 2.2.3: StructureSize 36, DialectCount, SecurityMode, Reserved,
    # Capabilities, ClientGuid, ClientStartTime, Dialects.
    dialects = [0x0202, 0x0210, 0x0300, 0x0302]
    return (smb2_hdr(0, 0) + struct.pack('<HHHHI16sQ', 36, len(dialects), 1, 0, 0, b'\x01' * 16, 0)
            + b''.join(struct.pack('<H', d) for d in dialects))


def negotiate_rsp():
    # 2.2.4: StructureSize 65, SecurityMode, DialectRevision, ..., no buffer.
    body = struct.pack('<HHHH16sIIIIQQHHI', 65, 1, 0x0302, 0, b'\x02' * 16, 0, 65536, 65536,
                       65536, 0, 0, 128, 0, 0)
    return smb2_hdr(0, 0, resp=True) + body


def ntlm_authenticate(user, domain, host):
    # MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE, Unicode, no version field.
    fields = [b'\0' * 24, b'\0' * 24, utf16(domain), utf16(user), utf16(host), b'']
    off = 8 + 4 + 6 * 8 + 4
    head, payload = b'NTLMSSP\0' + struct.pack('<I', 3), b''
    for f in fields:
        head += struct.pack('<HHI', len(f), len(f), off + len(payload))
        payload += f
    return head + struct.pack('<I', 0x00000001 | 0x00000200) + payload


def session_setup_req(msg_id, blob):
    # 2.2.5: StructureSize 25, Flags, SecurityMode, Capabilities, Channel,
    # SecurityBufferOffset, SecurityBufferLength, PreviousSessionId.
    body = struct.pack('<HBBIIHHQ', 25, 0, 1, 0, 0, 64 + 24, len(blob), 0)
    return smb2_hdr(1, msg_id) + body + blob


def session_setup_rsp(msg_id):
    return smb2_hdr(1, msg_id, resp=True) + struct.pack('<HHHH', 9, 0, 72, 0)


def tree_connect_req(msg_id, path):
    # 2.2.9: StructureSize 9, Flags, PathOffset, PathLength.
    p = utf16(path)
    return smb2_hdr(3, msg_id) + struct.pack('<HHHH', 9, 0, 64 + 8, len(p)) + p


def tree_connect_rsp(msg_id, tree):
    # 2.2.10: StructureSize 16, ShareType disk, Reserved, ShareFlags,
    # Capabilities, MaximalAccess.
    return smb2_hdr(3, msg_id, tree=tree, resp=True) + struct.pack('<HBBIII', 16, 1, 0, 0, 0,
                                                                     0x1F01FF)


def create_req(msg_id, tree, name):
    # 2.2.13: StructureSize 57 .. NameOffset, NameLength, CreateContexts.
    n = utf16(name)
    body = struct.pack('<HBBIQQIIIIIHHII', 57, 0, 0, 2, 0, 0, 0x00120089, 0x80, 7, 1, 0,
                       64 + 56, len(n), 0, 0)
    return smb2_hdr(5, msg_id, tree=tree) + body + n


def create_rsp(msg_id, tree, fid):
    # 2.2.14: StructureSize 89 .. FileId at body offset 64.
    body = struct.pack('<HBBIQQQQQQII', 89, 0, 0, 1, 0, 0, 0, 0, 4096, 4096, 0x80, 0)
    body += struct.pack('<QQII', fid, fid, 0, 0)
    return smb2_hdr(5, msg_id, tree=tree, resp=True) + body


def read_req(msg_id, tree, fid, length):
    # 2.2.19: StructureSize 49, Padding, Flags, Length, Offset, FileId, ...
    body = struct.pack('<HBBIQQQIIIHHB', 49, 0x50, 0, length, 0, fid, fid, 1, 0, 0, 0, 0, 0)
    return smb2_hdr(8, msg_id, tree=tree) + body


def read_rsp(msg_id, tree, data):
    # 2.2.20: StructureSize 17, DataOffset, Reserved, DataLength, ...
    body = struct.pack('<HBBIII', 17, 64 + 16, 0, len(data), 0, 0)
    return smb2_hdr(8, msg_id, tree=tree, resp=True) + body + data


class Pcap:
    """Classic pcap (Ethernet) writer, IPv4 + TCP without options."""

    def __init__(self, f):
        self.f = f
        self.ts = 1_700_000_000_000_000
        f.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.count = 0

    def tcp(self, src, dst, sport, dport, seq, ack, flags, payload=b''):
        tcp = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                          flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
        frame = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00' + ip + tcp + payload
        self.ts += 1
        self.f.write(struct.pack('<IIII', self.ts // 1_000_000, self.ts % 1_000_000, len(frame),
                                 len(frame)))
        self.f.write(frame)
        self.count += 1


def addr(net, i):
    return bytes([10, net, (i >> 8) & 0xFF, i & 0xFF])


def read_segments(read_size, mss):
    """The read response, the same for every flow, cut into segments."""
    data = (bytes(range(256)) * (read_size // 256 + 1))[:read_size]
    rsp = netbios(read_rsp(4, 5, data))
    return [(0, rsp[o:o + mss]) for o in range(0, len(rsp), mss)]


def flow_script(i, read_size, read_segs):
    """The payloads of flow i, in order: (to_server, bytes) per segment."""
    srv = 'fs%03d' % (i % 1000)
    segs = [
        (1, netbios(negotiate_req())),
        (0, netbios(negotiate_rsp())),
        (1, netbios(session_setup_req(1, ntlm_authenticate('user%d' % i, 'CORP', 'WS%d' % i)))),
        (0, netbios(session_setup_rsp(1))),
        (1, netbios(tree_connect_req(2, '\\\\%s\\share' % srv))),
        (0, netbios(tree_connect_rsp(2, 5))),
        (1, netbios(create_req(3, 5, 'dept\\report%d.docx' % i))),
        (0, netbios(create_rsp(3, 5, 0x1000 + i))),
        (1, netbios(read_req(4, 5, 0x1000 + i, read_size))),
    ]
    return segs + read_segs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--flows', type=int, default=38400)
    ap.add_argument('--read-size', type=int, default=4096, help='bytes of the read response')
    ap.add_argument('--mss', type=int, default=1460)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    if not 1 <= a.flows <= 65535 * 250:
        sys.exit('--flows: 1 .. %d' % (65535 * 250))
    with open(a.out, 'wb') as f:
        w = Pcap(f)
        seq = [[1000 + i, 5000 + i] for i in range(a.flows)]  # client, server
        ends = [(addr(1 + i // 65535, i % 65535 + 1), addr(200, i % 65535 + 1),
                 20000 + i % 40000) for i in range(a.flows)]
        for i, (c, s, p) in enumerate(ends):
            w.tcp(c, s, p, 445, seq[i][0], 0, 0x02)
        for i, (c, s, p) in enumerate(ends):
            w.tcp(s, c, 445, p, seq[i][1], seq[i][0] + 1, 0x12)
        for i, (c, s, p) in enumerate(ends):
            seq[i][0] += 1
            seq[i][1] += 1
            w.tcp(c, s, p, 445, seq[i][0], seq[i][1], 0x10)
        rs = read_segments(a.read_size, a.mss)
        nsteps = len(flow_script(0, a.read_size, rs))
        scripts = (flow_script(i, a.read_size, rs) for i in range(a.flows))
        steps = [[] for _ in range(nsteps)]
        for sc in scripts:  # transpose: step k of every flow, then step k + 1
            for k, seg in enumerate(sc):
                steps[k].append(seg)
        for k in range(nsteps):
            for i, (to_server, data) in enumerate(steps[k]):
                c, s, p = ends[i]
                if to_server:
                    w.tcp(c, s, p, 445, seq[i][0], seq[i][1], 0x18, data)
                    seq[i][0] += len(data)
                else:
                    w.tcp(s, c, 445, p, seq[i][1], seq[i][0], 0x18, data)
                    seq[i][1] += len(data)
    with open(a.out + '.count', 'w') as f:
        f.write('%d\n' % w.count)
    print('%s: %d flows, %d packets' % (a.out, a.flows, w.count))


if __name__ == '__main__':
    main()
