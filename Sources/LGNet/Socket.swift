// Blocking POSIX TCP sockets (IPv4/IPv6 via getaddrinfo) with timeouts.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct SocketError: Error, CustomStringConvertible {
    public let what: String
    public let errno: Int32
    public init(_ what: String, errno e: Int32 = Glibc.errno) { self.what = what; self.errno = e }
    public var description: String { errno == 0 ? what : "\(what): \(String(cString: strerror(errno)))" }
    public var isTimeout: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

/// One socket may be shut down from another thread (`shutdown`, `close`
/// under `closeLock`); sending and receiving stay on one thread.
public final class Socket: @unchecked Sendable {
    public private(set) var fd: Int32
    private let closeLock = NSLock()
    private var recvBuffer: UnsafeMutableRawPointer?
    private var recvCapacity = 0

    public init(fd: Int32) {
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(); recvBuffer?.deallocate() }

    /// Splits "HOST:PORT" (IPv6 as "[::1]:7700").
    public static func parse(_ address: String) throws -> (host: String, port: Int) {
        var a = address
        var host: String
        if a.hasPrefix("["), let end = a.firstIndex(of: "]") {
            host = String(a[a.index(after: a.startIndex)..<end])
            a = String(a[a.index(after: end)...])
            guard a.hasPrefix(":") else { throw SocketError("expected HOST:PORT, got \(address)", errno: 0) }
            a.removeFirst()
        } else {
            guard let c = a.lastIndex(of: ":") else { throw SocketError("expected HOST:PORT, got \(address)", errno: 0) }
            host = String(a[..<c]); a = String(a[a.index(after: c)...])
        }
        guard let port = Int(a), (0...65535).contains(port) else { throw SocketError("bad port in \(address)", errno: 0) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }

    static func resolve(_ host: String, _ port: Int, passive: Bool) throws -> UnsafeMutablePointer<addrinfo> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        if passive { hints.ai_flags = AI_PASSIVE }
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let res else { throw SocketError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))", errno: 0) }
        return res
    }

    /// Connects, failing after `timeout` seconds.
    public static func connect(host: String, port: Int, timeout: Double = 5) throws -> Socket {
        let res = try resolve(host, port, passive: false)
        defer { freeaddrinfo(res) }
        var last = SocketError("cannot connect to \(host):\(port)", errno: 0)
        var ai: UnsafeMutablePointer<addrinfo>? = res
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = Glibc.socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd < 0 { last = SocketError("socket"); continue }
            let s = Socket(fd: fd)
            s.setTimeouts(send: timeout, receive: timeout)
            if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return s }
            last = SocketError("cannot connect to \(host):\(port)")
            s.close()
        }
        throw last
    }

    /// Binds and listens; returns the socket and the bound port (useful with port 0).
    public static func listen(host: String, port: Int, backlog: Int32 = 512) throws -> (Socket, Int) {
        let res = try resolve(host, port, passive: true)
        defer { freeaddrinfo(res) }
        let a = res.pointee
        let fd = Glibc.socket(a.ai_family, a.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.ai_protocol)
        guard fd >= 0 else { throw SocketError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let s = Socket(fd: fd)
        guard bind(fd, a.ai_addr, a.ai_addrlen) == 0 else { throw SocketError("cannot listen on \(host):\(port)") }
        guard Glibc.listen(fd, backlog) == 0 else { throw SocketError("listen") }
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let family = ss.ss_family
        let bound: Int = withUnsafePointer(to: &ss) { p in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (s, bound)
    }

    /// Waits up to `timeout` seconds for a connection; nil on timeout.
    public func accept(timeout: Double) throws -> Socket? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, Int32(timeout * 1000))
        if r == 0 || (r < 0 && errno == EINTR) { return nil }
        guard r > 0 else { throw SocketError("poll") }
        let c = Glibc.accept(fd, nil, nil)
        if c < 0 {
            if errno == EAGAIN || errno == EINTR || errno == ECONNABORTED || errno == EMFILE { return nil }
            throw SocketError("accept")
        }
        _ = fcntl(c, F_SETFD, FD_CLOEXEC)
        return Socket(fd: c)
    }

    public func setTimeouts(send: Double?, receive: Double?) {
        func tv(_ s: Double) -> timeval { timeval(tv_sec: Int(s), tv_usec: Int((s - Double(Int(s))) * 1e6)) }
        if let send { var t = tv(send); setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, socklen_t(MemoryLayout<timeval>.size)) }
        if let receive { var t = tv(receive); setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, socklen_t(MemoryLayout<timeval>.size)) }
    }

    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        try bytes.withUnsafeBytes { raw in
            while off < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n < 0 { if errno == EINTR { continue }; throw SocketError("send") }
                off += n
            }
        }
    }

    /// Reads what is available (blocking up to the receive timeout); empty at EOF.
    /// Reads into a per-socket scratch buffer (allocated once, not zeroed per
    /// call); one reader at a time.
    public func receive(max: Int = 65536) throws -> [UInt8] {
        if recvBuffer == nil || recvCapacity < max {
            recvBuffer?.deallocate()
            recvBuffer = UnsafeMutableRawPointer.allocate(byteCount: max, alignment: 8)
            recvCapacity = max
        }
        let buf = recvBuffer!
        while true {
            let n = Glibc.recv(fd, buf, max, 0)
            if n < 0 { if errno == EINTR { continue }; throw SocketError("recv") }
            return [UInt8](UnsafeRawBufferPointer(start: buf, count: n))
        }
    }

    /// Stops both directions (wakes a thread blocked in receive).
    public func shutdown() { closeLock.lock(); if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }; closeLock.unlock() }

    public func close() {
        closeLock.lock(); defer { closeLock.unlock() }
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}

/// A socket carrying Messages in frames.
public final class MessageConnection {
    public let socket: Socket
    var decoder: FrameDecoder
    /// Set once the handshake has derived the session keys (protocol 3).
    var sealer: FrameSealer?
    var opener: FrameOpener?

    public init(socket: Socket, maxFrame: Int = Framing.defaultMaxFrame) {
        self.socket = socket; decoder = FrameDecoder(maxFrame: maxFrame)
    }

    /// From now on every frame sent is sealed and every frame received must
    /// carry a valid tag.
    public func authenticate(sealer: FrameSealer, opener: FrameOpener) {
        self.sealer = sealer; self.opener = opener
    }

    public func send(_ m: Message) throws {
        var payload = m.encoded()
        if var s = sealer { payload = s.seal(payload); sealer = s }
        try socket.send(Framing.encode(payload))
    }

    /// The next frame's payload as received (tag not checked).
    public func receiveFrame() throws -> [UInt8] {
        while true {
            if let f = try decoder.next() { return f }
            let b = try socket.receive()
            if b.isEmpty { throw SocketError("connection closed by peer", errno: 0) }
            decoder.feed(b)
        }
    }

    /// The next message; throws on EOF, timeout, a bad frame or (once
    /// authenticated) a frame whose tag is wrong.
    public func receive() throws -> Message {
        var f = try receiveFrame()
        if var o = opener { f = try o.open(f); opener = o }
        return try Message.decode(f)
    }
}
