import NIOCore
import NIOHTTP1

/// A whole upstream response, as collected by ``UpstreamHTTPClient``.
public struct UpstreamResponse: Sendable {
    /// The response status.
    public var status: HTTPResponseStatus
    /// The response headers.
    public var headers: HTTPHeaders
    /// The complete body (empty when there was none).
    public var body: ByteBuffer

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Request/response convenience for paths that are not hot: warmups, quota polls, OAuth token
/// refreshes, anonymous-token minting. Runs on the same pools (and connections) as the proxy;
/// collects the whole body, up to a cap.
///
/// Don't use it to relay client traffic: use ``UpstreamConnectionPool/execute(_:delegate:)``
/// from the client's event loop instead.
public struct UpstreamHTTPClient: Sendable {
    private let pools: UpstreamPools
    private let group: any EventLoopGroup

    /// Creates a client that sends on `pools`, spreading requests over the loops of `group`.
    public init(pools: UpstreamPools, group: any EventLoopGroup) {
        self.pools = pools
        self.group = group
    }

    /// Sends `request` and returns the whole response.
    ///
    /// Cancelling the calling task cancels the exchange (its connection is closed) and throws
    /// ``UpstreamError/cancelled``.
    ///
    /// - Parameter maxBodyBytes: Largest body accepted (default 4 MiB); a larger one fails with
    ///   ``UpstreamError/responseTooLarge(limit:)`` and the connection is closed.
    public func send(_ request: UpstreamRequest, maxBodyBytes: Int = 4 << 20) async throws(UpstreamError) -> UpstreamResponse {
        let eventLoop = self.group.next()
        let collector = ResponseCollector(eventLoop: eventLoop, maxBodyBytes: maxBodyBytes)
        let pools = self.pools
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<UpstreamResponse, UpstreamError>, Never>) in
                let submitted = eventLoop.submit {
                    collector.start(request, pool: pools.pool(for: eventLoop), continuation: continuation)
                }
                submitted.whenFailure { _ in
                    // The loop is shut down: the closure never ran, so the continuation is untouched.
                    continuation.resume(returning: .failure(.shutdown))
                }
            }
        } onCancel: {
            eventLoop.execute {
                collector.cancel()
            }
        }
        return try result.get()
    }
}

/// Collects one response for ``UpstreamHTTPClient``.
///
/// `@unchecked Sendable`: it is created off the loop but all of its mutable state is touched only
/// on `eventLoop` (`start`, `cancel` and the delegate callbacks all run there).
private final class ResponseCollector: UpstreamResponseDelegate, @unchecked Sendable {
    private let eventLoop: any EventLoop
    private let maxBodyBytes: Int
    private var continuation: CheckedContinuation<Result<UpstreamResponse, UpstreamError>, Never>?
    private var exchange: UpstreamExchange?
    private var head: UpstreamResponseHead?
    private var body: ByteBuffer?
    private var cancelled = false

    init(eventLoop: any EventLoop, maxBodyBytes: Int) {
        self.eventLoop = eventLoop
        self.maxBodyBytes = maxBodyBytes
    }

    func start(
        _ request: UpstreamRequest,
        pool: UpstreamConnectionPool,
        continuation: CheckedContinuation<Result<UpstreamResponse, UpstreamError>, Never>
    ) {
        self.continuation = continuation
        if self.cancelled {
            self.complete(.failure(.cancelled))
            return
        }
        self.exchange = pool.execute(request, delegate: self)
    }

    func cancel() {
        self.cancelled = true
        self.abandon(with: .cancelled)
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        self.head = head
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > self.maxBodyBytes {
            self.abandon(with: .responseTooLarge(limit: self.maxBodyBytes))
        }
    }

    func upstreamDidReceiveBodyPart(_ part: ByteBuffer) {
        guard self.continuation != nil else { return }
        let total = (self.body?.readableBytes ?? 0) + part.readableBytes
        if total > self.maxBodyBytes {
            self.abandon(with: .responseTooLarge(limit: self.maxBodyBytes))
            return
        }
        if self.body == nil {
            self.body = part
        } else {
            self.body!.writeImmutableBuffer(part)
        }
    }

    func upstreamDidFinish() {
        guard let head = self.head else {
            self.complete(.failure(.malformedResponse("the response ended without a head", beforeResponseHead: true)))
            return
        }
        self.complete(.success(UpstreamResponse(status: head.status, headers: head.headers, body: self.body ?? ByteBuffer())))
    }

    func upstreamDidFail(_ error: UpstreamError) {
        self.complete(.failure(error))
    }

    private func abandon(with error: UpstreamError) {
        let exchange = self.exchange
        self.exchange = nil
        exchange?.cancel()
        self.complete(.failure(error))
    }

    private func complete(_ result: Result<UpstreamResponse, UpstreamError>) {
        guard let continuation = self.continuation else { return }
        self.continuation = nil
        self.exchange = nil
        self.body = nil
        continuation.resume(returning: result)
    }
}
