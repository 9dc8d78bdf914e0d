#!/usr/bin/python3
"""Seeds for the fuzz targets from the captures of ../shared/corpus.

    tests/fuzz/seed.py OUTDIR [MAX_PER_TARGET]

Writes OUTDIR/<target>/<sha1> files in each target's input format:
  fuzz_decode      one byte, the link type's index in fuzz_decode.c's link_types[],
                   then one frame as captured (the first frames of each capture)
  fuzz_<protocol>  two bytes (0 TCP / 1 UDP; segment size / 16), then the payload
                   of one packet that tshark dissects as that protocol
Frames are read from classic pcap (editcap converts pcapng), payloads from
tshark. Prints how many seeds each target got. Without ../shared/corpus, tshark
or editcap it writes nothing and says so.
"""
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
# DLT -> index in fuzz_decode.c's link_types[].
LINK_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7, 9: 8, 50: 9, 104: 10,
              127: 11}
# target: the protocol names in tshark's frame.protocols that make a seed for it
PROTOCOLS = {
    "fuzz_smb": ("smb", "smb2"),
    "fuzz_dcerpc": ("dcerpc",),
    "fuzz_kerberos": ("kerberos",),
    "fuzz_ntlmssp": ("ntlmssp",),
    "fuzz_rdp": ("rdp", "tpkt"),
    "fuzz_http": ("http",),
}
FILTER = " || ".join(sorted({p for ps in PROTOCOLS.values() for p in ps}))
FRAMES_PER_CAPTURE = 20
PAYLOADS_PER_CAPTURE = 30


def save(out, target, data, counts, limit):
    if not data or counts.get(target, 0) >= limit:
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(name):
        with open(name, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1


def frames(path, tmp):
    """(link type, frame) of the first frames of a capture, through classic pcap."""
    plain = os.path.join(tmp, "plain.pcap")
    if subprocess.run(["editcap", "-F", "pcap", "-r", path, plain, "1-%d" % FRAMES_PER_CAPTURE],
                      capture_output=True).returncode:
        return
    data = open(plain, "rb").read()
    if len(data) < 24:
        return
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    dlt = struct.unpack_from(endian + "I", data, 20)[0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from(endian + "I", data, off + 8)[0]
        yield dlt, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def payloads(path):
    """(protocols, udp, payload) of the packets tshark dissects as one of ours: one
    tshark run per capture."""
    cmd = ["tshark", "-n", "-r", path, "-Y", FILTER, "-T", "fields", "-E", "separator=\t",
           "-e", "frame.protocols", "-e", "tcp.payload", "-e", "udp.payload"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    for line in r.stdout.splitlines():
        protos, tcp_hex, udp_hex = (line.split("\t") + ["", ""])[:3]
        hexdata, udp = (tcp_hex, 0) if tcp_hex else (udp_hex, 1)
        try:
            yield set(protos.split(":")), udp, bytes.fromhex(hexdata.replace(":", "").split(",")[0])
        except ValueError:
            continue


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out, limit = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    if not os.path.isdir(CORPUS) or not shutil.which("tshark") or not shutil.which("editcap"):
        print("seed: no ../shared/corpus, tshark or editcap: no seeds")
        return
    caps = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(CORPUS) for f in fs
                  if f.endswith((".pcap", ".pcapng", ".cap")))
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in caps:
            for dlt, frame in frames(path, tmp):
                if dlt in LINK_INDEX:
                    save(out, "fuzz_decode", bytes([LINK_INDEX[dlt]]) + frame, counts, limit)
            if "/ndpi/" in path:
                continue  # application captures: few of the protocols dissected here
            per_capture = {}
            for protos, udp, payload in payloads(path):
                for target, names in PROTOCOLS.items():
                    if protos.intersection(names) and per_capture.get(target, 0) < PAYLOADS_PER_CAPTURE:
                        per_capture[target] = per_capture.get(target, 0) + 1
                        save(out, target, bytes([udp, 0xFF]) + payload, counts, limit)
    print("seed: " + ", ".join("%s %d" % (t, n) for t, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
