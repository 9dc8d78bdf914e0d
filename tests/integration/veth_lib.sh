# A veth pair with one end in a private network namespace, for the live
# capture tests (sourced). The caller sets NAME (its name in messages),
# BIN (the binary it needs) and PREFIX (a short interface prefix), and may
# set bg_pid (a background process to stop at exit). Sets NS, TX, RX and
# tmp; skips (exit 0) when not root or without ip / tcpreplay / namespaces.
skip() { echo "$NAME: skipped ($*)"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root"
command -v ip >/dev/null || skip "no ip command"
command -v tcpreplay >/dev/null || skip "no tcpreplay"
command -v jq >/dev/null || { echo "$NAME: jq is missing"; exit 1; }
[ -x "$BIN" ] || { echo "$NAME: no binary at $BIN (build first)"; exit 1; }

NS=vigie-$PREFIX-$$
TX=vg$PREFIX$$a RX=vg$PREFIX$$b # interface names stay under IFNAMSIZ (15)
tmp=$(mktemp -d)
bg_pid=
cleanup() {
    [ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null && wait "$bg_pid" 2>/dev/null
    ip link del "$TX" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip link add "$TX" type veth peer name "$RX" 2>/dev/null || skip "cannot create a veth pair"
ip link set "$RX" netns "$NS" || skip "cannot move a veth end into the namespace"
# no IPv6 on either end: the kernel then sends nothing of its own (no ND, MLD)
sysctl -qw "net.ipv6.conf.$TX.disable_ipv6=1" 2>/dev/null
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$RX.disable_ipv6=1" 2>/dev/null
ip link set "$TX" up && ip netns exec "$NS" ip link set "$RX" up &&
    ip netns exec "$NS" ip link set lo up || skip "cannot bring the veth pair up"
