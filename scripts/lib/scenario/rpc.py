"""DCE/RPC connection-oriented PDUs (C706 12, MS-RPCE 2.2.2) and NDR
marshalling (C706 14)."""
import struct

from .net import utf16, uuid_le


NDR32 = (uuid_le('8a885d04-1ceb-11c9-9fe8-08002b104860'), 2)
NDR64 = (uuid_le('71710533-beba-4937-8319-b5dbef9ccc36'), 1)
BTFN = (uuid_le('6cb71c2c-9812-4540-0300-000000000000'), 1)  # bind time feature negotiation
PT_REQUEST, PT_RESPONSE, PT_BIND, PT_BIND_ACK, PT_ALTER, PT_ALTER_RESP, PT_AUTH3 = 0, 2, 11, 12, 14, 15, 16
AUTHN_WINNT = 10
LEVEL_INTEGRITY, LEVEL_PRIVACY = 5, 6


def rpc_pdu(ptype, call_id, body, auth=None, flags=0x03):
    """A connection-oriented PDU; auth = (level, verifier bytes) adds sec_trailer + verifier."""
    trailer = b''
    if auth:
        level, value, pad = auth
        trailer = struct.pack('<BBBBI', AUTHN_WINNT, level, pad, 0, 0) + value
    frag = 16 + len(body) + len(trailer)
    return struct.pack('<BBBB4sHHI', 5, 0, ptype, flags, b'\x10\0\0\0', frag, len(trailer) - 8 if auth else 0,
                       call_id) + body + trailer


def syntax(s):
    u, v = s
    return u + struct.pack('<I', v)


def rpc_bind(call_id, ifaces, auth=None, windows=False, ptype=PT_BIND, assoc=0):
    """ifaces: (context id, interface uuid string, (major, minor)). A Windows
    client offers NDR32 and NDR64, and bind time feature negotiation once."""
    elems = b''
    n = 0
    for cid, iface, (major, minor) in ifaces:
        abstract = uuid_le(iface) + struct.pack('<HH', major, minor)
        elems += struct.pack('<HBB', cid, 1, 0) + abstract + syntax(NDR32)
        n += 1
        if windows:
            elems += struct.pack('<HBB', cid + 1, 1, 0) + abstract + syntax(NDR64)
            elems += struct.pack('<HBB', cid + 2, 1, 0) + abstract + syntax(BTFN)
            n += 2
    body = struct.pack('<HHIBBH', 4280, 4280, assoc, n, 0, 0) + elems
    return rpc_pdu(ptype, call_id, body, auth)


def rpc_bind_ack(call_id, secaddr, ctx_ids, assoc, auth=None, windows=False, ptype=PT_BIND_ACK):
    a = secaddr.encode() + b'\0' if secaddr else b''
    body = struct.pack('<HHIH', 4280, 4280, assoc, len(a)) + a
    body += b'\0' * (-(16 + len(body)) % 4)
    results = []
    for _ in ctx_ids:
        results.append(struct.pack('<HH', 0, 0) + syntax(NDR32))
        if windows:
            results.append(struct.pack('<HH', 2, 2) + b'\0' * 20)  # NDR64: provider rejection
            results.append(struct.pack('<HH', 3, 3) + b'\0' * 20)  # BTFN: negotiate_ack
    body += struct.pack('<BBH', len(results), 0, 0) + b''.join(results)
    return rpc_pdu(ptype, call_id, body, auth)


def rpc_request(call_id, ctx_id, opnum, stub, auth=None, obj=None):
    body = struct.pack('<IHH', len(stub), ctx_id, opnum) + (obj or b'') + stub
    return rpc_pdu(PT_REQUEST, call_id, body, auth, flags=0x83 if obj else 0x03)


def rpc_response(call_id, ctx_id, stub, auth=None):
    body = struct.pack('<IHBB', len(stub), ctx_id, 0, 0) + stub
    return rpc_pdu(PT_RESPONSE, call_id, body, auth)


class NDR:
    """NDR (C706 14) marshalling, little-endian, offsets relative to the stub."""

    def __init__(self):
        self.b = bytearray()
        self.refs = 0x00020000

    def pad(self, n):
        self.b += b'\0' * (-len(self.b) % n)
        return self

    def u8(self, v):
        self.b += struct.pack('<B', v)
        return self

    def u16(self, v):
        self.pad(2).b += struct.pack('<H', v)
        return self

    def u32(self, v):
        self.pad(4).b += struct.pack('<I', v & 0xffffffff)
        return self

    def u64(self, v):
        self.pad(8).b += struct.pack('<Q', v)
        return self

    def raw(self, data, align=1):
        self.pad(align).b += data
        return self

    def ptr(self, present=True):
        if not present:
            return self.u32(0)
        self.u32(self.refs)
        self.refs += 4
        return self

    def wstr(self, s):
        """[string] wchar_t*: a conformant varying string ending in NUL."""
        n = len(s) + 1
        return self.u32(n).u32(0).u32(n).raw(utf16(s) + b'\0\0')

    def ustr_hdr(self, s):
        """RPC_UNICODE_STRING (MS-DTYP 2.3.10): Length, MaximumLength, Buffer pointer."""
        return self.u16(2 * len(s)).u16(2 * len(s)).ptr()

    def ustr_body(self, s):
        return self.u32(len(s)).u32(0).u32(len(s)).raw(utf16(s))

    def handle(self, h):
        return self.raw(h, 4)

    def guid(self, g):
        return self.raw(uuid_le(g) if isinstance(g, str) else g, 4)

    def sid(self, s):
        """RPC_SID (MS-DTYP 2.4.2.3): conformant, the sub-authority count first."""
        parts = s.split('-')
        subs = [int(x) for x in parts[3:]]
        self.u32(len(subs)).u8(int(parts[1])).u8(len(subs)).raw(int(parts[2]).to_bytes(6, 'big'))
        for x in subs:
            self.u32(x)
        return self

    def bytes(self):
        return bytes(self.b)
