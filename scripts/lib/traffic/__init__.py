"""The benchmark traffic written by scripts/gen-traffic (DER, DNS names,
NetBIOS and TLS framing come from ../wire.py, shared with gen-scenario):

    net       fixed values, packed headers, checksum sums, server pools
    payloads  names and application payloads (DNS, HTTP, TLS, SMB2, SSH, NTP, ICMP)
    flows     flows, their packets, the time-ordered writer, generate()
    synflood  the SYN flood (--synflood), one SYN per flow, written in order
"""
