"""The Scenario a story fills: its hosts, one random stream per part, the
capture, the notes of the steps, and the conversations every story uses
(TCP, UDP, DNS, SMB2 sessions, Kerberos exchanges, NTLM-bound RPC). A story
subclasses it with its network (servers, domain controllers, sites)."""
import hashlib
import random

from .net import Capture, Host, SITE, TCP
from .auth import krb_tcp, ntlm_authenticate, ntlm_challenge, ntlm_negotiate
from .rpc import LEVEL_PRIVACY, PT_AUTH3, rpc_bind, rpc_bind_ack, rpc_pdu
from .smb import SMB2
from .protocols import dns_pair


def is_internal(ip):
    """RFC 1918 space: the networks of the stories; anything else is the Internet."""
    a, b = (int(x) for x in ip.split('.')[:2])
    return a == 10 or (a == 172 and 16 <= b < 32) or (a == 192 and b == 168)


class Scenario:
    """One capture being built. Subclasses set self.dc (and self.dc2), the
    default DNS server and KDC, and may say which hosts share a site."""

    def __init__(self, seed, site, servers=(), dead=()):
        self.seed = seed
        self.site = site.use()
        self.cap = Capture()
        self.steps = []
        self.hosts = {}
        for ip, name, ports in servers:
            self.host(ip, name).ports = ports
        for ip in dead:
            self.host(ip, 'unused')

    def host(self, ip, name='', osname='win'):
        if ip not in self.hosts:
            external = not is_internal(ip)
            h = Host(ip, name or 'host-' + ip, 'linux' if external else osname, hops=11 if external else 0)
            h.ports = ()
            self.hosts[ip] = h
        return self.hosts[ip]

    def named(self, name):
        return next(h for h in self.hosts.values() if h.name == name)

    def site_of(self, h):
        """Hosts of one site share a LAN; between sites goes the interconnect."""
        return h.addr[1]

    def rng(self, name):
        return random.Random(hashlib.sha256(f'vigie-scenario/{self.seed}/{name}'.encode()).digest())

    def note(self, t, tag, text):
        self.steps.append((t, tag, text))

    def rtt(self, a, b):
        if a.external or b.external:
            return 0.012 + (a.addr[3] * 7 + b.addr[3]) % 30 / 1000
        if self.site_of(a) != self.site_of(b):
            return 0.0031  # the interconnect between sites
        return 0.00045

    def tcp(self, cli, srv, port, t, rng, cport=None, refuse=False):
        """A connection opened at t (refuse: the server answers RST, nothing listens)."""
        return TCP(self.cap, rng, cli, srv, port, t, self.rtt(cli, srv), cport).open(refuse)

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
        auth = ntlm_authenticate(rng, user, SITE.domain, ws, srv, conn.t, spn, seal)
        conn.c(rpc_pdu(PT_AUTH3, call_id, b'\0' * 4, (level, auth, 0)), 0.0002)
        return assoc
