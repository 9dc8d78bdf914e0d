"""Wire encodings shared by the capture generators (scripts/gen-scenario and
scripts/gen-traffic): the same bytes whoever builds them."""
import struct


def der(tag, body):
    """An ASN.1 DER TLV (X.690 8.1): definite length, short or long form."""
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    elif n < 0x10000:
        ln = b'\x82' + n.to_bytes(2, 'big')
    else:
        ln = b'\x83' + n.to_bytes(3, 'big')
    return bytes([tag]) + ln + body


def dns_name(n):
    """A domain name as DNS labels (RFC 1035 3.1), uncompressed."""
    return b''.join(bytes([len(p)]) + p.encode() for p in n.split('.')) + b'\0'


def netbios(msg):
    """RFC 1002 session message header as SMB2 over TCP 445 uses it (MS-SMB2 2.1)."""
    return b'\x00' + len(msg).to_bytes(3, 'big') + msg


def tls_ext(t, data):
    """A TLS extension (RFC 8446 4.2): type, length, data."""
    return struct.pack('!HH', t, len(data)) + data


def tls_hs(htype, body):
    """A TLS handshake message header (RFC 8446 4): type, 24-bit length."""
    return bytes([htype]) + len(body).to_bytes(3, 'big') + body


def tls_record(ctype, body, ver=0x0303):
    """A TLS record (RFC 8446 5.1): content type, legacy version, length."""
    return struct.pack('!BHH', ctype, ver, len(body)) + body
