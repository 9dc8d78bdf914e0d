"""The bundled attack scenarios written by scripts/gen-scenario: shared
building blocks, one module per layer, each importing only those above it in
this list (and ../wire.py, the encodings it shares with gen-traffic):

    net         the Site (epoch, length, AD domain), clock, hosts, the capture
                (Ethernet/IPv4/TCP/UDP), TCP connections
    auth        ASN.1 DER, Kerberos, SPNEGO/GSS-API, NTLMSSP
    rpc         DCE/RPC PDUs and NDR
    smb         SMB2 conversations, RPC over named pipes
    protocols   DNS, NTP, TLS, HTTP, LDAP, RDP, SMTP
    msrpc       the RPC interfaces' stubs (srvsvc, samr, svcctl, tsch, epm, DCOM)
    network     the Scenario a story fills (hosts, random streams, notes, conversations)
    techniques  the intruder's techniques as traffic (download, beacon, scan,
                enumeration, spray, kerberoast, PsExec, RDP, WMI, admin share and
                scheduled task, DCSync, share encryption)
    benign      the ordinary traffic (logons, web, file shares, intranet, admin RDP)

and the stories, one module each in stories/ (stories/__init__.py lists them):
the network, the intrusion's timeline and the benign schedule of one case.
"""
