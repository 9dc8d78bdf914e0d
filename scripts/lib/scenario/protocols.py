"""The network's ordinary protocols: DNS, NTP, TLS, HTTP/1.1, LDAP, and the
RDP connection sequence's first messages."""
import struct
import time

from wire import der, dns_name, tls_ext, tls_hs, tls_record
from .net import SITE, ktime
from .auth import integer, octets, seq


# ------------------------------------------------------------------ DNS (RFC 1035, RFC 2782)


def dns_pair(rng, name, answers, qtype=1):
    """Query and response; answers are IPv4 strings (A) or (prio, weight, port, target) (SRV)."""
    qid = rng.getrandbits(16)
    q = dns_name(name) + struct.pack('!HH', qtype, 1)
    query = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q
    ans = b''
    for a in answers:
        if qtype == 33:
            rdata = struct.pack('!HHH', *a[:3]) + dns_name(a[3])
        else:
            rdata = bytes(int(x) for x in a.split('.'))
        ans += struct.pack('!HHHIH', 0xc00c, qtype, 1, 600 if qtype == 33 else 300, len(rdata)) + rdata
    rcode = 0 if answers else 3
    resp = struct.pack('!HHHHHH', qid, 0x8180 | rcode, 1, len(answers), 0, 0) + q + ans
    return query, resp


# ------------------------------------------------------------------ NTP (RFC 5905)


def ntp_ts(t):
    sec = SITE.epoch + 2208988800 + t
    return struct.pack('!II', int(sec), int((sec % 1) * 2 ** 32))


def ntp_pair(t, rtt):
    req = b'\xdb\x00\x11\xe9' + b'\0' * 8 + b'LOCL' + b'\0' * 24 + ntp_ts(t)
    resp = (b'\x1c\x03\x11\xe9' + struct.pack('!II', 0x2a1, 0x6b4) + SITE.ntp_ref
            + ntp_ts(t - 512.25) + ntp_ts(t) + ntp_ts(t + rtt / 2) + ntp_ts(t + rtt / 2 + 0.00004))
    return req, resp


# ------------------------------------------------------------------ TLS (RFC 8446, RFC 5246)


def client_hello(rng, sni):
    exts = []
    if sni:
        s = sni.encode()
        exts.append(tls_ext(0, struct.pack('!HBH', len(s) + 3, 0, len(s)) + s))
    exts += [tls_ext(23, b''), tls_ext(0xff01, b'\0'), tls_ext(10, bytes.fromhex('0008001d001700180019')),
             tls_ext(11, b'\x01\x00'), tls_ext(35, b''), tls_ext(16, b'\x00\x0c\x02h2\x08http/1.1'),
             tls_ext(5, b'\x01\x00\x00\x00\x00'),
             tls_ext(13, bytes.fromhex('0012040308040401050308050501080606010201')),
             tls_ext(51, struct.pack('!HHH', 36, 0x001d, 32) + rng.randbytes(32)),
             tls_ext(45, b'\x01\x01'), tls_ext(43, b'\x04\x03\x04\x03\x03')]
    suites = bytes.fromhex('130213011303c02cc02bc030c02fc024c023c028c027c00ac009c014c013009d009c003d003c0035002f')
    e = b''.join(exts)
    body = (b'\x03\x03' + rng.randbytes(32) + b'\x20' + rng.randbytes(32) + struct.pack('!H', len(suites))
            + suites + b'\x01\x00' + struct.pack('!H', len(e)) + e)
    return tls_record(22, tls_hs(1, body), 0x0301)


def server_hello13(rng, n_enc):
    """ServerHello choosing TLS 1.3, the middlebox ChangeCipherSpec, then the
    encrypted rest of the server's flight (one opaque record)."""
    exts = tls_ext(43, b'\x03\x04') + tls_ext(51, struct.pack('!HH', 0x001d, 32) + rng.randbytes(32))
    body = b'\x03\x03' + rng.randbytes(32) + b'\x20' + rng.randbytes(32) + b'\x13\x02\x00'
    body += struct.pack('!H', len(exts)) + exts
    return tls_record(22, tls_hs(2, body)) + tls_record(20, b'\x01') + tls_record(23, rng.randbytes(n_enc))


def tls_app(rng, n):
    return tls_record(23, rng.randbytes(n))


def tls_session(conn, sni, exchanges, rng):
    """A TLS 1.3 session: handshake, then (client bytes, server bytes) exchanges, each
    possibly several records, then close_notify and FIN."""
    conn.c(client_hello(rng, sni), 0.0002)
    conn.s(server_hello13(rng, rng.randrange(1500, 2700)), 0.002)
    conn.c(tls_record(20, b'\x01') + tls_app(rng, 53), 0.003)
    for cb, sb, think in exchanges:
        conn.c(b''.join(tls_app(rng, n) for n in cb), think)
        if sb:
            conn.s(b''.join(tls_app(rng, n) for n in sb), 0.004 + rng.random() * 0.02)
    conn.c(tls_app(rng, 19), 0.05 + rng.random() * 0.3)
    conn.close(0, 0.0005)


# ------------------------------------------------------------------ HTTP/1.1

UA_EDGE = ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
           'Chrome/119.0.0.0 Safari/537.36 Edg/119.0.0.0')


def http_get(host, path, ua=UA_EDGE, extra=''):
    return (f'GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\nUser-Agent: {ua}\r\n'
            f'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n{extra}'
            'Accept-Encoding: gzip, deflate\r\nAccept-Language: fr-FR,fr;q=0.9,en;q=0.8\r\n\r\n').encode()


def http_resp(t, ctype, body, server='nginx', extra=''):
    date = time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(SITE.epoch + int(t)))
    return (f'HTTP/1.1 200 OK\r\nDate: {date}\r\nServer: {server}\r\nContent-Type: {ctype}\r\n'
            f'Content-Length: {len(body)}\r\n{extra}Connection: keep-alive\r\n\r\n').encode() + body


def html_page(rng, title, n):
    paras = b''.join(b'<p>%s %d : informations pratiques, horaires et demarches en ligne.</p>\n'
                     % (title.encode(), k) for k in range(n))
    return (b'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>' + title.encode()
            + b'</title></head><body><main>\n' + paras + b'</main></body></html>\n')


# ------------------------------------------------------------------ LDAP (RFC 4511, BER)


def ldap_msg(mid, op):
    return seq(integer(mid), op)


def ldap_search_rootdse(mid):
    attrs = [b'subschemaSubentry', b'dsServiceName', b'namingContexts', b'defaultNamingContext',
             b'rootDomainNamingContext', b'configurationNamingContext', b'schemaNamingContext',
             b'supportedCapabilities', b'isGlobalCatalogReady', b'supportedSASLMechanisms',
             b'dnsHostName', b'domainFunctionality', b'currentTime']
    op = der(0x63, octets(b'') + der(0x0a, b'\x00') + der(0x0a, b'\x00') + integer(0) + integer(0)
             + der(0x01, b'\x00') + der(0x87, b'objectclass') + seq(*[octets(a) for a in attrs]))
    return ldap_msg(mid, op)


def ldap_rootdse_entry(mid, dc, t):
    base = SITE.base_dn().encode()

    def attr(name, *vals):
        return seq(octets(name), der(0x31, b''.join(octets(v) for v in vals)))
    attrs = [attr(b'currentTime', ktime(t)[:-1] + b'.0Z'),
             attr(b'subschemaSubentry', b'CN=Aggregate,CN=Schema,CN=Configuration,' + base),
             attr(b'dsServiceName', b'CN=NTDS Settings,CN=' + dc.encode()
                  + b',CN=Servers,CN=' + SITE.ad_site.encode()
                  + b',CN=Sites,CN=Configuration,' + base),
             attr(b'namingContexts', base, b'CN=Configuration,' + base,
                  b'CN=Schema,CN=Configuration,' + base, b'DC=DomainDnsZones,' + base),
             attr(b'defaultNamingContext', base), attr(b'rootDomainNamingContext', base),
             attr(b'configurationNamingContext', b'CN=Configuration,' + base),
             attr(b'schemaNamingContext', b'CN=Schema,CN=Configuration,' + base),
             attr(b'supportedCapabilities', b'1.2.840.113556.1.4.800', b'1.2.840.113556.1.4.1670',
                  b'1.2.840.113556.1.4.1791', b'1.2.840.113556.1.4.1935', b'1.2.840.113556.1.4.2080'),
             attr(b'isGlobalCatalogReady', b'TRUE'),
             attr(b'supportedSASLMechanisms', b'GSSAPI', b'GSS-SPNEGO', b'EXTERNAL', b'DIGEST-MD5'),
             attr(b'dnsHostName', dc.lower().encode() + b'.' + SITE.dns_domain.encode()),
             attr(b'domainFunctionality', b'7')]
    entry = ldap_msg(mid, der(0x64, octets(b'') + seq(*attrs)))
    done = ldap_msg(mid, der(0x65, der(0x0a, b'\x00') + octets(b'') + octets(b'')))
    return entry + done


def ldap_bind_sasl(mid, creds):
    return ldap_msg(mid, der(0x60, integer(3) + octets(b'') + der(0xa3, octets(b'GSS-SPNEGO') + octets(creds))))


def ldap_bind_resp(mid, creds):
    return ldap_msg(mid, der(0x61, der(0x0a, b'\x00') + octets(b'') + octets(b'') + der(0x87, creds)))


def sasl_wrapped(rng, n):
    """A SASL buffer (RFC 4422 3.7) holding an RFC 4121 Wrap token, sealed."""
    tok = struct.pack('!HBBHHQ', 0x0504, 0x06, 0xff, 0, 28, rng.getrandbits(30)) + rng.randbytes(n)
    return struct.pack('!I', len(tok)) + tok


# ------------------------------------------------------------------ RDP (MS-RDPBCGR 2.2.1.1, 2.2.1.2)


def tpkt(payload):
    """RFC 1006 TPKT header."""
    return struct.pack('!BBH', 3, 0, 4 + len(payload)) + payload


def rdp_conn_request(cookie, protocols=0x0b):
    """X.224 Connection Request with routing cookie and RDP_NEG_REQ."""
    var = f'Cookie: mstshash={cookie}\r\n'.encode() + struct.pack('<BBHI', 1, 0, 8, protocols)
    return tpkt(bytes([6 + len(var), 0xe0]) + struct.pack('!HHB', 0, 0, 0) + var)


def rdp_conn_confirm(selected=2):
    neg = struct.pack('<BBHI', 2, 0x1f, 8, selected)
    return tpkt(bytes([6 + len(neg), 0xd0]) + struct.pack('!HHB', 0, 0x1234, 0) + neg)


# ------------------------------------------------------------------ SMTP (RFC 5321, RFC 3207)


def smtp_starttls(conn, rng, server, client, exchanges):
    """An SMTP session between mail servers: banner, EHLO, STARTTLS, then the
    mail inside TLS (tls_session's exchanges)."""
    conn.s(f'220 {server} Microsoft ESMTP MAIL Service ready\r\n'.encode(), 0.002)
    conn.c(f'EHLO {client}\r\n'.encode(), 0.001)
    conn.s((f'250-{server} Hello [{conn.h[0].ip}]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n250-DSN\r\n'
            '250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-8BITMIME\r\n250-BINARYMIME\r\n250 CHUNKING\r\n')
           .encode(), 0.001)
    conn.c(b'STARTTLS\r\n', 0.001)
    conn.s(b'220 2.0.0 SMTP server ready\r\n', 0.001)
    tls_session(conn, server, exchanges, rng)
