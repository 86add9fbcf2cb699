import Foundation
import ZooTensor
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP(S) GET into a file (`vz weights pull` of `.http` sources). Non-2xx statuses and transport
/// errors are `WeightsError.httpFailed` naming the URL.
public enum HTTPFetch {
    static func download(_ url: URL, to dst: URL, timeout: TimeInterval = 600) throws {
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var file: URL?; var status = 0; var error: Error? }
        let box = Box()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: config)
        let task = session.downloadTask(with: url) { file, response, error in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.error = error
            if let file {   // the temporary file is removed when this handler returns: move it now
                let keep = dst.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).part")
                do { try FileManager.default.moveItem(at: file, to: keep); box.file = keep } catch { box.error = error }
            }
            done.signal()
        }
        task.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        if let e = box.error { throw WeightsError.httpFailed(url: url.absoluteString, message: e.localizedDescription) }
        guard (200..<300).contains(box.status), let file = box.file else {
            if let f = box.file { try? FileManager.default.removeItem(at: f) }
            throw WeightsError.httpFailed(url: url.absoluteString, message: "HTTP status \(box.status)")
        }
        try? FileManager.default.removeItem(at: dst)
        try FileManager.default.moveItem(at: file, to: dst)
    }
}

extension HTTPFetch {
    /// Why a bounded fetch failed (the message names the URL).
    public struct FetchError: Error, CustomStringConvertible {
        public let description: String
    }

    /// One blocking GET of `url` into memory, at most `maxBytes` (refused as soon as a `Content-Length` or the
    /// bytes received exceed it, the transfer cancelled) and at most `timeout` seconds for the whole transfer.
    /// Non-2xx statuses, transport errors, over-size and over-time are `FetchError`s naming the URL.
    public static func data(_ url: URL, maxBytes: Int, timeout: TimeInterval = 30) throws -> Data {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw FetchError(description: "\(url.absoluteString): only http:// and https:// URLs are read")
        }
        let delegate = BoundedDataDelegate(maxBytes: maxBytes)
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: config, delegate: delegate, delegateQueue: nil)
        var request = URLRequest(url: url)
        request.setValue("vz/\(VisionZooVersion.string)", forHTTPHeaderField: "User-Agent")
        let task = session.dataTask(with: request)
        task.resume()
        let finished = delegate.done.wait(timeout: .now() + timeout + 5) == .success
        if !finished { task.cancel() }
        session.invalidateAndCancel()
        let name = url.absoluteString
        guard finished else { throw FetchError(description: "\(name): no complete answer within \(Int(timeout)) s") }
        let outcome = delegate.outcome()
        if let over = outcome.overLimit {
            throw FetchError(description: "\(name): larger than the \(maxBytes)-byte limit (\(over))")
        }
        if let e = outcome.error {
            let ns = e as NSError
            if ns.code == NSURLErrorTimedOut { throw FetchError(description: "\(name): timed out after \(Int(timeout)) s") }
            throw FetchError(description: "\(name): \(ns.localizedDescription)")
        }
        guard (200..<300).contains(outcome.status) else {
            throw FetchError(description: "\(name): HTTP status \(outcome.status)")
        }
        return outcome.data
    }
}

/// Collects a response body up to a byte limit; cancels the task beyond it.
private final class BoundedDataDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let maxBytes: Int
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var data = Data()
    private var status = 0
    private var error: Error?
    private var overLimit: String?

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func outcome() -> (data: Data, status: Int, error: Error?, overLimit: String?) {
        lock.lock(); defer { lock.unlock() }
        return (data, status, error, overLimit)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        lock.lock()
        status = http?.statusCode ?? 0
        let length = response.expectedContentLength
        if length > Int64(maxBytes) { overLimit = "Content-Length \(length)" }
        let refuse = overLimit != nil
        lock.unlock()
        completionHandler(refuse ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
        lock.lock()
        if overLimit == nil && data.count + chunk.count > maxBytes {
            overLimit = "more than \(maxBytes) bytes received"
            lock.unlock()
            dataTask.cancel()
            return
        }
        if overLimit == nil { data.append(chunk) }
        lock.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock(); self.error = error; lock.unlock()
        done.signal()
    }
}
