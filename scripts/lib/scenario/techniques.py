"""The intruder's techniques as traffic, for any story: each takes the
scenario, the step's random stream, a start time and the hosts and names
involved, writes real protocol exchanges (HTTP, TLS, SYN probes, SMB2 with
DCE/RPC over pipes, Kerberos, RDP, DCOM) and returns what a note needs.
The stories (stories/*.py) choose who does what, when, and write the notes."""
import io
import struct
import zipfile

from wire import tls_record
from .net import ACK, RST, SITE, SYN, SYNACK_OPTS, utf16
from .auth import (ETYPE_AES256, ETYPE_RC4, OID_KRB5, OID_MSKRB5, ap_rep, ap_req, as_req, enc_data,
                   etype_info2, gss_krb5, kdc_rep, krb_error, pa_data, pa_pac_request, principal, spnego_init,
                   spnego_resp, tgs_req)
from .rpc import (LEVEL_INTEGRITY, LEVEL_PRIVACY, NDR, PT_ALTER, PT_ALTER_RESP, rpc_bind, rpc_bind_ack,
                  rpc_request, rpc_response)
from .smb import FILE_CREATE, FILE_OVERWRITE_IF
from .protocols import (client_hello, http_get, http_resp, ldap_bind_resp, ldap_bind_sasl, rdp_conn_confirm,
                        rdp_conn_request, sasl_wrapped, server_hello13, tls_app, tls_session)
from .msrpc import (CLSID_WBEMLEVEL1LOGIN, DRSUAPI, EPM, ISYSTEMACTIVATOR, IWBEMLEVEL1LOGIN, IWBEMSERVICES,
                    SAMR, SRVSVC, SVCCTL, SecureRPC, TSCH, epm_map, handle, minterface_pointer,
                    objref_standard, orpcthis, remote_create_instance, samr_close, samr_connect5,
                    samr_enum_domains, samr_enum_users, samr_lookup_domain, samr_lookup_names,
                    samr_open_domain, samr_open_group, samr_query_group_member, scmr_close, scmr_control_stop,
                    scmr_create_service, scmr_delete, scmr_open_scm, scmr_open_service, scmr_start_service,
                    srvsvc_share_enum_req, srvsvc_share_enum_resp, task_xml, tsch_register, tsch_run)


def fake_pe(rng, size, name):
    """A PE image header (DOS stub, PE signature, COFF and optional header
    magic), then pseudo-random sections: enough for "MZ" and "PE" checks."""
    dos = bytearray(b'MZ' + b'\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8' + b'\0' * 45)
    dos[0x3c:0x40] = struct.pack('<I', 0x80)
    stub = b'\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$'
    img = bytes(dos) + stub
    img += b'\0' * (0x80 - len(img))
    img += b'PE\0\0' + struct.pack('<HHIIIHH', 0x8664, 5, 1699900000, 0, 0, 240, 0x22) + struct.pack('<H', 0x20b)
    img += b'\0' * (0x400 - len(img)) + name.encode() + b'\0'
    return img + rng.randbytes(size - len(img))


def zip_of(rng, member, date, size):
    """A stored zip archive of one member of size pseudo-random bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo(member, date), rng.randbytes(size))
    return buf.getvalue()


def http_download(sc, rng, t, cli, site, path, make_body, ctype, filename, referer):
    """The user's machine resolves site (name, address) and fetches path over
    HTTP (with a Referer header unless referer is None); make_body(rng) gives
    the bytes. Returns the body's length."""
    host, ip = site
    srv = sc.host(ip, 'phish')
    sc.dns(cli, host, t, rng, [ip])
    body = make_body(rng)
    c = sc.tcp(cli, srv, 80, t + 0.03, rng)
    c.c(http_get(host, path, extra=f'Referer: {referer}\r\n' if referer else ''), 0.0002)
    c.s(http_resp(c.t, ctype, body, 'Apache', f'Content-Disposition: attachment; filename="{filename}"\r\n'),
        0.03)
    c.wait(0.2)
    c.close(0, 1.5)
    return len(body)


def beacon(sc, rng, t, cli, site, every=60, tasked=(2, 5)):
    """The implant resolves its server and checks in over TLS about every
    `every` seconds until the end; on the check-ins in tasked the server sends
    a module and the client returns its output. Returns the check-in count."""
    host, ip = site
    c2 = sc.host(ip, 'c2')
    tb = t
    sc.dns(cli, host, tb - 0.05, rng, [ip])
    n = 0
    while tb < SITE.duration - 5:
        c = sc.tcp(cli, c2, 443, tb, rng)
        big = n in tasked
        tls_session(c, host, [([rng.randrange(180, 260)], [rng.randrange(90, 140)] if not big else
                               [12000, rng.randrange(2000, 4000)], 0.01)]
                    + ([([rng.randrange(2000, 4000)], [64], 0.5)] if big else []), rng)
        n += 1
        tb += every * (0.8 + 0.4 * rng.random())
    return n


def syn_scan(sc, rng, t, src, targets, ports, length=12.0):
    """nmap -sS: SYN, then SYN/ACK + RST (open) or RST/ACK (closed); unused
    addresses do not answer. Returns the number of probes."""
    probes = [(h, p) for h in targets for p in ports]
    rng.shuffle(probes)
    sport = 40000 + rng.randrange(20000)
    dt = length / len(probes)
    for i, (h, p) in enumerate(probes):
        ts = t + i * dt + rng.random() * dt / 2
        isn = rng.getrandbits(32)
        sc.cap.tcp(ts, src, h, sport, p, isn, 0, SYN, 1024, bytes.fromhex('020405b4'))
        if h.name == 'unused':
            continue
        r = sc.rtt(src, h)
        if p in h.ports:
            sisn = rng.getrandbits(32)
            sc.cap.tcp(ts + r, h, src, p, sport, sisn, isn + 1, SYN | ACK, 65535, SYNACK_OPTS)
            sc.cap.tcp(ts + r + 0.00004, src, h, sport, p, isn + 1, 0, RST, 0)
        else:
            sc.cap.tcp(ts + r, h, src, p, sport, 0, isn + 1, RST | ACK, 0)
    return len(probes)


def share_enum(sc, rng, t, src, user, targets, every=2.7):
    """srvsvc NetShareEnumAll over \\\\host\\IPC$ \\srvsvc on each (host, [share]) of targets."""
    for i, (h, names) in enumerate(targets):
        conn, s = sc.smb(src, h, t + i * every + rng.random(), rng)
        s.login_ntlm(user, SITE.domain, src.name)
        tid = s.tree_connect(f'\\\\{h.ip}\\IPC$', pipe=True)
        fid = s.pipe_open(tid, 'srvsvc')
        s.rpc_bind(tid, fid, *SRVSVC, 'srvsvc')
        shares = ([('ADMIN$', 0x80000000, 'Administration a distance'), ('C$', 0x80000000, 'Partage par defaut'),
                   ('IPC$', 0x80000003, 'IPC distant')]
                  + [(x, 0, '') for x in names])
        s.rpc_call(tid, fid, 15, srvsvc_share_enum_req(h.ip), srvsvc_share_enum_resp(shares))
        s.close(tid, fid)
        s.tree_disconnect(tid)
        s.logoff()
        conn.close(0, 0.002)


def samr_enum(sc, rng, t, src, dc, user, users, group, members):
    """samr as "net user /domain" then "net group GROUP /domain": the users of
    the domain (two EnumerateUsersInDomain pages) and the members of group
    (name, rid)."""
    conn, s = sc.smb(src, dc, t, rng)
    s.login_ntlm(user, SITE.domain, src.name)
    tid = s.tree_connect(f'\\\\{dc.ip}\\IPC$', pipe=True)
    fid = s.pipe_open(tid, 'samr')
    s.rpc_bind(tid, fid, *SAMR, 'samr')
    h, dh, gh = handle(rng), handle(rng), handle(rng)
    calls = [samr_connect5(dc.ip, h), samr_enum_domains(h), samr_lookup_domain(h, SITE.domain),
             samr_open_domain(h, dh),
             samr_enum_users(dh, users[:32], 0, True), samr_enum_users(dh, users[32:], 32, False),
             samr_lookup_names(dh, group[0], group[1], 2), samr_open_group(dh, gh, group[1]),
             samr_query_group_member(gh, members),
             samr_close(gh), samr_close(dh), samr_close(h)]
    opnums = [64, 6, 5, 7, 13, 13, 17, 19, 25, 1, 1, 1]
    for op, (q, r) in zip(opnums, calls):
        s.rpc_call(tid, fid, op, q, r, gap=0.002 + rng.random() * 0.01)
    s.close(tid, fid)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)


def kerberos_spray(sc, rng, t, src, dc, users, every=1.1):
    """One password against many accounts: AS-REQ with PA-ENC-TIMESTAMP over UDP, KRB-ERROR 24 each."""
    krbtgt = principal(2, 'krbtgt', SITE.realm)
    for i, user in enumerate(users):
        ts = t + i * every + rng.random() * 0.4
        req = as_req(rng, ts, user, [pa_data(2, enc_data(rng, ETYPE_AES256, 56)), pa_pac_request()],
                     etypes=[18, 17, 23])
        sc.udp(src, dc, src.port(), 88, ts, req, krb_error(rng, ts, 24, user, krbtgt, etype_info2(user)), 0.0015)


def kerberoast(sc, rng, t, src, dc, user, spns):
    """GetUserSPNs: LDAP (sealed SASL) for the accounts with an SPN, then a
    TGS-REQ asking only for RC4 (etype 23) for each SPN."""
    c = sc.tcp(src, dc, 389, t, rng)
    c.c(ldap_bind_sasl(1, spnego_init([OID_MSKRB5, OID_KRB5], gss_krb5(
        b'\x01\x00', ap_req(rng, principal(2, 'ldap', f'{dc.name.lower()}.{SITE.dns_domain}'))))), 0.0002)
    c.s(ldap_bind_resp(1, spnego_resp(0, OID_MSKRB5, gss_krb5(b'\x02\x00', ap_rep(rng)))), 0.002)
    c.c(sasl_wrapped(rng, 190), 0.001)
    c.s(sasl_wrapped(rng, 2100), 0.004)
    c.close(0, 0.01)
    ts = c.t + 0.05
    for spn in spns:
        svc, host = spn.split('/', 1)
        sname = principal(2, svc, host)
        ts = sc.krb_exchange(src, ts + 0.15 + rng.random() * 0.3, rng, tgs_req(rng, ts, user, sname, [23]),
                             kdc_rep(rng, 13, user, sname, ETYPE_RC4, ETYPE_RC4), dc)


def ntlm_check(sc, rng, t, src, dst, user):
    """A cracked password tried over SMB: NTLMSSP AUTHENTICATE, IPC$, logoff."""
    conn, s = sc.smb(src, dst, t, rng)
    s.login_ntlm(user, SITE.domain, src.name)
    tid = s.tree_connect(f'\\\\{dst.ip}\\IPC$', pipe=True)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)


def psexec(sc, rng, t, src, dst, user, commands):
    """PsExec: ADMIN$ + PSEXESVC.exe, svcctl to create and start the service,
    the commands (command, output) over its pipes, then the service removed.
    Returns the executable's size."""
    conn, s = sc.smb(src, dst, t, rng)
    s.login_ntlm(user, SITE.domain, src.name)
    tid = s.tree_connect(f'\\\\{dst.ip}\\ADMIN$')
    fid = s.create(tid, 'PSEXESVC.exe', access=0x0013019f, disposition=FILE_OVERWRITE_IF, options=0x44,
                   attrs=0x80, share=0, action=2)
    exe = fake_pe(rng, 18432, 'PSEXESVC')
    for off in range(0, len(exe), 8192):
        s.write(tid, fid, exe[off:off + 8192], off)
    s.close(tid, fid)
    ipc = s.tree_connect(f'\\\\{dst.ip}\\IPC$', pipe=True)
    pf = s.pipe_open(ipc, 'svcctl')
    s.rpc_bind(ipc, pf, *SVCCTL, 'svcctl')
    scm, svc = handle(rng), handle(rng)
    s.rpc_call(ipc, pf, 15, *scmr_open_scm('\\\\' + dst.ip, scm))
    s.rpc_call(ipc, pf, 16, *scmr_open_service(scm, 'PSEXESVC', svc, err=1060))
    s.rpc_call(ipc, pf, 12, *scmr_create_service(scm, 'PSEXESVC', 'PSEXESVC', '%SystemRoot%\\PSEXESVC.exe', svc))
    s.rpc_call(ipc, pf, 19, *scmr_start_service(svc), proc=0.35)
    # PsExec's own pipes: the command and its console streams.
    pid = rng.randrange(2000, 9000)
    main = s.create(ipc, 'PSEXESVC', access=0x0012019f, options=0x400040, file_attrs=0)
    s.write(ipc, main, struct.pack('<I', 0x4e4) + utf16(f'{src.name}') + rng.randbytes(400))
    streams = [s.create(ipc, f'PSEXESVC-{src.name}-{pid}-{x}', access=0x0012019f, options=0x400040, file_attrs=0)
               for x in ('stdin', 'stdout', 'stderr')]
    out = 'Microsoft Windows [version 10.0.17763.4974]\r\n(c) 2018 Microsoft Corporation.\r\n\r\nC:\\Windows\\system32>'
    s.read(ipc, streams[1], out.encode('cp850'), length=4096, gap=0.05)
    for cmd, res in commands:
        s.write(ipc, streams[0], (cmd + '\r\n').encode('cp850'), gap=2.0 + rng.random() * 3)
        s.read(ipc, streams[1], (res + '\r\n\r\nC:\\Windows\\system32>').encode('cp850'), length=4096, gap=0.01)
    for f in streams + [main]:
        s.close(ipc, f, gap=0.3)
    s.rpc_call(ipc, pf, 1, *scmr_control_stop(svc), gap=0.2)
    s.rpc_call(ipc, pf, 2, *scmr_delete(svc))
    s.rpc_call(ipc, pf, 0, *scmr_close(svc))
    s.rpc_call(ipc, pf, 0, *scmr_close(scm))
    s.close(ipc, pf)
    s.tree_disconnect(ipc)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    return len(exe)


def rdp_session(sc, rng, t, src, dst, cookie, exchanges=30):
    """RDP: X.224 Connection Request with a routing cookie, TLS, CredSSP, then
    the session's connection sequence and about `exchanges` screen updates."""
    c = sc.tcp(src, dst, 3389, t, rng)
    c.c(rdp_conn_request(cookie), 0.0002)
    c.s(rdp_conn_confirm(2), 0.001)
    c.c(client_hello(rng, None), 0.001)
    c.s(server_hello13(rng, rng.randrange(1100, 1400)), 0.003)
    c.c(tls_record(20, b'\x01') + tls_app(rng, 69), 0.002)
    # CredSSP (NTLM inside TLS), then the session's connection sequence and graphics.
    for cb, sb in ((1, 1), (1, 1), (1, 1), (4, 3)):
        c.c(b''.join(tls_app(rng, rng.randrange(60, 700)) for _ in range(cb)), 0.002)
        c.s(b''.join(tls_app(rng, rng.randrange(60, 1400)) for _ in range(sb)), 0.004)
    for _ in range(exchanges):
        if rng.random() < 0.5:
            c.c(tls_app(rng, rng.randrange(20, 90)), 0.1 + rng.random() * 1.2)
        c.s(b''.join(tls_app(rng, rng.randrange(200, 1400)) for _ in range(rng.randrange(1, 4))), 0.01)
    c.close(0, 0.5)


def wmi_exec(sc, rng, t, src, dst, user, cmd, port=49702):
    """WMI over DCOM: activation of WbemLevel1Login on 135, then IWbemLevel1Login::NTLMLogin
    and IWbemServices::ExecMethod(Win32_Process.Create) on the port the activation returned."""
    c = sc.tcp(src, dst, 135, t, rng)
    sc.rpc_tcp(c, rng, ISYSTEMACTIVATOR, 1, LEVEL_INTEGRITY, user, src.name, f'RPCSS/{dst.ip}', '135')
    ipid_login, ipid_svc = rng.randbytes(16), rng.randbytes(16)
    oxid = rng.getrandbits(63)
    rpc = SecureRPC(c, rng, LEVEL_INTEGRITY)
    rpc.call(4, *remote_create_instance(rng, dst.ip, CLSID_WBEMLEVEL1LOGIN, IWBEMLEVEL1LOGIN[0], ipid_login,
                                        oxid, port, dst), proc=0.01)
    c.close(0, 0.01)
    d = sc.tcp(src, dst, port, c.t + 0.004, rng)
    sc.rpc_tcp(d, rng, IWBEMLEVEL1LOGIN, 1, LEVEL_PRIVACY, user, src.name, f'RPCSS/{dst.ip}', str(port))
    rpc = SecureRPC(d, rng, LEVEL_PRIVACY)
    login_req = orpcthis(NDR(), rng).ptr().wstr('//./root/cimv2').ptr(False).u32(0).ptr(False).bytes()
    login_resp = minterface_pointer(NDR().u32(0).ptr(False), objref_standard(
        IWBEMSERVICES[0], oxid, rng.getrandbits(63), ipid_svc, [], [(10, '')])).u32(0).bytes()
    rpc.call(6, login_req, login_resp, obj=ipid_login, proc=0.02)
    # A second presentation context for IWbemServices on the same association.
    d.c(rpc_bind(rpc.call_id, [(1, IWBEMSERVICES[0], IWBEMSERVICES[1])], ptype=PT_ALTER, windows=False), 0.0003)
    d.s(rpc_bind_ack(rpc.call_id, '', [1], 0, ptype=PT_ALTER_RESP), 0.0004)
    rpc.call_id += 1
    rpc.call(6, rng.randbytes(96), rng.randbytes(1880), ctx_id=1, obj=ipid_svc, proc=0.01)  # GetObject Win32_Process
    rpc.call(24, rng.randbytes(420 + 2 * len(cmd)), rng.randbytes(520), ctx_id=1, obj=ipid_svc, proc=0.08)
    d.close(0, 0.05)


def share_exe_task(sc, rng, t, src, dst, user, path, exe_name, exe_size, task, start, pause=4.0):
    """An executable written to \\\\dst\\C$\\path, then a scheduled task
    registered and run through \\atsvc (ITaskSchedulerService) to start it at
    `start` (an XML dateTime). Returns (executable size, time of the task)."""
    conn, s = sc.smb(src, dst, t, rng)
    s.login_ntlm(user, SITE.domain, src.name)
    tid = s.tree_connect(f'\\\\{dst.ip}\\C$')
    fid = s.create(tid, path, access=0x0013019f, disposition=FILE_OVERWRITE_IF, options=0x44, attrs=0x80,
                   share=0, action=2)
    exe = fake_pe(rng, exe_size, exe_name)
    for off in range(0, len(exe), 8192):
        s.write(tid, fid, exe[off:off + 8192], off)
    s.close(tid, fid)
    t2 = conn.t + pause
    ipc = s.tree_connect(f'\\\\{dst.ip}\\IPC$', pipe=True, gap=pause)
    pf = s.pipe_open(ipc, 'atsvc')
    s.rpc_bind(ipc, pf, *TSCH, 'atsvc')
    xml = task_xml('C:\\' + path, f'{SITE.domain}\\{user}', start)
    s.rpc_call(ipc, pf, 1, *tsch_register(task, xml), proc=0.02)
    s.rpc_call(ipc, pf, 12, *tsch_run(rng, task), gap=0.5)
    s.close(ipc, pf)
    s.tree_disconnect(ipc)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    return len(exe), t2


def dcsync(sc, rng, t, src, dc, user, accounts, port=49667):
    """DCSync: ept_map for drsuapi, then DRSBind, DRSDomainControllerInfo,
    DRSCrackNames and one DRSGetNCChanges per account (sealed)."""
    c = sc.tcp(src, dc, 135, t, rng)
    c.c(rpc_bind(1, [(0, EPM[0], EPM[1])], windows=False), 0.0002)
    c.s(rpc_bind_ack(1, '135', [0], rng.randrange(0x1000, 0xffff)), 0.0004)
    q, r = epm_map(DRSUAPI[0], DRSUAPI[1], port, dc.addr)
    c.c(rpc_request(2, 0, 3, q), 0.0002)
    c.s(rpc_response(2, 0, r), 0.0005)
    c.close(0, 0.001)
    d = sc.tcp(src, dc, port, c.t + 0.002, rng)
    sc.rpc_tcp(d, rng, DRSUAPI, 1, LEVEL_PRIVACY, user, src.name, f'ldap/{dc.ip}', str(port))
    rpc = SecureRPC(d, rng, LEVEL_PRIVACY)
    rpc.call(0, rng.randbytes(84), rng.randbytes(76))  # IDL_DRSBind
    rpc.call(16, rng.randbytes(36), rng.randbytes(420))  # IDL_DRSDomainControllerInfo
    rpc.call(12, rng.randbytes(120), rng.randbytes(170))  # IDL_DRSCrackNames
    for _ in accounts:
        rpc.call(3, rng.randbytes(196), rng.randbytes(rng.randrange(9000, 12000)), gap=0.01, proc=0.02)
    rpc.call(1, rng.randbytes(20), rng.randbytes(24))  # IDL_DRSUnbind
    d.close(0, 0.003)


def smb_encrypt(sc, rng, t, src, dst, user, share, folders, ext, note_name, note, sizes=(24000, 2400000)):
    """Encryption of a share: per folder a listing, then each file opened,
    read, written back, renamed to *ext and closed; a note in every folder.
    Returns (files, seconds it took)."""
    conn, s = sc.smb(src, dst, t, rng)
    s.login_ntlm(user, SITE.domain, src.name)
    tid = s.tree_connect(f'\\\\{dst.ip}\\{share}')
    n = 0
    for folder, files in folders.items():
        sizes_ = [rng.randrange(*sizes) for _ in files]
        dfid = s.create(tid, folder, access=0x00100081, options=0x21, attrs=0, file_attrs=0x10)
        s.query_directory(tid, dfid, ['.', '..'] + files, [0, 0] + sizes_)
        s.close(tid, dfid)
        for name, size in zip(files, sizes_):
            path = f'{folder}\\{name}'
            fid = s.create(tid, path, access=0x0013019f, options=0x44, share=0, eof=size, gap=0.0008)
            head = rng.randbytes(1024)
            s.read(tid, fid, head, 0, gap=0.0002)
            s.write(tid, fid, rng.randbytes(1024), 0, gap=0.004)
            s.rename(tid, fid, path + ext)
            s.close(tid, fid)
            n += 1
            conn.t += 0.25 + rng.random() * 0.2
        fnote = s.create(tid, f'{folder}\\{note_name}', access=0x00120196, disposition=FILE_CREATE,
                         options=0x44, attrs=0x80, share=0, action=2)
        s.write(tid, fnote, note)
        s.close(tid, fnote)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    return n, conn.t - t
