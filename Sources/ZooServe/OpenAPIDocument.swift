import Foundation

/// The OpenAPI 3.0 description of the service, served at `GET /openapi.json`, and the service's route table:
/// `VisionServer.makeRouter` registers exactly the operations listed here, and the 405 + `Allow` answers come
/// from the same list (`methods`).
enum OpenAPIDocument {
    /// One operation of the document: `GET /healthz`.
    struct Operation: Hashable {
        var method: String
        var path: String
        var key: String { "\(method) \(path)" }
    }

    /// Every operation in `paths`, sorted by path then method.
    static let operations: [Operation] = {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let paths = doc["paths"] as? [String: [String: Any]] else {
            preconditionFailure("openapi.json is not valid JSON with a paths object")
        }
        let verbs = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        return paths.flatMap { path, item in item.keys.filter(verbs.contains).map { Operation(method: $0.uppercased(), path: path) } }
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }()

    /// The methods each documented path answers (405 + `Allow` for the others).
    static let methods: [String: [String]] = Dictionary(grouping: operations, by: \.path).mapValues { $0.map(\.method).sorted() }

    static let json = #"""
{
  "openapi": "3.0.3",
  "info": {"title": "VisionZoo service (vz serve)", "version": "0.1.0",
           "description": "Object detection and face verification on the CPU over HTTP. DeepStack / CodeProject.AI compatible routes under /v1/vision; native routes return the same JSON as the vz CLI. Every error is {\"success\": false, \"error\": message, \"status\": code}. Every numeric parameter is checked against the range stated here before the body is read (400 naming the parameter and its range). A known path asked with a method it does not list answers 405 with an Allow header; a multipart body has at most 64 parts, each with at most 8 KiB of headers, every part names its field and no field is given twice (400 otherwise); a body not received whole within --body-timeout-s (default 30 s) is answered 408 and the connection closed; a request head not received whole within --header-timeout-s (default 30 s) of the connection opening or the previous response closes the connection. With --api-key (or VZ_API_KEY) every /v1 route needs the key — X-API-Key header, Authorization: Bearer, api_key query parameter or api_key form field (DeepStack) — and answers 401 without it; a raw-body upload is named \"upload\" in results."},
  "paths": {
    "/": {"get": {"summary": "Web page (pick an image, see boxes and JSON)", "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}, "200": {"description": "HTML", "content": {"text/html": {}}}}}},
    "/healthz": {"get": {"summary": "Liveness: the process answers", "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}, "200": {"description": "alive", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}}}},
    "/readyz": {"get": {"summary": "Readiness: models loaded and not shutting down", "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}, 
      "200": {"description": "ready", "content": {"application/json": {"schema": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}},
      "503": {"description": "loading or draining", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"type": "object", "properties": {"ready": {"type": "boolean"}, "error": {"type": "string"}}}}}}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics (text exposition format 0.0.4)", "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}, "200": {"description": "metrics", "content": {"text/plain": {}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}, "200": {"description": "OpenAPI 3 document", "content": {"application/json": {}}}}}},
    "/v1/models": {"get": {"summary": "Loaded models", "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}, "200": {"description": "models", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Models"}}}}}}},
    "/v1/detect": {"post": {
      "summary": "Detect objects; the response is the JSON object `vz detect` prints for one image",
      "parameters": [
        {"name": "model", "in": "query", "schema": {"type": "string"}, "description": "a loaded model (default: the first)"},
        {"name": "conf", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.25}, "description": "confidence threshold, 0...1"},
        {"name": "iou", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.45}, "description": "NMS IoU threshold, 0...1"},
        {"name": "size", "in": "query", "schema": {"type": "integer", "minimum": 32, "maximum": 2048, "multipleOf": 32}, "description": "square input side in pixels: a multiple of 32 (the model's stride) in 32...2048 (default: the model's, 416 for yolov3-tiny)"},
        {"name": "classes", "in": "query", "schema": {"type": "string"}, "description": "comma-separated classes to keep: COCO names (case-insensitive; darknet spellings such as motorbike accepted) or class ids; an unknown one is a 400 listing the valid names"},
        {"name": "max-det", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 300}, "description": "detections returned, 0...10000"},
        {"name": "agnostic", "in": "query", "schema": {"type": "boolean", "default": false}},
        {"name": "no-letterbox", "in": "query", "schema": {"type": "boolean", "default": false}},
        {"name": "multi-label", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "every class above conf may label a box (darknet's decoding), instead of one label per box"}
      ],
      "requestBody": {"required": true, "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
        "image/bmp": {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {"image": {"type": "string", "format": "binary"}}}}}},
      "responses": {
        "200": {"description": "detections", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DetectResult"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/vision/detection": {"post": {
      "summary": "DeepStack / CodeProject.AI object detection",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary"}, "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.4, "description": "0...1"}}}}}},
      "responses": {
        "200": {"description": "predictions", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeepStackDetection"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "413": {"$ref": "#/components/responses/TooLarge"},
        "422": {"$ref": "#/components/responses/Unprocessable"}, "503": {"$ref": "#/components/responses/Unavailable"},
        "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/faces/verify": {"post": {
      "summary": "Same person or not; the response is the JSON object `vz verify` prints (faces[].image: the upload's filename, else the field name)",
      "parameters": [
        {"name": "detector", "in": "query", "schema": {"type": "string"}, "description": "must name the loaded face detector (vz serve --faces)"},
        {"name": "recognizer", "in": "query", "schema": {"type": "string"}, "description": "must name the loaded recognizer"},
        {"name": "threshold", "in": "query", "schema": {"type": "number", "minimum": -1, "maximum": 1}, "description": "cosine threshold, -1...1 (default: the recognizer's calibrated one, see /v1/models)"},
        {"name": "face-index", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 9999, "default": 0}, "description": "use the N-th largest face, 0...9999 (422 if the image has fewer)"},
        {"name": "no-rotate", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "do not try other orientations when no upright face is found"},
        {"name": "aligned", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "inputs are aligned face crops (ArcFace 112x112 layout): skip detection"}
      ],
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["image1", "image2"], "properties": {
        "image1": {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP or BMP (field 'a' is accepted too)"},
        "image2": {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP or BMP (field 'b' is accepted too)"}}}}}},
      "responses": {
        "200": {"description": "decision", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FaceVerification"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/vision/face/match": {"post": {
      "summary": "DeepStack / CodeProject.AI face match",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["image1", "image2"], "properties": {
        "image1": {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP or BMP (field 'a' is accepted too)"},
        "image2": {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP or BMP (field 'b' is accepted too)"}}}}}},
      "responses": {
        "200": {"description": "cosine similarity of the two faces' embeddings (the same number as /v1/faces/verify)", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "success": {"type": "boolean"}, "similarity": {"type": "number"}, "code": {"type": "integer"}, "inferenceMs": {"type": "integer"}, "processMs": {"type": "integer"}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/faces/embed": {"post": {
      "summary": "Faces with landmarks and each face's L2-normalised embedding; the response is the JSON object `vz faces --embed` prints",
      "requestBody": {"required": true, "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}}, "image/png": {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {"image": {"type": "string", "format": "binary"}}}}}},
      "responses": {
        "200": {"description": "faces with embeddings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FacesEmbed"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/gallery": {"get": {
      "summary": "The registered people (as `vz gallery list`)",
      "responses": {"200": {"description": "people", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "success": {"type": "boolean"}, "gallery_size": {"type": "integer"}, "people": {"type": "array", "items": {"$ref": "#/components/schemas/GalleryPerson"}}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "405": {"$ref": "#/components/responses/MethodNotAllowed"}}}},
    "/v1/gallery/add": {"post": {
      "summary": "Register the largest face of each image for a person (one transaction; as `vz gallery add`); needs the API key when one is configured",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["name", "image"], "properties": {
        "name": {"type": "string", "description": "the person (field 'userid' is accepted too)"}, "image": {"type": "string", "format": "binary"},
        "image1": {"type": "string", "format": "binary", "description": "more images: image1, image2, ..."}}}}}},
      "responses": {
        "200": {"description": "the person as stored", "content": {"application/json": {"schema": {"type": "object", "properties": {"success": {"type": "boolean"}, "person": {"$ref": "#/components/schemas/GalleryPerson"}}}}}},
        "409": {"$ref": "#/components/responses/Conflict"},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/gallery/remove": {"post": {
      "summary": "Remove a person and all their embeddings (404 if absent)",
      "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}, "description": "the person (or a form field 'name')"}],
      "requestBody": {"required": false, "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
      "responses": {"200": {"description": "removed", "content": {"application/json": {"schema": {"type": "object", "properties": {"success": {"type": "boolean"}, "removed": {"type": "string"}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "405": {"$ref": "#/components/responses/MethodNotAllowed"}}}},
    "/v1/gallery/identify": {"post": {
      "summary": "Identify every face against the gallery; the response is the JSON object `vz identify` prints (name or \"unknown\", similarity, runner-up, threshold, threshold_source, gallery_size)",
      "parameters": [{"name": "threshold", "in": "query", "schema": {"type": "number", "minimum": -1, "maximum": 1}, "description": "fixed cosine threshold, -1...1 (default: calibrated for the gallery size at FPIR 1 %, see threshold_source)"}],
      "requestBody": {"required": true, "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}}, "image/png": {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {"image": {"type": "string", "format": "binary"}}}}}},
      "responses": {
        "200": {"description": "identified faces", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Identification"}}}},
        "409": {"$ref": "#/components/responses/Conflict"},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/vision/face": {"post": {
      "summary": "DeepStack / CodeProject.AI face detection",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary"}, "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.4}}}}}},
      "responses": {
        "200": {"description": "faces", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "success": {"type": "boolean"}, "count": {"type": "integer"}, "code": {"type": "integer"}, "processMs": {"type": "integer"},
          "predictions": {"type": "array", "items": {"type": "object", "properties": {"confidence": {"type": "number"},
            "x_min": {"type": "integer"}, "y_min": {"type": "integer"}, "x_max": {"type": "integer"}, "y_max": {"type": "integer"}}}}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/vision/face/register": {"post": {
      "summary": "DeepStack / CodeProject.AI face registration: the largest face of each image for userid (needs the API key when one is configured)",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["userid", "image"], "properties": {
        "userid": {"type": "string"}, "image": {"type": "string", "format": "binary"},
        "image1": {"type": "string", "format": "binary", "description": "more images: image1, image2, ..."}}}}}},
      "responses": {
        "200": {"description": "registered", "content": {"application/json": {"schema": {"type": "object", "properties": {"success": {"type": "boolean"}, "message": {"type": "string"}}}}}},
        "409": {"$ref": "#/components/responses/Conflict"},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/vision/face/recognize": {"post": {
      "summary": "DeepStack / CodeProject.AI face recognition: userid per face, \"unknown\" (confidence 0) below the open-set threshold",
      "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary"},
        "min_confidence": {"type": "number", "minimum": -1, "maximum": 1, "description": "a fixed cosine threshold instead of the calibrated one"}}}}}},
      "responses": {
        "200": {"description": "recognized faces", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "success": {"type": "boolean"}, "count": {"type": "integer"}, "code": {"type": "integer"}, "processMs": {"type": "integer"},
          "threshold": {"type": "number"}, "threshold_source": {"type": "string"}, "gallery_size": {"type": "integer"},
          "predictions": {"type": "array", "items": {"type": "object", "properties": {"userid": {"type": "string"}, "confidence": {"type": "number"},
            "x_min": {"type": "integer"}, "y_min": {"type": "integer"}, "x_max": {"type": "integer"}, "y_max": {"type": "integer"}}}}}}}}},
        "409": {"$ref": "#/components/responses/Conflict"},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Unprocessable"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Timeout"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "408": {"$ref": "#/components/responses/BodyTimeout"}}}},
    "/v1/vision/face/list": {"post": {
      "summary": "DeepStack / CodeProject.AI: the registered userids",
      "responses": {"200": {"description": "userids", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "success": {"type": "boolean"}, "faces": {"type": "array", "items": {"type": "string"}}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "405": {"$ref": "#/components/responses/MethodNotAllowed"}}}},
    "/v1/vision/face/delete": {"post": {
      "summary": "DeepStack / CodeProject.AI: delete a userid and its faces (404 if absent)",
      "requestBody": {"required": true, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["userid"], "properties": {"userid": {"type": "string"}}}},
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["userid"], "properties": {"userid": {"type": "string"}}}}}},
      "responses": {"200": {"description": "deleted", "content": {"application/json": {"schema": {"type": "object", "properties": {"success": {"type": "boolean"}, "message": {"type": "string"}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"},
        "503": {"$ref": "#/components/responses/Unavailable"}, "405": {"$ref": "#/components/responses/MethodNotAllowed"}}}}
  },
  "components": {
    "schemas": {
      "Error": {"type": "object", "required": ["success", "error", "status"], "properties": {
        "success": {"type": "boolean", "enum": [false]}, "error": {"type": "string"}, "status": {"type": "integer"}}},
      "Models": {"type": "object", "properties": {"ready": {"type": "boolean"}, "models": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "task": {"type": "string"}, "loaded": {"type": "boolean"}, "default": {"type": "boolean"},
        "instances": {"type": "integer"}, "input_size": {"description": "detection: square input side; face-verification: [chip width, chip height]"}, "weights": {"type": "string"},
        "classes": {"type": "array", "items": {"type": "string"}},
        "detector": {"type": "string"}, "recognizer": {"type": "string"}, "error": {"type": "string", "description": "why a face pipeline failed to load"},
        "threshold": {"type": "number", "description": "face-verification: the calibrated cosine threshold"}, "threshold_source": {"type": "string"}}}}}},
      "DetectResult": {"type": "object", "required": ["image", "width", "height", "model", "timings_ms", "detections"], "properties": {
        "image": {"type": "string", "description": "the multipart part's filename, or \"upload\" for a raw body or a part without one"},
        "width": {"type": "integer"}, "height": {"type": "integer"}, "model": {"type": "string"},
        "timings_ms": {"type": "object", "properties": {"decode": {"type": "number"}, "preprocess": {"type": "number"}, "inference": {"type": "number"}, "postprocess": {"type": "number"}}},
        "detections": {"type": "array", "items": {"type": "object", "properties": {
          "label": {"type": "string"}, "class_id": {"type": "integer"}, "score": {"type": "number"},
          "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4, "description": "x1, y1, x2, y2 in original pixels"}}}}}},
      "FaceVerification": {"type": "object", "required": ["same", "similarity", "threshold", "threshold_source", "detector", "recognizer", "faces", "timings_ms", "cpu_ms"], "properties": {
        "same": {"type": "boolean", "description": "similarity > threshold"}, "similarity": {"type": "number", "description": "cosine of the two embeddings"},
        "threshold": {"type": "number"}, "threshold_source": {"type": "string"},
        "detector": {"type": "string"}, "recognizer": {"type": "string"},
        "notes": {"type": "array", "items": {"type": "string"}, "description": "several faces found, or an image used turned"},
        "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}, "description": "wall ms per stage over both images: decode, detect, align, embed, total"},
        "cpu_ms": {"type": "object", "additionalProperties": {"type": "number"}, "description": "process CPU ms per stage"},
        "faces": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "object", "properties": {
          "image": {"type": "string"}, "n_faces": {"type": "integer"},
          "box": {"type": "array", "items": {"type": "number"}, "description": "x1, y1, x2, y2 in pixels of the (possibly turned) image"},
          "score": {"type": "number"}, "rotation": {"type": "integer", "description": "quarter turns counter-clockwise applied before detection"},
          "landmarks": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}, "description": "five [x, y] points"}}}}}},
      "GalleryPerson": {"type": "object", "properties": {"name": {"type": "string"}, "faces": {"type": "integer"},
        "images": {"type": "array", "items": {"type": "string"}}, "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}, "recognizer": {"type": "string"}, "recognizer_version": {"type": "string"}}},
      "FacesEmbed": {"type": "object", "properties": {"image": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
        "recognizer": {"type": "string"}, "recognizer_version": {"type": "string"},
        "faces": {"type": "array", "items": {"type": "object", "properties": {"box": {"type": "array", "items": {"type": "number"}}, "score": {"type": "number"},
          "landmarks": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
          "embedding": {"type": "array", "items": {"type": "number"}, "description": "L2-normalised"}}}}}},
      "Identification": {"type": "object", "properties": {"image": {"type": "string"}, "threshold": {"type": "number"}, "threshold_source": {"type": "string"},
        "gallery_size": {"type": "integer", "description": "people"}, "gallery_embeddings": {"type": "integer", "description": "the N the threshold is calibrated for"},
        "recognizer": {"type": "string"}, "recognizer_version": {"type": "string"}, "detector": {"type": "string"},
        "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}},
        "faces": {"type": "array", "items": {"type": "object", "properties": {"box": {"type": "array", "items": {"type": "number"}}, "score": {"type": "number"},
          "landmarks": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}, "rotation": {"type": "integer"},
          "name": {"type": "string", "description": "the best person, or \"unknown\""}, "similarity": {"type": "number"}, "best_match": {"type": "string"},
          "runner_up": {"type": "string"}, "runner_up_similarity": {"type": "number"}, "threshold": {"type": "number"},
          "threshold_source": {"type": "string"}, "gallery_size": {"type": "integer"}}}}}},
      "DeepStackDetection": {"type": "object", "properties": {
        "success": {"type": "boolean"}, "count": {"type": "integer"}, "code": {"type": "integer"},
        "inferenceMs": {"type": "integer"}, "processMs": {"type": "integer"},
        "predictions": {"type": "array", "items": {"type": "object", "properties": {
          "label": {"type": "string"}, "confidence": {"type": "number"},
          "x_min": {"type": "integer"}, "y_min": {"type": "integer"}, "x_max": {"type": "integer"}, "y_max": {"type": "integer"}}}}}}
    },
    "responses": {
      "BadRequest": {"description": "malformed request or not a JPEG, PNG, WebP or BMP image", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "unknown model, or face routes disabled (--no-faces)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Conflict": {"description": "faces of another recognizer or version than the gallery's", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "body over --max-body-mb", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unprocessable": {"description": "image over --max-pixels, or no face found (the error names the field)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "queue full, loading, shutting down, or the face pipeline failed to load (the error says why)", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "MethodNotAllowed": {"description": "this path does not answer that method", "headers": {"Allow": {"schema": {"type": "string"}, "description": "the methods the path answers"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "BodyTimeout": {"description": "the body did not arrive whole within --body-timeout-s; the connection is closed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Timeout": {"description": "not finished within --timeout-s", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
}
"""#
}
