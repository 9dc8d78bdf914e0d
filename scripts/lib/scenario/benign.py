"""The hay, for any story: a Windows logon, web browsing (TLS and HTTP), an
internal TLS application, an intranet, office work on a file share, an
administrator's RDP session. Each takes the scenario, a random stream, a
start time and its hosts; a story's schedule says who does what when."""
from wire import tls_record
from .net import SITE
from .auth import (ETYPE_AES256, OID_KRB5, OID_MSKRB5, OID_NTLMSSP, ap_rep, ap_req, as_req, enc_data,
                   etype_info2, gss_krb5, kdc_rep, krb_error, pa_data, pa_pac_request, principal, spnego_init,
                   spnego_resp, tgs_req)
from .protocols import (client_hello, html_page, http_get, http_resp, ldap_bind_resp, ldap_bind_sasl,
                        ldap_rootdse_entry, ldap_search_rootdse, ntp_pair, rdp_conn_confirm,
                        rdp_conn_request, sasl_wrapped, server_hello13, tls_app, tls_session)


def dc_locator(sc, cli, t, rng):
    """The DC locator's SRV query (MS-ADTS 6.3.6): both domain controllers answer."""
    return sc.dns(cli, f'_ldap._tcp.dc._msdcs.{SITE.dns_domain}', t, rng,
                  [(0, 100, 389, f'{dc.name.lower()}.{SITE.dns_domain}') for dc in (sc.dc, sc.dc2)], qtype=33)


def benign_logon(sc, rng, t, cli, user):
    """A Windows logon: AS exchange with pre-authentication (AES), TGS for LDAP and
    CIFS, DC locator SRV lookup, LDAP rootDSE and a sealed SASL bind."""
    dc = sc.dc if cli.addr[3] % 2 else sc.dc2
    t = dc_locator(sc, cli, t, rng)
    krbtgt = principal(2, 'krbtgt', SITE.realm)
    t = sc.krb_exchange(cli, t + 0.002, rng, as_req(rng, t, user, [pa_pac_request()]),
                        krb_error(rng, t, 25, user, krbtgt, etype_info2(user)), dc)
    t = sc.krb_exchange(cli, t + 0.003, rng,
                        as_req(rng, t, user, [pa_data(2, enc_data(rng, ETYPE_AES256, 56)), pa_pac_request()]),
                        kdc_rep(rng, 11, user, krbtgt, ETYPE_AES256, ETYPE_AES256), dc)
    dc_fqdn = f'{dc.name.lower()}.{SITE.dns_domain}'
    for svc, host in (('ldap', dc_fqdn), ('cifs', dc_fqdn), ('host', f'{cli.name.lower()}.{SITE.dns_domain}')):
        sname = principal(2, svc, host)
        t = sc.krb_exchange(cli, t + 0.002, rng, tgs_req(rng, t, user, sname),
                            kdc_rep(rng, 13, user, sname, ETYPE_AES256, ETYPE_AES256), dc)
    c = sc.tcp(cli, dc, 389, t + 0.002, rng)
    c.c(ldap_search_rootdse(1), 0.0002)
    c.s(ldap_rootdse_entry(1, dc.name, c.t), 0.001)
    c.c(ldap_bind_sasl(2, spnego_init([OID_MSKRB5, OID_KRB5, OID_NTLMSSP], gss_krb5(
        b'\x01\x00', ap_req(rng, principal(2, 'ldap', dc_fqdn))))), 0.001)
    c.s(ldap_bind_resp(2, spnego_resp(0, OID_MSKRB5, gss_krb5(b'\x02\x00', ap_rep(rng)))), 0.002)
    for _ in range(rng.randrange(1, 3)):
        c.c(sasl_wrapped(rng, rng.randrange(150, 400)), 0.003)
        c.s(sasl_wrapped(rng, rng.randrange(300, 2600)), 0.002)
    c.close(0, 0.02 + rng.random() * 0.05)


def benign_web(sc, rng, t, cli, resolver, sites):
    """HTTPS to one of sites [(name, address)]."""
    name, ip = sites[rng.randrange(len(sites))]
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


def benign_http(sc, rng, t, cli, resolver, sites):
    """One plain HTTP GET to one of sites [(name, address, path, user agent)]."""
    host, ip, path, ua = sites[rng.randrange(len(sites))]
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


def benign_intranet(sc, rng, t, cli, srv, host, users):
    """A few pages of the intranet, one of them the staff directory."""
    t = sc.dns(cli, host, t, rng, [srv.ip]) + 0.001
    c = sc.tcp(cli, srv, 80, t, rng)
    for i, path in enumerate(('/', '/actualites/', '/annuaire/?q=' + users[rng.randrange(len(users))])[
            :rng.randrange(1, 4)]):
        c.c(http_get(host, path), 0.3 + rng.random() * 4 if i else 0.0002)
        c.s(http_resp(c.t, 'text/html; charset=utf-8', html_page(rng, 'Intranet', rng.randrange(15, 50)),
                      'Microsoft-IIS/10.0'), 0.01)
    c.close(0, 1 + rng.random())


def benign_files(sc, rng, t, cli, user, srv, share, docs):
    """Office work on a file share: Kerberos ticket, session, a few documents read and saved."""
    fqdn = f'{srv.name.lower()}.{SITE.dns_domain}'
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


def benign_admin_rdp(sc, rng, t, src, dst, user):
    """An administrator's RDP session, routing cookie with their account."""
    c = sc.tcp(src, dst, 3389, t, rng)
    c.c(rdp_conn_request(user), 0.0002)
    c.s(rdp_conn_confirm(2), 0.001)
    c.c(client_hello(rng, None), 0.001)
    c.s(server_hello13(rng, 1250), 0.003)
    c.c(tls_record(20, b'\x01') + tls_app(rng, 69), 0.002)
    for _ in range(24):
        c.c(tls_app(rng, rng.randrange(20, 300)), 0.2 + rng.random() * 2)
        c.s(b''.join(tls_app(rng, rng.randrange(100, 1400)) for _ in range(rng.randrange(1, 3))), 0.01)
    c.close(0, 0.5)


def common_event(sc, r, t, kind, h, resolver, public_dns, users, external_sites, http_sites):
    """One benign event of a kind every story has (time sync, logon, web,
    DNS); False for a kind of the story's own."""
    if kind == 'ntp':
        q, a = ntp_pair(t, sc.rtt(h, sc.dc))
        sc.udp(h, sc.dc, 123, 123, t, q, a, 0.0001)
    elif kind == 'logon':
        benign_logon(sc, r, t, h, users[h.ip])
    elif kind == 'web':
        benign_web(sc, r, t, h, resolver, external_sites)
    elif kind == 'http':
        benign_http(sc, r, t, h, resolver, http_sites)
    elif kind == 'dns-srv':
        dc_locator(sc, h, t, r)
    elif kind == 'dns-forward':
        name, ip = external_sites[r.randrange(len(external_sites))]
        sc.dns(sc.dc, name, t, r, [ip], server=public_dns)
    else:
        return False
    return True
