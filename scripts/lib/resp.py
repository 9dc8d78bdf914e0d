"""A minimal Redis client (RESP2) for scripts/vigie-tail and scripts/report:
enough for AUTH, SELECT, SUBSCRIBE, XREAD and XRANGE, over TCP or a unix
socket, with the URL grammar of the sensor's own parser. Standard library
only."""
import re
import socket
import urllib.parse


class RedisError(Exception):
    """An error reply from the server (-ERR ...)."""


def parse_redis_url(url):
    """Returns dict(host, port, path, user, password, db), the grammar of the
    sensor's own parser (sensor/redis_url.c)."""
    u = dict(host="127.0.0.1", port=6379, path=None, user=None, password=None, db=0)

    def userinfo(auth):
        if "@" not in auth:
            return auth
        cred, rest = auth.rsplit("@", 1)
        if ":" not in cred:
            raise ValueError("credentials must be user:password@ or :password@")
        user, pw = cred.split(":", 1)
        u["user"] = urllib.parse.unquote(user) or None
        u["password"] = urllib.parse.unquote(pw)
        if not u["password"]:
            raise ValueError("empty password")
        return rest

    if url.startswith("redis://"):
        rest = url[len("redis://"):]
        cut = len(rest)
        for ch in "/?#":
            i = rest.find(ch)
            if i >= 0:
                cut = min(cut, i)
        hostport, tail = userinfo(rest[:cut]), rest[cut:]
        if hostport.startswith("["):
            rb = hostport.find("]")
            if rb < 0:
                raise ValueError("missing ']' after IPv6 address")
            host, after = hostport[1:rb], hostport[rb + 1:]
            if after and not after.startswith(":"):
                raise ValueError("junk after IPv6 address")
            port = after[1:] if after else None
        elif ":" in hostport:
            host, port = hostport.split(":", 1)
        else:
            host, port = hostport, None
        u["host"] = host or "127.0.0.1"
        if port is not None:
            if not port.isdigit() or not 1 <= int(port) <= 65535:
                raise ValueError("port must be 1-65535")
            u["port"] = int(port)
        if tail not in ("", "/"):
            if not tail.startswith("/") or not tail[1:].isdigit():
                raise ValueError("database must be a number after '/'")
            u["db"] = int(tail[1:])
        return u
    if url.startswith("unix://"):
        rest = url[len("unix://"):]
        slash = rest.find("/")
        if slash < 0:
            raise ValueError("unix socket needs an absolute path (unix:///path)")
        if userinfo(rest[:slash]):
            raise ValueError("unix socket needs an absolute path (unix:///path)")
        path, _, query = rest[slash:].partition("?")
        u["path"] = path
        if query:
            if not query.startswith("db=") or not query[3:].isdigit():
                raise ValueError("only ?db=N is understood after a socket path")
            u["db"] = int(query[3:])
        return u
    if url.startswith("rediss://"):
        raise ValueError("TLS (rediss://) is not supported")
    raise ValueError("expected redis://host[:port][/db] or unix:///path")


def redact(url):
    """The URL without its password, for messages."""
    return re.sub(r"^([a-z]+://)([^:/?#@]*):[^/?#]*@", r"\1\2:***@", url)


class Redis:
    def __init__(self, url, timeout=10.0):
        self.cfg = parse_redis_url(url)
        self.timeout = timeout
        self.sock = None
        self.buf = bytearray()

    def connect(self):
        c = self.cfg
        if c["path"]:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            try:
                s.connect(c["path"])
            except OSError:
                s.close()
                raise
        else:
            s = socket.create_connection((c["host"], c["port"]), timeout=self.timeout)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.sock, self.buf = s, bytearray()
        if c["password"] is not None:
            if c["user"]:
                self.command("AUTH", c["user"], c["password"])
            else:
                self.command("AUTH", c["password"])
        if c["db"]:
            self.command("SELECT", str(c["db"]))
        return self

    def close(self):
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def command(self, *args):
        self.send(*args)
        r = self.reply()
        if isinstance(r, RedisError):
            raise r
        return r

    # Partial data stays in self.buf, so a read that times out can be retried.
    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buf += data

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def reply(self):
        """Reads one complete reply. Error replies are returned (nested ones
        too), not raised."""
        val, end = self._parse(0)
        del self.buf[:end]
        return val

    def _parse(self, pos):
        while len(self.buf) <= pos:
            self._fill()
        t = self.buf[pos:pos + 1]
        eol = self._line(pos)
        line = bytes(self.buf[pos + 1:eol])
        nxt = eol + 2
        if t == b"+":
            return line, nxt
        if t == b"-":
            return RedisError(line.decode("utf-8", "replace")), nxt
        if t == b":":
            return int(line), nxt
        if t == b"$":
            n = int(line)
            if n < 0:
                return None, nxt
            while len(self.buf) < nxt + n + 2:
                self._fill()
            return bytes(self.buf[nxt:nxt + n]), nxt + n + 2
        if t == b"*":
            n = int(line)
            if n < 0:
                return None, nxt
            items = []
            for _ in range(n):
                v, nxt = self._parse(nxt)
                items.append(v)
            return items, nxt
        raise ConnectionError("unexpected RESP type %r" % t)
