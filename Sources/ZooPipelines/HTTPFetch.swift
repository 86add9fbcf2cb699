import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP(S) GET into a file (`vz weights pull` of `.http` sources). Non-2xx statuses and transport
/// errors are `WeightsError.httpFailed` naming the URL.
enum HTTPFetch {
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
