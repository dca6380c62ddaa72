"""Test clients for airlock's HTTP/2 exec protocol (streaming/README.md, "HTTP/2 exec
protocol"): a python-h2 client session (prior knowledge or `Upgrade: h2c`) that opens one
stream per `streamtype` and collects what each stream got, and raw frame builders for the
attacks that a well-behaved library refuses to send. Runs under /usr/bin/python3 (Debian's
python3-h2 and python3-hpack)."""

import json
import socket
import ssl
import struct
import time
from urllib.parse import urlparse

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types and flags (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4

# Error codes (RFC 9113 §7).
NO_ERROR, PROTOCOL_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x7, 0x8, 0x9, 0xb


class Stream:
    """What one request stream received."""

    def __init__(self, sid, streamtype):
        self.id = sid
        self.streamtype = streamtype
        self.status = None      # the :status of the response HEADERS
        self.headers = {}
        self.data = bytearray()
        self.count = 0          # bytes received, also when `keep` is off
        self.keep = True
        self.ended = False      # END_STREAM from the server
        self.reset = None       # RST_STREAM error code (either side)

    @property
    def closed(self):
        return self.ended or self.reset is not None


class H2Session:
    """One HTTP/2 client connection to a streaming URL, driven by hand: open streams, pump the
    socket, look at what arrived. `auto_ack=False` withholds WINDOW_UPDATE (a reader that
    stopped consuming); `ack()` grants what was withheld."""

    def __init__(self, url, window=1 << 20, upgrade_streamtype=None, upgrade_method="GET", timeout=30,
                 tls_context=None):
        u = urlparse(url)
        self.authority = u.netloc
        self.path = u.path
        self.scheme = u.scheme
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        self.alpn = None
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock, server_hostname=u.hostname)
            self.alpn = self.sock.selected_alpn_protocol()
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window,
            h2.settings.SettingCodes.ENABLE_PUSH: 0})
        self.streams = {}
        self.goaway = None            # (error code, debug data) of the server's GOAWAY
        self.eof = False
        self.auto_ack = True
        self.unacked = {}             # stream id -> flow-controlled bytes not acknowledged yet
        self.remote_settings = {}
        self.upgrade_response = None  # the HTTP/1.1 101 head on the h2c path
        if upgrade_streamtype is None:
            self.conn.initiate_connection()
        else:
            self._upgrade(upgrade_streamtype, upgrade_method)
        self.conn.increment_flow_control_window(64 << 20)  # the connection window is never the limit
        self.flush()

    def _upgrade(self, streamtype, method):
        settings = self.conn.initiate_upgrade_connection().decode().rstrip("=")
        head = ("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                "HTTP2-Settings: %s\r\nStreamType: %s\r\n\r\n" % (method, self.path, self.authority, settings,
                                                                   streamtype))
        self.sock.sendall(head.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed during the h2c upgrade; got %r" % data)
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        self.upgrade_response = head.decode("latin-1")
        if not self.upgrade_response.startswith("HTTP/1.1 101"):
            raise AssertionError("h2c upgrade refused: %r" % data)
        self.streams[1] = Stream(1, streamtype)
        self.flush()
        if rest:
            self._feed(rest)

    # -- sending ---------------------------------------------------------------------------
    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def open(self, streamtype, end_stream=False, method=None, extra=()):
        """Opens a request stream for `streamtype` (None: no streamtype header)."""
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", method or ("GET" if end_stream else "POST")), (":scheme", self.scheme),
                   (":authority", self.authority), (":path", self.path)]
        if streamtype is not None:
            headers.append(("streamtype", streamtype))
        headers += list(extra)
        self.conn.send_headers(sid, headers, end_stream=end_stream)
        self.streams[sid] = Stream(sid, streamtype)
        self.flush()
        return sid

    def send(self, sid, data, end_stream=False, timeout=30):
        """Sends within the server's windows, pumping the socket while they are closed."""
        deadline = time.time() + timeout
        view = memoryview(data)
        while view:
            n = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size, len(view))
            if n <= 0:
                if time.time() > deadline or not self.pump(0.5) and self.eof:
                    raise AssertionError("no window to send on stream %d" % sid)
                continue
            self.conn.send_data(sid, view[:n].tobytes())
            view = view[n:]
            self.flush()
        if end_stream:
            self.conn.end_stream(sid)
            self.flush()

    def reset(self, sid, code=CANCEL):
        self.conn.reset_stream(sid, code)
        self.streams[sid].reset = code
        self.flush()

    def ack(self):
        for sid, n in self.unacked.items():
            if n:
                self.conn.acknowledge_received_data(n, sid)
        self.unacked.clear()
        self.flush()

    # -- receiving -------------------------------------------------------------------------
    def pump(self, timeout):
        """Reads once (up to `timeout` seconds); False on timeout or EOF."""
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, ssl.SSLEOFError):
            data = b""
        if not data:
            self.eof = True
            return False
        self._feed(data)
        return True

    def _feed(self, data):
        for event in self.conn.receive_data(data):
            self._on_event(event)
        self.flush()

    def _on_event(self, ev):
        if isinstance(ev, h2.events.ResponseReceived):
            s = self.streams[ev.stream_id]
            s.headers = dict(ev.headers)
            s.status = int(s.headers[":status"])
        elif isinstance(ev, h2.events.DataReceived):
            s = self.streams[ev.stream_id]
            s.count += len(ev.data)
            if s.keep:
                s.data += ev.data
            if self.auto_ack:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            else:
                self.unacked[ev.stream_id] = self.unacked.get(ev.stream_id, 0) + ev.flow_controlled_length
        elif isinstance(ev, h2.events.StreamEnded):
            self.streams[ev.stream_id].ended = True
        elif isinstance(ev, h2.events.StreamReset):
            if ev.stream_id in self.streams:
                self.streams[ev.stream_id].reset = ev.error_code
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            self.remote_settings.update({k: v.new_value for k, v in ev.changed_settings.items()})
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = (ev.error_code, ev.additional_data)

    def run_until(self, predicate, timeout=30, what="condition"):
        deadline = time.time() + timeout
        while not predicate():
            if time.time() > deadline:
                raise AssertionError("h2: timed out after %ss waiting for %s; streams %s, goaway %r" %
                                     (timeout, what, self.describe(), self.goaway))
            if not self.pump(min(1.0, max(0.01, deadline - time.time()))) and self.eof and not predicate():
                raise AssertionError("h2: server closed while waiting for %s; streams %s, goaway %r" %
                                     (what, self.describe(), self.goaway))
        return True

    def run_to_eof(self, timeout=30):
        deadline = time.time() + timeout
        while not self.eof:
            if time.time() > deadline:
                raise AssertionError("h2: server kept the connection open for %ss" % timeout)
            self.pump(1.0)

    def describe(self):
        return {sid: (s.streamtype, s.status, s.count, s.ended, s.reset) for sid, s in self.streams.items()}

    def by_type(self, streamtype):
        return next(s for s in self.streams.values() if s.streamtype == streamtype)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ExecResult:
    def __init__(self, session):
        self.session = session
        self.streams = {s.streamtype: s for s in session.streams.values()}

    def out(self, streamtype):
        s = self.streams.get(streamtype)
        return bytes(s.data) if s else b""

    @property
    def status(self):
        return json.loads(self.out("error"))

    @property
    def exit_code(self):
        st = self.status
        if st["status"] == "Success":
            return 0
        causes = st.get("details", {}).get("causes", [])
        return int(next(c["message"] for c in causes if c["reason"] == "ExitCode"))


def h2_exec(url, types, stdin=None, resize=None, timeout=60, **session_args):
    """Runs one exec/attach session to its end over prior knowledge (or h2c when
    `upgrade_streamtype` is given): opens `types`, writes `stdin` (then END_STREAM) and
    `resize` sizes, waits for END_STREAM on error and the connection's end."""
    s = H2Session(url, **session_args)
    try:
        for t in types:
            if s.streams.get(1) and s.streams[1].streamtype == t:
                continue  # the upgrade request already is this stream
            s.open(t, end_stream=t not in ("stdin", "resize"))
        if resize:
            sid = s.by_type("resize").id
            s.send(sid, b"".join(json.dumps({"Width": w, "Height": h}).encode() + b"\n" for w, h in resize))
        if "stdin" in types:
            s.send(s.by_type("stdin").id, stdin or b"", end_stream=True)
        s.run_until(lambda: s.by_type("error").closed, timeout=timeout, what="the status on the error stream")
        s.run_to_eof(timeout=15)
        return ExecResult(s)
    finally:
        s.close()


# -- raw frames -----------------------------------------------------------------------------
def frame(ftype, flags, sid, payload=b""):
    return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", ftype, flags, sid & 0x7FFFFFFF) + payload


def settings_frame(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack("!HI", k, v) for k, v in pairs))


def rst_frame(sid, code=CANCEL):
    return frame(RST_STREAM, 0, sid, struct.pack("!I", code))


def request_block(encoder, url, streamtype=None, method="POST", extra=()):
    u = urlparse(url)
    headers = [(":method", method), (":scheme", "http"), (":authority", u.netloc), (":path", u.path)]
    if streamtype:
        headers.append(("streamtype", streamtype))
    return encoder.encode(headers + list(extra))


def parse_frames(buf):
    """Splits complete frames off `buf`: ([(type, flags, sid, payload)], rest)."""
    frames = []
    while len(buf) >= 9:
        length = int.from_bytes(buf[:3], "big")
        if len(buf) < 9 + length:
            break
        ftype, flags, sid = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        frames.append((ftype, flags, sid, bytes(buf[9:9 + length])))
        buf = buf[9 + length:]
    return frames, buf


class RawConnection:
    """A prior-knowledge connection written frame by frame; records the server's frames."""

    def __init__(self, url, timeout=10):
        u = urlparse(url)
        self.url = url
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        self.encoder = hpack.Encoder()
        self.frames = []
        self.buf = b""
        self.raw = b""  # everything the server sent, for answers that are not frames
        self.eof = False

    def start(self):
        """Preface + empty SETTINGS, waits for the server's SETTINGS and acknowledges them."""
        self.sock.sendall(PREFACE + settings_frame())
        self.read_until(lambda: any(f[0] == SETTINGS and not f[1] & ACK for f in self.frames), 10)
        self.sock.sendall(settings_frame(ack=True))
        return self

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False  # the server closed first: also an answer

    def read(self, timeout):
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.raw += data
        new, self.buf = parse_frames(self.buf + data)
        self.frames += new
        return True

    def read_until(self, predicate, timeout):
        deadline = time.time() + timeout
        while not predicate() and time.time() < deadline and not self.eof:
            self.read(max(0.01, min(1.0, deadline - time.time())))
        return predicate()

    def read_to_eof(self, timeout):
        """True when the server closed the connection within `timeout`."""
        return self.read_until(lambda: self.eof, timeout)

    def goaway(self):
        """(last stream id, error code, debug data) of the first GOAWAY, or None."""
        for ftype, _, _, payload in self.frames:
            if ftype == GOAWAY:
                return (int.from_bytes(payload[:4], "big") & 0x7FFFFFFF, int.from_bytes(payload[4:8], "big"),
                        payload[8:])
        return None

    def resets(self):
        """{stream id: error code} of the server's RST_STREAM frames."""
        return {sid: int.from_bytes(p[:4], "big") for ftype, _, sid, p in self.frames if ftype == RST_STREAM}

    def settings(self):
        out = {}
        for ftype, flags, _, payload in self.frames:
            if ftype == SETTINGS and not flags & ACK:
                for i in range(0, len(payload) - 5, 6):
                    k, v = struct.unpack("!HI", payload[i:i + 6])
                    out[k] = v
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
