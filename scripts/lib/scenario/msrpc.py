"""The RPC interfaces the intrusion calls, and their request and response
stubs: srvsvc (MS-SRVS), samr (MS-SAMR), svcctl (MS-SCMR), the task
scheduler (MS-TSCH), the endpoint mapper (C706, MS-RPCE) and DCOM
activation (MS-DCOM); and calls on an NTLMSSP-protected TCP association."""
import struct

from .net import SITE, utf16, uuid_le
from .auth import ntlm_verifier
from .rpc import LEVEL_INTEGRITY, LEVEL_PRIVACY, NDR, NDR32, PT_RESPONSE, rpc_pdu, rpc_request


# ------------------------------------------------------------------ RPC interfaces

SRVSVC = ('4b324fc8-1670-01d3-1278-5a47bf6ee188', (3, 0))
SAMR = ('12345778-1234-abcd-ef00-0123456789ac', (1, 0))
SVCCTL = ('367abb81-9844-35f1-ad32-98f038001003', (2, 0))
TSCH = ('86d35949-83c9-4044-b424-db363231fd0c', (1, 0))
EPM = ('e1af8308-5d1f-11c9-91a4-08002b14a0fa', (3, 0))
DRSUAPI = ('e3514235-4b06-11d1-ab04-00c04fc2dcd2', (4, 0))
ISYSTEMACTIVATOR = ('000001a0-0000-0000-c000-000000000046', (0, 0))
IWBEMLEVEL1LOGIN = ('f309ad18-d86a-11d0-a075-00c04fb68820', (0, 0))
IWBEMSERVICES = ('9556dc99-828c-11cf-a37e-00aa003240c7', (0, 0))
CLSID_WBEMLEVEL1LOGIN = '8bc3f05e-d86b-11d0-a075-00c04fb68820'
DOMAIN_SID = 'S-1-5-21-3623811015-3361044348-30300820'


def handle(rng):
    """A context handle (MS-RPCE 2.2.4.2): attributes + GUID."""
    return b'\0' * 4 + rng.randbytes(16)


# MS-SRVS 3.1.4.8 NetrShareEnum (opnum 15, "NetShareEnumAll"), level 1.

def srvsvc_share_enum_req(server):
    n = NDR()
    n.ptr().wstr('\\\\' + server)
    n.u32(1).u32(1).ptr().u32(0).ptr(False)  # InfoStruct: level 1, container with no entries
    n.u32(0xffffffff).ptr().u32(0)  # PreferedMaximumLength, ResumeHandle
    return n.bytes()


def srvsvc_share_enum_resp(shares):
    n = NDR()
    n.u32(1).u32(1).ptr()
    n.u32(len(shares)).ptr().u32(len(shares))
    for name, stype, remark in shares:
        n.ptr().u32(stype).ptr()
    for name, stype, remark in shares:
        n.wstr(name).wstr(remark)
    n.u32(len(shares)).ptr().u32(0).u32(0)  # TotalEntries, ResumeHandle, WERROR
    return n.bytes()


# MS-SAMR 3.1.5: the calls of "net user /domain" and "net group "Domain Admins" /domain".

def samr_connect5(server, h):
    req = NDR().ptr().wstr('\\\\' + server).u32(0x00000031).u32(1).u32(1).u32(3).u32(0).bytes()
    resp = NDR().u32(1).u32(1).u32(3).u32(0).handle(h).u32(0).bytes()
    return req, resp


def samr_enum_domains(h):
    req = NDR().handle(h).u32(0).u32(0xffff).bytes()
    names = [SITE.domain, 'Builtin']
    n = NDR().u32(0).ptr().u32(len(names)).ptr().u32(len(names))
    for nm in names:
        n.u32(0).ustr_hdr(nm)
    for nm in names:
        n.ustr_body(nm)
    resp = n.u32(len(names)).u32(0).bytes()
    return req, resp


def samr_lookup_domain(h, name):
    req = NDR().handle(h).ustr_hdr(name).ustr_body(name).bytes()
    resp = NDR().ptr().sid(DOMAIN_SID).u32(0).bytes()
    return req, resp


def samr_open_domain(h, dh):
    req = NDR().handle(h).u32(0x00000305).sid(DOMAIN_SID).bytes()
    return req, NDR().handle(dh).u32(0).bytes()


def samr_enum_users(dh, users, resume, more):
    req = NDR().handle(dh).u32(resume).u32(0x10).u32(0xffff).bytes()
    n = NDR().u32(resume + len(users)).ptr().u32(len(users)).ptr().u32(len(users))
    for rid, nm in users:
        n.u32(rid).ustr_hdr(nm)
    for rid, nm in users:
        n.ustr_body(nm)
    resp = n.u32(len(users)).u32(0x00000105 if more else 0).bytes()
    return req, resp


def samr_lookup_names(dh, name, rid, kind):
    req = NDR().handle(dh).u32(1).u32(1000).u32(0).u32(1).ustr_hdr(name).ustr_body(name).bytes()
    resp = NDR().u32(1).ptr().u32(1).u32(rid).u32(1).ptr().u32(1).u32(kind).u32(0).bytes()
    return req, resp


def samr_open_group(dh, gh, rid):
    return NDR().handle(dh).u32(0x00000010).u32(rid).bytes(), NDR().handle(gh).u32(0).bytes()


def samr_query_group_member(gh, rids):
    n = NDR().ptr().u32(len(rids)).ptr().ptr().u32(len(rids))
    for r in rids:
        n.u32(r)
    n.u32(len(rids))
    for _ in rids:
        n.u32(7)
    return NDR().handle(gh).bytes(), n.u32(0).bytes()


def samr_close(h):
    return NDR().handle(h).bytes(), NDR().handle(b'\0' * 20).u32(0).bytes()


# MS-SCMR 3.1.4: what PsExec asks of the service control manager.

def scmr_open_scm(machine, h):
    req = NDR().ptr().wstr(machine).ptr().wstr('ServicesActive').u32(0x000f003f).bytes()
    return req, NDR().handle(h).u32(0).bytes()


def scmr_open_service(h, name, sh, err=0):
    req = NDR().handle(h).wstr(name).u32(0x000f01ff).bytes()
    return req, NDR().handle(sh if not err else b'\0' * 20).u32(err).bytes()


def scmr_create_service(h, name, display, path, sh):
    n = NDR().handle(h).wstr(name).ptr().wstr(display).u32(0x000f01ff).u32(0x10).u32(3).u32(0)
    n.wstr(path).ptr(False).ptr(False).ptr(False).u32(0).ptr(False).ptr(False).u32(0)
    return n.bytes(), NDR().ptr(False).handle(sh).u32(0).bytes()


def scmr_start_service(sh):
    return NDR().handle(sh).u32(0).ptr(False).bytes(), NDR().u32(0).bytes()


def scmr_control_stop(sh):
    req = NDR().handle(sh).u32(1).bytes()
    resp = NDR().u32(0x10).u32(3).u32(0x5).u32(0).u32(0).u32(0).u32(0).u32(0).bytes()  # STOP_PENDING
    return req, resp


def scmr_delete(sh):
    return NDR().handle(sh).bytes(), NDR().u32(0).bytes()


def scmr_close(h):
    return NDR().handle(h).bytes(), NDR().handle(b'\0' * 20).u32(0).bytes()


# MS-TSCH 3.2.5.4: ITaskSchedulerService.

def task_xml(command, author, start):
    return ('<?xml version="1.0" encoding="UTF-16"?>\n'
            '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\n'
            f'  <RegistrationInfo>\n    <Author>{author}</Author>\n'
            '    <Description>Maintenance du poste</Description>\n  </RegistrationInfo>\n'
            '  <Triggers>\n    <CalendarTrigger>\n'
            f'      <StartBoundary>{start}</StartBoundary>\n'
            '      <Enabled>true</Enabled>\n      <ScheduleByDay>\n        <DaysInterval>1</DaysInterval>\n'
            '      </ScheduleByDay>\n    </CalendarTrigger>\n  </Triggers>\n'
            '  <Principals>\n    <Principal id="LocalSystem">\n      <UserId>S-1-5-18</UserId>\n'
            '      <RunLevel>HighestAvailable</RunLevel>\n    </Principal>\n  </Principals>\n'
            '  <Settings>\n    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n'
            '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n'
            '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n'
            '    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>\n    <Hidden>true</Hidden>\n'
            '    <Enabled>true</Enabled>\n  </Settings>\n'
            '  <Actions Context="LocalSystem">\n    <Exec>\n'
            f'      <Command>{command}</Command>\n    </Exec>\n  </Actions>\n</Task>\n')


def tsch_register(path, xml):
    req = NDR().ptr().wstr(path).wstr(xml).u32(6).ptr(False).u32(5).u32(0).ptr(False).bytes()
    return req, NDR().ptr().wstr(path).ptr(False).u32(0).bytes()


def tsch_run(rng, path):
    req = NDR().wstr(path).u32(0).ptr(False).u32(0).u32(0).ptr(False).bytes()
    return req, NDR().raw(rng.randbytes(16), 4).u32(0).bytes()


# C706 appendix O / MS-RPCE 2.2.1.2: endpoint mapper ept_map and its towers.

def epm_tower(iface, ver, port, ip):
    floors = [(b'\x0d' + uuid_le(iface) + struct.pack('<H', ver[0]), struct.pack('<H', ver[1])),
              (b'\x0d' + NDR32[0] + struct.pack('<H', 2), struct.pack('<H', 0)),
              (b'\x0b', struct.pack('<H', 0)),
              (b'\x07', struct.pack('!H', port)),
              (b'\x09', ip)]
    return struct.pack('<H', len(floors)) + b''.join(
        struct.pack('<H', len(lhs)) + lhs + struct.pack('<H', len(rhs)) + rhs for lhs, rhs in floors)


def epm_map(iface, ver, port, ip):
    q = epm_tower(iface, ver, 0, b'\0\0\0\0')
    req = NDR().u32(1).raw(b'\0' * 16).u32(2).u32(len(q)).u32(len(q)).raw(q).pad(4)
    req.raw(b'\0' * 20).u32(4)
    a = epm_tower(iface, ver, port, ip)
    resp = NDR().raw(b'\0' * 20).u32(1).u32(4).u32(0).u32(1).u32(3)
    resp.u32(len(a)).u32(len(a)).raw(a).pad(4).u32(0)
    return req.bytes(), resp.bytes()


# MS-DCOM 2.2.18-2.2.22: OBJREFs and activation property BLOBs.

def type_ser1(data):
    """MS-RPCE 2.2.6 type serialization version 1: common and private headers,
    the NDR data padded to 8 bytes."""
    data += b'\0' * (-len(data) % 8)
    return struct.pack('<BBHI', 1, 0x10, 8, 0xcccccccc) + struct.pack('<II', len(data), 0) + data


def dual_string_array(bindings, security):
    """DUALSTRINGARRAY body: string bindings (tower id, address), then security bindings."""
    words = b''
    for tower, addr in bindings:
        words += struct.pack('<H', tower) + utf16(addr) + b'\0\0'
    words += b'\0\0'
    sec_off = len(words) // 2
    for svc, princ in security:
        words += struct.pack('<HH', svc, 0xffff) + utf16(princ) + b'\0\0'
    words += b'\0\0'
    return len(words) // 2, sec_off, words


def objref_standard(iid, oxid, oid_, ipid, bindings, security):
    n, off, words = dual_string_array(bindings, security)
    return (struct.pack('<II', 0x574f454d, 1) + uuid_le(iid) + struct.pack('<IIQQ', 0, 5, oxid, oid_)
            + ipid + struct.pack('<HH', n, off) + words)


def activation_blob(props):
    """ACTIVATION_BLOB: CustomHeader then each property, all type-serialized."""
    ser = [type_ser1(data) for _, data in props]

    def header(total, hsize):
        n = NDR().u32(total).u32(hsize).u32(0).u32(2).u32(len(props)).raw(b'\0' * 16).ptr().ptr().ptr(False)
        n.u32(len(props))
        for clsid, _ in props:
            n.guid(clsid)
        n.u32(len(props))
        for s in ser:
            n.u32(len(s))
        return type_ser1(n.bytes())
    hsize = len(header(0, 0))
    total = hsize + sum(len(s) for s in ser)
    return struct.pack('<II', total, 0) + header(total, hsize) + b''.join(ser)


def objref_custom(iid, clsid, blob):
    return (struct.pack('<II', 0x574f454d, 4) + uuid_le(iid) + uuid_le(clsid)
            + struct.pack('<II', 0, len(blob) + 8) + blob)


def minterface_pointer(n, data):
    """[unique] MInterfacePointer*: referent, conformance, ulCntData, abData."""
    return n.ptr().u32(len(data)).u32(len(data)).raw(data).pad(4)


def orpcthis(n, rng):
    return n.u16(5).u16(7).u32(0).u32(0).raw(rng.randbytes(16)).ptr(False)


def remote_create_instance(rng, server, clsid, iid, ipid, oxid, port, host):
    """IRemoteSCMActivator::RemoteCreateInstance (opnum 4) request and response."""
    special = (NDR().u32(0xffffffff).u32(0).u32(0).u32(0).u32(2).raw(b'\0' * 16).u32(0).u32(0x14)
               .u32(2).u32(0).u64(0).raw(b'\0' * 20).bytes())

    def inst_info(this_size):
        return (NDR().guid(clsid).u32(0x14).u32(0).u32(0).u32(1).u32(0).ptr().u32(this_size)
                .u16(5).u16(7).u32(1).guid(iid).bytes())
    inst = inst_info(len(type_ser1(inst_info(0))))
    actctx = NDR().u32(0).u32(0).u32(0).u32(0).ptr(False).ptr(False).bytes()
    security = NDR().u32(0).ptr().ptr(False).u32(0).ptr().ptr(False).u32(0).wstr(server).bytes()
    location = NDR().ptr(False).u32(0).u32(0).u32(0).bytes()
    scmreq = NDR().ptr(False).ptr().u32(2).u16(1).ptr().u32(1).u16(7).bytes()
    blob = activation_blob([('000001b9-0000-0000-c000-000000000046', special),
                            ('000001ab-0000-0000-c000-000000000046', inst),
                            ('000001a5-0000-0000-c000-000000000046', actctx),
                            ('000001a6-0000-0000-c000-000000000046', security),
                            ('000001a4-0000-0000-c000-000000000046', location),
                            ('000001aa-0000-0000-c000-000000000046', scmreq)])
    req = orpcthis(NDR(), rng).ptr(False)
    req = minterface_pointer(req, objref_custom('000001a2-0000-0000-c000-000000000046',
                                                '00000338-0000-0000-c000-000000000046', blob))
    bindings = [(7, f'{host.ip}[{port}]'), (7, f'{host.name}[{port}]')]
    secb = [(10, ''), (9, ''), (16, ''), (0x16, ''), (0x1e, '')]
    oref = objref_standard(iid, oxid, rng.getrandbits(63), ipid, [], secb)
    propsout = NDR().u32(1).ptr().ptr().ptr().u32(1).guid(iid).u32(1).u32(0).u32(1)
    propsout = minterface_pointer(propsout, oref).bytes()
    nwords, secoff, words = dual_string_array(bindings, secb)
    scmreply = (NDR().ptr(False).ptr().u64(oxid).ptr().raw(rng.randbytes(16), 4).u32(LEVEL_INTEGRITY)
                .u16(5).u16(7).u32(nwords).u16(nwords).u16(secoff).raw(words).bytes())
    blob_out = activation_blob([('00000339-0000-0000-c000-000000000046', propsout),
                                ('000001b6-0000-0000-c000-000000000046', scmreply)])
    resp = NDR().u32(0).ptr(False)
    resp = minterface_pointer(resp, objref_custom('000001a3-0000-0000-c000-000000000046',
                                                  '00000339-0000-0000-c000-000000000046', blob_out))
    return req.bytes(), resp.u32(0).bytes()


class SecureRPC:
    """Calls on an NTLMSSP-protected TCP association: integrity (stub in clear and
    signed) or privacy (stub sealed: here pseudo-random bytes of the same length)."""

    def __init__(self, conn, rng, level, call_id=2):
        self.conn = conn
        self.rng = rng
        self.level = level
        self.call_id = call_id
        self.seq = 0

    def _wrap(self, stub):
        pad = -len(stub) % 16
        body = self.rng.randbytes(len(stub)) if self.level == LEVEL_PRIVACY else stub
        auth = (self.level, ntlm_verifier(self.rng, self.seq), pad)
        self.seq += 1
        return body + b'\0' * pad, auth

    def call(self, opnum, stub_in, stub_out, ctx_id=0, obj=None, gap=0.0004, proc=0.001, frag=4200):
        cid = self.call_id
        self.call_id += 1
        body, auth = self._wrap(stub_in)
        pdu = rpc_request(cid, ctx_id, opnum, body, auth, obj)
        # alloc_hint is the stub's size before the authentication padding.
        self.conn.c(pdu[:16] + struct.pack('<I', len(stub_in)) + pdu[20:], gap)
        # A large answer comes in fragments, each with its own verifier (C706 12.6.3.1).
        chunks = [stub_out[i:i + frag] for i in range(0, len(stub_out), frag)] or [b'']
        out = b''
        for i, chunk in enumerate(chunks):
            body, auth = self._wrap(chunk)
            pdu = rpc_pdu(PT_RESPONSE, cid, struct.pack('<IHBB', len(stub_out) - i * frag, ctx_id, 0, 0) + body,
                          auth, flags=(1 if i == 0 else 0) | (2 if i == len(chunks) - 1 else 0))
            out += pdu
        return self.conn.s(out, proc)
