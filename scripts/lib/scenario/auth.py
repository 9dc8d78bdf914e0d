"""ASN.1 DER (X.690), Kerberos (RFC 4120), SPNEGO (RFC 4178) / GSS-API and
NTLMSSP (MS-NLMP) messages; ciphertext is pseudo-random bytes of realistic
length."""
import struct

from wire import der
from .net import SITE, filetime, ktime, utf16


def seq(*parts):
    return der(0x30, b''.join(parts))


def ctx(n, body):
    return der(0xa0 + n, body)


def app(n, body):
    return der(0x60 + n, body)


def integer(v):
    n = ((v if v >= 0 else -v - 1).bit_length() + 8) // 8
    return der(0x02, v.to_bytes(n, 'big', signed=True))


def gstr(s):
    return der(0x1b, s.encode())


def octets(b):
    return der(0x04, b)


def oid(hexstr):
    return der(0x06, bytes.fromhex(hexstr))


def bits32(v):
    return der(0x03, b'\0' + v.to_bytes(4, 'big'))


OID_SPNEGO = '2b0601050502'
OID_MSKRB5 = '2a864882f712010202'
OID_KRB5 = '2a864886f712010202'
OID_NTLMSSP = '2b06010401823702020a'

# ------------------------------------------------------------------ Kerberos (RFC 4120)

ETYPE_AES256, ETYPE_AES128, ETYPE_RC4 = 18, 17, 23
WIN_ETYPES = [18, 17, 23, 24, -135]  # what Windows 10 clients offer


def principal(ntype, *names):
    return seq(ctx(0, integer(ntype)), ctx(1, seq(*[gstr(n) for n in names])))


def enc_data(rng, etype, n, kvno=None):
    """EncryptedData with n bytes of ciphertext."""
    parts = [ctx(0, integer(etype))]
    if kvno is not None:
        parts.append(ctx(1, integer(kvno)))
    return seq(*parts, ctx(2, octets(rng.randbytes(n))))


def ticket(rng, sname, etype=ETYPE_AES256, kvno=2, n=None):
    return app(1, seq(ctx(0, integer(5)), ctx(1, gstr(SITE.realm)), ctx(2, sname),
                      ctx(3, enc_data(rng, etype, n or rng.randrange(900, 1060), kvno))))


def pa_data(ptype, value):
    return seq(ctx(1, integer(ptype)), ctx(2, octets(value)))


def pa_pac_request():
    return pa_data(128, seq(ctx(0, der(0x01, b'\xff'))))


def kdc_req_body(rng, t, options, cname, sname, etypes):
    parts = [ctx(0, bits32(options))]
    if cname is not None:
        parts.append(ctx(1, cname))
    parts += [ctx(2, gstr(SITE.realm)), ctx(3, sname), ctx(5, der(0x18, b'20370913024805Z'))]
    if options & 0x00800000:  # renewable
        parts.append(ctx(6, der(0x18, b'20370913024805Z')))
    parts += [ctx(7, integer(rng.getrandbits(31))), ctx(8, seq(*[integer(e) for e in etypes]))]
    return seq(*parts)


def as_req(rng, t, user, padata, etypes=WIN_ETYPES):
    body = kdc_req_body(rng, t, 0x40810010, principal(1, user), principal(2, 'krbtgt', SITE.realm),
                        etypes)
    return app(10, seq(ctx(1, integer(5)), ctx(2, integer(10)), ctx(3, seq(*padata)), ctx(4, body)))


def ap_req(rng, sname, etype=ETYPE_AES256, mutual=True):
    return app(14, seq(ctx(0, integer(5)), ctx(1, integer(14)),
                       ctx(2, bits32(0x20000000 if mutual else 0)),
                       ctx(3, ticket(rng, sname, etype)),
                       ctx(4, enc_data(rng, etype, rng.randrange(150, 190)))))


def ap_rep(rng):
    return app(15, seq(ctx(0, integer(5)), ctx(1, integer(15)), ctx(2, enc_data(rng, ETYPE_AES256, 108))))


def tgs_req(rng, t, user, sname, etypes=WIN_ETYPES):
    tgt_sname = principal(2, 'krbtgt', SITE.realm)
    apreq = app(14, seq(ctx(0, integer(5)), ctx(1, integer(14)), ctx(2, bits32(0)),
                        ctx(3, ticket(rng, tgt_sname, n=1086)),
                        ctx(4, enc_data(rng, ETYPE_AES256, rng.randrange(190, 230)))))
    body = kdc_req_body(rng, t, 0x40810000, None, sname, etypes)
    return app(12, seq(ctx(1, integer(5)), ctx(2, integer(12)),
                       ctx(3, seq(pa_data(1, apreq), pa_data(167, seq(ctx(0, bits32(0x40000000)))))),
                       ctx(4, body)))


def kdc_rep(rng, msg_type, user, sname, tkt_etype, enc_etype):
    return app(msg_type, seq(ctx(0, integer(5)), ctx(1, integer(msg_type)), ctx(3, gstr(SITE.realm)),
                             ctx(4, principal(1, user)), ctx(5, ticket(rng, sname, tkt_etype)),
                             ctx(6, enc_data(rng, enc_etype, rng.randrange(300, 360),
                                             kvno=2 if msg_type == 11 else None))))


def krb_error(rng, t, code, user, sname, edata=None):
    parts = [ctx(0, integer(5)), ctx(1, integer(30)), ctx(4, der(0x18, ktime(t))),
             ctx(5, integer(rng.randrange(1000000))), ctx(6, integer(code))]
    if user:
        parts += [ctx(7, gstr(SITE.realm)), ctx(8, principal(1, user))]
    parts += [ctx(9, gstr(SITE.realm)), ctx(10, sname)]
    if edata is not None:
        parts.append(ctx(12, octets(edata)))
    return app(30, seq(*parts))


def etype_info2(user):
    """METHOD-DATA a Windows KDC returns with PREAUTH_REQUIRED (RFC 4120 5.2.7.5)."""
    salt = SITE.realm + user
    info = seq(seq(ctx(0, integer(18)), ctx(1, gstr(salt))), seq(ctx(0, integer(23))))
    return seq(pa_data(19, info), pa_data(2, b''), pa_data(16, b''), pa_data(15, b''))


def krb_tcp(msg):
    """RFC 4120 7.2.2: a 4-byte length before each message over TCP."""
    return struct.pack('!I', len(msg)) + msg


# ------------------------------------------------------------------ SPNEGO (RFC 4178) / GSS-API


def spnego_init(mechs, token):
    return app(0, oid(OID_SPNEGO) + ctx(0, seq(ctx(0, seq(*[oid(m) for m in mechs])),
                                                  ctx(2, octets(token)))))


def spnego_resp(state=None, mech=None, token=None, mic=None):
    parts = []
    if state is not None:
        parts.append(ctx(0, der(0x0a, bytes([state]))))
    if mech:
        parts.append(ctx(1, oid(mech)))
    if token is not None:
        parts.append(ctx(2, octets(token)))
    if mic is not None:
        parts.append(ctx(3, octets(mic)))
    return ctx(1, seq(*parts))


def gss_krb5(tok_id, msg):
    """RFC 1964 / 4121 initial context token around an AP-REQ (01 00) or AP-REP (02 00)."""
    return app(0, oid(OID_KRB5) + tok_id + msg)


# What a Windows server offers in its SMB2 NEGOTIATE response.
SPNEGO_HINT = app(0, oid(OID_SPNEGO) + ctx(0, seq(ctx(0, seq(oid(OID_MSKRB5), oid(OID_KRB5),
                                                                 oid(OID_NTLMSSP))))))

# ------------------------------------------------------------------ NTLMSSP (MS-NLMP)

NTLM_UNICODE, NTLM_OEM, NTLM_REQ_TARGET, NTLM_SIGN, NTLM_SEAL = 0x1, 0x2, 0x4, 0x10, 0x20
NTLM_LM_KEY, NTLM_NTLM, NTLM_ALWAYS_SIGN, NTLM_TT_DOMAIN = 0x80, 0x200, 0x8000, 0x10000
NTLM_ESS, NTLM_TARGET_INFO, NTLM_VERSION, NTLM_128, NTLM_KEY_EXCH, NTLM_56 = \
    0x80000, 0x800000, 0x2000000, 0x20000000, 0x40000000, 0x80000000
NTLM_BASE = (NTLM_UNICODE | NTLM_REQ_TARGET | NTLM_SIGN | NTLM_NTLM | NTLM_ALWAYS_SIGN | NTLM_ESS
             | NTLM_VERSION | NTLM_128 | NTLM_KEY_EXCH | NTLM_56)
WIN10_VERSION = struct.pack('<BBHBBBB', 10, 0, 19045, 0, 0, 0, 15)
WIN2016_VERSION = struct.pack('<BBHBBBB', 10, 0, 14393, 0, 0, 0, 15)


def ntlm_negotiate(seal=False):
    flags = NTLM_BASE | NTLM_OEM | NTLM_LM_KEY | (NTLM_SEAL if seal else 0)
    return b'NTLMSSP\0' + struct.pack('<II', 1, flags) + struct.pack('<HHI', 0, 0, 0) * 2 + WIN10_VERSION


def av_pair(av_id, value):
    return struct.pack('<HH', av_id, len(value)) + value


def target_info(server, t):
    """MS-NLMP 2.2.2.1 AV pairs of a domain member server."""
    return (av_pair(2, utf16(SITE.domain)) + av_pair(1, utf16(server.upper()))
            + av_pair(4, utf16(SITE.dns_domain))
            + av_pair(3, utf16(f'{server.lower()}.{SITE.dns_domain}'))
            + av_pair(5, utf16(SITE.dns_domain)) + av_pair(7, struct.pack('<Q', filetime(t))))


def ntlm_challenge(rng, server, t, seal=False):
    flags = NTLM_BASE | NTLM_TT_DOMAIN | NTLM_TARGET_INFO | (NTLM_SEAL if seal else 0)
    name = utf16(SITE.domain)
    info = target_info(server, t) + av_pair(0, b'')
    return (b'NTLMSSP\0' + struct.pack('<I', 2) + struct.pack('<HHI', len(name), len(name), 56)
            + struct.pack('<I', flags) + rng.randbytes(8) + b'\0' * 8
            + struct.pack('<HHI', len(info), len(info), 56 + len(name)) + WIN2016_VERSION + name + info)


def ntlm_authenticate(rng, user, domain, workstation, server, t, spn, seal=False):
    """MS-NLMP 2.2.1.3 with an NTLMv2 response (2.2.2.8): NTProofStr + the
    client's blob carrying the server's AV pairs plus flags, channel
    bindings and target name."""
    flags = NTLM_BASE | NTLM_TARGET_INFO | (NTLM_SEAL if seal else 0)
    avs = (target_info(server, t) + av_pair(6, struct.pack('<I', 2))
           + av_pair(8, struct.pack('<II', 48, 0) + rng.randbytes(8) + rng.randbytes(32))
           + av_pair(10, b'\0' * 16) + av_pair(9, utf16(spn)) + av_pair(0, b''))
    blob = struct.pack('<BBHIQ', 1, 1, 0, 0, filetime(t)) + rng.randbytes(8) + b'\0' * 4 + avs + b'\0' * 4
    nt = rng.randbytes(16) + blob
    lm = b'\0' * 24
    fields = [utf16(domain), utf16(user), utf16(workstation), lm, nt, rng.randbytes(16)]
    off = 88
    hdr = b''
    payload = b''
    for f in fields:
        hdr += struct.pack('<HHI', len(f), len(f), off + len(payload))
        payload += f
    # Field order on the wire: Lm, Nt, Domain, User, Workstation, SessionKey.
    h = hdr[24:32] + hdr[32:40] + hdr[0:8] + hdr[8:16] + hdr[16:24] + hdr[40:48]
    return (b'NTLMSSP\0' + struct.pack('<I', 3) + h + struct.pack('<I', flags) + WIN10_VERSION
            + rng.randbytes(16) + payload)


def ntlm_verifier(rng, seqno):
    """MS-NLMP 2.2.2.9.1 NTLMSSP_MESSAGE_SIGNATURE with extended session security."""
    return struct.pack('<I', 1) + rng.randbytes(8) + struct.pack('<I', seqno)
