#!/usr/bin/env bash
# The appliance install: `cmake --install` lays out the FHS tree, `cpack -G
# DEB` makes a package that depends on the Debian libraries it links, and
# (as root, with no vigie package already there) the package installs, runs
# as the vigie user, and removes and purges cleanly. Prints the unit's
# `systemd-analyze security` exposure (target: 3.0 or lower).
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
B=$ROOT/build-pkg

cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null &&
    cmake --build "$B" -j"$(nproc)" --target vigie manpage >/dev/null || {
    echo "package: build failed"
    exit 1
}

# 1. cmake --install into a staging root.
DESTDIR=$T/root cmake --install "$B" >/dev/null 2>&1
for f in usr/sbin/vigie etc/vigie/vigie.yaml lib/systemd/system/vigie.service \
    etc/logrotate.d/vigie usr/share/man/man8/vigie.8.gz usr/share/doc/vigie/README.md; do
    check "install: /$f" test -s "$T/root/$f"
done
check "install: nothing but the sensor's files (no test programs)" \
    bash -c "[ \$(find '$T/root' -type f -perm -u+x | wc -l) -eq 1 ]"
check "unit: ExecStart is the installed binary" \
    grep -q '^ExecStart=/usr/sbin/vigie -c /etc/vigie/vigie.yaml' "$T/root/lib/systemd/system/vigie.service"
check "man page renders without warnings" \
    bash -c "! man --warnings -l '$T/root/usr/share/man/man8/vigie.8.gz' 2>&1 >/dev/null | grep -q ."
check "installed config passes -T" "$T/root/usr/sbin/vigie" -c "$T/root/etc/vigie/vigie.yaml" -T

if command -v systemd-analyze >/dev/null; then
    exposure=$(systemd-analyze security --offline=true "$T/root/lib/systemd/system/vigie.service" 2>/dev/null |
        sed -n 's/.*Overall exposure level for vigie.service: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze security: exposure ${exposure:-?} (target <= 3.0)"
    check "unit exposure at most 3.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 3.0) }'
fi

# 2. The package.
rm -f "$B"/vigie_*.deb
(cd "$B" && cpack -G DEB >/dev/null 2>&1)
deb=$(ls "$B"/vigie_*.deb 2>/dev/null | head -1)
check "cpack -G DEB made a package" test -s "$deb"
depends=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
for lib in libpcap0.8 libndpi libhiredis libmaxminddb0 libyaml-0-2 adduser; do
    check "package depends on $lib" grep -q "$lib" <<<"$depends"
done
check "conffiles: the config and the logrotate file" \
    bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/vigie/vigie.yaml"

# 3. dpkg -i, run, remove, purge: only as root and on a machine without vigie.
if [ "$(id -u)" -ne 0 ] || dpkg-query -W vigie >/dev/null 2>&1; then
    echo "(dpkg -i skipped: not root, or a vigie package is already installed)"
    finish "package"
    exit
fi
trap 'dpkg --purge vigie >/dev/null 2>&1; rm -rf "$T"' EXIT
check "dpkg -i" dpkg -i "$deb"
check "user vigie exists" getent passwd vigie
check "config readable by group vigie only" \
    bash -c "[ \"\$(stat -c '%U:%G %a' /etc/vigie/vigie.yaml)\" = 'root:vigie 640' ]"
check "spool and log directories belong to vigie" \
    bash -c "[ \"\$(stat -c %U /var/lib/vigie)\" = vigie ] && [ \"\$(stat -c %U /var/log/vigie)\" = vigie ]"
check "installed sensor checks its config as vigie" \
    runuser -u vigie -- /usr/sbin/vigie -c /etc/vigie/vigie.yaml -T
/usr/bin/python3 "$ROOT/scripts/gen-scenario" --out "$T/scenario.pcap" >/dev/null 2>&1
cp "$T/scenario.pcap" /var/lib/vigie/scenario.pcap && chown vigie /var/lib/vigie/scenario.pcap
runuser -u vigie -- /usr/sbin/vigie -c /etc/vigie/vigie.yaml -r /var/lib/vigie/scenario.pcap \
    --no-redis -q -A /var/log/vigie/alerts.json >/dev/null 2>&1
check "installed sensor, as vigie, writes alerts under /var/log/vigie" test -s /var/log/vigie/alerts.json
check "logrotate accepts /etc/logrotate.d/vigie" logrotate -d -s "$T/logrotate.state" /etc/logrotate.d/vigie
check "man vigie" bash -c "man -P cat vigie 2>/dev/null | grep -q 'network segmentation traffic sensor'"
check "dpkg -r" dpkg -r vigie
check "removed: no binary" test ! -e /usr/sbin/vigie
check "removed: the config stays (conffile)" test -e /etc/vigie/vigie.yaml
check "dpkg --purge" dpkg --purge vigie
check "purged: config, spool, logs and user gone" \
    bash -c "[ ! -e /etc/vigie ] && [ ! -e /var/lib/vigie ] && [ ! -e /var/log/vigie ] && ! getent passwd vigie"
finish "package"
