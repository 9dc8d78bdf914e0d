"""SMB2 (MS-SMB2, dialect 3.0.2) conversations over TCP 445, with DCE/RPC
over named pipes."""
import hashlib
import struct

from wire import netbios
from .net import filetime, utf16
from .auth import (OID_KRB5, OID_MSKRB5, OID_NTLMSSP, SPNEGO_HINT, ap_rep, ap_req, gss_krb5,
                   ntlm_authenticate, ntlm_challenge, ntlm_negotiate, ntlm_verifier, principal, spnego_init,
                   spnego_resp)
from .rpc import rpc_bind, rpc_bind_ack, rpc_request, rpc_response


SMB2_NEGOTIATE, SMB2_SESSION_SETUP, SMB2_LOGOFF, SMB2_TREE_CONNECT, SMB2_TREE_DISCONNECT = 0, 1, 2, 3, 4
SMB2_CREATE, SMB2_CLOSE, SMB2_READ, SMB2_WRITE, SMB2_IOCTL = 5, 6, 8, 9, 11
SMB2_QUERY_DIRECTORY, SMB2_SET_INFO = 14, 17
STATUS_SUCCESS, STATUS_MORE_PROCESSING, STATUS_NO_MORE_FILES = 0, 0xC0000016, 0x80000006
FSCTL_PIPE_TRANSCEIVE = 0x0011C017
FILE_OPEN, FILE_CREATE, FILE_OVERWRITE_IF = 1, 2, 5


class SMB2:
    """An SMB2 client/server conversation on one TCP connection (dialect 3.0.2)."""

    def __init__(self, sc, conn, server_name, signing=True):
        self.sc = sc
        self.conn = conn
        self.rng = conn.rng
        self.server = server_name
        self.mid = 0
        self.sess = 0
        self.signing = signing
        self.signed = False
        self.call_id = 1

    def hdr(self, cmd, resp, status=0, tree=0, charge=1, credits=1):
        flags = (1 if resp else 0) | (8 if self.signed else 0)
        sig = self.rng.randbytes(16) if self.signed else b'\0' * 16
        return struct.pack('<4sHHIHHIIQIIQ16s', b'\xfeSMB', 64, charge if cmd else 0, status if resp else 0,
                           cmd, credits, flags, 0, self.mid, 0 if resp or cmd == 0 else 0xfeff, tree,
                           self.sess, sig)

    def call(self, cmd, req, resp, status=0, tree=0, gap=0.0003, proc=0.0004, charge=1, new_sess=None,
             resp_tree=None):
        """One request and its response; returns the time of the response. A
        failed command answers with the ERROR body (MS-SMB2 2.2.2)."""
        self.conn.c(netbios(self.hdr(cmd, False, tree=tree, charge=charge, credits=32) + req), gap)
        if new_sess is not None:
            self.sess = new_sess
        if status not in (STATUS_SUCCESS, STATUS_MORE_PROCESSING, 0x80000005):
            resp = struct.pack('<HBBI', 9, 0, 0, 0) + b'\0'
        t = self.conn.s(netbios(self.hdr(cmd, True, status, tree if resp_tree is None else resp_tree, charge,
                                         credits=32 if cmd else 1) + resp), proc)
        self.mid += charge
        return t

    def negotiate(self):
        rng = self.rng
        dialects = (0x0202, 0x0210, 0x0300, 0x0302, 0x0311)
        d = b''.join(struct.pack('<H', x) for x in dialects)
        ctx_off = 64 + 36 + len(d)
        pad = -ctx_off % 8
        pre = struct.pack('<HHH', 1, 32, 1) + rng.randbytes(32)
        enc = struct.pack('<HHH', 2, 2, 1)
        ctxs = struct.pack('<HHI', 1, len(pre), 0) + pre + b'\0' * (-len(pre) % 8)
        ctxs += struct.pack('<HHI', 2, len(enc), 0) + enc
        req = struct.pack('<HHHHI16sIHH', 36, len(dialects), 1, 0, 0x7f, rng.randbytes(16),
                          ctx_off + pad, 2, 0) + d + b'\0' * pad + ctxs
        guid = hashlib.sha256(self.server.encode()).digest()[:16]
        resp = struct.pack('<HHHH16sIIIIQQHHI', 65, 1, 0x0302, 0, guid, 0x2f, 8388608, 8388608, 8388608,
                           filetime(self.conn.t), filetime(-86400 * 12), 128, len(SPNEGO_HINT), 0) + SPNEGO_HINT
        self.call(SMB2_NEGOTIATE, req, resp, charge=0)
        self.mid = 1

    def _setup(self, blob, resp_blob, status, new_sess=None):
        req = struct.pack('<HBBIIHHQ', 25, 0, 1, 1, 0, 88, len(blob), 0) + blob
        resp = struct.pack('<HHHH', 9, 0, 72, len(resp_blob)) + resp_blob
        return self.call(SMB2_SESSION_SETUP, req, resp, status, gap=0.0004, proc=0.002, new_sess=new_sess)

    def new_session_id(self):
        return 0x0000100000000000 | self.rng.getrandbits(32) << 4 | 0x9

    def login_ntlm(self, user, domain, workstation):
        """SESSION_SETUP with NTLMSSP inside SPNEGO (a client that connects by address)."""
        rng = self.rng
        # The server names the session in its first answer; the client uses it from then on.
        self._setup(spnego_init([OID_NTLMSSP], ntlm_negotiate()),
                    spnego_resp(1, OID_NTLMSSP, ntlm_challenge(rng, self.server, self.conn.t)),
                    STATUS_MORE_PROCESSING, new_sess=self.new_session_id())
        auth = ntlm_authenticate(rng, user, domain, workstation, self.server, self.conn.t,
                                 'cifs/' + self.conn.h[1].ip)
        t = self._setup(spnego_resp(token=auth, mic=ntlm_verifier(rng, 0)),
                        spnego_resp(0, mic=ntlm_verifier(rng, 0)), STATUS_SUCCESS)
        self.signed = self.signing
        return t

    def login_krb(self, spn_host):
        rng = self.rng
        tok = gss_krb5(b'\x01\x00', ap_req(rng, principal(2, 'cifs', spn_host)))
        t = self._setup(spnego_init([OID_MSKRB5, OID_KRB5, OID_NTLMSSP], tok),
                        spnego_resp(0, OID_MSKRB5, gss_krb5(b'\x02\x00', ap_rep(rng))), STATUS_SUCCESS,
                        new_sess=self.new_session_id())
        self.signed = self.signing
        return t

    def tree_connect(self, path, pipe=False, gap=0.0003):
        p = utf16(path)
        req = struct.pack('<HHHH', 9, 0, 72, len(p)) + p
        resp = struct.pack('<HBBIII', 16, 2 if pipe else 1, 0, 0x30 if pipe else 0x800, 0,
                           0x001f01ff)
        tid = 1 + self.rng.randrange(0, 8) * 4
        # The request carries TreeId 0; the server's answer names the new tree.
        self.call(SMB2_TREE_CONNECT, req, resp, gap=gap, proc=0.0005, resp_tree=tid)
        return tid

    def tree_disconnect(self, tid):
        self.call(SMB2_TREE_DISCONNECT, struct.pack('<HH', 4, 0), struct.pack('<HH', 4, 0), tree=tid)

    def logoff(self):
        self.call(SMB2_LOGOFF, struct.pack('<HH', 4, 0), struct.pack('<HH', 4, 0))

    def create(self, tid, name, access=0x0012019f, disposition=FILE_OPEN, options=0x40, attrs=0,
               share=7, action=1, eof=0, file_attrs=0x80, gap=0.0003, status=STATUS_SUCCESS):
        n = utf16(name)
        req = struct.pack('<HBBIQQIIIIIHHII', 57, 0, 0, 2, 0, 0, access, attrs, share, disposition, options,
                          120, len(n), 0, 0) + (n or b'\0')
        fid = self.rng.randbytes(8) + self.rng.randbytes(8)
        t = filetime(self.conn.t - 86400 * self.rng.randrange(1, 400))
        alloc = (eof + 4095) // 4096 * 4096
        resp = struct.pack('<HBBIQQQQQQII16sII', 89, 0, 0, action, t, t, t, t, alloc, eof, file_attrs,
                               0, fid, 0, 0)
        self.call(SMB2_CREATE, req, resp, status, tree=tid, gap=gap)
        return fid

    def close(self, tid, fid, gap=0.0002):
        req = struct.pack('<HHI16s', 24, 0, 0, fid)
        resp = struct.pack('<HHIQQQQQQI', 60, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        self.call(SMB2_CLOSE, req, resp, tree=tid, gap=gap)

    def write(self, tid, fid, data, offset=0, gap=0.0003):
        charge = max(1, (len(data) + 65535) // 65536)
        req = struct.pack('<HHIQ16sIIHHI', 49, 112, len(data), offset, fid, 0, 0, 0, 0, 0) + data
        resp = struct.pack('<HHIIHH', 17, 0, len(data), 0, 0, 0)
        return self.call(SMB2_WRITE, req, resp, tree=tid, gap=gap, charge=charge)

    def read(self, tid, fid, data, offset=0, length=None, gap=0.0003, status=STATUS_SUCCESS):
        length = length or len(data)
        charge = max(1, (length + 65535) // 65536)
        req = struct.pack('<HBBIQ16sIIIHH', 49, 0x50, 0, length, offset, fid, 0, 0, 0, 0, 0) + b'\0'
        resp = struct.pack('<HBBIII', 17, 0x50, 0, len(data), 0, 0) + data
        return self.call(SMB2_READ, req, resp, status, tree=tid, gap=gap, charge=charge)

    def ioctl(self, tid, fid, data_in, data_out, ctl=FSCTL_PIPE_TRANSCEIVE, gap=0.0003, proc=0.0006):
        req = struct.pack('<HHI16sIIIIIIII', 57, 0, ctl, fid, 120, len(data_in), 0, 120, 0, 4280, 1, 0) + data_in
        resp = struct.pack('<HHI16sIIIIII', 49, 0, ctl, fid, 112, 0, 112, len(data_out), 0, 0) + data_out
        return self.call(SMB2_IOCTL, req, resp, tree=tid, gap=gap, proc=proc)

    def rename(self, tid, fid, new_name, gap=0.0002):
        """SET_INFO FileRenameInformation (MS-FSCC 2.4.37, SMB2 form of MS-SMB2 2.2.39)."""
        n = utf16(new_name)
        info = struct.pack('<B7sQI', 0, b'\0' * 7, 0, len(n)) + n
        req = struct.pack('<HBBIHHI16s', 33, 1, 10, len(info), 96, 0, 0, fid) + info
        self.call(SMB2_SET_INFO, req, struct.pack('<H', 2), tree=tid, gap=gap)

    def query_directory(self, tid, fid, names, sizes, gap=0.0003):
        """QUERY_DIRECTORY FileIdBothDirectoryInformation (MS-FSCC 2.4.17) for '*'."""
        pat = utf16('*')
        req = struct.pack('<HBBI16sHHI', 33, 0x25, 1, 0, fid, 96, len(pat), 65536) + pat
        out = b''
        entries = []
        for i, (name, size) in enumerate(zip(names, sizes)):
            n = utf16(name)
            t = filetime(self.conn.t - 86400 * (5 + i * 7 % 300))
            d = name in ('.', '..') or '.' not in name
            e = struct.pack('<IIQQQQQQIIIBB24sHQ', 0, i, t, t, t, t, size, (size + 4095) // 4096 * 4096,
                            0x10 if d else 0x20, len(n), 0, 0, 0, b'\0' * 24, 0,
                            self.rng.getrandbits(40)) + n
            entries.append(e)
        for i, e in enumerate(entries):
            if i < len(entries) - 1:  # entries start 8-byte aligned (MS-FSCC 2.4)
                e += b'\0' * (-len(e) % 8)
                e = struct.pack('<I', len(e)) + e[4:]
            out += e
        resp = struct.pack('<HHI', 9, 72, len(out)) + out
        self.call(SMB2_QUERY_DIRECTORY, req, resp, tree=tid, gap=gap, proc=0.001)
        # Windows asks again and learns the listing is complete.
        self.call(SMB2_QUERY_DIRECTORY, struct.pack('<HBBI16sHHI', 33, 0x25, 0, 0, fid, 96, len(pat), 65536)
                  + pat, b'', STATUS_NO_MORE_FILES, tree=tid, gap=0.0002)

    # -- DCE/RPC over a named pipe (MS-RPCE 2.1.1.2, MS-SMB2 3.2.4.20.1)

    def pipe_open(self, tid, name):
        return self.create(tid, name, access=0x0012019f, options=0x400040, share=7, file_attrs=0)

    def rpc_bind(self, tid, fid, iface, ver, pipe):
        cid = self.call_id
        self.call_id += 1
        self.write(tid, fid, rpc_bind(cid, [(0, iface, ver)], windows=True))
        return self.read(tid, fid, rpc_bind_ack(cid, '\\PIPE\\' + pipe, [0], self.rng.randrange(0x1000, 0xffff),
                                                windows=True), length=1024)

    def rpc_call(self, tid, fid, opnum, stub_in, stub_out, gap=0.0004, proc=0.0008):
        cid = self.call_id
        self.call_id += 1
        return self.ioctl(tid, fid, rpc_request(cid, 0, opnum, stub_in), rpc_response(cid, 0, stub_out),
                          gap=gap, proc=proc)
