"""The names and application payloads of the benchmark flows: DNS, HTTP/1.1,
TLS 1.2/1.3, SMB2 NEGOTIATE, SSH, NTP, ICMP echo; each built from E, the
flow's own pseudo-random bytes."""
import hashlib
import struct

from wire import der, dns_name, netbios, tls_ext, tls_hs, tls_record
from .net import CIPHER, EPOCH, ip, ntp_ts, u


# ---------------------------------------------------------------- names

TLS_NAMES = [
    'www.google.com', 'github.com', 'www.youtube.com', 'www.facebook.com', 'api.github.com',
    'login.microsoftonline.com', 'outlook.office365.com', 'www.wikipedia.org', 'www.amazon.fr',
    'www.netflix.com', 'www.linkedin.com', 'twitter.com', 'www.instagram.com',
    'fonts.googleapis.com', 'www.cloudflare.com', 'teams.microsoft.com', 'www.dropbox.com',
    'web.whatsapp.com', 'www.apple.com', 'slack.com', 'zoom.us', 'www.service-public.fr',
    'www.impots.gouv.fr', 'messagerie.agglo-angouleme.fr', 'portail.mairie-angouleme.fr',
    'www.lemonde.fr', 'www.leboncoin.fr', 'docs.python.org', 'www.mozilla.org',
    'update.googleapis.com', 'gitlab.agglo.local', 'www.spotify.com',
]
HTTP_REQS = [
    ('deb.debian.org', '/debian/dists/bookworm/InRelease', 'Debian APT-HTTP/1.3 (2.6.1)'),
    ('security.debian.org', '/debian-security/dists/bookworm-security/InRelease',
     'Debian APT-HTTP/1.3 (2.6.1)'),
    ('www.msftconnecttest.com', '/connecttest.txt', 'Microsoft NCSI'),
    ('ctldl.windowsupdate.com', '/msdownload/update/v3/static/trustedr/en/authrootstl.cab',
     'Microsoft-CryptoAPI/10.0'),
    ('detectportal.firefox.com', '/canonical.html',
     'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0'),
    ('www.example.com', '/', 'curl/7.88.1'),
    ('intranet.mairie.local', '/index.php',
     'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
     'Chrome/122.0.0.0 Safari/537.36'),
    ('imprimante-rdc.mairie.local', '/status.html',
     'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0'),
    ('www.lemonde.fr', '/', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
     '(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0'),
    ('connectivitycheck.gstatic.com', '/generate_204', 'Dalvik/2.1.0 (Linux; U; Android 13)'),
]
DNS_NAMES = TLS_NAMES + [h for h, _, _ in HTTP_REQS] + [
    'dc01.agglo.local', 'wpad.agglo.local', 'time.windows.com', 'fr.pool.ntp.org',
    'fichiers.agglo.local', 'smtp.agglo-angouleme.fr', 'www.bing.com', 'clients4.google.com',
]


def dns_pair(E, name_i):
    name = DNS_NAMES[name_i % len(DNS_NAMES)]
    qid = u(E, 40)
    q = dns_name(name) + b'\x00\x01\x00\x01'
    query = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q
    nans = 1 + E[42] % 2
    ans = b''.join(struct.pack('!HHHIH', 0xc00c, 1, 1, 60 + u(E, 43) % 3540, 4)
                   + struct.pack('!I', ip('203.0.113.0') + 1 + (name_i * 7 + k) % 250)
                   for k in range(nans))
    resp = struct.pack('!HHHHHH', qid, 0x8180, 1, nans, 0, 0) + q + ans
    return query, resp


def http_pair(E, nseg):
    host, path, ua = HTTP_REQS[u(E, 40) % len(HTTP_REQS)]
    req = (f'GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nAccept: */*\r\n'
           'Accept-Language: fr-FR,fr;q=0.9,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n'
           'Connection: keep-alive\r\n\r\n').encode()
    body = HTML_HEAD[:200 + u(E, 42) % 800]
    resp = ('HTTP/1.1 200 OK\r\nDate: Tue, 12 Mar 2024 09:00:00 GMT\r\nServer: nginx/1.22.1\r\n'
            'Content-Type: text/html; charset=utf-8\r\n'
            f'Content-Length: {len(body) + nseg * len(HTTP_SEG)}\r\n'
            'Connection: keep-alive\r\n\r\n').encode() + body
    return req, resp


HTML_HEAD = (b'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Accueil</title>'
             b'<link rel="stylesheet" href="/static/site.css"></head><body><main>'
             + b''.join(b'<p>Paragraphe %d du document, texte de remplissage pour le test.</p>\n' % k
                        for k in range(40)))
HTTP_SEG = (b''.join(b'<li>entree %05d du catalogue municipal</li>\n' % k for k in range(40)))[:1448]


TLS13_SUITES = bytes.fromhex('130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f0035')
TLS12_SUITES = bytes.fromhex('c02bc02fc02cc030cca9cca8c009c013c00ac014009c009d002f0035000a')
SIGALGS = tls_ext(13, bytes.fromhex('0012040308040401050308050501080606010201'))


def client_hello(sni, tls13, E):
    rnd, sid, key = E[64:96], E[96:128], E[128:160]
    sni = sni.encode()
    exts = [tls_ext(0, struct.pack('!HBH', len(sni) + 3, 0, len(sni)) + sni), tls_ext(23, b''),
            tls_ext(0xff01, b'\0'), tls_ext(10, bytes.fromhex('0008001d001700180019')),
            tls_ext(11, b'\x01\x00'), tls_ext(35, b''), tls_ext(16, b'\x00\x0c\x02h2\x08http/1.1'),
            tls_ext(5, b'\x01\x00\x00\x00\x00'), SIGALGS]
    if tls13:
        exts += [tls_ext(51, struct.pack('!HHH', 36, 0x001d, 32) + key), tls_ext(45, b'\x01\x01'),
                 tls_ext(43, b'\x04\x03\x04\x03\x03')]
    suites = TLS13_SUITES if tls13 else TLS12_SUITES
    exts = b''.join(exts)
    body = (b'\x03\x03' + rnd + b'\x20' + sid + struct.pack('!H', len(suites)) + suites
            + b'\x01\x00' + struct.pack('!H', len(exts)) + exts)
    return struct.pack('!BHH', 22, 0x0301, len(body) + 4) + tls_hs(1, body)


# A fixed self-signed ECDSA certificate (CN=www.agglo.example), made once with
# openssl, for the TLS 1.2 server's Certificate message.
SERVER_CERT = bytes.fromhex(
    '3082018e30820133a003020102021455c5820841b0ab8cc6fec189ea7671df4702d366300a06082a8648ce3d'
    '040302301c311a301806035504030c117777772e6167676c6f2e6578616d706c65301e170d32363131323331'
    '32333930385a170d3336313132303132333930385a301c311a301806035504030c117777772e6167676c6f2e'
    '6578616d706c653059301306072a8648ce3d020106082a8648ce3d030107034200046703dd1085b8878c3931'
    'd2510624ff558f1bb4b403ed02201e9a8def9ff7eb3da1d2f61dc64d9ba88819ffdc5d6b39a0c763b72b4966'
    '6f9043e8449f0496bf42a3533051301d0603551d0e041604148696b3f61cc373d88774e76ee8e072a10534f9'
    '8f301f0603551d230418301680148696b3f61cc373d88774e76ee8e072a10534f98f300f0603551d130101ff'
    '040530030101ff300a06082a8648ce3d0403020349003046022100cc3f67c47427d4f7bcd1ad4d444fc8f99f'
    '96c6da3a0ac4a84d15cd260b856500022100da558179c7468674918510e1128a38a7db25757525e6d0ea5253'
    '95fc8b4eedab'
)


def server_hello(tls13, E):
    rnd, sid = E[160:192], E[96:128]
    if tls13:
        exts = tls_ext(43, b'\x03\x04') + tls_ext(51, struct.pack('!HH', 0x001d, 32) + E[192:224])
        body = b'\x03\x03' + rnd + b'\x20' + sid + b'\x13\x01\x00'
        body += struct.pack('!H', len(exts)) + exts
        # ServerHello, then the compatibility ChangeCipherSpec and the encrypted rest.
        return (tls_record(22, tls_hs(2, body)) + tls_record(20, b'\x01')
                + tls_record(23, CIPHER[:1000 + E[44]]))
    exts = (tls_ext(0xff01, b'\0') + tls_ext(11, b'\x01\x00') + tls_ext(23, b'')
            + tls_ext(16, b'\x00\x03\x02h2'))
    body = b'\x03\x03' + rnd + b'\x20' + sid + b'\xc0\x2f\x00' + struct.pack('!H', len(exts)) + exts
    cert = struct.pack('!I', len(SERVER_CERT))[1:] + SERVER_CERT
    certs = tls_hs(11, struct.pack('!I', len(cert))[1:] + cert)
    return tls_record(22, tls_hs(2, body) + certs + tls_hs(14, b''))


def tls_flight(tls13, E):
    """Client's handshake end + first request, server's first response (all opaque)."""
    if tls13:
        c = (tls_record(20, b'\x01') + tls_record(23, CIPHER[100:153])
             + tls_record(23, CIPHER[200:440 + E[45]]))
        s = tls_record(23, CIPHER[500:1000 + E[46]])
        return [(0, c), (1, s)]
    cke = tls_hs(16, b'\x20' + E[192:224])
    c1 = tls_record(22, cke) + tls_record(20, b'\x01') + tls_record(22, CIPHER[100:140])
    s1 = tls_record(20, b'\x01') + tls_record(22, CIPHER[140:180])
    return [(0, c1), (1, s1), (0, tls_record(23, CIPHER[200:440 + E[45]])),
            (1, tls_record(23, CIPHER[500:1000 + E[46]]))]


TLS_SEG = tls_record(23, CIPHER[1500:1500 + 1443])  # fills a 1448-byte segment


def smb2_hdr(resp, msg_id, command=0):
    # MS-SMB2 2.2.1.2 sync header: ProtocolId, StructureSize 64, CreditCharge, Status,
    # Command, Credits, Flags, NextCommand, MessageId, Reserved, TreeId, SessionId, Signature
    return struct.pack('<4sHHIHHIIQIIQ16s', b'\xfeSMB', 64, 0 if command == 0 else 1, 0, command,
                       1, 1 if resp else 0, 0, msg_id, 0xfeff, 0, 0, b'\0' * 16)


def neg_contexts(salt, ciphers):
    """SMB 3.1.1 negotiate contexts: preauth integrity (SHA-512) + encryption."""
    pre = struct.pack('<HHH', 1, 32, 1) + salt
    enc = struct.pack('<H', len(ciphers)) + b''.join(struct.pack('<H', c) for c in ciphers)
    c1 = struct.pack('<HHI', 1, len(pre), 0) + pre
    c1 += b'\0' * (-len(c1) % 8)
    return c1 + struct.pack('<HHI', 2, len(enc), 0) + enc


def smb_negotiate_req(E):
    # MS-SMB2 2.2.3: StructureSize 36, DialectCount, SecurityMode, Reserved, Capabilities,
    # ClientGuid, NegotiateContextOffset, NegotiateContextCount, Reserved2, Dialects.
    dialects = (0x0202, 0x0210, 0x0300, 0x0302, 0x0311)
    fixed = struct.pack('<HHHHI16sIHH', 36, len(dialects), 1, 0, 0x7f, E[64:80], 0, 2, 0)
    d = b''.join(struct.pack('<H', x) for x in dialects)
    off = 64 + len(fixed) + len(d)
    pad = -off % 8
    fixed = fixed[:28] + struct.pack('<I', off + pad) + fixed[32:]
    return netbios(smb2_hdr(False, 0) + fixed + d + b'\0' * pad
                   + neg_contexts(E[80:112], (2, 1)))


# SPNEGO NegTokenInit offering MS-KRB5, KRB5 and NTLMSSP, as Windows servers send.
SPNEGO_INIT = der(0x60, der(0x06, bytes.fromhex('2b0601050502')) + der(0xa0, der(0x30, der(0xa0, der(
    0x30, der(0x06, bytes.fromhex('2a864882f712010202')) + der(0x06, bytes.fromhex('2a864886f712010202'))
    + der(0x06, bytes.fromhex('2b06010401823702020a')))))))


def smb_negotiate_resp(E, server, t_us):
    # MS-SMB2 2.2.4: StructureSize 65, SecurityMode, DialectRevision, NegotiateContextCount,
    # ServerGuid, Capabilities, MaxTransact/Read/WriteSize, SystemTime, ServerStartTime,
    # SecurityBufferOffset/Length, NegotiateContextOffset, then blob and contexts.
    filetime = (EPOCH + t_us // 1_000_000 + 11644473600) * 10_000_000 + t_us % 1_000_000 * 10
    guid = hashlib.shake_128(server.to_bytes(4, 'big')).digest(16)
    ctx_off = 64 + 64 + len(SPNEGO_INIT)
    pad = -ctx_off % 8
    fixed = struct.pack('<HHHH16sIIIIQQHHI', 65, 1, 0x0311, 2, guid, 0x2f, 8388608, 8388608,
                        8388608, filetime, 0, 128, len(SPNEGO_INIT), ctx_off + pad)
    return netbios(smb2_hdr(True, 0) + fixed + SPNEGO_INIT + b'\0' * pad
                   + neg_contexts(E[112:144], (2,)))


SSH_BANNERS = [
    (b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n', b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n'),
    (b'SSH-2.0-OpenSSH_for_Windows_8.1\r\n', b'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n'),
    (b'SSH-2.0-PuTTY_Release_0.80\r\n', b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n'),
]
SSH_ALGS = [
    'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,'
    'ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,'
    'diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
    'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256',
    'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,'
    'aes256-gcm@openssh.com',
    'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,'
    'hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512',
    'none,zlib@openssh.com',
]


def ssh_kexinit(cookie, client):
    kex, hostkey, enc, mac, comp = SSH_ALGS
    lists = [kex + (',ext-info-c' if client else ''), hostkey, enc, enc, mac, mac, comp, comp, '', '']
    payload = b'\x14' + cookie + b''.join(struct.pack('!I', len(x)) + x.encode() for x in lists)
    payload += b'\0\0\0\0\0'
    padlen = 4 + (-(4 + 1 + len(payload) + 4)) % 8
    return struct.pack('!IB', 1 + len(payload) + padlen, padlen) + payload + b'\0' * padlen


def ntp_pair(E, t_us, rtt):
    xmit = ntp_ts(t_us)
    req = b'\x23\x00\x0a\x20' + b'\0' * 36 + xmit
    recv = ntp_ts(t_us + rtt // 2)
    resp = (b'\x24\x02\x0a\xe9' + struct.pack('!II', 0x1a3, 0x2b1) + bytes([193, 52, 184, 106])
            + ntp_ts(t_us - 64_000_000 - u(E, 40) * 1000) + xmit + recv
            + ntp_ts(t_us + rtt // 2 + 25))
    return req, resp


ECHO_PAD = bytes(range(0x10, 0x38))  # Linux ping's 40-byte pattern after the timeval


def smb_echo(resp, msg_id):
    """MS-SMB2 2.2.28 / 2.2.29 ECHO request or response: StructureSize 4, Reserved."""
    return netbios(smb2_hdr(resp, msg_id, 0x000d) + struct.pack('<HH', 4, 0))
