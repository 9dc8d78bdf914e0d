"""The bundled attack scenario written by scripts/gen-scenario, one module per
layer, each importing only those below it (and ../wire.py, the encodings it
shares with gen-traffic):

    net        clock, hosts, the capture (Ethernet/IPv4/TCP/UDP), TCP connections
    auth       ASN.1 DER, Kerberos, SPNEGO/GSS-API, NTLMSSP
    rpc        DCE/RPC PDUs and NDR
    smb        SMB2 conversations, RPC over named pipes
    protocols  DNS, NTP, TLS, HTTP, LDAP, RDP
    msrpc      the RPC interfaces' stubs (srvsvc, samr, svcctl, tsch, epm, DCOM)
    network    the demo network and the Scenario (hosts, random streams, notes)
    attack     the intrusion's steps and their timeline
    benign     the ordinary traffic around it
"""
