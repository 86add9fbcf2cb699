import Foundation
import Hummingbird
import ZooPipelines

extension VisionServer {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// `Encodable` as the JSON response (keys sorted).
    static func jsonResponse<T: Encodable>(_ value: T) throws -> Response {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try enc.encode(value) } catch { throw ServeError.internalError("cannot encode the result: \(error)") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A `GalleryPerson` as a JSON object (for the dictionary-shaped responses).
    static func object(_ p: GalleryPerson) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(p)) as? [String: Any]) ?? ["name": p.name]
    }

    /// An optional `threshold` field / query parameter (a cosine in -1...1).
    static func threshold(_ text: String?, name: String = "threshold") throws -> Float? {
        guard let s = text else { return nil }
        return try QueryValue.number(s, name: name, in: VerifyQuery.thresholdRange, what: "a cosine")
    }

    /// The face embedding, gallery and DeepStack face-recognition routes (all in the OpenAPI document).
    static func galleryHandlers(_ service: VisionService) -> [String: Handler] {
        let limit = service.configuration.maxBodyBytes
        @Sendable func one(_ f: FormFields) throws -> FaceUpload {
            guard let u = f.images.first else {
                let got = f.form?.parts.map { "'\($0.name)'" }.joined(separator: ", ") ?? "no multipart body"
                throw ServeError.badRequest("multipart field 'image' is missing (got \(got.isEmpty ? "no fields" : got))")
            }
            return u
        }
        return [
            "POST /v1/faces/embed": { request, _ in
                let upload = try await ImageUpload.read(request, field: "image", limit: limit)
                let r = try await service.faces(FaceUpload(data: upload.data, field: "image", filename: upload.filename), embed: true)
                return try jsonResponse(r)
            },
            "GET /v1/gallery": { _, _ in
                let people = try await service.galleryPeople()
                return HTTPJSON.response(["success": true, "gallery_size": people.count, "people": people.map(object)])
            },
            "POST /v1/gallery/add": { request, _ in
                let f = try await FormFields.read(request, limit: limit)
                guard let name = f.text("name") ?? f.text("userid") else { throw ServeError.badRequest("field 'name' is missing") }
                let p = try await service.register(person: name, f.images)
                return HTTPJSON.response(["success": true, "person": object(p)])
            },
            "POST /v1/gallery/remove": { request, _ in
                let f = try await FormFields.read(request, limit: limit)
                guard let name = f.text("name") ?? f.text("userid") else { throw ServeError.badRequest("field 'name' is missing") }
                try await service.galleryRemove(name)
                return HTTPJSON.response(["success": true, "removed": name])
            },
            "POST /v1/gallery/identify": { request, _ in
                let t = try threshold(request.uri.queryParameters["threshold"].map(String.init))
                let upload = try await ImageUpload.read(request, field: "image", limit: limit)
                let r = try await service.identify(FaceUpload(data: upload.data, field: "image", filename: upload.filename), threshold: t)
                return try jsonResponse(r)
            },
            "POST /v1/vision/face": { request, _ in
                let start = ContinuousClock.now
                let f = try await FormFields.read(request, limit: limit)
                let minConfidence = try DeepStack.minConfidence(f.text("min_confidence"))
                let r = try await service.faces(try one(f), embed: false)
                return HTTPJSON.response(DeepStack.faceDetection(r, minConfidence: minConfidence, processMs: (ContinuousClock.now - start).seconds * 1000))
            },
            "POST /v1/vision/face/register": { request, _ in
                let f = try await FormFields.read(request, limit: limit)
                guard let userid = f.text("userid") else { throw ServeError.badRequest("user id not specified (field 'userid')") }
                guard !f.images.isEmpty else { throw ServeError.badRequest("No valid image file found (field 'image', or 'image1', 'image2', ...)") }
                _ = try await service.register(person: userid, f.images)
                return HTTPJSON.response(["success": true, "message": "face added"])
            },
            "POST /v1/vision/face/recognize": { request, _ in
                let start = ContinuousClock.now
                let f = try await FormFields.read(request, limit: limit)
                let t = try threshold(f.text("min_confidence"), name: "min_confidence")
                let r = try await service.identify(try one(f), threshold: t)
                return HTTPJSON.response(DeepStack.faceRecognition(r, processMs: (ContinuousClock.now - start).seconds * 1000))
            },
            "POST /v1/vision/face/list": { request, _ in
                _ = try await FormFields.read(request, limit: limit)
                return HTTPJSON.response(["success": true, "faces": try await service.galleryPeople().map(\.name)])
            },
            "POST /v1/vision/face/delete": { request, _ in
                let f = try await FormFields.read(request, limit: limit)
                guard let userid = f.text("userid") else { throw ServeError.badRequest("user id not specified (field 'userid')") }
                try await service.galleryRemove(userid)
                return HTTPJSON.response(["success": true, "message": "user deleted successfully"])
            },
        ]
    }
}
