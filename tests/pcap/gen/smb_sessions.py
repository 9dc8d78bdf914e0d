#!/usr/bin/python3
"""Writes the small SMB2 sessions of the SMB detector cases (tests/pcap/cases/smb_*).

    tests/pcap/gen/smb_sessions.py OUTDIR

One TCP connection each, client 10.1.0.5 -> server 10.1.0.9:445, with fixed
timestamps, ports and sequence numbers, so the same command always writes the
same bytes (moved from the former tests/pcap/detect_smb.sh; the MACs are now fixed):
  ransom60.pcap   60 files created, written and renamed to *.locked (ransomware burst)
  ransom30.pcap   the same over 30 files
  read60.pcap     60 files opened for reading only
  exe_copy.pcap   an executable (MZ) written to an ordinary share
  text_copy.pcap  a text file written to an ordinary share
  admin_ps1.pcap  a script created on C$
  exe_copy_utf8.pcap  exe_copy with non-ASCII share and file names (2-, 3- and 4-byte UTF-8)
  reext_slow.pcap    12 files read, written back as <base>.enc, originals deleted, one every 10 s
  inplace_slow.pcap  12 files read, overwritten in place and renamed to <name>.locked, one every 10 s
  office_save.pcap   12 documents saved through a temporary file, twice (name.tmp -> name.docx;
                     Word's swap of ~WRD/~WRL files): originals come back
  backup_copy.pcap   12 files read and copied next to themselves as .bak, originals kept
  rename_keep.pcap   12 files opened and renamed, extension kept
  sync_replace.pcap  12 files replaced through <name>.tmp: original deleted, the copy renamed back
Needs Debian's python3-scapy (run with /usr/bin/python3).
"""
import struct, sys
from scapy.all import IP, TCP, Ether, wrpcap

if len(sys.argv) != 2:
    sys.exit("usage: smb_sessions.py OUTDIR")
out = sys.argv[1]
# Fixed MACs: scapy would otherwise fill in this machine's own.
MAC_C, MAC_S = "02:00:00:00:00:01", "02:00:00:00:00:02"

def hdr(cmd, mid, tree=0, status=0, resp=False, related=False):
    flags = (1 if resp else 0) | (4 if related else 0)
    return struct.pack("<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 0, status, cmd, 1, flags, 0, mid,
                       0xFEFF, tree, 0x1000000000001, b"\0" * 16)

def u16(s):
    return s.encode("utf-16le")

class Conv:
    """One TCP connection (client 10.1.0.5 -> server 10.1.0.9:445) with
    consistent sequence numbers, timestamps 10 ms apart."""
    def __init__(self, sport=50000):
        self.pkts, self.t, self.sport = [], 1700000000.0, sport
        self.seq = {True: 1000, False: 5000}
        self.mid = 0
        self.send(b"", True, "S")
        self.send(b"", False, "SA")
        self.send(b"", True, "A")
    def send(self, payload, c2s, flags="PA"):
        src, dst = ("10.1.0.5", "10.1.0.9") if c2s else ("10.1.0.9", "10.1.0.5")
        sp, dp = (self.sport, 445) if c2s else (445, self.sport)
        macs = (MAC_C, MAC_S) if c2s else (MAC_S, MAC_C)
        p = Ether(src=macs[0], dst=macs[1]) / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags,
                                                   seq=self.seq[c2s], ack=self.seq[not c2s])
        if payload:
            p = p / payload
        p.time = self.t
        self.t += 0.01
        self.pkts.append(p)
        self.seq[c2s] += len(payload) + (1 if "S" in flags else 0)
    def msg(self, m, c2s):
        self.send(b"\0" + len(m).to_bytes(3, "big") + m, c2s)
    def next_mid(self):
        self.mid += 1
        return self.mid
    def tree(self, path, tid):
        mid = self.next_mid()
        p = u16(path)
        self.msg(hdr(3, mid) + struct.pack("<HHHH", 9, 0, 72, len(p)) + p, True)
        self.msg(hdr(3, mid, tid, resp=True) + struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x1F01FF), False)
    def create(self, name, tid, fid, disposition=5, options=0x40):
        mid = self.next_mid()
        n = u16(name)
        body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019F, 0x80, 7, disposition,
                           options, 120, len(n), 0, 0)
        self.msg(hdr(5, mid, tid) + body + n, True)
        rsp = struct.pack("<HBBI4QQQII", 89, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 0)
        rsp += struct.pack("<QQII", fid, fid, 0, 0)
        self.msg(hdr(5, mid, tid, resp=True) + rsp, False)
    def write(self, tid, fid, data, offset=0):
        mid = self.next_mid()
        body = struct.pack("<HHIQQQIIHHI", 49, 112, len(data), offset, fid, fid, 0, 0, 0, 0, 0)
        self.msg(hdr(9, mid, tid) + body + data, True)
        self.msg(hdr(9, mid, tid, resp=True) + struct.pack("<HHIII", 17, 0, len(data), 0, 0), False)
    def read(self, tid, fid, data, offset=0):
        mid = self.next_mid()
        body = struct.pack("<HBBIQQQIIIHHB", 49, 0x50, 0, len(data), offset, fid, fid, 0, 0, 0, 0, 0, 0)
        self.msg(hdr(8, mid, tid) + body, True)
        self.msg(hdr(8, mid, tid, resp=True) + struct.pack("<HBBIII", 17, 80, 0, len(data), 0, 0) + data,
                 False)
    def set_info(self, tid, fid, cls, buf, reply=True):
        """SET_INFO of a file (MS-FSCC class cls), answered with success if reply."""
        mid = self.next_mid()
        body = struct.pack("<HBBIHHIQQ", 33, 1, cls, len(buf), 96, 0, 0, fid, fid)
        self.msg(hdr(0x11, mid, tid) + body + buf, True)
        if reply:
            self.msg(hdr(0x11, mid, tid, resp=True) + struct.pack("<H", 2), False)
    def rename(self, tid, fid, new, reply=False):
        n = u16(new)
        self.set_info(tid, fid, 10, struct.pack("<B7sQI", 0, b"\0" * 7, 0, len(n)) + n, reply)
    def delete(self, tid, fid):
        self.set_info(tid, fid, 13, b"\x01")  # FileDispositionInformation: DeletePending
    def pause(self, seconds):
        self.t += seconds
    def close(self, tid, fid):
        mid = self.next_mid()
        self.msg(hdr(6, mid, tid) + struct.pack("<HHIQQ", 24, 0, 0, fid, fid), True)
    def save(self, name):
        wrpcap(out + "/" + name, self.pkts)

def burst(name, nfiles, write=True):
    c = Conv()
    c.tree(r"\\fs01\data", 5)
    for i in range(nfiles):
        fid = 100 + i
        c.create("docs\\report%03d.docx" % i, 5, fid, 5 if write else 1)
        if write:
            c.write(5, fid, b"\x8a\x13" * 64)
            c.rename(5, fid, "docs\\report%03d.docx.locked" % i)
        c.close(5, fid)
    c.save(name)

burst("ransom60.pcap", 60)
burst("ransom30.pcap", 30)
burst("read60.pcap", 60, write=False)

c = Conv()
c.tree(r"\\fs01\data", 5)
c.create("tools\\nc64.exe", 5, 7)
c.write(5, 7, b"MZ\x90\x00" + b"\0" * 60)
c.save("exe_copy.pcap")

c = Conv()
c.tree(r"\\fs01\data", 5)
c.create("notes.txt", 5, 7)
c.write(5, 7, b"hello")
c.save("text_copy.pcap")

c = Conv()
c.tree(r"\\srv02\C$", 9)
c.create("Windows\\Temp\\run.ps1", 9, 3, 2)
c.save("admin_ps1.pcap")

c = Conv()
c.tree("\\\\fs01\\donn\u00e9es", 5)
c.create("outils\\D\u00e9lib\u00e9rations \u65e5\u672c \U0001F600.exe", 5, 7)
c.write(5, 7, b"MZ\x90\x00" + b"\0" * 60)
c.save("exe_copy_utf8.pcap")

# The re-extension pattern of smb_ransomware, and its look-alikes: one file at a time, slowly.
DOC = b"PK\x03\x04" + b"\x14" * 60
EXTS = [".docx", ".xlsx", ".pdf"]

def reext(name, nfiles=12, gap=10.0):
    c = Conv()
    c.tree(r"\\fs01\data", 5)
    for i in range(nfiles):
        orig, new = "compta\\budget%02d%s" % (i, EXTS[i % 3]), "compta\\budget%02d.enc" % i
        c.create(orig, 5, 200, 1)
        c.read(5, 200, DOC)
        c.close(5, 200)
        c.create(new, 5, 201, 2)
        c.write(5, 201, b"\x8a\x13" * 32)
        c.close(5, 201)
        if i % 2:
            c.create(orig, 5, 202, 1, options=0x1040)  # FILE_DELETE_ON_CLOSE
        else:
            c.create(orig, 5, 202, 1)
            c.delete(5, 202)
        c.close(5, 202)
        c.pause(gap)
    c.save(name)

def inplace(name, nfiles=12, gap=10.0):
    c = Conv()
    c.tree(r"\\fs01\data", 5)
    for i in range(nfiles):
        orig = "rh\\dossier%02d%s" % (i, EXTS[i % 3])
        c.create(orig, 5, 300, 1)
        c.read(5, 300, DOC)
        c.write(5, 300, b"\x8a\x13" * 32)
        c.rename(5, 300, orig + ".locked", reply=True)
        c.close(5, 300)
        c.pause(gap)
    c.save(name)

reext("reext_slow.pcap")
inplace("inplace_slow.pcap")

c = Conv()
c.tree(r"\\fs01\data", 5)
for i in range(12):
    tmp, doc = "rapports\\memo%02d.tmp" % i, "rapports\\memo%02d.docx" % i
    c.create(tmp, 5, 400, 2)
    c.write(5, 400, DOC)
    c.close(5, 400)
    c.create(doc, 5, 401, 5)
    c.write(5, 401, DOC)
    c.close(5, 401)
    c.create(tmp, 5, 402, 1, options=0x1040)
    c.close(5, 402)
    c.pause(5.0)
for i in range(12):
    doc, wrd, wrl = ("rapports\\note%02d.docx" % i, "rapports\\~WRD%04d.tmp" % i,
                     "rapports\\~WRL%04d.tmp" % i)
    c.create(doc, 5, 410, 1)
    c.read(5, 410, DOC)
    c.close(5, 410)
    c.create(wrd, 5, 411, 2)
    c.write(5, 411, DOC)
    c.close(5, 411)
    c.create(doc, 5, 412, 1)
    c.rename(5, 412, wrl, reply=True)
    c.close(5, 412)
    c.create(wrd, 5, 413, 1)
    c.rename(5, 413, doc, reply=True)
    c.close(5, 413)
    c.create(wrl, 5, 414, 1, options=0x1040)
    c.close(5, 414)
    c.pause(5.0)
c.save("office_save.pcap")

c = Conv()
c.tree(r"\\fs01\data", 5)
for i in range(12):
    orig = "compta\\budget%02d%s" % (i, EXTS[i % 3])
    c.create(orig, 5, 500, 1)
    c.read(5, 500, DOC)
    c.close(5, 500)
    c.create("compta\\budget%02d.bak" % i if i % 2 else orig + ".bak", 5, 501, 2)
    c.write(5, 501, DOC)
    c.close(5, 501)
    c.pause(2.0)
c.save("backup_copy.pcap")

c = Conv()
c.tree(r"\\fs01\data", 5)
for i in range(12):
    c.create("photos\\IMG_%04d.jpg" % (1200 + i), 5, 600, 1)
    c.rename(5, 600, "photos\\vacances_%02d.jpg" % i, reply=True)
    c.close(5, 600)
    c.pause(1.0)
c.save("rename_keep.pcap")

c = Conv()
c.tree(r"\\fs01\data", 5)
for i in range(12):
    orig = "partage\\plan%02d.xlsx" % i
    c.create(orig, 5, 700, 1)
    c.read(5, 700, DOC)
    c.close(5, 700)
    c.create(orig + ".tmp", 5, 701, 2)
    c.write(5, 701, DOC)
    c.close(5, 701)
    c.create(orig, 5, 702, 1)
    c.delete(5, 702)
    c.close(5, 702)
    c.create(orig + ".tmp", 5, 703, 1)
    c.rename(5, 703, orig, reply=True)
    c.close(5, 703)
    c.pause(3.0)
c.save("sync_replace.pcap")
