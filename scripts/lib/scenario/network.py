"""The demo network of config/vigie.yaml (servers, unused addresses, users,
service accounts, sites on the Internet) and the Scenario: its hosts, one
random stream per part, the capture and the notes of the steps."""
import hashlib
import random

from .net import Capture, DOMAIN, Host, TCP
from .auth import krb_tcp, ntlm_authenticate, ntlm_challenge, ntlm_negotiate
from .rpc import LEVEL_PRIVACY, PT_AUTH3, rpc_bind, rpc_bind_ack, rpc_pdu
from .smb import SMB2
from .protocols import UA_EDGE, dns_pair


SERVERS = [  # (address, name, open TCP ports) in agglo-servers and mairie-servers
    ('10.10.0.10', 'DC01', (53, 88, 135, 389, 445, 3389)),
    ('10.10.0.11', 'DC02', (53, 88, 135, 389, 445, 3389)),
    ('10.10.0.20', 'SRV-FICHIERS', (135, 445, 3389, 5985)),
    ('10.10.0.21', 'SRV-FINANCES', (135, 443, 445, 3389, 5985)),
    ('10.10.0.22', 'SRV-SIGB', (135, 443, 445, 3389)),
    ('10.10.0.23', 'SRV-RH', (135, 445, 1433, 3389, 5985)),
    ('10.10.0.25', 'SRV-IMPRESSION', (135, 445, 3389)),
    ('10.10.0.30', 'SRV-INTRANET', (80, 135, 443, 445, 3389)),
    ('10.10.0.35', 'SRV-WSUS', (80, 135, 445, 3389, 8530)),
    ('10.10.0.40', 'SRV-SAUVEGARDE', (22, 9102)),
    ('10.20.0.10', 'MAIRIE-RDS', (135, 445, 3389)),
    ('10.20.0.11', 'MAIRIE-APP', (135, 445, 3389, 5985)),
    ('10.20.0.20', 'MAIRIE-FICHIERS', (135, 445, 3389)),
    ('10.20.0.21', 'MAIRIE-ETATCIVIL', (135, 443, 445, 3389)),
    ('10.20.0.25', 'MAIRIE-IMPRESSION', (80, 135, 445)),
]
DEAD = ['10.10.0.5', '10.10.0.6', '10.10.0.12', '10.10.0.13', '10.10.0.24', '10.10.0.26', '10.10.0.31',
        '10.10.0.41', '10.10.0.50', '10.10.0.51', '10.20.0.5', '10.20.0.12', '10.20.0.13', '10.20.0.22',
        '10.20.0.30', '10.20.0.31', '10.20.0.40', '10.20.0.50']
SURNAMES = ['martin', 'bernard', 'dubois', 'thomas', 'robert', 'richard', 'petit', 'durand', 'leroy', 'moreau',
            'simon', 'laurent', 'lefebvre', 'michel', 'garcia', 'david', 'bertrand', 'roux', 'vincent',
            'fournier', 'morel', 'girard', 'andre', 'mercier', 'dupont', 'lambert', 'bonnet', 'francois',
            'martinez', 'legrand', 'garnier', 'faure', 'rousseau', 'blanc', 'guerin', 'muller', 'henry',
            'roussel', 'nicolas', 'perrin', 'morin', 'mathieu', 'clement', 'gauthier', 'dumont', 'lopez',
            'fontaine', 'chevalier', 'robin', 'masson']
INITIALS = 'acdefhijlmnpsv'
USERS = [f'{INITIALS[i * 5 % len(INITIALS)]}.{s}' for i, s in enumerate(SURNAMES)]
VICTIM_USER = USERS[12] = 'm.lefebvre'
SERVICE_ACCOUNTS = [('svc-sql-finances', 'MSSQLSvc/srv-finances.agglo.local:1433'),
                    ('svc-sql-rh', 'MSSQLSvc/srv-rh.agglo.local:1433'),
                    ('svc-intranet', 'HTTP/srv-intranet.agglo.local'),
                    ('svc-sauvegarde', 'BackupAgent/srv-sauvegarde.agglo.local'),
                    ('svc-sigb', 'HTTP/srv-sigb.agglo.local'),
                    ('svc-wsus', 'WSUS/srv-wsus.agglo.local'),
                    ('svc-etatcivil', 'MSSQLSvc/mairie-etatcivil.agglo.local:1433'),
                    ('svc-impression', 'HTTP/srv-impression.agglo.local')]
EXTERNAL_SITES = [
    ('www.service-public.fr', '203.0.113.20'), ('www.impots.gouv.fr', '203.0.113.21'),
    ('outlook.office365.com', '203.0.113.40'), ('login.microsoftonline.com', '203.0.113.41'),
    ('www.google.com', '203.0.113.60'), ('www.youtube.com', '203.0.113.61'),
    ('www.lemonde.fr', '198.51.100.30'), ('www.sudouest.fr', '198.51.100.31'),
    ('www.charentelibre.fr', '198.51.100.32'), ('www.legifrance.gouv.fr', '203.0.113.22'),
    ('teams.microsoft.com', '203.0.113.42'), ('www.wikipedia.org', '198.51.100.40'),
    ('www.angouleme.fr', '198.51.100.50'), ('www.grandangouleme.fr', '198.51.100.51'),
    ('chorus-pro.gouv.fr', '203.0.113.23'), ('www.marches-publics.gouv.fr', '203.0.113.24'),
    ('www.deezer.com', '198.51.100.60'), ('www.leboncoin.fr', '198.51.100.61'),
]
HTTP_SITES = [('www.msftconnecttest.com', '203.0.113.80', '/connecttest.txt', 'Microsoft NCSI'),
              ('ctldl.windowsupdate.com', '203.0.113.81',
               '/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab', 'Microsoft-CryptoAPI/10.0'),
              ('ocsp.digicert.com', '203.0.113.82', '/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ', 'Microsoft-CryptoAPI/10.0'),
              ('www.angouleme.fr', '198.51.100.50', '/agenda/', UA_EDGE)]
PHISH = ('partage-docs.net', '192.0.2.45')
C2 = ('cdn.msupdate-cloud.com', '192.0.2.87')


class Scenario:
    def __init__(self, seed):
        self.seed = seed
        self.cap = Capture()
        self.steps = []
        self.hosts = {}
        for ip, name, ports in SERVERS:
            self.host(ip, name).ports = ports
        for ip in DEAD:
            self.host(ip, 'unused')
        self.dc = self.hosts['10.10.0.10']
        self.dc2 = self.hosts['10.10.0.11']
        self.victim = self.host('10.10.1.42', 'PC-AGGLO-0142', 'pc')
        self.fileserver = self.hosts['10.10.0.20']
        self.host('10.30.1.15', 'MEDIA-PRET-01', 'pc')

    def host(self, ip, name='', osname='win'):
        if ip not in self.hosts:
            first = int(ip.split('.')[0])
            external = first != 10
            h = Host(ip, name or 'host-' + ip, 'linux' if external else osname, hops=11 if external else 0)
            h.ports = ()
            self.hosts[ip] = h
        return self.hosts[ip]

    def rng(self, name):
        return random.Random(hashlib.sha256(f'vigie-scenario/{self.seed}/{name}'.encode()).digest())

    def note(self, t, tag, text):
        self.steps.append((t, tag, text))

    def rtt(self, a, b):
        if a.external or b.external:
            return 0.012 + (a.addr[3] * 7 + b.addr[3]) % 30 / 1000
        if a.addr[1] != b.addr[1]:
            return 0.0031  # the interconnect between sites
        return 0.00045

    def tcp(self, cli, srv, port, t, rng, cport=None):
        return TCP(self.cap, rng, cli, srv, port, t, self.rtt(cli, srv), cport).open()

    def udp(self, cli, srv, sport, dport, t, q, r, proc=0.0003):
        self.cap.udp(t, cli, srv, sport, dport, q)
        if r is not None:
            self.cap.udp(t + self.rtt(cli, srv) + proc, srv, cli, dport, sport, r)
        return t + self.rtt(cli, srv) + proc

    def dns(self, cli, name, t, rng, answers, qtype=1, server=None):
        q, r = dns_pair(rng, name, answers, qtype)
        return self.udp(cli, server or self.dc, cli.port(), 53, t, q, r, 0.0002 + rng.random() * 0.002)

    def smb(self, cli, srv, t, rng, signing=True):
        conn = self.tcp(cli, srv, 445, t, rng)
        s = SMB2(self, conn, srv.name, signing)
        s.negotiate()
        return conn, s

    def krb_exchange(self, cli, t, rng, req, resp, kdc=None):
        """One KDC request over its own TCP connection, as Windows does."""
        c = self.tcp(cli, kdc or self.dc, 88, t, rng)
        c.c(krb_tcp(req), 0.0001)
        c.s(krb_tcp(resp), 0.0008 + rng.random() * 0.002)
        return c.close(0, 0.0004)

    def rpc_tcp(self, conn, rng, iface, call_id, level, user, ws, spn, secaddr):
        """Bind with NTLMSSP on a TCP connection: bind, bind_ack, AUTH3 (MS-RPCE 3.3.1.5.2)."""
        srv = conn.h[1].name
        seal = level == LEVEL_PRIVACY
        conn.c(rpc_bind(call_id, [(0, iface[0], iface[1])], (level, ntlm_negotiate(seal), 0), windows=True),
               0.0002)
        assoc = rng.randrange(0x1000, 0xffff)
        conn.s(rpc_bind_ack(call_id, secaddr, [0], assoc, (level, ntlm_challenge(rng, srv, conn.t, seal), 0),
                            windows=True), 0.0006)
        auth = ntlm_authenticate(rng, user, DOMAIN, ws, srv, conn.t, spn, seal)
        conn.c(rpc_pdu(PT_AUTH3, call_id, b'\0' * 4, (level, auth, 0)), 0.0002)
        return assoc
