"""The hay: about sixty machines on the four sites doing their usual work
for ten minutes around the intrusion."""
from wire import tls_record
from .net import DNS_DOMAIN, REALM
from .auth import (ETYPE_AES256, OID_KRB5, OID_MSKRB5, OID_NTLMSSP, ap_rep, ap_req, as_req, enc_data,
                   etype_info2, gss_krb5, kdc_rep, krb_error, pa_data, pa_pac_request, principal, spnego_init,
                   spnego_resp, tgs_req)
from .protocols import (client_hello, html_page, http_get, http_resp, ldap_bind_resp, ldap_bind_sasl,
                        ldap_rootdse_entry, ldap_search_rootdse, ntp_pair, rdp_conn_confirm, rdp_conn_request,
                        sasl_wrapped, server_hello13, tls_app, tls_session)
from .network import EXTERNAL_SITES, HTTP_SITES, USERS, VICTIM_USER


def benign_logon(sc, rng, t, cli, user):
    """A Windows logon: AS exchange with pre-authentication (AES), TGS for LDAP and
    CIFS, DC locator SRV lookup, LDAP rootDSE and a sealed SASL bind."""
    dc = sc.dc if cli.addr[3] % 2 else sc.dc2
    t = sc.dns(cli, f'_ldap._tcp.dc._msdcs.{DNS_DOMAIN}', t, rng,
               [(0, 100, 389, f'dc01.{DNS_DOMAIN}'), (0, 100, 389, f'dc02.{DNS_DOMAIN}')], qtype=33)
    krbtgt = principal(2, 'krbtgt', REALM)
    t = sc.krb_exchange(cli, t + 0.002, rng, as_req(rng, t, user, [pa_pac_request()]),
                        krb_error(rng, t, 25, user, krbtgt, etype_info2(user)), dc)
    t = sc.krb_exchange(cli, t + 0.003, rng,
                        as_req(rng, t, user, [pa_data(2, enc_data(rng, ETYPE_AES256, 56)), pa_pac_request()]),
                        kdc_rep(rng, 11, user, krbtgt, ETYPE_AES256, ETYPE_AES256), dc)
    for svc, host in (('ldap', f'{dc.name.lower()}.{DNS_DOMAIN}'), ('cifs', f'{dc.name.lower()}.{DNS_DOMAIN}'),
                      ('host', f'{cli.name.lower()}.{DNS_DOMAIN}')):
        sname = principal(2, svc, host)
        t = sc.krb_exchange(cli, t + 0.002, rng, tgs_req(rng, t, user, sname),
                            kdc_rep(rng, 13, user, sname, ETYPE_AES256, ETYPE_AES256), dc)
    c = sc.tcp(cli, dc, 389, t + 0.002, rng)
    c.c(ldap_search_rootdse(1), 0.0002)
    c.s(ldap_rootdse_entry(1, dc.name, c.t), 0.001)
    c.c(ldap_bind_sasl(2, spnego_init([OID_MSKRB5, OID_KRB5, OID_NTLMSSP], gss_krb5(
        b'\x01\x00', ap_req(rng, principal(2, 'ldap', f'{dc.name.lower()}.{DNS_DOMAIN}'))))), 0.001)
    c.s(ldap_bind_resp(2, spnego_resp(0, OID_MSKRB5, gss_krb5(b'\x02\x00', ap_rep(rng)))), 0.002)
    for _ in range(rng.randrange(1, 3)):
        c.c(sasl_wrapped(rng, rng.randrange(150, 400)), 0.003)
        c.s(sasl_wrapped(rng, rng.randrange(300, 2600)), 0.002)
    c.close(0, 0.02 + rng.random() * 0.05)


def benign_web(sc, rng, t, cli, resolver):
    name, ip = EXTERNAL_SITES[rng.randrange(len(EXTERNAL_SITES))]
    srv = sc.host(ip, name)
    if rng.random() < 0.6:
        t = sc.dns(cli, name, t, rng, [ip], server=resolver) + 0.001
    c = sc.tcp(cli, srv, 443, t, rng)
    ex = [([rng.randrange(300, 900)], [rng.randrange(500, 3000)] + [1400] * rng.randrange(0, 2), 0.01)]
    for _ in range(rng.randrange(0, 3)):
        ex.append(([rng.randrange(200, 700)], [rng.randrange(300, 2400)], 0.2 + rng.random() * 3))
    tls_session(c, name, ex, rng)


def benign_tls_internal(sc, rng, t, cli, srv, name):
    c = sc.tcp(cli, srv, 443, t, rng)
    ex = [([rng.randrange(300, 900)], [rng.randrange(600, 4000)], 0.01)]
    for _ in range(rng.randrange(1, 4)):
        ex.append(([rng.randrange(200, 1200)], [rng.randrange(300, 3000)], 0.5 + rng.random() * 4))
    tls_session(c, name, ex, rng)


def benign_http(sc, rng, t, cli, resolver):
    host, ip, path, ua = HTTP_SITES[rng.randrange(len(HTTP_SITES))]
    srv = sc.host(ip, host)
    t = sc.dns(cli, host, t, rng, [ip], server=resolver) + 0.001
    c = sc.tcp(cli, srv, 80, t, rng)
    if path.endswith('.txt'):
        body, ctype = b'Microsoft Connect Test', 'text/plain'
    elif path.startswith('/MFE') or path.endswith('.cab'):
        body, ctype = rng.randbytes(rng.randrange(400, 3000)), 'application/octet-stream'
    else:
        body, ctype = html_page(rng, 'Agenda', rng.randrange(10, 40)), 'text/html; charset=utf-8'
    c.c(http_get(host, path, ua), 0.0002)
    c.s(http_resp(c.t, ctype, body), 0.005)
    c.close(0, 0.05 + rng.random())


def benign_intranet(sc, rng, t, cli):
    srv = sc.hosts['10.10.0.30']
    host = 'intranet.agglo.local'
    t = sc.dns(cli, host, t, rng, [srv.ip]) + 0.001
    c = sc.tcp(cli, srv, 80, t, rng)
    for i, path in enumerate(('/', '/actualites/', '/annuaire/?q=' + USERS[rng.randrange(len(USERS))])[
            :rng.randrange(1, 4)]):
        c.c(http_get(host, path), 0.3 + rng.random() * 4 if i else 0.0002)
        c.s(http_resp(c.t, 'text/html; charset=utf-8', html_page(rng, 'Intranet', rng.randrange(15, 50)),
                      'Microsoft-IIS/10.0'), 0.01)
    c.close(0, 1 + rng.random())


def benign_files(sc, rng, t, cli, user, srv, share, docs):
    """Office work on a file share: Kerberos ticket, session, a few documents read and saved."""
    fqdn = f'{srv.name.lower()}.{DNS_DOMAIN}'
    t = sc.dns(cli, fqdn, t, rng, [srv.ip]) + 0.001
    sname = principal(2, 'cifs', fqdn)
    t = sc.krb_exchange(cli, t, rng, tgs_req(rng, t, user, sname),
                        kdc_rep(rng, 13, user, sname, ETYPE_AES256, ETYPE_AES256))
    conn, s = sc.smb(cli, srv, t + 0.002, rng)
    s.login_krb(fqdn)
    tid = s.tree_connect(f'\\\\{fqdn}\\{share}')
    for name in rng.sample(docs, rng.randrange(1, 4)):
        size = rng.randrange(4000, 14000)
        fid = s.create(tid, name, access=0x00120089, options=0x44, eof=size, gap=0.5 + rng.random() * 3)
        s.read(tid, fid, rng.randbytes(size), 0, length=65536)
        s.close(tid, fid)
        if rng.random() < 0.5:
            fid = s.create(tid, name, access=0x0012019f, options=0x44, eof=size, share=0,
                           gap=5 + rng.random() * 20)
            s.write(tid, fid, rng.randbytes(size + rng.randrange(-500, 800)), 0)
            s.close(tid, fid)
    s.tree_disconnect(tid)
    s.logoff()
    conn.close(0, 0.002)


def benign_admin_rdp(sc, rng, t):
    src, dst = sc.host('10.10.5.3', 'PC-ADM-03', 'pc'), sc.hosts['10.10.0.21']
    c = sc.tcp(src, dst, 3389, t, rng)
    c.c(rdp_conn_request('adm-j.moreau'), 0.0002)
    c.s(rdp_conn_confirm(2), 0.001)
    c.c(client_hello(rng, None), 0.001)
    c.s(server_hello13(rng, 1250), 0.003)
    c.c(tls_record(20, b'\x01') + tls_app(rng, 69), 0.002)
    for _ in range(24):
        c.c(tls_app(rng, rng.randrange(20, 300)), 0.2 + rng.random() * 2)
        c.s(b''.join(tls_app(rng, rng.randrange(100, 1400)) for _ in range(rng.randrange(1, 3))), 0.01)
    c.close(0, 0.5)


AGGLO_DOCS = ['Direction\\CR_comite_direction_2023-11-06.docx', 'Transports\\Horaires_STGA_hiver.xlsx',
              'Dechets\\Collecte_tournees.xlsx', 'Communication\\Magazine_decembre.pdf',
              'Eau\\Analyses_octobre.xlsx', 'Urbanisme\\SCOT_revision.docx', 'Finances\\Budget_agglo_2024.xlsx']
MAIRIE_DOCS = ['Finances\\Regie_recettes_oct.xlsx', 'RH\\Absences_T3.xlsx', 'Etat-civil\\Mariages_2024_planning.xlsx',
               'Urbanisme\\Permis_construire_2023.xlsx', 'Elus\\Agenda_maire.xlsx']


def benign(sc):
    """About sixty machines on the four sites doing their usual work for ten minutes."""
    rng = sc.rng('benign')
    agglo = [sc.host(f'10.10.{1 + i // 10}.{11 + i * 7 % 60}', f'PC-AGGLO-{100 + i:04d}', 'pc') for i in range(24)]
    agglo.append(sc.victim)
    users = {h.ip: USERS[i] for i, h in enumerate(agglo[:-1])}
    users[sc.victim.ip] = VICTIM_USER
    mairie = [sc.host(f'10.20.{16 + i // 6}.{20 + i * 11 % 200}', f'PC-MAIRIE-{i + 1:03d}', 'pc') for i in range(12)]
    for i, h in enumerate(mairie):
        users[h.ip] = USERS[25 + i]
    media = [sc.host(f'10.30.1.{x}', name, 'pc') for x, name in ((11, 'MEDIA-BIB-01'), (12, 'MEDIA-BIB-02'),
                                                                  (15, 'MEDIA-PRET-01'), (18, 'MEDIA-ACCUEIL'))]
    for i, h in enumerate(media):
        users[h.ip] = USERS[38 + i]
    wifi = [sc.host(f'10.30.{130 + i // 3}.{40 + i * 17 % 200}', f'wifi-{i}', 'linux') for i in range(7)]
    conserv = [sc.host(f'10.40.{i // 2}.{30 + i * 9}', f'CONSERV-{i + 1:02d}', 'pc') for i in range(4)]
    for i, h in enumerate(conserv):
        users[h.ip] = USERS[43 + i]
    staff = agglo + mairie + media + conserv
    public_dns = sc.host('198.51.100.53', 'resolver')
    # The capture opens on a DC locator query, so packet offsets are scenario offsets.
    events = [(0.0, 'dns-srv', agglo[0])]
    for h in agglo + mairie:  # the policy lets only these zones take time from the DCs
        events.append((rng.uniform(1, 590), 'ntp', h))
    for h in rng.sample(staff, 12):
        events.append((rng.uniform(2, 560), 'logon', h))
    for _ in range(72):
        events.append((rng.uniform(1, 590), 'web', rng.choice(staff)))
    for _ in range(14):
        events.append((rng.uniform(1, 590), 'web', rng.choice(wifi)))
    for _ in range(18):
        events.append((rng.uniform(1, 590), 'http', rng.choice(staff)))
    for _ in range(10):
        events.append((rng.uniform(1, 580), 'intranet', rng.choice(agglo)))
    for _ in range(9):
        events.append((rng.uniform(1, 580), 'finances', rng.choice(mairie)))
    for _ in range(7):
        events.append((rng.uniform(1, 580), 'sigb', rng.choice(media)))
    for h in rng.sample(agglo[:-1], 6):
        events.append((rng.uniform(5, 540), 'files-agglo', h))
    for h in rng.sample(mairie, 3):
        events.append((rng.uniform(5, 400), 'files-mairie', h))
    for _ in range(14):
        events.append((rng.uniform(1, 590), 'dns-forward', None))
    events.append((rng.uniform(150, 420), 'admin-rdp', None))
    for k in range(3):
        events.append((60 + k * 200 + rng.uniform(0, 60), 'wsus', None))
    events.sort(key=lambda e: (e[0], e[1]))
    for i, (t, kind, h) in enumerate(events):
        r = sc.rng(f'benign/{i}')
        resolver = public_dns if h in wifi else (sc.dc if r.random() < 0.7 else sc.dc2)
        if kind == 'ntp':
            q, a = ntp_pair(t, sc.rtt(h, sc.dc))
            sc.udp(h, sc.dc, 123, 123, t, q, a, 0.0001)
        elif kind == 'logon':
            benign_logon(sc, r, t, h, users[h.ip])
        elif kind == 'web':
            benign_web(sc, r, t, h, resolver)
        elif kind == 'http':
            benign_http(sc, r, t, h, resolver)
        elif kind == 'intranet':
            benign_intranet(sc, r, t, h)
        elif kind == 'finances':
            benign_tls_internal(sc, r, t, h, sc.hosts['10.10.0.21'], 'finances.agglo.local')
        elif kind == 'sigb':
            benign_tls_internal(sc, r, t, h, sc.hosts['10.10.0.22'], 'sigb.agglo.local')
        elif kind == 'files-agglo':
            benign_files(sc, r, t, h, users[h.ip], sc.fileserver, 'Partage', AGGLO_DOCS)
        elif kind == 'files-mairie':
            benign_files(sc, r, t, h, users[h.ip], sc.hosts['10.20.0.20'], 'Services', MAIRIE_DOCS)
        elif kind == 'dns-srv':
            sc.dns(h, f'_ldap._tcp.dc._msdcs.{DNS_DOMAIN}', t, r,
                   [(0, 100, 389, f'dc01.{DNS_DOMAIN}'), (0, 100, 389, f'dc02.{DNS_DOMAIN}')], qtype=33)
        elif kind == 'dns-forward':
            name, ip = EXTERNAL_SITES[r.randrange(len(EXTERNAL_SITES))]
            sc.dns(sc.dc, name, t, r, [ip], server=public_dns)
        elif kind == 'admin-rdp':
            benign_admin_rdp(sc, r, t)
        elif kind == 'wsus':
            wsus = sc.hosts['10.10.0.35']
            benign_http(sc, r, t, wsus, public_dns)
