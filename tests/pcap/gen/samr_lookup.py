#!/usr/bin/python3
"""Writes the SAMR lookups of the account_discovery cases (tests/pcap/cases/samr_*).

    tests/pcap/gen/samr_lookup.py OUTDIR

One TCP connection each, client 10.20.1.5 -> server 10.20.0.10:49667 (a
dynamic port, as the endpoint mapper hands out), with fixed timestamps, ports
and sequence numbers, so the same command always writes the same bytes: a
bind of SAMR (MS-SAMR 1.9, NDR transfer syntax), its bind_ack, then one
SamrLookupNamesInDomain request (MS-SAMR 3.1.5.11.2, opnum 17) and its response.
  lookup_admins.pcap   the name looked up is "Domain Admins" (RID 512)
  lookup_user.pcap     the name looked up is "jdoe", an ordinary user
  lookup_admins_ndr64.pcap  "Domain Admins", marshalled in NDR64 as Windows does
Needs Debian's python3-scapy (run with /usr/bin/python3).
"""
import struct, sys
from scapy.all import IP, TCP, Ether, wrpcap

if len(sys.argv) != 2:
    sys.exit("usage: samr_lookup.py OUTDIR")
out = sys.argv[1]
MAC_C, MAC_S = "02:00:00:00:00:11", "02:00:00:00:00:12"
CLIENT, SERVER, PORT = "10.20.1.5", "10.20.0.10", 49667
SAMR = "12345778-1234-abcd-ef00-0123456789ac"
NDR32 = "8a885d04-1ceb-11c9-9fe8-08002b104860"
NDR64 = "71710533-beba-4937-8319-b5dbef9ccc36"

def uuid_le(s):
    """A UUID in DCE-RPC wire form: the first three fields little-endian."""
    h = bytes.fromhex(s.replace("-", ""))
    return h[3::-1] + h[5:3:-1] + h[7:5:-1] + h[8:]

def pdu(ptype, call_id, body):
    """C706 12.6.3.1 common header, little-endian, single fragment."""
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, 3, b"\x10\0\0\0", 16 + len(body), 0, call_id) + body

def bind(syntax):
    elem = struct.pack("<HBB", 0, 1, 0) + uuid_le(SAMR) + struct.pack("<HH", 1, 0)
    elem += uuid_le(syntax) + struct.pack("<I", 2 if syntax == NDR32 else 1)
    return pdu(11, 1, struct.pack("<HHIBBH", 4280, 4280, 0, 1, 0, 0) + elem)

def bind_ack(syntax):
    addr = b"49667\0"
    body = struct.pack("<HHIH", 4280, 4280, 0x5d2a, len(addr)) + addr
    body += b"\0" * (-(16 + len(body)) % 4)
    body += struct.pack("<BBH", 1, 0, 0) + struct.pack("<HH", 0, 0) + uuid_le(syntax)
    body += struct.pack("<I", 2 if syntax == NDR32 else 1)
    return pdu(12, 1, body)

class Ndr:
    """NDR (C706 14) or NDR64 (MS-RPCE 2.2.5) little-endian marshalling."""
    def __init__(self, ndr64):
        self.b, self.ndr64 = bytearray(), ndr64
    def pad(self, n):
        self.b += b"\0" * (-len(self.b) % n)
    def u16(self, v):
        self.pad(2); self.b += struct.pack("<H", v)
    def u32(self, v):
        self.pad(4); self.b += struct.pack("<I", v)
    def size(self, v):
        """An array size or a referent id: 4 bytes, 8 in NDR64."""
        if self.ndr64:
            self.pad(8); self.b += struct.pack("<Q", v)
        else:
            self.u32(v)

def lookup_names(name, ndr64):
    """DomainHandle, Count, then Names: [size_is(1000), length_is(Count)]
    RPC_UNICODE_STRING[], whose Buffer follows the array."""
    n = Ndr(ndr64)
    n.b += bytes(range(0x40, 0x54))  # the domain handle from SamrOpenDomain
    n.u32(1)
    n.size(1000); n.size(0); n.size(1)
    n.pad(8 if ndr64 else 4)
    n.u16(2 * len(name)); n.u16(2 * len(name))
    n.size(0x20000)
    n.size(len(name)); n.size(0); n.size(len(name))
    n.b += name.encode("utf-16le")
    return bytes(n.b)

def lookup_reply(rid, use, ndr64):
    """RelativeIds then Use: SAMPR_ULONG_ARRAY (Count, Element pointer, the
    conformant array), then the status."""
    n = Ndr(ndr64)
    for ref, value in ((0x20000, rid), (0x20004, use)):
        n.pad(8 if ndr64 else 4)
        n.u32(1); n.size(ref); n.size(1); n.u32(value)
    n.u32(0)
    return bytes(n.b)

def request(call_id, opnum, stub):
    return pdu(0, call_id, struct.pack("<IHH", len(stub), 0, opnum) + stub)

def response(call_id, stub):
    return pdu(2, call_id, struct.pack("<IHBB", len(stub), 0, 0, 0) + stub)

def conversation(name, rid, use, ndr64):
    pkts, t = [], 1700000000.0
    seq = {True: 7000, False: 9000}
    def send(payload, c2s, flags="PA"):
        nonlocal t
        src, dst = (CLIENT, SERVER) if c2s else (SERVER, CLIENT)
        sp, dp = (51000, PORT) if c2s else (PORT, 51000)
        macs = (MAC_C, MAC_S) if c2s else (MAC_S, MAC_C)
        p = Ether(src=macs[0], dst=macs[1]) / IP(src=src, dst=dst) / TCP(
            sport=sp, dport=dp, flags=flags, seq=seq[c2s], ack=seq[not c2s] if "A" in flags else 0)
        if payload:
            p = p / payload
        p.time = t
        t += 0.01
        pkts.append(p)
        seq[c2s] += len(payload) + (1 if "S" in flags or "F" in flags else 0)
    syntax = NDR64 if ndr64 else NDR32
    send(b"", True, "S"); send(b"", False, "SA"); send(b"", True, "A")
    send(bind(syntax), True)
    send(bind_ack(syntax), False)
    send(request(2, 17, lookup_names(name, ndr64)), True)
    send(response(2, lookup_reply(rid, use, ndr64)), False)
    send(b"", True, "FA"); send(b"", False, "FA"); send(b"", True, "A")
    return pkts

# MS-SAMR 2.2.2.3 SID_NAME_USE: 1 user, 2 group.
wrpcap(out + "/lookup_admins.pcap", conversation("Domain Admins", 512, 2, False))
wrpcap(out + "/lookup_user.pcap", conversation("jdoe", 1104, 1, False))
wrpcap(out + "/lookup_admins_ndr64.pcap", conversation("Domain Admins", 512, 2, True))
