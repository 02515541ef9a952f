"""A kubelet stand-in for `monitor --pod-resources` on a GPU machine (no
Kubernetes there): the pod-resources API's v1 `List` over a unix socket.

Python's standard library has no HTTP/2 or gRPC, so this speaks just enough
of them for one unary call per connection (h2c with prior knowledge, as
gRPC over a unix socket is): the server SETTINGS, SETTINGS/PING answers,
and per request a response HEADERS (`:status 200`, `content-type:
application/grpc`, HPACK literals, no Huffman), one DATA frame with the
length-prefixed protobuf answer, and trailers (`grpc-status: 0`). It is a
second, independent peer for gpuctl's tonic client (the Rust tests use
tonic's own server).

Message field numbers from the kubelet's api.proto
(staging/src/k8s.io/kubelet/pkg/apis/podresources/v1/api.proto):
ListPodResourcesResponse.pod_resources = 1; PodResources name = 1,
namespace = 2, containers = 3; ContainerResources name = 1, devices = 2;
ContainerDevices resource_name = 1, device_ids = 2.
"""
import socket
import struct
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING = 0x0, 0x1, 0x4, 0x6
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, body):
    """A length-delimited protobuf field (strings, bytes, messages)."""
    if isinstance(body, str):
        body = body.encode()
    return varint(number << 3 | 2) + varint(len(body)) + body


def list_response(pods):
    """pods: [(namespace, name, container, resource, [device ids])]."""
    out = b""
    for namespace, name, container, resource, ids in pods:
        devices = field(1, resource) + b"".join(field(2, i) for i in ids)
        container_msg = field(1, container) + field(2, devices)
        pod = field(1, name) + field(2, namespace) + field(3, container_msg)
        out += field(1, pod)
    return out


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """HPACK literal header field without indexing, new name, no Huffman."""
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


class Kubelet:
    """Serves `List` answering `pods` on `path` until the process ends."""

    def __init__(self, path, pods):
        self.path = path
        self.answer = list_response(pods)
        self.calls = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            if read_exact(conn, len(PREFACE)) != PREFACE:
                return
            conn.sendall(frame(SETTINGS, 0, 0))
            while True:
                head = read_exact(conn, 9)
                length = int.from_bytes(head[:3], "big")
                kind, flags = head[3], head[4]
                stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
                payload = read_exact(conn, length)
                if kind == SETTINGS and not flags & ACK:
                    conn.sendall(frame(SETTINGS, ACK, 0))
                elif kind == PING and not flags & ACK:
                    conn.sendall(frame(PING, ACK, 0, payload))
                elif kind == DATA and flags & END_STREAM:
                    self.calls += 1
                    headers = b"\x88" + literal(b"content-type", b"application/grpc")
                    body = b"\x00" + struct.pack(">I", len(self.answer)) + self.answer
                    trailers = literal(b"grpc-status", b"0")
                    conn.sendall(
                        frame(HEADERS, END_HEADERS, stream, headers)
                        + frame(DATA, 0, stream, body)
                        + frame(HEADERS, END_HEADERS | END_STREAM, stream, trailers)
                    )
        except (EOFError, OSError):
            pass
        finally:
            conn.close()


def silent(path):
    """A socket that accepts connections and never answers: a hung kubelet."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(16)
    held = []

    def accept():
        while True:
            conn, _ = sock.accept()
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return sock
