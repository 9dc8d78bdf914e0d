#!/usr/bin/env bash
# The SMB detectors (sensor/detect/detect_smb.c: smb_admin_share 9100300,
# lateral_tool_transfer 9100400/9100401, smb_ransomware 9100500) on the
# shared corpus and on small generated captures:
#   - PsExec (pcap-attack/LM_psexec_smb_dcerpc_epm_svcctl.pcapng) makes
#     smb_admin_share and lateral_tool_transfer (admin share variant) fire;
#   - none fires on ordinary file use (zeek/smb_smb2*.pcap, smb_smb3.pcap,
#     smb_smb311.pcap) nor on any nDPI capture;
#   - generated SMB2 sessions (python3-scapy): a ransomware-like burst of
#     write+rename over 60 files fires smb_ransomware, 30 files or 60 reads
#     do not; an executable copied to an ordinary share fires the plain
#     lateral_tool_transfer variant, a text file does not; a script created
#     on C$ fires both smb_admin_share and the admin variant.
# Runs `vigie -r F --no-redis -A out.json`. Env: VIGIE, CORPUS.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

CORPUS=${CORPUS:-$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null || echo "$ROOT")/../shared/corpus}
[ -x "$VIGIE" ] || { echo "detect_smb: no binary at $VIGIE (build first or set VIGIE)"; exit 1; }
command -v jq >/dev/null || { echo "detect_smb: jq is missing"; exit 1; }
SMB_DETECTORS='smb_admin_share lateral_tool_transfer smb_ransomware'

run() { # run FILE [CONFIG]: alerts in $T/out.json
    rm -f "$T/out.json"
    local cfg=()
    [ -n "${2:-}" ] && cfg=(-c "$2")
    "$VIGIE" "${cfg[@]}" -r "$1" --no-redis -q -A "$T/out.json" 2>"$T/err.txt"
}

sids() { # sids FILE [CONFIG]: "detector sid" of each alert, one a line
    run "$@" || return 1
    jq -r '"\(.vigie.detector) \(.alert.signature_id)"' "$T/out.json" | sort -u
}

fires() { # fires DETECTOR SID FILE [CONFIG]
    local det=$1 sid=$2; shift 2
    sids "$@" | grep -qx "$det $sid"
}

silent() { # silent FILE...: none of the SMB detectors fires on any
    local f d
    for f in "$@"; do
        run "$f" || { echo "vigie failed on $f"; return 1; }
        for d in $(jq -r '.vigie.detector' "$T/out.json" | sort -u); do
            if grep -qw "$d" <<<"$SMB_DETECTORS"; then echo "$d fired on $f"; return 1; fi
        done
    done
}

# --- corpus ---------------------------------------------------------------
if [ -d "$CORPUS" ]; then
    P=$CORPUS/pcap-attack/LM_psexec_smb_dcerpc_epm_svcctl.pcapng
    check "psexec: smb_admin_share fires (9100300)" fires smb_admin_share 9100300 "$P"
    check "psexec: lateral_tool_transfer admin share variant fires (9100401)" \
        fires lateral_tool_transfer 9100401 "$P"
    check "psexec: evidence names ADMIN\$, PSEXESVC.exe and the account" jq -e -s '
        (map(select(.vigie.detector == "smb_admin_share"))[0].vigie.evidence |
            .share == "ADMIN$" and .user == "backdoor") and
        (map(select(.vigie.detector == "lateral_tool_transfer"))[0].vigie.evidence |
            .file == "PSEXESVC.exe" and .admin_share == "ADMIN$")' "$T/out.json"
    ordinary=()
    for f in "$CORPUS"/zeek/smb_smb2*.pcap "$CORPUS"/zeek/smb_smb3.pcap "$CORPUS"/zeek/smb_smb311.pcap; do
        [ -f "$f" ] && ordinary+=("$f")
    done
    check "silent on ordinary file use (${#ordinary[@]} zeek captures)" silent "${ordinary[@]}"
    mapfile -t ndpi < <(find "$CORPUS/ndpi" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
    silent_ndpi() { # vigie exits 1 on a corrupt capture: that is not a detection
        local f d
        for f in "${ndpi[@]}"; do
            run "$f"
            [ -s "$T/out.json" ] || continue
            for d in $(jq -r '.vigie.detector' "$T/out.json" | sort -u); do
                if grep -qw "$d" <<<"$SMB_DETECTORS"; then echo "$d fired on $f"; return 1; fi
            done
        done
    }
    check "silent on every nDPI capture (${#ndpi[@]})" silent_ndpi
else
    echo "detect_smb: no corpus at $CORPUS: corpus cases skipped"
fi

# --- generated sessions ---------------------------------------------------
if /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
    /usr/bin/python3 - "$T" <<'PY'
import struct, sys
from scapy.all import IP, TCP, Ether, wrpcap

out = sys.argv[1]

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
        p = Ether() / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags,
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
    def create(self, name, tid, fid, disposition=5):
        mid = self.next_mid()
        n = u16(name)
        body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019F, 0x80, 7, disposition,
                           0x40, 120, len(n), 0, 0)
        self.msg(hdr(5, mid, tid) + body + n, True)
        rsp = struct.pack("<HBBI4QQQII", 89, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 0)
        rsp += struct.pack("<QQII", fid, fid, 0, 0)
        self.msg(hdr(5, mid, tid, resp=True) + rsp, False)
    def write(self, tid, fid, data, offset=0):
        mid = self.next_mid()
        body = struct.pack("<HHIQQQIIHHI", 49, 112, len(data), offset, fid, fid, 0, 0, 0, 0, 0)
        self.msg(hdr(9, mid, tid) + body + data, True)
        self.msg(hdr(9, mid, tid, resp=True) + struct.pack("<HHIII", 17, 0, len(data), 0, 0), False)
    def rename(self, tid, fid, new):
        mid = self.next_mid()
        n = u16(new)
        buf = struct.pack("<B7sQI", 0, b"\0" * 7, 0, len(n)) + n
        body = struct.pack("<HBBIHHIQQ", 33, 1, 10, len(buf), 96, 0, 0, fid, fid)
        self.msg(hdr(0x11, mid, tid) + body + buf, True)
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
PY
    check "60 files written and renamed: smb_ransomware fires (9100500)" \
        fires smb_ransomware 9100500 "$T/ransom60.pcap"
    check "ransomware evidence counts files" jq -e -s '
        map(select(.vigie.detector == "smb_ransomware"))[0].vigie.evidence |
        .files >= 50 and .window == 60 and .renames > 0' "$T/out.json"
    printf 'detect: {smb_ransomware: {files: 20, window: 60}}\n' >"$T/low.yaml"
    check "30 files: silent by default" silent "$T/ransom30.pcap"
    check "30 files: fires with files: 20" fires smb_ransomware 9100500 "$T/ransom30.pcap" "$T/low.yaml"
    check "60 files only read: silent" silent "$T/read60.pcap"
    check "exe copied to a share: lateral_tool_transfer (9100400)" \
        fires lateral_tool_transfer 9100400 "$T/exe_copy.pcap"
    check "text file copied: silent" silent "$T/text_copy.pcap"
    check "script created on C\$: smb_admin_share (9100300)" \
        fires smb_admin_share 9100300 "$T/admin_ps1.pcap"
    check "script created on C\$: admin share variant (9100401)" \
        fires lateral_tool_transfer 9100401 "$T/admin_ps1.pcap"
else
    echo "detect_smb: python3-scapy missing: generated cases skipped"
fi

finish detect_smb
