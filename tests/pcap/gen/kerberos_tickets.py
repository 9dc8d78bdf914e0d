#!/usr/bin/python3
"""Writes the TGS exchanges of the kerberoast cases that turn on the ticket
the KDC returns (tests/pcap/cases/kerberoast_rc4_tickets, tgs_aes_tickets, ...).

    tests/pcap/gen/kerberos_tickets.py OUTDIR

Each exchange is one TCP connection to the KDC 10.20.0.10:88 (RFC 4120 7.2.2
records): a TGS-REQ whose etype list offers AES256, AES128, then RC4 (18, 17,
23), as Windows, Rubeus and current impacket send it, and its TGS-REP (5.4.2),
whose ticket (5.3) is encrypted with the etype the KDC chose for the
service's account: RC4 (23) for an account without AES keys, AES256 (18)
otherwise. Tickets carry a PAC-sized cipher, so a reply is larger than a
segment and than the sensor's reassembly buffer. Fixed addresses, ports,
sequence numbers and timestamps: the same command writes the same bytes.
  rc4_tickets.pcap     RC4 tickets for 6 user-account SPNs        (kerberoast fires)
  aes_tickets.pcap     the same SPNs, AES256 tickets              (silent)
  rc4_machine.pcap     RC4 tickets for machine services (cifs, host, ldap, krbtgt,
                       WS07$): an old domain's logons            (silent)
  rc4_replies_only.pcap  rc4_tickets seen one way, KDC to client (kerberoast fires)
Needs Debian's python3-scapy (run with /usr/bin/python3).
"""
import os
import struct
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap

T0 = 1700000000.0
MAC_C, MAC_S = "02:00:00:00:00:11", "02:00:00:00:00:12"
KDC, CLIENT = "10.20.0.10", "10.20.1.60"
REALM = "CORP.LOCAL"
USER_SPNS = ["MSSQLSvc/sql01.corp.local:1433", "HTTP/intranet.corp.local", "MSSQLSvc/sql02.corp.local:1433",
             "exchangeAB/mail01.corp.local", "kafka/bus01.corp.local", "SAPService/erp01.corp.local"]
MACHINE_SPNS = ["cifs/fs01.corp.local", "host/ws12.corp.local", "ldap/dc01.corp.local/corp.local",
                "krbtgt/" + REALM, "WS07$", "cifs/fs02.corp.local", "RestrictedKrbHost/ws12.corp.local"]


# ---- DER (X.690) and Kerberos (RFC 4120 5) ----

def tlv(tag, value):
    n = len(value)
    if n < 128:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + value


def integer(v):
    n = 1
    while not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        n += 1
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def ctx(n, value):
    return tlv(0xA0 | n, value)


def seq(*items):
    return tlv(0x30, b"".join(items))


def kstr(s):
    return tlv(0x1B, s.encode())


def principal(name):
    """PrincipalName (5.2.2): NT-SRV-INST (2) for a service, NT-PRINCIPAL (1)."""
    parts = name.split("/")
    return seq(ctx(0, integer(2 if len(parts) > 1 else 1)), ctx(1, seq(*[kstr(p) for p in parts])))


def encrypted(etype, size, kvno=None, fill=0x5A):
    """EncryptedData (5.2.9)."""
    fields = [ctx(0, integer(etype))]
    if kvno is not None:
        fields.append(ctx(1, integer(kvno)))
    return seq(*fields, ctx(2, tlv(0x04, bytes([fill]) * size)))


def ticket(sname, etype, size):
    """Ticket (5.3) of the service, encrypted in its account's key."""
    return tlv(0x61, seq(ctx(0, integer(5)), ctx(1, kstr(REALM)), ctx(2, principal(sname)),
                         ctx(3, encrypted(etype, size, kvno=3))))


def tgs_req(sname, etypes, nonce):
    """TGS-REQ (5.4.1) with PA-TGS-REQ: an AP-REQ holding the client's TGT."""
    ap_req = tlv(0x6E, seq(ctx(0, integer(5)), ctx(1, integer(14)), ctx(2, tlv(0x03, b"\x00" * 5)),
                           ctx(3, ticket("krbtgt/" + REALM, 18, 1100)),
                           ctx(4, encrypted(18, 150, fill=0x33))))
    padata = ctx(3, seq(seq(ctx(1, integer(1)), ctx(2, tlv(0x04, ap_req)))))
    body = seq(ctx(0, tlv(0x03, b"\x00\x40\x81\x00\x00")), ctx(2, kstr(REALM)), ctx(3, principal(sname)),
               ctx(5, tlv(0x18, b"20370913024805Z")), ctx(7, integer(nonce)),
               ctx(8, seq(*[integer(e) for e in etypes])))
    return tlv(0x6C, seq(ctx(1, integer(5)), ctx(2, integer(12)), padata, ctx(4, body)))


def tgs_rep(cname, sname, ticket_etype):
    """TGS-REP (5.4.2): the reply part is under the TGT session key (AES256)."""
    return tlv(0x6D, seq(ctx(0, integer(5)), ctx(1, integer(13)), ctx(3, kstr(REALM)),
                         ctx(4, principal(cname)), ctx(5, ticket(sname, ticket_etype, 1180)),
                         ctx(6, encrypted(18, 1250, fill=0x77))))


# ---- TCP ----

class Capture:
    def __init__(self):
        self.pkts, self.t = [], T0

    def add(self, pkt, keep=True):
        self.t += 0.002
        pkt.time = self.t
        if keep:
            self.pkts.append(pkt)

    def write(self, outdir, name):
        wrpcap(os.path.join(outdir, name), self.pkts)


def frame(src, dst, sport, dport, flags, seq_no, ack, payload=b""):
    macs = (MAC_C, MAC_S) if src == CLIENT else (MAC_S, MAC_C)
    p = Ether(src=macs[0], dst=macs[1]) / IP(src=src, dst=dst, ttl=64, id=1) / \
        TCP(sport=sport, dport=dport, flags=flags, seq=seq_no, ack=ack, window=8192)
    return p / Raw(payload) if payload else p


def exchange(cap, sport, req, rep, to_server=True):
    """One connection: handshake, the request, the reply in 1460-byte
    segments, FIN both ways. to_server=False keeps only the KDC's packets."""
    cs, ss = 1000, 5000
    c2s = [(CLIENT, KDC, sport, 88), (KDC, CLIENT, 88, sport)]
    cap.add(frame(*c2s[0], "S", cs, 0), to_server)
    cap.add(frame(*c2s[1], "SA", ss, cs + 1))
    cs, ss = cs + 1, ss + 1
    cap.add(frame(*c2s[0], "A", cs, ss), to_server)
    data = struct.pack(">I", len(req)) + req
    for off in range(0, len(data), 1460):
        cap.add(frame(*c2s[0], "PA", cs, ss, data[off:off + 1460]), to_server)
        cs += len(data[off:off + 1460])
    data = struct.pack(">I", len(rep)) + rep
    for off in range(0, len(data), 1460):
        cap.add(frame(*c2s[1], "PA", ss, cs, data[off:off + 1460]))
        ss += len(data[off:off + 1460])
    cap.add(frame(*c2s[0], "FA", cs, ss), to_server)
    cap.add(frame(*c2s[1], "FA", ss, cs + 1))
    cap.add(frame(*c2s[0], "A", cs + 1, ss + 1), to_server)


def burst(outdir, name, spns, ticket_etype, to_server=True):
    cap = Capture()
    for i, spn in enumerate(spns):
        exchange(cap, 51000 + i, tgs_req(spn, [18, 17, 23], 4000 + i), tgs_rep("jdoe", spn, ticket_etype),
                 to_server)
    cap.write(outdir, name)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kerberos_tickets.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    burst(out, "rc4_tickets.pcap", USER_SPNS, 23)
    burst(out, "aes_tickets.pcap", USER_SPNS, 18)
    burst(out, "rc4_machine.pcap", MACHINE_SPNS, 23)
    burst(out, "rc4_replies_only.pcap", USER_SPNS, 23, to_server=False)


if __name__ == "__main__":
    main()
