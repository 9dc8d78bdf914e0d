"""Angers, January 2021: the network of config/examples/angers.yaml, modelled
on the ransomware attack the city and its metropolitan area suffered the
night of 15 to 16 January 2021, with an intrusion hidden in ordinary traffic.

A city hall (Hotel de Ville) employee reads her mail and opens the attached
"invoice": its macro fetches a DLL over HTTP, which beacons out over TLS.
From her workstation the intruder lists the domain's users and Domain
Admins, the shares of the servers, and kerberoasts the backup service
account; with its cracked password it runs a command on the application
server over WMI. That server becomes the pivot: it scans the libraries' and
the conservatory's networks, PsExecs onto the libraries' catalogue server,
drops an executable on a conservatory PC through C$ and starts it with a
scheduled task, replicates the directory (DCSync), opens RDP on the Exchange
server and encrypts its mailbox databases through C$. Mail stops: from then
on the Exchange server refuses the users' Outlook and the Internet's SMTP.
Around it: DNS, NTP, Kerberos and LDAP logons, web, Outlook, the file
server, the document management and intranet servers, the libraries'
catalogue, mail exchanged with the Internet, and an IT administrator's RDP
sessions (allowed): about fifty machines on the three sites.

Addresses: the city's campus is 172.16.0.0/16 (domain controllers, mail,
servers, IT, offices), the libraries 192.168.40.0/22 (staff) and
192.168.44.0/22 (public PCs), the conservatory 192.168.60.0/24."""
from ..net import Site
from ..network import Scenario
from ..protocols import UA_EDGE, smtp_starttls, tls_session
from ..techniques import (beacon, dcsync, fake_pe, http_download, kerberoast, ntlm_check, psexec, rdp_session,
                          samr_enum, share_enum, share_exe_task, smb_encrypt, syn_scan, wmi_exec)
from ..benign import benign_admin_rdp, benign_files, benign_intranet, benign_tls_internal, common_event

NAME = 'angers'
TITLE = 'Angers 2021'
CONFIG = 'config/examples/angers.yaml'
OUT = 'build/scenario/angers.pcap'
SEED = 2021
# 2021-01-15 18:20 Paris time: Friday evening, the night the attack began.
SITE_ANGERS = Site((2021, 1, 15, 17, 20, 0), 600.0, 'ANGERS', 'angers.local', 'Hotel-de-Ville', '172.16.5.1')

WIN_PC = (135, 445)
SERVERS = [  # (address, name, open TCP ports)
    ('172.16.5.10', 'DC-ANG-01', (53, 88, 135, 389, 445, 3389)),
    ('172.16.5.11', 'DC-ANG-02', (53, 88, 135, 389, 445, 3389)),
    ('172.16.8.20', 'EXCH-01', (25, 80, 135, 443, 445, 3389)),
    ('172.16.10.20', 'SRV-FIC', (135, 445, 3389)),
    ('172.16.10.21', 'SRV-APPLI', (135, 445, 3389, 5985)),
    ('172.16.10.22', 'SRV-GED', (135, 443, 445, 3389)),
    ('172.16.10.30', 'SRV-RDS', (135, 445, 3389)),
    ('172.16.10.40', 'SRV-INTRA', (80, 135, 443, 445)),
    ('192.168.40.10', 'BIB-SIGB', (135, 443, 445, 3389)),
    ('192.168.60.10', 'CONS-FIC', WIN_PC),
    ('192.168.60.12', 'CONS-SECR', WIN_PC),
] + [(f'192.168.40.{21 + i}', f'BIB-{site}', WIN_PC) for i, site in enumerate(
    ('TOUSSAINT-01', 'TOUSSAINT-02', 'TOUSSAINT-03', 'ROSERAIE', 'MONPLAISIR', 'BELLE-BEILLE'))] \
  + [(f'192.168.60.{21 + i}', f'CONS-PROF-{i + 1:02d}', WIN_PC) for i in range(4)]
DEAD = ['192.168.40.5', '192.168.40.6', '192.168.40.11', '192.168.40.12', '192.168.40.30', '192.168.40.31',
        '192.168.40.50', '192.168.60.5', '192.168.60.11', '192.168.60.13', '192.168.60.30', '192.168.60.40']
SURNAMES = ['bernier', 'chauvin', 'cottin', 'delaunay', 'dupuis', 'esnault', 'fouquet', 'gaultier', 'guillou',
            'hamon', 'jouin', 'lebreton', 'lemoine', 'maillard', 'menard', 'ogier', 'pasquier', 'pineau',
            'poirier', 'raimbault', 'renou', 'rochard', 'samson', 'tessier', 'thibault', 'vallee', 'verron',
            'boisseau', 'cailleau', 'chesneau', 'drouet', 'fleury', 'gallard', 'hervouet', 'joubert', 'launay',
            'marchand', 'neau', 'papin', 'brechet']
INITIALS = 'abcdefghjlmnprstv'
USERS = [f'{INITIALS[i * 7 % len(INITIALS)]}.{s}' for i, s in enumerate(SURNAMES)]
VICTIM_USER = USERS[4] = 'c.dupuis'
SERVICE_ACCOUNTS = [('svc-ged', 'HTTP/srv-ged.angers.local'),
                    ('svc-sql-appli', 'MSSQLSvc/srv-appli.angers.local:1433'),
                    ('svc-sigb', 'HTTP/bib-sigb.angers.local'),
                    ('svc-intranet', 'HTTP/srv-intra.angers.local'),
                    ('svc-veeam', 'VeeamBackupSvc/srv-fic.angers.local'),
                    ('svc-exch-arch', 'exchangeAB/exch-01.angers.local')]
ATTACKER_USER = 'svc-veeam'  # kerberoasted, cracked offline; backup operators run it as a Domain Admin
EXTERNAL_SITES = [
    ('www.angers.fr', '198.51.100.120'), ('www.angersloiremetropole.fr', '198.51.100.121'),
    ('bm.angers.fr', '198.51.100.122'), ('www.ouest-france.fr', '198.51.100.130'),
    ('www.courrierdelouest.fr', '198.51.100.131'), ('www.service-public.fr', '203.0.113.120'),
    ('www.legifrance.gouv.fr', '203.0.113.121'), ('www.collectivites-locales.gouv.fr', '203.0.113.122'),
    ('login.microsoftonline.com', '203.0.113.140'), ('www.google.fr', '203.0.113.160'),
    ('www.youtube.com', '203.0.113.161'), ('www.wikipedia.org', '198.51.100.140'),
    ('www.sncf-connect.com', '198.51.100.141'), ('www.francemusique.fr', '198.51.100.142'),
]
HTTP_SITES = [('www.msftconnecttest.com', '203.0.113.180', '/connecttest.txt', 'Microsoft NCSI'),
              ('ocsp.digicert.com', '203.0.113.182', '/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ', 'Microsoft-CryptoAPI/10.0'),
              ('bm.angers.fr', '198.51.100.122', '/agenda/', UA_EDGE)]
MX = [('mx1.mail-partenaires.fr', '203.0.113.150'), ('smtp-out.preference-sante.fr', '203.0.113.151'),
      ('mx.laposte.net', '198.51.100.155')]
PHISH = ('factures-en-ligne.info', '192.0.2.131')
C2 = ('edge-cdn-telemetry.com', '192.0.2.214')
MAIL_NAME = 'mail.angers.fr'


class Angers(Scenario):
    def __init__(self, seed):
        super().__init__(seed, SITE_ANGERS, SERVERS, DEAD)
        self.dc = self.hosts['172.16.5.10']
        self.dc2 = self.hosts['172.16.5.11']
        self.mail = self.hosts['172.16.8.20']
        self.victim = self.host('172.16.21.37', 'PC-HDV-2137', 'pc')
        self.pivot = self.hosts['172.16.10.21']
        self.mail_down = SITE_ANGERS.duration  # when the mailbox databases are gone

    def site_of(self, h):
        """The city's campus is one site; the libraries and the conservatory are their own."""
        return (h.addr[0], h.addr[1]) if h.addr[0] == 172 else (h.addr[0], h.addr[2] // 10)


def mail_session(sc, rng, t, cli):
    """Outlook over HTTPS (MAPI over HTTP) to Exchange; refused once the mail is down."""
    if t >= sc.mail_down:
        sc.tcp(cli, sc.mail, 443, t, rng, refuse=True)
        return
    c = sc.tcp(cli, sc.mail, 443, t, rng)
    ex = [([rng.randrange(600, 1400)], [rng.randrange(800, 6000)], 0.01)]
    for _ in range(rng.randrange(1, 4)):
        ex.append(([rng.randrange(300, 900)], [rng.randrange(200, 9000)], 0.5 + rng.random() * 3))
    tls_session(c, MAIL_NAME, ex, rng)


def step_phishing(sc, t):
    """a. The mail is read, the attachment's macro fetches a DLL over HTTP; the implant beacons over TLS."""
    rng = sc.rng('phishing')
    v = sc.victim
    mail_session(sc, rng, t - 6.0, v)
    path = '/wp-content/uploads/2021/01/F2101-0113.php'
    size = http_download(sc, rng, t, v, PHISH, path, lambda r: fake_pe(r, 96256, 'msoupd'),
                         'application/octet-stream', 'msoupd.dll', None)
    sc.note(t - 6.0, 'a', f'mail: {v.ip} ({VICTIM_USER}) reads her mail on {sc.mail.ip}:443, attachment '
                          'Facture_F2101-0113.doc (macro)')
    sc.note(t, 'a', f'macro download: {v.ip} GET http://{PHISH[0]}{path} ({size} bytes DLL, MZ)')
    n = beacon(sc, rng, t + 9.0, v, C2, every=45, tasked=(1, 4))
    sc.note(t + 9.0, 'a', f'beacon: {v.ip} -> {C2[1]}:443 TLS SNI {C2[0]}, {n} check-ins about every 45 s')


def step_samr(sc, t):
    """b. samr on the DC: the users of the domain and the members of Domain Admins."""
    rng = sc.rng('samr')
    v = sc.victim
    users = [(500, 'Administrateur'), (501, 'Invite'), (502, 'krbtgt')]
    users += [(1201 + i, u) for i, u in enumerate(USERS)]
    users += [(1250 + i, a) for i, (a, _) in enumerate(SERVICE_ACCOUNTS)]
    users += [(1270, 'adm-p.gaultier'), (1271, 'adm-t.renou')]
    samr_enum(sc, rng, t, v, sc.dc, VICTIM_USER, users, ('Domain Admins', 512), [500, 1254, 1270, 1271])
    sc.note(t, 'b', f'account discovery: {v.ip} -> {sc.dc.ip} samr EnumerateUsersInDomain x2, '
                    'LookupNamesInDomain("Domain Admins"), OpenGroup(512), GetMembersInGroup')


SHARES = {'SRV-FIC': ['Services', 'Elus', 'Profils$'], 'SRV-APPLI': ['Applis', 'Exports'],
          'SRV-GED': ['GED', 'Numerisation'], 'SRV-RDS': ['Profils-RDS'], 'SRV-INTRA': ['wwwroot'],
          'EXCH-01': ['Archives-PST']}


def step_share_enum(sc, t):
    """b. srvsvc NetShareEnumAll on the servers and the mail server."""
    rng = sc.rng('shares')
    v = sc.victim
    share_enum(sc, rng, t, v, VICTIM_USER, [(sc.named(name), shares) for name, shares in SHARES.items()],
               every=3.1)
    sc.note(t, 'b', f'share discovery: {v.ip} srvsvc NetShareEnumAll on {len(SHARES)} hosts '
                    f'({", ".join(SHARES)})')


def step_kerberoast(sc, t):
    """c. RC4-only TGS-REQs for every service account's SPN."""
    v = sc.victim
    kerberoast(sc, sc.rng('kerberoast'), t, v, sc.dc, VICTIM_USER, [spn for _, spn in SERVICE_ACCOUNTS])
    sc.note(t, 'c', f'kerberoast: {v.ip} -> {sc.dc.ip}:88 TGS-REQ etype 23 (RC4) only, '
                    f'{len(SERVICE_ACCOUNTS)} SPNs')


def step_ntlm(sc, t):
    """c. The cracked password is tried over SMB on the application server."""
    v, h = sc.victim, sc.pivot
    ntlm_check(sc, sc.rng('ntlm'), t, v, h, ATTACKER_USER)
    sc.note(t, 'c', f'NTLM: {v.ip} -> {h.ip} SMB2 SESSION_SETUP NTLMSSP_AUTH ANGERS\\{ATTACKER_USER}: success')


def step_wmi(sc, t):
    """d. WMI over DCOM from the workstation onto the application server: the pivot."""
    v, h = sc.victim, sc.pivot
    cmd = 'cmd.exe /Q /c rundll32.exe C:\\ProgramData\\msoupd.dll,DllRegisterServer'
    wmi_exec(sc, sc.rng('wmi'), t, v, h, ATTACKER_USER, cmd, 49715)
    sc.note(t, 'd', f'WMI: {v.ip} -> {h.ip}:135 ISystemActivator RemoteCreateInstance(WbemLevel1Login), '
                    'then :49715 IWbemLevel1Login NTLMLogin + IWbemServices ExecMethod(Win32_Process.Create)')


def step_scan(sc, t):
    """e. From the pivot, nmap -sS of the libraries' and the conservatory's networks."""
    rng = sc.rng('scan')
    ports = (22, 135, 445, 3389, 5985)
    targets = [h for h in sc.hosts.values() if h.addr[:2] == b'\xc0\xa8' and h.addr[2] in (40, 60)]
    n = syn_scan(sc, rng, t, sc.pivot, targets, ports, length=10.0)
    sc.note(t, 'e', f'SYN scan: {sc.pivot.ip} -> {len(targets)} hosts x {len(ports)} ports in bibliotheques '
                    f'and conservatoire ({n} probes)')


def step_psexec(sc, t):
    """f. PsExec from the pivot onto the libraries' catalogue server."""
    src, dst = sc.pivot, sc.hosts['192.168.40.10']
    size = psexec(sc, sc.rng('psexec'), t, src, dst, ATTACKER_USER,
                  [('whoami', 'angers\\svc-veeam'), ('hostname', 'BIB-SIGB'),
                   ('net view \\\\192.168.60.12', 'Ressources partagees de \\\\192.168.60.12\r\n\r\nScans  Disque')])
    sc.note(t, 'f', f'PsExec: {src.ip} -> {dst.ip} tree connect \\\\{dst.ip}\\ADMIN$, write PSEXESVC.exe '
                    f'({size} bytes, MZ), svcctl RCreateServiceW, RStartServiceW')


def step_conservatoire(sc, t):
    """g. From the pivot to the conservatory: C$ + an executable, a scheduled task through \\atsvc."""
    src, dst = sc.pivot, sc.hosts['192.168.60.12']
    path = 'ProgramData\\Microsoft\\Crypto\\svchost32.exe'
    task = '\\Microsoft\\Windows\\Maintenance\\SvcHost32'
    size, t2 = share_exe_task(sc, sc.rng('conservatoire'), t, src, dst, ATTACKER_USER, path, 'svchost32', 22528,
                              task, '2021-01-16T02:00:00', pause=3.0)
    sc.note(t, 'g', f'admin share: {src.ip} -> {dst.ip} tree connect \\\\{dst.ip}\\C$, write {path} '
                    f'({size} bytes, MZ)')
    sc.note(t2, 'g', f'scheduled task: {src.ip} -> {dst.ip} \\atsvc SchRpcRegisterTask {task}, SchRpcRun')


def step_dcsync(sc, t):
    """h. DCSync from the pivot."""
    src, dc = sc.pivot, sc.dc
    accounts = ('krbtgt', 'Administrateur', 'svc-exch-arch', ATTACKER_USER)
    dcsync(sc, sc.rng('dcsync'), t, src, dc, ATTACKER_USER, accounts, 49668)
    sc.note(t, 'h', f'DCSync: {src.ip} -> {dc.ip}:135 ept_map(drsuapi) -> :49668 DRSBind, DRSCrackNames, '
                    'DRSGetNCChanges x4 (krbtgt, Administrateur, svc-exch-arch, svc-veeam)')


def step_rdp_mail(sc, t):
    """i. From the pivot, an RDP session on the Exchange server."""
    src, dst = sc.pivot, sc.mail
    rdp_session(sc, sc.rng('rdp'), t, src, dst, ATTACKER_USER, exchanges=20)
    sc.note(t, 'i', f'RDP: {src.ip} -> {dst.ip}:3389 "Cookie: mstshash={ATTACKER_USER}", CredSSP/TLS')


MAILBOX = 'Program Files\\Microsoft\\Exchange Server\\V15\\Mailbox'
FOLDERS = {
    f'{MAILBOX}\\DB-HotelDeVille': ['DB-HotelDeVille.edb', 'E00.chk', 'E00.log', 'E00res00001.jrs',
                                    'E00res00002.jrs', 'E0000012A41.log', 'E0000012A42.log', 'E0000012A43.log',
                                    'E0000012A44.log', 'E0000012A45.log', 'tmp.edb'],
    f'{MAILBOX}\\DB-Metropole': ['DB-Metropole.edb', 'E01.chk', 'E01.log', 'E01res00001.jrs',
                                 'E01res00002.jrs', 'E0100008F10.log', 'E0100008F11.log', 'E0100008F12.log',
                                 'E0100008F13.log', 'tmp.edb'],
    'Archives-PST': ['archive_2019_dgs.pst', 'archive_2019_cabinet.pst', 'archive_2020_dgs.pst',
                     'archive_2020_cabinet.pst', 'archive_2020_drh.pst', 'archive_2020_finances.pst',
                     'archive_2020_culture.pst', 'archive_2020_bibliotheques.pst', 'archive_2020_conservatoire.pst',
                     'archive_2020_urbanisme.pst', 'archive_2020_elus.pst', 'archive_2020_police.pst'],
}
RANSOM_EXT = '.pysa'
RANSOM_NOTE = ('Hi Company,\r\n\r\nEvery byte on any types of your devices was encrypted.\r\n'
               "Don't try to use backups because it were encrypted too.\r\n\r\n"
               'To get all your data back contact us before the deadline.\r\n'
               'Identifiant : ANGERS-2101-7C41\r\n').encode()


def step_ransomware(sc, t):
    """j. Encryption of the Exchange server's mailbox databases and archives through C$: mail stops."""
    src, dst = sc.pivot, sc.mail
    n, took = smb_encrypt(sc, sc.rng('ransomware'), t, src, dst, ATTACKER_USER, 'C$', FOLDERS, RANSOM_EXT,
                          'RECOVER_YOUR_DATA.txt', RANSOM_NOTE, sizes=(2_000_000, 900_000_000))
    sc.mail_down = t + took + 1.0
    sc.note(t, 'j', f'ransomware: {src.ip} -> \\\\{dst.ip}\\C$: {n} mailbox database, log and archive files '
                    f'read, overwritten and renamed to *{RANSOM_EXT} in {took:.0f} s, note in {len(FOLDERS)} folders')
    sc.note(sc.mail_down, 'j', f'mail stops: {dst.ip} refuses Outlook (443) and SMTP (25) from then on')


STEPS = [(22.0, step_phishing), (70.0, step_samr), (92.0, step_share_enum), (128.0, step_kerberoast),
         (158.0, step_ntlm), (172.0, step_wmi), (214.0, step_scan), (246.0, step_psexec),
         (292.0, step_conservatoire), (338.0, step_dcsync), (368.0, step_rdp_mail), (404.0, step_ransomware)]

FIC_DOCS = ['Finances\\BP_2021_vote.xlsx', 'RH\\Planning_janvier_2021.xlsx', 'Culture\\Saison_2021_NEST.docx',
            'Elus\\Conseil_municipal_25-01-2021.docx', 'Urbanisme\\PLUi_modification_3.pdf',
            'Etat-civil\\Registre_2021.xlsx', 'Sports\\Creneaux_gymnases.xlsx']


def records(n):
    """n bytes of a message as TLS records of at most 2^14 bytes (RFC 8446 5.1)."""
    return [16384] * (n // 16384) + ([n % 16384] if n % 16384 else [])


def smtp_in(sc, rng, t, mx):
    """Mail from the Internet to Exchange on port 25; refused once the mail is down."""
    ext = sc.host(mx[1], mx[0])
    if t >= sc.mail_down:
        sc.tcp(ext, sc.mail, 25, t, rng, refuse=True)
        return
    c = sc.tcp(ext, sc.mail, 25, t, rng)
    smtp_starttls(c, rng, MAIL_NAME, mx[0], [(records(rng.randrange(2000, 40000)), [rng.randrange(80, 200)], 0.05)])


def smtp_out(sc, rng, t, mx):
    """Exchange sends mail to the Internet: the MX lookup through the DC, then SMTP with STARTTLS."""
    ext = sc.host(mx[1], mx[0])
    t = sc.dns(sc.mail, mx[0], t, rng, [mx[1]]) + 0.001
    c = sc.tcp(sc.mail, ext, 25, t, rng)
    smtp_starttls(c, rng, mx[0], MAIL_NAME, [(records(rng.randrange(2000, 60000)), [rng.randrange(80, 200)], 0.05)])


def benign(sc):
    """About fifty machines on the five sites doing their usual work for ten minutes."""
    rng = sc.rng('benign')
    offices = [sc.host(f'172.16.{20 + i // 8}.{10 + i * 13 % 200}', f'PC-HDV-{2000 + i * 7:04d}', 'pc')
               for i in range(20)]
    offices.append(sc.victim)
    users = {h.ip: USERS[i] for i, h in enumerate(offices[:-1])}
    users[sc.victim.ip] = VICTIM_USER
    libraries = [h for h in sc.hosts.values() if h.name.startswith('BIB-') and h.name != 'BIB-SIGB']
    conserv = [sc.hosts['192.168.60.12']] + [h for h in sc.hosts.values() if h.name.startswith('CONS-PROF')]
    for i, h in enumerate(libraries + conserv):
        users[h.ip] = USERS[24 + i]
    public = [sc.host(f'192.168.44.{10 + i * 3}', f'BIB-PUBLIC-{i + 1:02d}', 'pc') for i in range(5)]
    admin = sc.host('172.16.2.5', 'PC-DSI-02', 'pc')
    staff = offices + libraries + conserv
    public_dns = sc.host('198.51.100.153', 'resolver')
    # The capture opens on a DC locator query, so packet offsets are scenario offsets.
    events = [(0.0, 'dns-srv', offices[0])]
    for h in staff:
        events.append((rng.uniform(1, 590), 'ntp', h))
    for h in rng.sample(staff, 10):
        events.append((rng.uniform(2, 560), 'logon', h))
    for _ in range(56):
        events.append((rng.uniform(1, 590), 'web', rng.choice(staff)))
    for _ in range(12):
        events.append((rng.uniform(1, 590), 'web', rng.choice(public)))
    for _ in range(14):
        events.append((rng.uniform(1, 590), 'http', rng.choice(staff)))
    for _ in range(30):
        events.append((rng.uniform(1, 590), 'mail', rng.choice(staff)))
    for _ in range(12):
        events.append((rng.uniform(1, 590), 'smtp-in', None))
    for _ in range(8):
        events.append((rng.uniform(1, 590), 'smtp-out', None))
    for h in rng.sample(offices[:-1], 6):
        events.append((rng.uniform(5, 540), 'files', h))
    for _ in range(8):
        events.append((rng.uniform(1, 580), 'ged', rng.choice(offices)))
    for _ in range(8):
        events.append((rng.uniform(1, 580), 'intranet', rng.choice(staff)))
    for _ in range(8):
        events.append((rng.uniform(1, 580), 'sigb', rng.choice(libraries)))
    for _ in range(10):
        events.append((rng.uniform(1, 590), 'dns-forward', None))
    # The administrator looks at the application server, then at the silent mail server.
    events.append((rng.uniform(330, 360), 'admin-rdp', sc.pivot))
    events.append((rng.uniform(480, 520), 'admin-rdp', sc.mail))
    events.sort(key=lambda e: (e[0], e[1]))
    for i, (t, kind, h) in enumerate(events):
        r = sc.rng(f'benign/{i}')
        resolver = public_dns if h in public else (sc.dc if r.random() < 0.7 else sc.dc2)
        if common_event(sc, r, t, kind, h, resolver, public_dns, users, EXTERNAL_SITES, HTTP_SITES):
            continue
        if kind == 'mail':
            mail_session(sc, r, t, h)
        elif kind == 'smtp-in':
            smtp_in(sc, r, t, MX[r.randrange(len(MX))])
        elif kind == 'smtp-out':
            if t < sc.mail_down:
                smtp_out(sc, r, t, MX[r.randrange(len(MX))])
        elif kind == 'files':
            benign_files(sc, r, t, h, users[h.ip], sc.hosts['172.16.10.20'], 'Services', FIC_DOCS)
        elif kind == 'ged':
            benign_tls_internal(sc, r, t, h, sc.hosts['172.16.10.22'], 'ged.angers.local')
        elif kind == 'intranet':
            benign_intranet(sc, r, t, h, sc.hosts['172.16.10.40'], 'intranet.angers.local', USERS)
        elif kind == 'sigb':
            benign_tls_internal(sc, r, t, h, sc.hosts['192.168.40.10'], 'sigb.angers.local')
        elif kind == 'admin-rdp':
            benign_admin_rdp(sc, r, t, admin, h, 'adm-p.gaultier')


def build(seed):
    """The intrusion's steps, then the benign traffic around them (which
    needs to know when the mail stopped)."""
    sc = Angers(seed)
    for t, step in STEPS:
        step(sc, t)
    benign(sc)
    return sc
