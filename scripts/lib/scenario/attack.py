"""The intrusion, step by step (a. phishing to g. ransomware): each step
draws from its own random stream and notes what it did; STEPS is the
timeline, in seconds of packet time."""
import io
import struct
import zipfile

from wire import tls_record
from .net import ACK, DNS_DOMAIN, DOMAIN, DURATION, REALM, RST, SYN, SYNACK_OPTS, utf16
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
from .network import C2, PHISH, SERVICE_ACCOUNTS, USERS, VICTIM_USER


ATTACKER_USER = 'svc-sauvegarde'  # kerberoasted, cracked offline, member of Domain Admins


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


def step_phishing(sc, t):
    """a. The attachment is fetched over HTTP; the implant then beacons over TLS."""
    rng = sc.rng('phishing')
    v = sc.victim
    host, ip = PHISH
    srv = sc.host(ip, 'phish')
    sc.dns(v, host, t, rng, [ip])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo('Deliberation_CA_2023-11-09.pdf.js', (2023, 11, 14, 15, 2, 10))
        z.writestr(info, rng.randbytes(21000))
    body = buf.getvalue()
    c = sc.tcp(v, srv, 80, t + 0.03, rng)
    c.c(http_get(host, '/f/9c1e27/Deliberation_CA_2023-11-09.zip',
                 extra='Referer: https://outlook.office365.com/\r\n'), 0.0002)
    c.s(http_resp(c.t, 'application/x-zip-compressed', body, 'Apache',
                  'Content-Disposition: attachment; filename="Deliberation_CA_2023-11-09.zip"\r\n'), 0.03)
    c.wait(0.2)
    c.close(0, 1.5)
    sc.note(t, 'a', f'phishing: {v.ip} GET http://{host}/f/9c1e27/Deliberation_CA_2023-11-09.zip '
                    f'({len(body)} bytes zip)')
    # The implant resolves its server and checks in about every minute.
    host, ip = C2
    c2 = sc.host(ip, 'c2')
    tb = t + 14.0
    sc.dns(v, host, tb - 0.05, rng, [ip])
    n = 0
    while tb < DURATION - 5:
        c = sc.tcp(v, c2, 443, tb, rng)
        big = n in (2, 5)  # tasking: the server sends a module, the client returns output
        tls_session(c, host, [([rng.randrange(180, 260)], [rng.randrange(90, 140)] if not big else
                               [12000, rng.randrange(2000, 4000)], 0.01)]
                    + ([([rng.randrange(2000, 4000)], [64], 0.5)] if big else []), rng)
        n += 1
        tb += 60 * (0.8 + 0.4 * rng.random())
    sc.note(t + 14.0, 'a', f'beacon: {v.ip} -> {ip}:443 TLS SNI {host}, {n} check-ins about every 60 s')


def step_scan(sc, t):
    """b. nmap -sS of the server subnets: SYN, then SYN/ACK + RST (open) or RST/ACK (closed)."""
    rng = sc.rng('scan')
    v = sc.victim
    ports = (22, 80, 135, 443, 445, 3389, 5985)
    targets = [h for h in sc.hosts.values() if not h.external and h.addr[:2] in (b'\x0a\x0a', b'\x0a\x14')
               and h.addr[2] == 0]
    probes = [(h, p) for h in targets for p in ports]
    rng.shuffle(probes)
    sport = 40000 + rng.randrange(20000)
    dt = 12.0 / len(probes)
    for i, (h, p) in enumerate(probes):
        ts = t + i * dt + rng.random() * dt / 2
        isn = rng.getrandbits(32)
        sc.cap.tcp(ts, v, h, sport, p, isn, 0, SYN, 1024, bytes.fromhex('020405b4'))
        if h.name == 'unused':
            continue
        r = sc.rtt(v, h)
        if p in h.ports:
            sisn = rng.getrandbits(32)
            sc.cap.tcp(ts + r, h, v, p, sport, sisn, isn + 1, SYN | ACK, 65535, SYNACK_OPTS)
            sc.cap.tcp(ts + r + 0.00004, v, h, sport, p, isn + 1, 0, RST, 0)
        else:
            sc.cap.tcp(ts + r, h, v, p, sport, 0, isn + 1, RST | ACK, 0)
    sc.note(t, 'b', f'SYN scan: {v.ip} -> {len(targets)} hosts x {len(ports)} ports in agglo-servers '
                    f'and mairie-servers ({len(probes)} probes)')


SHARES = {'SRV-FICHIERS': ['Partage', 'Direction', 'Profils$'], 'SRV-FINANCES': ['Compta', 'Budget'],
          'SRV-RH': ['Paie', 'Dossiers-RH'], 'SRV-SIGB': ['Catalogue'], 'MAIRIE-FICHIERS': ['Services', 'Elus'],
          'MAIRIE-APP': ['Applis'], 'MAIRIE-ETATCIVIL': ['EtatCivil', 'Scans']}


def step_share_enum(sc, t):
    """b. srvsvc NetShareEnumAll over \\\\host\\IPC$ \\srvsvc on each file-serving host."""
    rng = sc.rng('shares')
    v = sc.victim
    names = list(SHARES)
    for i, name in enumerate(names):
        h = next(x for x in sc.hosts.values() if x.name == name)
        conn, s = sc.smb(v, h, t + i * 2.7 + rng.random(), rng)
        s.login_ntlm(VICTIM_USER, DOMAIN, v.name)
        tid = s.tree_connect(f'\\\\{h.ip}\\IPC$', pipe=True)
        fid = s.pipe_open(tid, 'srvsvc')
        s.rpc_bind(tid, fid, *SRVSVC, 'srvsvc')
        shares = ([('ADMIN$', 0x80000000, 'Administration a distance'), ('C$', 0x80000000, 'Partage par defaut'),
                   ('IPC$', 0x80000003, 'IPC distant')]
                  + [(x, 0, '') for x in SHARES[name]])
        s.rpc_call(tid, fid, 15, srvsvc_share_enum_req(h.ip), srvsvc_share_enum_resp(shares))
        s.close(tid, fid)
        s.tree_disconnect(tid)
        s.logoff()
        conn.close(0, 0.002)
    sc.note(t, 'b', f'share discovery: {v.ip} srvsvc NetShareEnumAll on {len(names)} hosts ({", ".join(names)})')


def step_samr(sc, t):
    """b. samr: the users of the domain and the members of Domain Admins, from the DC."""
    rng = sc.rng('samr')
    v = sc.victim
    conn, s = sc.smb(v, sc.dc, t, rng)
    s.login_ntlm(VICTIM_USER, DOMAIN, v.name)
    tid = s.tree_connect(f'\\\\{sc.dc.ip}\\IPC$', pipe=True)
    fid = s.pipe_open(tid, 'samr')
    s.rpc_bind(tid, fid, *SAMR, 'samr')
    h, dh, gh = handle(rng), handle(rng), handle(rng)
    users = [(500, 'Administrateur'), (501, 'Invite'), (502, 'krbtgt')]
    users += [(1105 + i, u) for i, u in enumerate(USERS)]
    users += [(1160 + i, a) for i, (a, _) in enumerate(SERVICE_ACCOUNTS)]
    users += [(1170, 'adm-j.moreau'), (1171, 'adm-s.perrin')]
    calls = [samr_connect5(sc.dc.ip, h), samr_enum_domains(h), samr_lookup_domain(h, DOMAIN),
             samr_open_domain(h, dh),
             samr_enum_users(dh, users[:32], 0, True), samr_enum_users(dh, users[32:], 32, False),
             samr_lookup_names(dh, 'Domain Admins', 512, 2), samr_open_group(dh, gh, 512),
             samr_query_group_member(gh, [500, 1163, 1170, 1171]),
             samr_close(gh), samr_close(dh), samr_close(h)]
    opnums = [64, 6, 5, 7, 13, 13, 17, 19, 25, 1, 1, 1]
    for op, (q, r) in zip(opnums, calls):
        s.rpc_call(tid, fid, op, q, r, gap=0.002 + rng.random() * 0.01)
    s.close(tid, fid)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    sc.note(t, 'b', f'account discovery: {v.ip} -> {sc.dc.ip} samr EnumerateUsersInDomain x2, '
                    'LookupNamesInDomain("Domain Admins"), OpenGroup(512), GetMembersInGroup')


SPRAYED = USERS[20:35]


def step_spray(sc, t):
    """c. One password against 15 accounts: AS-REQ with PA-ENC-TIMESTAMP, KRB-ERROR 24 each."""
    rng = sc.rng('spray')
    v = sc.victim
    krbtgt = principal(2, 'krbtgt', REALM)
    for i, user in enumerate(SPRAYED):
        ts = t + i * 1.1 + rng.random() * 0.4
        req = as_req(rng, ts, user, [pa_data(2, enc_data(rng, ETYPE_AES256, 56)), pa_pac_request()],
                     etypes=[18, 17, 23])
        sc.udp(v, sc.dc, v.port(), 88, ts, req, krb_error(rng, ts, 24, user, krbtgt, etype_info2(user)), 0.0015)
    sc.note(t, 'c', f'password spray: {v.ip} -> {sc.dc.ip}:88/udp AS-REQ for {len(SPRAYED)} accounts, '
                    'all KDC_ERR_PREAUTH_FAILED')


def step_kerberoast(sc, t):
    """c. TGS-REQ asking only for RC4 (etype 23) for every service account's SPN."""
    rng = sc.rng('kerberoast')
    v = sc.victim
    # GetUserSPNs first asks LDAP for the accounts with an SPN (sealed SASL).
    c = sc.tcp(v, sc.dc, 389, t, rng)
    c.c(ldap_bind_sasl(1, spnego_init([OID_MSKRB5, OID_KRB5], gss_krb5(
        b'\x01\x00', ap_req(rng, principal(2, 'ldap', f'dc01.{DNS_DOMAIN}'))))), 0.0002)
    c.s(ldap_bind_resp(1, spnego_resp(0, OID_MSKRB5, gss_krb5(b'\x02\x00', ap_rep(rng)))), 0.002)
    c.c(sasl_wrapped(rng, 190), 0.001)
    c.s(sasl_wrapped(rng, 2100), 0.004)
    c.close(0, 0.01)
    ts = c.t + 0.05
    for i, (acct, spn) in enumerate(SERVICE_ACCOUNTS):
        svc, host = spn.split('/', 1)
        sname = principal(2, svc, host)
        ts = sc.krb_exchange(v, ts + 0.15 + rng.random() * 0.3, rng, tgs_req(rng, ts, VICTIM_USER, sname, [23]),
                             kdc_rep(rng, 13, VICTIM_USER, sname, ETYPE_RC4, ETYPE_RC4))
    sc.note(t, 'c', f'kerberoast: {v.ip} -> {sc.dc.ip}:88 TGS-REQ etype 23 (RC4) only, '
                    f'{len(SERVICE_ACCOUNTS)} SPNs')


def step_ntlm(sc, t):
    """c. The cracked password is checked over SMB: NTLMSSP AUTHENTICATE to the DC."""
    rng = sc.rng('ntlm')
    v = sc.victim
    conn, s = sc.smb(v, sc.dc, t, rng)
    s.login_ntlm(ATTACKER_USER, DOMAIN, v.name)
    tid = s.tree_connect(f'\\\\{sc.dc.ip}\\IPC$', pipe=True)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    sc.note(t, 'c', f'NTLM: {v.ip} -> {sc.dc.ip} SMB2 SESSION_SETUP NTLMSSP_AUTH {DOMAIN}\\{ATTACKER_USER} '
                    f'from {v.name}: success')


def step_psexec(sc, t):
    """d. PsExec: ADMIN$ + PSEXESVC.exe, then svcctl to create and start the service."""
    rng = sc.rng('psexec')
    v, h = sc.victim, sc.fileserver
    conn, s = sc.smb(v, h, t, rng)
    s.login_ntlm(ATTACKER_USER, DOMAIN, v.name)
    tid = s.tree_connect(f'\\\\{h.ip}\\ADMIN$')
    fid = s.create(tid, 'PSEXESVC.exe', access=0x0013019f, disposition=FILE_OVERWRITE_IF, options=0x44,
                   attrs=0x80, share=0, action=2)
    exe = fake_pe(rng, 18432, 'PSEXESVC')
    for off in range(0, len(exe), 8192):
        s.write(tid, fid, exe[off:off + 8192], off)
    s.close(tid, fid)
    ipc = s.tree_connect(f'\\\\{h.ip}\\IPC$', pipe=True)
    pf = s.pipe_open(ipc, 'svcctl')
    s.rpc_bind(ipc, pf, *SVCCTL, 'svcctl')
    scm, svc = handle(rng), handle(rng)
    s.rpc_call(ipc, pf, 15, *scmr_open_scm('\\\\' + h.ip, scm))
    s.rpc_call(ipc, pf, 16, *scmr_open_service(scm, 'PSEXESVC', svc, err=1060))
    s.rpc_call(ipc, pf, 12, *scmr_create_service(scm, 'PSEXESVC', 'PSEXESVC', '%SystemRoot%\\PSEXESVC.exe', svc))
    s.rpc_call(ipc, pf, 19, *scmr_start_service(svc), proc=0.35)
    # PsExec's own pipes: the command and its console streams.
    pid = rng.randrange(2000, 9000)
    main = s.create(ipc, 'PSEXESVC', access=0x0012019f, options=0x400040, file_attrs=0)
    s.write(ipc, main, struct.pack('<I', 0x4e4) + utf16(f'{v.name}') + rng.randbytes(400))
    streams = [s.create(ipc, f'PSEXESVC-{v.name}-{pid}-{x}', access=0x0012019f, options=0x400040, file_attrs=0)
               for x in ('stdin', 'stdout', 'stderr')]
    out = 'Microsoft Windows [version 10.0.17763.4974]\r\n(c) 2018 Microsoft Corporation.\r\n\r\nC:\\Windows\\system32>'
    s.read(ipc, streams[1], out.encode('cp850'), length=4096, gap=0.05)
    for cmd, res in (('whoami', 'agglo\\svc-sauvegarde'), ('nltest /dclist:agglo.local',
                                                            'dc01.agglo.local [PDC]\r\ndc02.agglo.local'),
                     ('net group "Domain Admins" /domain', 'Administrateur adm-j.moreau adm-s.perrin svc-sauvegarde')):
        s.write(ipc, streams[0], (cmd + '\r\n').encode('cp850'), gap=2.0 + rng.random() * 3)
        s.read(ipc, streams[1], (res + '\r\n\r\nC:\\Windows\\system32>').encode('cp850'), length=4096, gap=0.01)
    sc.note(t, 'd', f'PsExec: {v.ip} -> {h.ip} tree connect \\\\{h.ip}\\ADMIN$, write PSEXESVC.exe '
                    f'({len(exe)} bytes, MZ), svcctl OpenSCManagerW, RCreateServiceW, RStartServiceW')
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


def step_rdp(sc, t):
    """e. From the compromised file server to the Mairie: RDP with an "admin" routing cookie."""
    rng = sc.rng('rdp')
    src, dst = sc.fileserver, sc.hosts['10.20.0.10']
    c = sc.tcp(src, dst, 3389, t, rng)
    c.c(rdp_conn_request('admin'), 0.0002)
    c.s(rdp_conn_confirm(2), 0.001)
    c.c(client_hello(rng, None), 0.001)
    c.s(server_hello13(rng, rng.randrange(1100, 1400)), 0.003)
    c.c(tls_record(20, b'\x01') + tls_app(rng, 69), 0.002)
    # CredSSP (NTLM inside TLS), then the session's connection sequence and graphics.
    for cb, sb in ((1, 1), (1, 1), (1, 1), (4, 3)):
        c.c(b''.join(tls_app(rng, rng.randrange(60, 700)) for _ in range(cb)), 0.002)
        c.s(b''.join(tls_app(rng, rng.randrange(60, 1400)) for _ in range(sb)), 0.004)
    for _ in range(30):
        if rng.random() < 0.5:
            c.c(tls_app(rng, rng.randrange(20, 90)), 0.1 + rng.random() * 1.2)
        c.s(b''.join(tls_app(rng, rng.randrange(200, 1400)) for _ in range(rng.randrange(1, 4))), 0.01)
    c.close(0, 0.5)
    sc.note(t, 'e', f'RDP: {src.ip} -> {dst.ip}:3389 X.224 Connection Request "Cookie: mstshash=admin", '
                    'CredSSP/TLS session of about 30 s')


def step_wmi(sc, t):
    """e. WMI over DCOM: activation of WbemLevel1Login on 135, then IWbemLevel1Login::NTLMLogin
    and IWbemServices::ExecMethod(Win32_Process.Create) on the port the activation returned."""
    rng = sc.rng('wmi')
    src, dst = sc.fileserver, sc.hosts['10.20.0.11']
    port = 49702
    c = sc.tcp(src, dst, 135, t, rng)
    sc.rpc_tcp(c, rng, ISYSTEMACTIVATOR, 1, LEVEL_INTEGRITY, ATTACKER_USER, src.name, f'RPCSS/{dst.ip}', '135')
    ipid_login, ipid_svc = rng.randbytes(16), rng.randbytes(16)
    oxid = rng.getrandbits(63)
    rpc = SecureRPC(c, rng, LEVEL_INTEGRITY)
    rpc.call(4, *remote_create_instance(rng, dst.ip, CLSID_WBEMLEVEL1LOGIN, IWBEMLEVEL1LOGIN[0], ipid_login,
                                        oxid, port, dst), proc=0.01)
    c.close(0, 0.01)
    d = sc.tcp(src, dst, port, c.t + 0.004, rng)
    sc.rpc_tcp(d, rng, IWBEMLEVEL1LOGIN, 1, LEVEL_PRIVACY, ATTACKER_USER, src.name, f'RPCSS/{dst.ip}', str(port))
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
    cmd = 'cmd.exe /Q /c powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAu'
    rpc.call(24, rng.randbytes(420 + 2 * len(cmd)), rng.randbytes(520), ctx_id=1, obj=ipid_svc, proc=0.08)
    d.close(0, 0.05)
    sc.note(t, 'e', f'WMI: {src.ip} -> {dst.ip}:135 ISystemActivator RemoteCreateInstance(WbemLevel1Login), '
                    f'then :{port} IWbemLevel1Login NTLMLogin + IWbemServices ExecMethod')


def step_mediatheque(sc, t):
    """e. To the mediatheque: C$ + an executable, then a scheduled task through \\atsvc."""
    rng = sc.rng('mediatheque')
    src, dst = sc.fileserver, sc.hosts['10.30.1.15']
    conn, s = sc.smb(src, dst, t, rng)
    s.login_ntlm(ATTACKER_USER, DOMAIN, src.name)
    tid = s.tree_connect(f'\\\\{dst.ip}\\C$')
    path = 'Windows\\Temp\\wupdsvc.exe'
    fid = s.create(tid, path, access=0x0013019f, disposition=FILE_OVERWRITE_IF, options=0x44, attrs=0x80,
                   share=0, action=2)
    exe = fake_pe(rng, 14336, 'wupdsvc')
    for off in range(0, len(exe), 8192):
        s.write(tid, fid, exe[off:off + 8192], off)
    s.close(tid, fid)
    sc.note(t, 'e', f'admin share: {src.ip} -> {dst.ip} tree connect \\\\{dst.ip}\\C$, write {path} '
                    f'({len(exe)} bytes, MZ)')
    t2 = conn.t + 4.0
    ipc = s.tree_connect(f'\\\\{dst.ip}\\IPC$', pipe=True, gap=4.0)
    pf = s.pipe_open(ipc, 'atsvc')
    s.rpc_bind(ipc, pf, *TSCH, 'atsvc')
    task = '\\Microsoft\\Windows\\WindowsUpdate\\wupdsvc'
    s.rpc_call(ipc, pf, 1, *tsch_register(task, task_xml('C:\\Windows\\Temp\\wupdsvc.exe', 'AGGLO\\' + ATTACKER_USER)),
               proc=0.02)
    s.rpc_call(ipc, pf, 12, *tsch_run(rng, task), gap=0.5)
    s.close(ipc, pf)
    s.tree_disconnect(ipc)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    sc.note(t2, 'e', f'scheduled task: {src.ip} -> {dst.ip} \\atsvc ITaskSchedulerService SchRpcRegisterTask '
                     f'{task}, SchRpcRun')


def step_dcsync(sc, t):
    """f. DCSync from the workstation: ept_map for drsuapi, then DRSBind and DRSGetNCChanges."""
    rng = sc.rng('dcsync')
    v, dc = sc.victim, sc.dc
    port = 49667
    c = sc.tcp(v, dc, 135, t, rng)
    c.c(rpc_bind(1, [(0, EPM[0], EPM[1])], windows=False), 0.0002)
    c.s(rpc_bind_ack(1, '135', [0], rng.randrange(0x1000, 0xffff)), 0.0004)
    q, r = epm_map(DRSUAPI[0], DRSUAPI[1], port, dc.addr)
    c.c(rpc_request(2, 0, 3, q), 0.0002)
    c.s(rpc_response(2, 0, r), 0.0005)
    c.close(0, 0.001)
    d = sc.tcp(v, dc, port, c.t + 0.002, rng)
    sc.rpc_tcp(d, rng, DRSUAPI, 1, LEVEL_PRIVACY, ATTACKER_USER, v.name, f'ldap/{dc.ip}', str(port))
    rpc = SecureRPC(d, rng, LEVEL_PRIVACY)
    rpc.call(0, rng.randbytes(84), rng.randbytes(76))  # IDL_DRSBind
    rpc.call(16, rng.randbytes(36), rng.randbytes(420))  # IDL_DRSDomainControllerInfo
    rpc.call(12, rng.randbytes(120), rng.randbytes(170))  # IDL_DRSCrackNames
    for acct in ('krbtgt', 'Administrateur', ATTACKER_USER):
        rpc.call(3, rng.randbytes(196), rng.randbytes(rng.randrange(9000, 12000)), gap=0.01, proc=0.02)
    rpc.call(1, rng.randbytes(20), rng.randbytes(24))  # IDL_DRSUnbind
    d.close(0, 0.003)
    sc.note(t, 'f', f'DCSync: {v.ip} -> {dc.ip}:135 ept_map(drsuapi) -> :{port} drsuapi bind, DRSBind, '
                    'DRSCrackNames, DRSGetNCChanges x3 (krbtgt, Administrateur, svc-sauvegarde)')


FOLDERS = {'Finances': ['Budget_2024_previsionnel.xlsx', 'Compte_administratif_2022.pdf', 'Subventions_assoc.xlsx',
                        'Marches_voirie_2023.docx', 'Regie_recettes_oct.xlsx', 'Emprunts_tableau.xlsx',
                        'DM2_2023.pdf', 'Factures_fournisseurs_T3.xlsx', 'Taxe_fonciere_simulation.xlsx',
                        'Rapport_CRC_2021.pdf', 'Pret_CDC_contrat.pdf', 'Budget_annexe_eau.xlsx',
                        'Amortissements_2023.xlsx', 'Note_DOB_2024.docx', 'Mandats_novembre.csv',
                        'Tresorerie_previsions.xlsx', 'Inventaire_biens.xlsx'],
           'RH': ['Paie_octobre_2023.xlsx', 'Organigramme_2023.pdf', 'Contrats_saisonniers.docx',
                  'Plan_formation_2024.xlsx', 'Entretiens_annuels.docx', 'Absences_T3.xlsx', 'Fiches_poste.docx',
                  'Recrutement_policier_municipal.docx', 'Mutuelle_convention.pdf', 'CST_proces_verbal.docx',
                  'Primes_RIFSEEP.xlsx', 'Teletravail_charte.pdf', 'Effectifs_2023.xlsx', 'Medecine_travail.xlsx',
                  'Astreintes_planning.xlsx', 'Lignes_directrices_gestion.pdf', 'Bilan_social_2022.pdf'],
           'Etat-civil': ['Registre_naissances_2023.pdf', 'Registre_deces_2023.pdf', 'Mariages_2024_planning.xlsx',
                          'PACS_conventions.xlsx', 'Livret_famille_demandes.xlsx', 'Mentions_marginales.docx',
                          'Recensement_citoyen.xlsx', 'Cimetiere_concessions.xlsx', 'Changements_prenom.docx',
                          'Actes_reconnaissance.pdf', 'Archives_1990_index.xlsx', 'Parrainages_civils.docx',
                          'Titres_identite_RDV.xlsx', 'Attestations_accueil.xlsx', 'Bapteme_republicain.docx',
                          'Divorces_transcriptions.pdf', 'Statistiques_INSEE.xlsx'],
           'Urbanisme': ['PLU_reglement.pdf', 'Permis_construire_2023.xlsx', 'DIA_registre.xlsx',
                         'Certificats_urbanisme.xlsx', 'Declarations_prealables.xlsx', 'Cadastre_extraits.pdf',
                         'ERP_commissions.docx', 'Enseignes_autorisations.xlsx', 'Arretes_voirie.docx',
                         'Alignements.pdf', 'ZAC_Bussatte_bilan.xlsx', 'Servitudes.pdf', 'PC_recours.docx',
                         'Taxe_amenagement.xlsx', 'Plan_vigipirate_sites.pdf', 'Rapport_ABF.pdf',
                         'Conformites_2023.xlsx'],
           'Elus': ['Deliberations_CM_2023.docx', 'Convocations_CM.docx', 'Agenda_maire.xlsx',
                    'Indemnites_elus.xlsx', 'Discours_voeux_2024.docx', 'Commissions_composition.docx',
                    'Proces_verbal_CM_octobre.pdf', 'Delegations_signature.pdf', 'Courriers_administres.xlsx',
                    'Rapport_activite_2022.pdf', 'Jumelages_contacts.xlsx', 'Questions_ecrites.docx',
                    'Presse_revue.pdf', 'Declarations_interets.pdf', 'Budget_participatif.xlsx',
                    'Conseil_quartier_CR.docx', 'Protocole_ceremonies.docx']}
RANSOM_EXT = '.locked'
RANSOM_NOTE = ('~~~ Vos fichiers ont ete chiffres ~~~\r\n'
               'Tous vos documents, bases de donnees et sauvegardes ont ete chiffres.\r\n'
               'Pour les recuperer, contactez-nous avant 72 heures via le lien indique.\r\n'
               'Toute tentative de dechiffrement par un tiers entrainera la perte definitive des donnees.\r\n'
               'Identifiant de la victime : 7F3A-22C9-MAIRIE-ANGOULEME\r\n').encode()


def step_ransomware(sc, t):
    """g. Encryption of the Mairie's share from the agglomeration's file server: open, read,
    write back, rename to .locked, close; a note in every folder."""
    rng = sc.rng('ransomware')
    src, dst = sc.fileserver, sc.hosts['10.20.0.20']
    conn, s = sc.smb(src, dst, t, rng)
    s.login_ntlm(ATTACKER_USER, DOMAIN, src.name)
    tid = s.tree_connect(f'\\\\{dst.ip}\\Services')
    n = 0
    for folder, files in FOLDERS.items():
        sizes = [rng.randrange(24000, 2400000) for _ in files]
        dfid = s.create(tid, folder, access=0x00100081, options=0x21, attrs=0, file_attrs=0x10)
        s.query_directory(tid, dfid, ['.', '..'] + files, [0, 0] + sizes)
        s.close(tid, dfid)
        for name, size in zip(files, sizes):
            path = f'{folder}\\{name}'
            fid = s.create(tid, path, access=0x0013019f, options=0x44, share=0, eof=size, gap=0.0008)
            head = rng.randbytes(1024)
            s.read(tid, fid, head, 0, gap=0.0002)
            s.write(tid, fid, rng.randbytes(1024), 0, gap=0.004)
            s.rename(tid, fid, path + RANSOM_EXT)
            s.close(tid, fid)
            n += 1
            conn.t += 0.25 + rng.random() * 0.2
        note = s.create(tid, f'{folder}\\Restore-My-Files.txt', access=0x00120196, disposition=FILE_CREATE,
                        options=0x44, attrs=0x80, share=0, action=2)
        s.write(tid, note, RANSOM_NOTE)
        s.close(tid, note)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)
    sc.note(t, 'g', f'ransomware: {src.ip} -> \\\\{dst.ip}\\Services: {n} files read, overwritten and renamed '
                    f'to *{RANSOM_EXT} in {conn.t - t:.0f} s, ransom note in {len(FOLDERS)} folders')


STEPS = [(24.0, step_phishing), (95.0, step_scan), (124.0, step_share_enum), (150.0, step_samr),
         (176.0, step_spray), (204.0, step_kerberoast), (238.0, step_ntlm), (262.0, step_psexec),
         (306.0, step_rdp), (336.0, step_wmi), (364.0, step_mediatheque), (410.0, step_dcsync),
         (478.0, step_ransomware)]
