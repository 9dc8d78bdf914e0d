#!/usr/bin/python3
"""Derives from a capture of ../shared/corpus what a SPAN port could deliver of it.

    tests/pcap/gen/derive.py OUTDIR NAME MODE CAPTURE

CAPTURE is a path under ../shared/corpus (env SHARED overrides ../shared), NAME the
file written into OUTDIR, MODE one of:
  from-bind    the frames from the first DCE-RPC bind carried over SMB on: the tree
               connects and creates of its pipes are cut away, and so are the TCP
               handshakes (the sensor picks the flows up midstream)
  from-response the frames from the first DCE-RPC response on a connection of its
               own (not over SMB, not the endpoint mapper's) on: that connection is
               picked up at a server's packet, on dynamic ports both sides
  client-only  the frames the SMB client sends (its address taken from the first SMB
               request), every flow of that host: one direction only
  to-servers   the frames every client sends, of every flow: a TCP connection's from
               the side that sent its SYN (picked up without one: from the side on
               the higher port), a UDP datagram to the lower port (a SPAN port
               mirroring one direction of a link, with the servers behind it)
  duplicated   every frame twice, the copy 10 µs later (a SPAN session on both ports
               a packet crosses)
  tagged       every frame with one more 802.1Q tag (VLAN 100), outermost
  lossy        every frame but a seeded 1% of them (a SPAN port dropping under load)
  offload      every TCP segment with data as a host captures it before segmentation
               offload (TSO/GSO): IPv4 total length and IPv6 payload length written 0
  client-late  every frame the SMB client sends 500 µs later, the capture in time order
               again: a SPAN port that delivers one direction late, so that on a LAN
               the server's responses come before the requests they answer
  server-late  the same with every frame the client does not send: its next requests
               come before the responses they follow
  reordered    every frame up to 2 ms later (a seeded draw per frame), the capture in
               time order again: segments out of order within and across directions
  vlan-split   every frame the SMB client sends on 802.1Q VLAN 10, every other on VLAN 20
               (a SPAN port mirroring a router on a stick: each direction of a flow on
               its own VLAN); a tagged frame gets its innermost tag's id rewritten

The cut point and the client come from tshark's dissection of the capture, never
from fixed frame numbers. Uses tshark and editcap. Exits 77 (skip) when ../shared or
the capture is absent, or when tshark is not installed.
"""
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def skip(why):
    print(why, file=sys.stderr)
    sys.exit(SKIP)


def tshark_fields(capture, display_filter, fields):
    """Rows of the fields tshark prints for the frames the filter selects."""
    cmd = ["tshark", "-n", "-r", capture, "-Y", display_filter, "-T", "fields", "-E", "occurrence=a",
           "-E", "separator=\t", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]


def first_bind_frame(capture):
    """The first frame of the first SMB message carrying a DCE-RPC bind: the
    frame tshark reports it in, or the first TCP segment it was reassembled from."""
    rows = tshark_fields(capture, "(smb2 || smb) && dcerpc.pkt_type == 11",
                         ["frame.number", "tcp.segment"])
    if not rows:
        sys.exit("derive: no DCE-RPC bind over SMB in %s" % capture)
    frame = int(rows[0][0])
    segments = [int(x) for x in rows[0][1].split(",") if x] if len(rows[0]) > 1 else []
    return min([frame] + segments)


def first_response_frame(capture):
    """The first frame of a DCE-RPC response over TCP, not over SMB and not from
    the endpoint mapper (port 135)."""
    rows = tshark_fields(capture, "dcerpc.pkt_type == 2 && !smb && !smb2 && tcp.srcport != 135",
                         ["frame.number", "tcp.segment"])
    if not rows:
        sys.exit("derive: no DCE-RPC response over TCP in %s" % capture)
    segments = [int(x) for x in rows[0][1].split(",") if x] if len(rows[0]) > 1 else []
    return min([int(rows[0][0])] + segments)


def frame_count(capture):
    return int(tshark_fields(capture, "frame", ["frame.number"])[-1][0])


def smb_client(capture):
    """The address sending the first SMB request (SMB2 or SMB1) over TCP (not a
    browser announcement, a mailslot datagram the server may send first)."""
    rows = tshark_fields(capture, "tcp && ((smb2 && smb2.flags.response == 0) || (smb && smb.flags.response == 0))",
                         ["ip.src", "ipv6.src"])
    for row in rows:
        for addr in row:
            if addr:
                return addr.split(",")[0]
    sys.exit("derive: no SMB request in %s" % capture)


def ip_offset(frame):
    """Offset of the IP header in an Ethernet frame (802.1Q/QinQ tags skipped), or None."""
    off = 12
    while off + 2 <= len(frame):
        etype = struct.unpack_from(">H", frame, off)[0]
        if etype in (0x8100, 0x88A8):
            off += 4
            continue
        return off + 2 if etype in (0x0800, 0x86DD) else None
    return None


def offloaded(frame):
    """The frame with its IP length field zeroed if it is a TCP segment with data."""
    ip = ip_offset(frame)
    if ip is None or ip + 40 > len(frame):
        return frame, 0
    v = frame[ip] >> 4
    if v == 4:
        ihl = (frame[ip] & 15) * 4
        tot = struct.unpack_from(">H", frame, ip + 2)[0]
        if frame[ip + 9] != 6 or ip + ihl + 20 > len(frame):
            return frame, 0
        doff = (frame[ip + ihl + 12] >> 4) * 4
        if tot <= ihl + doff:
            return frame, 0
        return frame[:ip + 2] + b"\0\0" + frame[ip + 4:], 1
    if v == 6 and frame[ip + 6] == 6 and ip + 60 <= len(frame):
        plen = struct.unpack_from(">H", frame, ip + 4)[0]
        doff = (frame[ip + 40 + 12] >> 4) * 4
        if plen <= doff:
            return frame, 0
        return frame[:ip + 4] + b"\0\0" + frame[ip + 6:], 1
    return frame, 0


def records(capture, what):
    """(file header, byte order, nanoseconds, [(record header, frame)]) of the
    capture as classic pcap (editcap converts); Ethernet only."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain.pcap")
        subprocess.run(["editcap", "-F", "pcap", capture, plain], check=True, capture_output=True)
        data = open(plain, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if struct.unpack_from(endian + "I", data, 20)[0] != 1:
        skip("derive: %s rewrites Ethernet captures only" % what)
    recs, off = [], 24
    while off + 16 <= len(data):
        hdr = data[off:off + 16]
        caplen = struct.unpack_from(endian + "I", hdr, 8)[0]
        recs.append((hdr, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], endian, nsec, recs


def write(out, head, recs):
    with open(out, "wb") as f:
        f.write(head + b"".join(hdr + frame for hdr, frame in recs))


def offload(capture, out):
    head, _, _, recs = records(capture, "offload")
    done = [(hdr, offloaded(frame)) for hdr, frame in recs]
    if not any(n for _, (_, n) in done):
        sys.exit("derive: no TCP segment with data in %s" % capture)
    write(out, head, [(hdr, frame) for hdr, (frame, _) in done])


def endpoints(frame):
    """(proto, (src, sport), (dst, dport), TCP flags) of an Ethernet frame
    carrying TCP or UDP (addresses as bytes), or None."""
    ip = ip_offset(frame)
    if ip is None or ip >= len(frame):
        return None
    v = frame[ip] >> 4
    if v == 4 and ip + 20 <= len(frame):
        proto, src, dst, l4 = frame[ip + 9], frame[ip + 12:ip + 16], frame[ip + 16:ip + 20], ip + (frame[ip] & 15) * 4
        if struct.unpack_from(">H", frame, ip + 6)[0] & 0x1FFF:
            return None  # a fragment after the first
    elif v == 6 and ip + 40 <= len(frame):
        proto, src, dst, l4 = frame[ip + 6], frame[ip + 8:ip + 24], frame[ip + 24:ip + 40], ip + 40
    else:
        return None
    if proto not in (6, 17) or l4 + 14 > len(frame):
        return None
    sport, dport = struct.unpack_from(">HH", frame, l4)
    return proto, (src, sport), (dst, dport), frame[l4 + 13] if proto == 6 else 0


def to_servers(capture, out):
    """The frames of each flow's client (see to-servers above); frames that
    are neither TCP nor UDP are kept."""
    head, _, _, recs = records(capture, "to-servers")
    client = {}  # TCP connection (frozenset of its ends) -> its client's end
    for _, frame in recs:
        e = endpoints(frame)
        if e and e[0] == 6 and e[3] & 0x12 == 0x02:  # SYN without ACK
            client.setdefault(frozenset((e[1], e[2])), e[1])
    kept = []
    for hdr, frame in recs:
        e = endpoints(frame)
        if e:
            proto, a, b, _ = e
            c = client.get(frozenset((a, b))) if proto == 6 else None
            if c is None:
                c = a if a[1] > b[1] else b if b[1] > a[1] else a
            if c != a:
                continue
        kept.append((hdr, frame))
    if len(kept) == len(recs):
        sys.exit("derive: no server frame in %s" % capture)
    write(out, head, kept)


def source(frame):
    """The IP source address of an Ethernet frame (bytes), or None."""
    ip = ip_offset(frame)
    if ip is None or ip >= len(frame):
        return None
    v = frame[ip] >> 4
    if v == 4 and ip + 20 <= len(frame):
        return frame[ip + 12:ip + 16]
    if v == 6 and ip + 40 <= len(frame):
        return frame[ip + 8:ip + 24]
    return None


def retimed(capture, out, what, later):
    """Each frame once for each delay of later(i, frame) (microseconds),
    then every frame in time order (a stable sort)."""
    head, endian, nsec, recs = records(capture, what)
    unit = 1000000000 if nsec else 1000000
    timed = []
    for i, (hdr, frame) in enumerate(recs):
        sec, sub = struct.unpack_from(endian + "II", hdr, 0)
        for n, d in enumerate(later(i, frame)):
            t = sec * unit + sub + d * (unit // 1000000)
            timed.append(((t, i, n), struct.pack(endian + "II", t // unit, t % unit) + hdr[8:], frame))
    timed.sort(key=lambda e: e[0])
    write(out, head, [(hdr, frame) for _, hdr, frame in timed])


def push_tag(endian, hdr, frame, vid):
    """The record with an 802.1Q tag of id vid pushed outermost."""
    if len(frame) < 14:
        return hdr, frame
    caplen, wire = struct.unpack_from(endian + "II", hdr, 8)
    return (hdr[:8] + struct.pack(endian + "II", caplen + 4, wire + 4),
            frame[:12] + struct.pack(">HH", 0x8100, vid) + frame[12:])


def tagged(capture, out, vid=100):
    """Every frame with one more 802.1Q tag, outermost (a SPAN destination
    on a trunk: QinQ for frames already tagged)."""
    head, endian, _, recs = records(capture, "tagged")
    write(out, head, [push_tag(endian, hdr, frame, vid) for hdr, frame in recs])


def lossy(capture, out, per_mille=10):
    """Every frame but a seeded draw of per_mille of them (a SPAN port
    dropping under load)."""
    head, _, _, recs = records(capture, "lossy")
    draw = random.Random(1)
    write(out, head, [rec for rec in recs if draw.randrange(1000) >= per_mille])


def one_side_late(capture, out, late_client, delay_us=500):
    """The SMB client's frames (late_client) or all the others delay_us
    later, then every frame in time order (a stable sort: each side keeps
    its own order)."""
    client = smb_client(capture)
    addr = socket.inet_pton(socket.AF_INET6 if ":" in client else socket.AF_INET, client)
    retimed(capture, out, "client-late" if late_client else "server-late",
            lambda i, frame: (delay_us if (source(frame) == addr) == late_client else 0,))


def vlan_split(capture, out, client_vid=10, other_vid=20):
    client = smb_client(capture)
    addr = socket.inet_pton(socket.AF_INET6 if ":" in client else socket.AF_INET, client)
    head, endian, _, recs = records(capture, "vlan-split")
    split = []
    for hdr, frame in recs:
        vid = client_vid if source(frame) == addr else other_vid
        off = 12
        while off + 4 <= len(frame) and struct.unpack_from(">H", frame, off)[0] in (0x8100, 0x88A8):
            off += 4
        if off > 12:
            tci = (struct.unpack_from(">H", frame, off - 2)[0] & 0xF000) | vid
            split.append((hdr, frame[:off - 2] + struct.pack(">H", tci) + frame[off:]))
        else:
            split.append(push_tag(endian, hdr, frame, vid))
    write(out, head, split)


def reordered(capture, out):
    draw = random.Random(1)
    retimed(capture, out, "reordered", lambda i, frame: (draw.randrange(2001),))


# The modes that rewrite the records themselves (the others cut with editcap or tshark).
WRITERS = {
    "to-servers": to_servers,
    "duplicated": lambda capture, out: retimed(capture, out, "duplicated", lambda i, frame: (0, 10)),
    "tagged": tagged,
    "lossy": lossy,
    "offload": offload,
    "client-late": lambda capture, out: one_side_late(capture, out, True),
    "server-late": lambda capture, out: one_side_late(capture, out, False),
    "reordered": reordered,
    "vlan-split": vlan_split,
}


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: derive.py OUTDIR NAME from-bind|from-response|client-only|%s CAPTURE" % "|".join(WRITERS))
    out_dir, name, mode, rel = sys.argv[1:]
    shared = os.environ.get("SHARED") or os.path.normpath(os.path.join(ROOT, "..", "shared"))
    capture = os.path.join(shared, "corpus", rel)
    if not os.path.isfile(capture):
        skip("derive: no capture %s" % capture)
    if not shutil.which("tshark") or not shutil.which("editcap"):
        skip("derive: tshark and editcap are needed")
    out = os.path.join(out_dir, name)
    if mode == "from-bind":
        # editcap -r keeps the frames it is given: the range from the bind on.
        cmd = ["editcap", "-r", capture, out, "%d-%d" % (first_bind_frame(capture), frame_count(capture))]
    elif mode == "from-response":
        cmd = ["editcap", "-r", capture, out, "%d-%d" % (first_response_frame(capture), frame_count(capture))]
    elif mode == "client-only":
        client = smb_client(capture)
        field = "ipv6.src" if ":" in client else "ip.src"
        cmd = ["tshark", "-n", "-r", capture, "-Y", "%s == %s" % (field, client), "-w", out]
    elif mode in WRITERS:
        WRITERS[mode](capture, out)
        return
    else:
        sys.exit("derive: unknown mode %s" % mode)
    subprocess.run(cmd, check=True, capture_output=True)


if __name__ == "__main__":
    main()
